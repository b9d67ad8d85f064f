//! Africa's Talking signs nothing: a request is trusted by a secret written in the
//! callback URL (`USSD_SECRET`, `?cle=…`), and/or by nginx letting only the provider's
//! addresses through (deploy/nginx/, docs/fr/guide-de-deploiement.md).

use subtle::ConstantTimeEq;

/// Whether `given` (the URL's `cle`) is the configured secret, compared in constant
/// time; with no secret configured every request passes (development, or an nginx
/// allow list alone).
pub fn secret_matches(configured: Option<&str>, given: Option<&str>) -> bool {
    match (configured, given) {
        (None, _) => true,
        (Some(secret), Some(given)) => bool::from(secret.as_bytes().ct_eq(given.as_bytes())),
        (Some(_), None) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_configured_secret_passes() {
        assert!(secret_matches(None, None));
        assert!(secret_matches(Some("s3cret-long"), Some("s3cret-long")));
        assert!(!secret_matches(Some("s3cret-long"), Some("s3cret-lonG")));
        assert!(!secret_matches(Some("s3cret-long"), Some("")));
        assert!(!secret_matches(Some("s3cret-long"), None));
    }
}
