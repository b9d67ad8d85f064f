//! `DATABASE_URL`: checked without ever repeating it (it usually holds the password),
//! and masked for logs.

use url::Url;

use super::reader::Reader;
use super::{Environment, Secret};

pub(super) const DEFAULT_DATABASE_URL: &str = "sqlite://ciu.db";

/// The URL to use; `None` when it is wrong or missing in production (recorded).
pub(super) fn read_database_url(reader: &mut Reader, environment: Environment) -> Option<Secret> {
    let explicit = reader.value("DATABASE_URL");
    if let Some(url) = &explicit {
        if let Err(problem) = check_database_url(url) {
            reader.invalid("DATABASE_URL", problem);
            return None;
        }
    }
    if environment == Environment::Production {
        reader.require(
            "DATABASE_URL",
            explicit.is_some(),
            "écrivez-la explicitement, par exemple \
             postgresql://whatsapp_bot:MOT_DE_PASSE@localhost/whatsapp_uic_db ou \
             sqlite:///var/lib/ciu-whatsapp/ciu.db, pour que les données n'atterrissent \
             jamais par accident dans un fichier à côté du programme",
        );
    }
    if reader.has_error("DATABASE_URL") {
        return None;
    }
    Some(Secret::new(
        explicit.unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
    ))
}

/// The value is never repeated in the message: it usually holds the password.
fn check_database_url(value: &str) -> Result<(), String> {
    let scheme = value
        .split_once(':')
        .map(|(scheme, _)| scheme.to_ascii_lowercase());
    if !matches!(
        scheme.as_deref(),
        Some("sqlite" | "postgres" | "postgresql")
    ) {
        return Err(
            "doit commencer par sqlite:// (par exemple sqlite://ciu.db) ou \
                    postgresql:// (par exemple \
                    postgresql://whatsapp_bot:MOT_DE_PASSE@localhost/whatsapp_uic_db)"
                .to_owned(),
        );
    }
    if crate::store::is_in_memory_sqlite(value) {
        return Err(
            "est une base SQLite en mémoire, qui oublie tous les codes à chaque \
                    redémarrage : utilisez un fichier, par exemple \
                    sqlite:///var/lib/ciu-whatsapp/ciu.db"
                .to_owned(),
        );
    }
    Url::parse(value).map(|_| ()).map_err(|error| {
        format!(
            "n'est pas une adresse valide ({error}) ; si le mot de passe contient des \
             caractères comme @ : / # ? %, écrivez-les encodés (@ s'écrit %40)"
        )
    })
}

pub(super) fn mask_database_url(raw: &str) -> String {
    let Ok(mut url) = Url::parse(raw) else {
        return "[adresse de base illisible]".to_owned();
    };
    if url.password().is_some() {
        // Only fails for URLs that cannot have a password, which this one has.
        let _ = url.set_password(Some("***"));
    }
    let is_password = |name: &str| name.eq_ignore_ascii_case("password");
    if url.query_pairs().any(|(name, _)| is_password(&name)) {
        let masked: Vec<(String, String)> = url
            .query_pairs()
            .map(|(name, value)| {
                let value = if is_password(&name) {
                    "***".to_owned()
                } else {
                    value.into_owned()
                };
                (name.into_owned(), value)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(masked);
    }
    url.set_fragment(None);
    url.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_are_masked_for_logs() {
        assert_eq!(mask_database_url("sqlite://ciu.db"), "sqlite://ciu.db");
        assert_eq!(
            mask_database_url("postgres://bot@localhost/ciu?sslmode=require"),
            "postgres://bot@localhost/ciu?sslmode=require"
        );
        assert_eq!(
            mask_database_url("postgres://localhost/ciu?user=bot&password=s3cret"),
            "postgres://localhost/ciu?user=bot&password=***"
        );
    }

    #[test]
    fn wrong_urls_are_refused_without_repeating_them() {
        for (url, hint) in [
            ("mysql://bot:MonMotDePasse123@localhost/db", "postgresql://"),
            ("sqlite::memory:", "utilisez un fichier"),
        ] {
            let problem = check_database_url(url).unwrap_err();
            assert!(problem.contains(hint), "{problem}");
            assert!(!problem.contains("MonMotDePasse123"), "{problem}");
        }
        assert_eq!(check_database_url("postgres://bot@localhost/ciu"), Ok(()));
    }
}
