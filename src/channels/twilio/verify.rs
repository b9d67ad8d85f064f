//! Twilio's `X-Twilio-Signature` check.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

type HmacSha1 = Hmac<Sha1>;

/// Twilio's `X-Twilio-Signature`: base64 of HMAC-SHA1 keyed with the auth token, over
/// the URL followed by every parameter's name and value, sorted by name then by value.
/// A parameter repeated with the same value counts once, as in Twilio's own helper
/// library (`RequestValidator.compute_signature` of the `twilio` package on PyPI).
pub fn expected_signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut mac =
        HmacSha1::new_from_slice(auth_token.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    BASE64.encode(mac.finalize().into_bytes())
}

/// Whether the `X-Twilio-Signature` header matches, compared in constant time so the
/// answer time does not reveal how much of a forged signature was right. Like Twilio's
/// helper library (`RequestValidator.validate`), the URL is tried without its port and
/// with it (the scheme's default port added when it has none): Twilio signs
/// `https://host/path` or `https://host:443/path` depending on its side.
pub fn verify_signature(
    auth_token: &str,
    url: &str,
    params: &[(String, String)],
    header: Option<&str>,
) -> bool {
    let Some(header) = header else {
        return false;
    };
    let given = header.trim().as_bytes();
    let (without_port, with_port) = url_port_forms(url);
    let matches = |url: &str| -> bool {
        expected_signature(auth_token, url, params)
            .as_bytes()
            .ct_eq(given)
            .into()
    };
    // Both computed, so the time taken does not depend on which one matched.
    let first = matches(&without_port);
    let second = matches(&with_port);
    first | second
}

