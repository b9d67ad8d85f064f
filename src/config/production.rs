//! Settings that production holds to a higher standard than development (the channels'
//! own rules are in twilio.rs and meta.rs).

use super::reader::Reader;
use super::values::parse_public_base_url;
use super::{Environment, Secret};

const MIN_ADMIN_TOKEN_LEN: usize = 16;

/// `PUBLIC_BASE_URL`, which must be https in production (nginx serves the certificate).
pub(super) fn read_public_base_url(
    reader: &mut Reader,
    environment: Option<Environment>,
) -> Option<String> {
    let url = reader.parsed("PUBLIC_BASE_URL", parse_public_base_url)?;
    let https = url
        .get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"));
    if environment == Some(Environment::Production) && !https {
        reader.invalid(
            "PUBLIC_BASE_URL",
            "doit commencer par https:// en production (l'adresse que Twilio appelle, servie \
             par nginx avec le certificat)",
        );
    }
    Some(url)
}

/// `ADMIN_TOKEN` protects `POST /whatsapp/cleanup`: required, and long, in production.
pub(super) fn read_admin_token(
    reader: &mut Reader,
    environment: Option<Environment>,
) -> Option<Secret> {
    let token = reader.secret("ADMIN_TOKEN");
    if environment != Some(Environment::Production) {
        return token;
    }
    let too_short = token
        .as_ref()
        .is_some_and(|token| token.expose().chars().count() < MIN_ADMIN_TOKEN_LEN);
    if too_short {
        reader.invalid(
            "ADMIN_TOKEN",
            format!(
                "doit compter au moins {MIN_ADMIN_TOKEN_LEN} caractères en production ; `ciu \
                 salt` en affiche un qui convient"
            ),
        );
    }
    reader.require(
        "ADMIN_TOKEN",
        token.is_some(),
        "il protège POST /whatsapp/cleanup ; `ciu salt` en affiche un qui convient",
    );
    token
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader_with<'a>(lookup: &'a dyn Fn(&str) -> Option<String>) -> Reader<'a> {
        Reader::new(lookup, None)
    }

    #[test]
    fn development_accepts_what_production_refuses() {
        let lookup = |name: &str| match name {
            "PUBLIC_BASE_URL" => Some("http://votre-domaine.cd".to_owned()),
            "ADMIN_TOKEN" => Some("court".to_owned()),
            _ => None,
        };
        let mut development = reader_with(&lookup);
        let dev = Some(Environment::Development);
        assert!(read_public_base_url(&mut development, dev).is_some());
        assert!(read_admin_token(&mut development, dev).is_some());
        assert!(development.errors.is_empty());

        let mut production = reader_with(&lookup);
        let prod = Some(Environment::Production);
        read_public_base_url(&mut production, prod);
        read_admin_token(&mut production, prod);
        let shown: Vec<String> = production.errors.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 2, "{shown:?}");
        assert!(shown[0].starts_with("PUBLIC_BASE_URL : doit commencer par https://"));
        assert!(shown[1].starts_with("ADMIN_TOKEN : doit compter au moins 16 caractères"));
    }
}
