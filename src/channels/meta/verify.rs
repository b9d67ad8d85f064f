//! Meta proves who is calling: the `X-Hub-Signature-256` of each notification, and the
//! verification handshake when the webhook is set up.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::Secret;

type HmacSha256 = Hmac<Sha256>;

/// Checks `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>` in
/// constant time. The expected value is never computed as text, so it cannot leak.
pub fn verify_signature(app_secret: &str, body: &[u8], header: Option<&str>) -> bool {
    let Some(given) = header
        .and_then(|h| h.trim().strip_prefix("sha256="))
        .and_then(|h| hex::decode(h).ok())
    else {
        return false;
    };
    let mut mac =
        HmacSha256::new_from_slice(app_secret.as_bytes()).expect("HMAC accepts any key length");
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

/// The webhook verification handshake: the challenge to echo when Meta presents our
/// verify token (compared in constant time), else `None` (403).
pub fn handshake_challenge<'a>(
    verify_token: Option<&Secret>,
    mode: Option<&str>,
    token: Option<&str>,
    challenge: Option<&'a str>,
) -> Option<&'a str> {
    let expected = verify_token?;
    if mode != Some("subscribe") || !expected.matches(token?) {
        return None;
    }
    challenge
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_checked_over_the_raw_body() {
        let body = br#"{"entry":[]}"#;
        let mut mac = HmacSha256::new_from_slice(b"app-secret").unwrap();
        mac.update(body);
        let good = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert!(verify_signature("app-secret", body, Some(&good)));
        assert!(verify_signature(
            "app-secret",
            body,
            Some(&good.to_uppercase().replace("SHA256=", "sha256="))
        ));
        assert!(!verify_signature("other-secret", body, Some(&good)));
        assert!(!verify_signature(
            "app-secret",
            br#"{"entry": []}"#,
            Some(&good)
        ));
        assert!(!verify_signature("app-secret", body, Some(&good[7..])));
        assert!(!verify_signature("app-secret", body, Some("sha256=zz")));
        assert!(!verify_signature("app-secret", body, None));
    }

    #[test]
    fn the_handshake_echoes_the_challenge_only_for_our_token() {
        let token = Secret::new("verify-me");
        let answer = |mode, given| {
            handshake_challenge(Some(&token), Some(mode), Some(given), Some("1158201444"))
        };
        assert_eq!(answer("subscribe", "verify-me"), Some("1158201444"));
        assert_eq!(answer("subscribe", "verify-you"), None);
        assert_eq!(answer("unsubscribe", "verify-me"), None);
        assert_eq!(
            handshake_challenge(None, Some("subscribe"), Some(""), Some("1")),
            None
        );
    }
}