/// `url` without its port, and with one (its own, else 443 for https and 80 otherwise).
fn url_port_forms(url: &str) -> (String, String) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), url.to_owned());
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let host_end = authority.rfind(']').unwrap_or(0);
    let port_at = authority[host_end..]
        .rfind(':')
        .map(|at| host_end + at)
        .filter(|&at| authority[at + 1..].bytes().all(|b| b.is_ascii_digit()));
    match port_at {
        Some(at) if at + 1 < authority.len() => (
            format!("{scheme}://{}{tail}", &authority[..at]),
            url.to_owned(),
        ),
        _ => {
            let default_port = if scheme.eq_ignore_ascii_case("https") {
                443
            } else {
                80
            };
            (
                url.to_owned(),
                format!("{scheme}://{authority}:{default_port}{tail}"),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::twilio::parse_form;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect()
    }

    const DOC_URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    /// The worked example of Twilio's "Webhooks security" page.
    #[test]
    fn twilios_published_example_signature() {
        let params = pairs(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]);
        assert_eq!(
            expected_signature("12345", DOC_URL, &params),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        );
    }

    /// Signatures computed with Twilio's own helper library (the `twilio` package on PyPI):
    /// another caller number, and a parameter name that repeats.
    #[test]
    fn twilio_sdk_vectors() {
        let params = pairs(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
            ("Caller", "+14158675309"),
        ]);
        assert_eq!(
            expected_signature("12345", DOC_URL, &params),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        );
        let repeated = pairs(&[
            ("Sid", "CA123"),
            ("SidAccount", "AC123"),
            ("Digits", "5678"),
            ("Digits", "1234"),
        ]);
        assert_eq!(
            expected_signature("12345", DOC_URL, &repeated),
            "IK+Dwps556ElfBT0I3Rgjkr1wJU="
        );
    }

    #[test]
    fn only_the_right_signature_verifies() {
        let body = b"To=%2B18005551212&CallSid=CA1234567890ABCDE&Digits=1234\
                     &From=%2B12349013030&Caller=%2B12349013030";
        let (_, params) = parse_form(body).unwrap();
        let good = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";
        assert!(verify_signature("12345", DOC_URL, &params, Some(good)));

        assert!(!verify_signature("12345", DOC_URL, &params, None));
        assert!(!verify_signature("12345", DOC_URL, &params, Some("")));
        assert!(!verify_signature(
            "12345",
            DOC_URL,
            &params,
            Some("0/KCTR6DLpKmkAf8muzZqo1nDgQ")
        ));
        assert!(!verify_signature(
            "12345",
            DOC_URL,
            &params,
            Some("1/KCTR6DLpKmkAf8muzZqo1nDgQ=")
        ));
        assert!(!verify_signature("54321", DOC_URL, &params, Some(good)));
        assert!(!verify_signature(
            "12345",
            "https://mycompany.com/myapp.php?foo=1&bar=3",
            &params,
            Some(good)
        ));
        let mut tampered = params.clone();
        tampered.push(("Body".into(), "RESTART".into()));
        assert!(!verify_signature("12345", DOC_URL, &tampered, Some(good)));
    }

    /// Vectors made with Twilio's helper library, `pip install twilio` (9.13.0):
    /// `RequestValidator("12345").compute_signature(url, params)` with params
    /// `{"From": "+243810000001", "Body": "Kinshasa", "MessageSid": "SM1"}`, then
    /// `validate(...)` to see which URL forms it accepts.
    #[test]
    fn a_url_is_accepted_with_or_without_its_default_port() {
        let params = pairs(&[
            ("From", "+243810000001"),
            ("Body", "Kinshasa"),
            ("MessageSid", "SM1"),
        ]);
        let without = "https://votre-domaine.cd/whatsapp/webhook";
        let with_443 = "https://votre-domaine.cd:443/whatsapp/webhook";
        let with_8443 = "https://votre-domaine.cd:8443/whatsapp/webhook";
        let signed_443 = "H7uq7ej3ZNu539oT5FaC60zR1AY=";
        let signed_8443 = "sdeipXTqhIo1WnBAfC5J0BGiUkk=";
        assert_eq!(expected_signature("12345", with_443, &params), signed_443);
        assert!(verify_signature(
            "12345",
            without,
            &params,
            Some(signed_443)
        ));
        assert!(verify_signature(
            "12345",
            with_443,
            &params,
            Some(signed_443)
        ));
        let signed_without = expected_signature("12345", without, &params);
        assert!(verify_signature(
            "12345",
            with_443,
            &params,
            Some(&signed_without)
        ));
        // The helper library: validate(without, params, signed_8443) is False, and
        // validate(with_8443, params, signed_without) is True.
        assert!(!verify_signature(
            "12345",
            without,
            &params,
            Some(signed_8443)
        ));
        assert!(verify_signature(
            "12345",
            with_8443,
            &params,
            Some(&signed_without)
        ));
        // http gets port 80: compute_signature("http://votre-domaine.cd:80/…").
        let http = "http://votre-domaine.cd/whatsapp/webhook";
        assert!(verify_signature(
            "12345",
            http,
            &params,
            Some("90y6ZMLzGMDfHVM2rnSFfk6S1Bw=")
        ));
    }

    /// Made with the helper library over a Flask-like `MultiDict` (`getall`) of
    /// `From=+243810000001, Body=Oui, Body=Oui, MessageSid=SM2`: the repeated identical
    /// value counts once.
    #[test]
    fn a_repeated_identical_field_is_signed_as_the_helper_library_does() {
        let body = b"From=%2B243810000001&Body=Oui&Body=Oui&MessageSid=SM2";
        let (_, params) = parse_form(body).unwrap();
        let url = "https://votre-domaine.cd/whatsapp/webhook";
        let signature = "FZpOP/dU07vXKhrgaCmtnds1/uU=";
        assert_eq!(expected_signature("12345", url, &params), signature);
        assert!(verify_signature("12345", url, &params, Some(signature)));
    }

    #[test]
    fn port_forms_of_odd_urls() {
        assert_eq!(
            url_port_forms("https://[::1]:8080/x?a=b:1"),
            (
                "https://[::1]/x?a=b:1".to_owned(),
                "https://[::1]:8080/x?a=b:1".to_owned()
            )
        );
        assert_eq!(
            url_port_forms("https://h?q=1"),
            ("https://h?q=1".to_owned(), "https://h:443?q=1".to_owned())
        );
        assert_eq!(url_port_forms("no-scheme").0, "no-scheme");
    }
}
