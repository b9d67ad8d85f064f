//! Parsing of single values. Each error says, in French, what the value is not and
//! what to write instead; the caller prefixes the variable's name.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use url::Url;

use super::{Environment, PhoneStorage};

pub(super) const DEFAULT_PORT: u16 = 8000;
pub(super) const DEFAULT_RATE_LIMIT_PER_MINUTE: u32 = 30;
pub(super) const DEFAULT_META_RETRY_BASE_MS: u64 = 1000;
const MAX_SESSION_TIMEOUT_MINUTES: u32 = 24 * 60;

pub(super) fn parse_environment(value: &str) -> Result<Environment, String> {
    match value.to_ascii_lowercase().as_str() {
        "development" => Ok(Environment::Development),
        "production" => Ok(Environment::Production),
        _ => Err(format!(
            "« {value} » n'est pas un environnement ; mettez development ou production"
        )),
    }
}

/// The guide's Python level names, mapped onto tracing's levels.
pub(super) fn parse_log_level(value: &str) -> Result<tracing::Level, String> {
    match value.to_ascii_uppercase().as_str() {
        "DEBUG" => Ok(tracing::Level::DEBUG),
        "INFO" => Ok(tracing::Level::INFO),
        "WARNING" | "WARN" => Ok(tracing::Level::WARN),
        "ERROR" | "CRITICAL" => Ok(tracing::Level::ERROR),
        _ => Err(format!(
            "« {value} » n'est pas un niveau de journal ; mettez DEBUG, INFO, WARNING, ERROR \
             ou CRITICAL"
        )),
    }
}

pub(super) fn parse_bool(value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(format!(
            "« {value} » n'est pas une valeur oui/non ; mettez True ou False (acceptés \
             aussi : 1/0, yes/no)"
        )),
    }
}

pub(super) fn parse_host(value: &str) -> Result<IpAddr, String> {
    value.parse().map_err(|_| {
        format!(
            "« {value} » n'est pas une adresse IP ; mettez 127.0.0.1 derrière nginx (la \
             valeur par défaut), ou 0.0.0.0 pour écouter sur toutes les interfaces"
        )
    })
}

/// 0 asks the system for any free port (tests, or running several instances).
pub(super) fn parse_port(value: &str) -> Result<u16, String> {
    value.parse::<u16>().map_err(|_| {
        format!(
            "« {value} » n'est pas un numéro de port ; mettez un nombre entre 1 et 65535 \
             (par exemple {DEFAULT_PORT})."
        )
    })
}

pub(super) fn parse_session_timeout(value: &str) -> Result<u32, String> {
    match value.parse::<u32>() {
        Ok(minutes) if (1..=MAX_SESSION_TIMEOUT_MINUTES).contains(&minutes) => Ok(minutes),
        _ => Err(format!(
            "« {value} » n'est pas un nombre de minutes entre 1 et \
             {MAX_SESSION_TIMEOUT_MINUTES} ; supprimez la ligne pour garder la valeur du \
             fichier de flux"
        )),
    }
}

pub(super) fn parse_retry_base(value: &str) -> Result<Duration, String> {
    match value.parse::<u64>() {
        Ok(ms) if (1..=60_000).contains(&ms) => Ok(Duration::from_millis(ms)),
        _ => Err(format!(
            "« {value} » n'est pas un nombre de millisecondes entre 1 et 60000 (par défaut \
             {DEFAULT_META_RETRY_BASE_MS})"
        )),
    }
}

pub(super) fn parse_phone_storage(value: &str) -> Result<PhoneStorage, String> {
    match value.to_ascii_lowercase().as_str() {
        "hashed" => Ok(PhoneStorage::Hashed),
        "plain" => Ok(PhoneStorage::Plain),
        _ => Err(format!(
            "« {value} » n'est pas un mode de stockage ; mettez hashed (par défaut) ou plain"
        )),
    }
}

pub(super) fn parse_rate_limit(value: &str) -> Result<Option<NonZeroU32>, String> {
    value.parse::<u32>().map(NonZeroU32::new).map_err(|_| {
        format!(
            "« {value} » n'est pas un nombre de messages par minute ; mettez un nombre entier \
             (par défaut {DEFAULT_RATE_LIMIT_PER_MINUTE}, 0 pour aucune limite)"
        )
    })
}

/// Only characters that are plain in a URL path and in axum's route syntax.
pub(super) fn parse_route_path(value: &str, default: &str) -> Result<String, String> {
    let plain = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.' | '~'));
    if !value.starts_with('/') {
        Err(format!(
            "« {value} » doit commencer par / (par défaut {default})"
        ))
    } else if !plain {
        Err(format!(
            "« {value} » ne peut contenir que des lettres, des chiffres et / - _ . ~ (par \
             défaut {default})"
        ))
    } else {
        Ok(value.to_owned())
    }
}

/// Whether a base URL is served over TLS: production requires it of `PUBLIC_BASE_URL`,
/// the console marks its cookies `Secure` by it.
pub fn is_https(url: &str) -> bool {
    url.get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
}

pub(super) fn parse_public_base_url(value: &str) -> Result<String, String> {
    let base = parse_http_base_url(value)?;
    let url = Url::parse(&base).map_err(|error| error.to_string())?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(
            "ne doit contenir que l'adresse publique et, au besoin, un début de chemin, \
             comme https://votre-domaine.cd"
                .to_owned(),
        );
    }
    Ok(base)
}

/// Kept as written (not re-serialized by `Url`, which would rewrite the host and
/// port): Twilio signs the exact address configured in its console.
pub(super) fn parse_http_base_url(value: &str) -> Result<String, String> {
    let url = Url::parse(value).map_err(|error| {
        format!("n'est pas une adresse web ({error}) ; écrivez-la comme https://votre-domaine.cd")
    })?;
    if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
        return Err("doit commencer par https:// (ou http://) suivi d'un nom d'hôte".to_owned());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("ne doit contenir ni nom d'utilisateur ni mot de passe".to_owned());
    }
    Ok(value.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_port_says_what_to_write() {
        assert_eq!(
            parse_port("80a").unwrap_err(),
            "« 80a » n'est pas un numéro de port ; mettez un nombre entre 1 et 65535 (par \
             exemple 8000)."
        );
        assert_eq!(parse_port("0"), Ok(0));
        assert!(parse_port("70000").is_err());
    }

    #[test]
    fn yes_no_values_accept_the_usual_spellings() {
        for (value, expected) in [
            ("True", true),
            ("1", true),
            ("yes", true),
            ("False", false),
            ("0", false),
            ("no", false),
        ] {
            assert_eq!(parse_bool(value), Ok(expected), "{value}");
        }
        assert!(parse_bool("peut-être")
            .unwrap_err()
            .contains("True ou False"));
    }

    #[test]
    fn base_urls_lose_only_their_trailing_slash() {
        assert_eq!(
            parse_public_base_url("https://votre-domaine.cd/").as_deref(),
            Ok("https://votre-domaine.cd")
        );
        assert!(parse_http_base_url("https://u:p@h.cd").is_err());
    }
}
