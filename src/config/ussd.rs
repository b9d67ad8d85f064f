//! The USSD channel's settings (Africa's Talking, src/channels/ussd/) and what
//! production requires of them.

use super::reader::Reader;
use super::values::parse_route_path;
use super::Secret;

pub const DEFAULT_USSD_PATH: &str = "/ussd";
/// Shorter secrets can be guessed; longer is fine.
const MIN_SECRET_CHARS: usize = 16;

/// `USSD_PATH` and `USSD_SECRET`.
#[derive(Debug, Clone)]
pub struct UssdSettings {
    /// The callback's path (default `/ussd`).
    pub path: String,
    /// Written in the callback URL configured at Africa's Talking (`…/ussd?cle=…`);
    /// without it (development, or an nginx allow list alone) every request passes.
    pub secret: Option<Secret>,
}

impl Default for UssdSettings {
    fn default() -> Self {
        UssdSettings {
            path: DEFAULT_USSD_PATH.to_owned(),
            secret: None,
        }
    }
}

pub(super) fn read_ussd(reader: &mut Reader) -> UssdSettings {
    let path = reader
        .parsed("USSD_PATH", |v| parse_route_path(v, DEFAULT_USSD_PATH))
        .unwrap_or_else(|| DEFAULT_USSD_PATH.to_owned());
    let secret = reader.secret("USSD_SECRET");
    if let Some(problem) = secret.as_ref().and_then(|s| secret_problem(s.expose())) {
        reader.invalid("USSD_SECRET", problem);
    }
    UssdSettings { path, secret }
}

/// In production the callback must be authenticated: Africa's Talking signs nothing.
pub(super) fn require_ussd_secret(reader: &mut Reader, ussd: &UssdSettings) {
    reader.require(
        "USSD_SECRET",
        ussd.secret.is_some(),
        "Africa's Talking ne signe pas ses requêtes : le secret écrit dans l'adresse de \
         rappel (https://votre-domaine.cd/ussd?cle=SECRET) les authentifie ; générez-en un \
         avec « openssl rand -hex 32 » (voir aussi la liste d'adresses IP de nginx)",
    );
}

/// A path another route already serves, or `None`.
pub(super) fn check_ussd_path_is_free(reader: &mut Reader, path: &str, taken: &[&str]) {
    if taken.contains(&path) {
        reader.invalid(
            "USSD_PATH",
            format!(
                "« {path} » est déjà servi par un autre canal ou par le service ; choisissez \
                 un autre chemin (par défaut {DEFAULT_USSD_PATH})"
            ),
        );
    }
}

/// The secret goes in a URL as it is: letters, digits, `-` and `_`, long enough.
fn secret_problem(secret: &str) -> Option<String> {
    if secret.chars().count() < MIN_SECRET_CHARS {
        return Some(format!(
            "doit compter au moins {MIN_SECRET_CHARS} caractères (openssl rand -hex 32)"
        ));
    }
    if !secret
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Some(
            "ne peut contenir que des lettres, des chiffres, - et _ (il est écrit dans une \
             adresse) ; openssl rand -hex 32 en donne un"
                .to_owned(),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_fit_in_a_url_and_are_long() {
        assert_eq!(secret_problem("0123456789abcdef-_AZ"), None);
        assert!(secret_problem("court").unwrap().contains("au moins 16"));
        assert!(secret_problem("0123456789abcdef&x=1")
            .unwrap()
            .contains("lettres"));
    }
}
