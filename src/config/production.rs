//! Settings that production holds to a higher standard than development (the channels'
//! own rules are in twilio.rs and meta.rs).

use super::reader::Reader;
use super::values::{is_https, parse_public_base_url};
use super::{Environment, Secret};
use crate::code::{Salt, SaltError};

const MIN_ADMIN_TOKEN_LEN: usize = Salt::MIN_LEN;

/// `PUBLIC_BASE_URL`, which must be https in production (nginx serves the certificate).
pub(super) fn read_public_base_url(
    reader: &mut Reader,
    environment: Option<Environment>,
) -> Option<String> {
    let url = reader.parsed("PUBLIC_BASE_URL", parse_public_base_url)?;
    if environment == Some(Environment::Production) && !is_https(&url) {
        reader.invalid(
            "PUBLIC_BASE_URL",
            "doit commencer par https:// en production (l'adresse que Twilio appelle, servie \
             par nginx avec le certificat)",
        );
    }
    Some(url)
}

/// `ADMIN_TOKEN` protects `POST /whatsapp/cleanup` (and opens the console when there
/// is no `CONSOLE_PASSWORD`): required in production, as strong as the salt, and not
/// the salt itself.
pub(super) fn read_admin_token(
    reader: &mut Reader,
    environment: Option<Environment>,
    salt: Option<&Salt>,
) -> Option<Secret> {
    let token = reader.secret("ADMIN_TOKEN");
    if environment != Some(Environment::Production) {
        return token;
    }
    if let Some(problem) = token.as_ref().and_then(|t| weakness(t, salt)) {
        reader.invalid("ADMIN_TOKEN", problem);
    }
    reader.require(
        "ADMIN_TOKEN",
        token.is_some(),
        "il protège POST /whatsapp/cleanup ; `ciu salt` en affiche un qui convient",
    );
    token
}

/// The staff console's password (src/console/): `CONSOLE_PASSWORD`, or else
/// `ADMIN_TOKEN`; no console without either. In production it is held to the salt's
/// strength rule and must differ from the salt.
pub(super) fn read_console_password(
    reader: &mut Reader,
    environment: Option<Environment>,
    salt: Option<&Salt>,
    admin_token: Option<&Secret>,
) -> Option<Secret> {
    let Some(password) = reader.secret("CONSOLE_PASSWORD") else {
        return admin_token.cloned();
    };
    if environment == Some(Environment::Production) {
        if let Some(problem) = weakness(&password, salt) {
            reader.invalid("CONSOLE_PASSWORD", problem);
        }
    }
    Some(password)
}

/// Why a production password or token is refused, in French; `None` when it is fine.
fn weakness(secret: &Secret, salt: Option<&Salt>) -> Option<String> {
    let value = secret.expose();
    if salt.is_some_and(|salt| salt.is(value)) {
        return Some(
            "ne doit pas être égal à UIC_SALT : le sel ne sert qu'au calcul des codes ;              `ciu salt` affiche une autre valeur qui convient"
                .to_owned(),
        );
    }
    match Salt::new(value) {
        Ok(_) => None,
        Err(SaltError::TooShort) => Some(format!(
            "doit compter au moins {MIN_ADMIN_TOKEN_LEN} caractères en production ; `ciu \
             salt` en affiche un qui convient"
        )),
        Err(SaltError::TooSimple) => Some(
            "trop simple pour la production : mélangez au moins trois sortes de caractères \
             (minuscules, majuscules, chiffres, symboles) ; `ciu salt` en affiche un qui \
             convient"
                .to_owned(),
        ),
    }
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
        assert!(read_admin_token(&mut development, dev, None).is_some());
        assert!(development.errors.is_empty());

        let mut production = reader_with(&lookup);
        let prod = Some(Environment::Production);
        read_public_base_url(&mut production, prod);
        read_admin_token(&mut production, prod, None);
        let shown: Vec<String> = production.errors.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 2, "{shown:?}");
        assert!(shown[0].starts_with("PUBLIC_BASE_URL : doit commencer par https://"));
        assert!(shown[1].starts_with("ADMIN_TOKEN : doit compter au moins 16 caractères"));
    }

    #[test]
    fn production_refuses_a_weak_console_password_or_the_salt() {
        let salt = Salt::new("Sel-de-Production-2026").unwrap();
        let cases = [
            ("aaaaaaaaaaaaaaaa", "trop simple"),
            ("Court-1", "au moins 16"),
            ("Sel-de-Production-2026", "égal à UIC_SALT"),
        ];
        for (password, expected) in cases {
            let lookup = |name: &str| match name {
                "CONSOLE_PASSWORD" | "ADMIN_TOKEN" => Some(password.to_owned()),
                _ => None,
            };
            let prod = Some(Environment::Production);
            let mut reader = reader_with(&lookup);
            let token = read_admin_token(&mut reader, prod, Some(&salt));
            read_console_password(&mut reader, prod, Some(&salt), token.as_ref());
            let shown: Vec<String> = reader.errors.iter().map(ToString::to_string).collect();
            assert_eq!(shown.len(), 2, "{password}: {shown:?}");
            assert!(shown[0].starts_with("ADMIN_TOKEN : "), "{shown:?}");
            assert!(shown[1].starts_with("CONSOLE_PASSWORD : "), "{shown:?}");
            assert!(
                shown.iter().all(|s| s.contains(expected)),
                "{password}: {shown:?}"
            );
            assert!(
                shown.iter().all(|s| !s.contains(password)),
                "the value is never shown"
            );
        }
    }

    #[test]
    fn the_console_uses_the_admin_token_when_it_has_no_password_of_its_own() {
        let lookup = |name: &str| match name {
            "ADMIN_TOKEN" => Some("Jeton-Admin-2026-xyz".to_owned()),
            _ => None,
        };
        let mut reader = reader_with(&lookup);
        let prod = Some(Environment::Production);
        let token = read_admin_token(&mut reader, prod, None);
        let password = read_console_password(&mut reader, prod, None, token.as_ref());
        assert!(password.unwrap().matches("Jeton-Admin-2026-xyz"));
        let none = |_: &str| None;
        let mut reader = reader_with(&none);
        let dev = Some(Environment::Development);
        assert!(read_console_password(&mut reader, dev, None, None).is_none());
    }
}
