//! Twilio's WhatsApp webhook: the inbound form, the `X-Twilio-Signature` check and the
//! TwiML reply (README.md, "Channels").

use std::borrow::Cow;
use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use quick_xml::escape::escape;
use sha1::Sha1;
use subtle::ConstantTimeEq;

use crate::phone::PhoneNumber;

/// Twilio's limit for one message body. Measured here in UTF-16 units, the stricter of
/// the two ways to count characters, so a piece fits whichever way Twilio counts.
pub const MAX_MESSAGE_LEN: usize = 1600;

/// Twilio refuses a TwiML document of 64 kB or more.
pub const MAX_TWIML_BYTES: usize = 64 * 1024;

const XML_DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;
const RESPONSE_CLOSE: &str = "</Response>";

type HmacSha1 = Hmac<Sha1>;

/// One inbound WhatsApp message as Twilio posts it. `ProfileName` is deliberately not
/// kept: it is the person's name, and the service stores no names.
#[derive(Clone, PartialEq, Eq)]
pub struct TwilioInbound {
    /// The sender, `whatsapp:+243...`.
    pub from: String,
    /// The text; empty when the message had none (a sticker, an image).
    pub body: String,
    /// Twilio's id for the message, used to process a redelivery only once.
    pub message_sid: Option<String>,
    pub num_media: u32,
    /// The id of the quick-reply button the person tapped, if any.
    pub button_payload: Option<String>,
}

/// Logs must never show a phone number or an answer, so `Debug` hides them.
impl fmt::Debug for TwilioInbound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioInbound")
            .field("from", &"[redacted]")
            .field("body_chars", &self.body.chars().count())
            .field("message_sid", &self.message_sid)
            .field("num_media", &self.num_media)
            .field(
                "button_payload",
                &self.button_payload.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// A form Twilio could not have sent; the HTTP layer answers 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TwilioError {
    #[error("malformed form body: a '%' is not followed by two hexadecimal digits")]
    InvalidPercentEncoding,
    #[error("malformed form body: a parameter is not valid UTF-8 once decoded")]
    InvalidUtf8,
    #[error("malformed form body: the From parameter is missing or empty")]
    MissingFrom,
    #[error("malformed form body: NumMedia is not a whole number")]
    InvalidNumMedia,
}

/// Parses Twilio's `application/x-www-form-urlencoded` body. Returns the message and
/// every parameter as received (unknown ones included), which the signature covers.
pub fn parse_form(body: &[u8]) -> Result<(TwilioInbound, Vec<(String, String)>), TwilioError> {
    let params = body
        .split(|&byte| byte == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = match pair.iter().position(|&byte| byte == b'=') {
                Some(equals) => (&pair[..equals], &pair[equals + 1..]),
                None => (pair, &pair[pair.len()..]),
            };
            Ok((decode_component(name)?, decode_component(value)?))
        })
        .collect::<Result<Vec<_>, TwilioError>>()?;

    let first = |name: &str| {
        params
            .iter()
            .find(|(param, _)| param == name)
            .map(|(_, value)| value.as_str())
    };
    let non_empty = |name: &str| first(name).filter(|value| !value.is_empty());

    let from = non_empty("From").ok_or(TwilioError::MissingFrom)?;
    let num_media = match non_empty("NumMedia") {
        None => 0,
        Some(count) => count
            .trim()
            .parse()
            .map_err(|_| TwilioError::InvalidNumMedia)?,
    };
    let inbound = TwilioInbound {
        from: from.to_owned(),
        body: first("Body").unwrap_or_default().to_owned(),
        message_sid: non_empty("MessageSid").map(str::to_owned),
        num_media,
        button_payload: non_empty("ButtonPayload").map(str::to_owned),
    };
    Ok((inbound, params))
}

/// Decodes one form component strictly. `form_urlencoded` replaces bad bytes silently;
/// here a malformed escape or invalid UTF-8 is an error, so a mangled answer is refused
/// instead of being taken for what the person typed.
fn decode_component(raw: &[u8]) -> Result<String, TwilioError> {
    let mut decoded = Vec::with_capacity(raw.len());
    let mut bytes = raw.iter();
    while let Some(&byte) = bytes.next() {
        match byte {
            b'+' => decoded.push(b' '),
            b'%' => {
                let high = bytes.next().and_then(|&digit| hex_value(digit));
                let low = bytes.next().and_then(|&digit| hex_value(digit));
                match (high, low) {
                    (Some(high), Some(low)) => decoded.push(high << 4 | low),
                    _ => return Err(TwilioError::InvalidPercentEncoding),
                }
            }
            other => decoded.push(other),
        }
    }
    String::from_utf8(decoded).map_err(|_| TwilioError::InvalidUtf8)
}

fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit).to_digit(16).map(|value| value as u8)
}

/// Twilio's `X-Twilio-Signature`: base64 of HMAC-SHA1 keyed with the auth token, over
/// the public URL followed by every parameter's name and value, sorted by name (then by
/// value when a name repeats, as Twilio's own libraries do).
pub fn expected_signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
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
/// answer time does not reveal how much of a forged signature was right.
pub fn verify_signature(
    auth_token: &str,
    url: &str,
    params: &[(String, String)],
    header: Option<&str>,
) -> bool {
    let Some(header) = header else {
        return false;
    };
    let expected = expected_signature(auth_token, url, params);
    expected.as_bytes().ct_eq(header.trim().as_bytes()).into()
}

/// The TwiML reply: one `<Message>` per text, a text longer than Twilio's limit split
/// into several. No text (or only blank ones) gives `<Response/>`, which sends nothing.
pub fn render_twiml(messages: &[String]) -> String {
    render_twiml_with_media(messages, None)
}

/// [`render_twiml`], with the image at `media_url` attached to the last message:
/// `<Message><Body>text</Body><Media>url</Media></Message>` (on WhatsApp the text
/// becomes the image's caption). Twilio downloads the image from that public URL.
pub fn render_twiml_with_media(messages: &[String], media_url: Option<&str>) -> String {
    let pieces: Vec<Cow<'_, str>> = messages
        .iter()
        .flat_map(|message| split_message(message))
        .map(xml_chars_only)
        .filter(|piece| !piece.trim().is_empty())
        .collect();
    let mut document = format!("{XML_DECLARATION}<Response>");
    let mut written = 0usize;
    let mut left_out = 0usize;
    for (index, piece) in pieces.iter().enumerate() {
        let element = match media_url {
            Some(url) if index + 1 == pieces.len() => format!(
                "<Message><Body>{}</Body><Media>{}</Media></Message>",
                escape(piece.as_ref()),
                escape(url)
            ),
            _ => format!("<Message>{}</Message>", escape(piece.as_ref())),
        };
        if left_out > 0 || document.len() + element.len() + RESPONSE_CLOSE.len() >= MAX_TWIML_BYTES
        {
            left_out += 1;
            continue;
        }
        document.push_str(&element);
        written += 1;
    }
    if left_out > 0 {
        tracing::warn!(
            written,
            left_out,
            "TwiML reply reached Twilio's 64 kB limit; the last messages were left out"
        );
    }
    if written == 0 {
        return format!("{XML_DECLARATION}<Response/>");
    }
    document.push_str(RESPONSE_CLOSE);
    document
}

/// Cuts a text into pieces of at most [`MAX_MESSAGE_LEN`]: at a line break in the second
/// half of the allowed length, else at the last space, else (one very long word) at the
/// last whole character that fits.
fn split_message(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while utf16_len(rest) > MAX_MESSAGE_LEN {
        let window_end = prefix_end_within(rest, MAX_MESSAGE_LEN);
        let window = &rest[..window_end];
        let cut = window
            .rfind('\n')
            .filter(|&at| at >= window_end / 2)
            .or_else(|| window.rfind(char::is_whitespace).filter(|&at| at > 0));
        match cut {
            Some(at) => {
                pieces.push(window[..at].trim_end());
                rest = rest[at..].trim_start();
            }
            None => {
                pieces.push(window);
                rest = &rest[window_end..];
            }
        }
    }
    pieces.push(rest);
    pieces
}

fn utf16_len(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

/// Byte index of the end of the longest prefix of `text` that is at most `limit` UTF-16
/// units long; always a character boundary.
fn prefix_end_within(text: &str, limit: usize) -> usize {
    let mut units = 0;
    for (index, character) in text.char_indices() {
        units += character.len_utf16();
        if units > limit {
            return index;
        }
    }
    text.len()
}

/// XML 1.0 cannot carry most control characters, even escaped; Twilio would reject the
/// whole reply, so they are dropped.
fn xml_chars_only(text: &str) -> Cow<'_, str> {
    let allowed = |character: char| {
        matches!(character,
            '\t' | '\n' | '\r'
            | '\u{20}'..='\u{D7FF}'
            | '\u{E000}'..='\u{FFFD}'
            | '\u{10000}'..='\u{10FFFF}')
    };
    if text.chars().all(allowed) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(
            text.chars()
                .filter(|&character| allowed(character))
                .collect(),
        )
    }
}

/// The phone number in a Twilio address: `whatsapp:+243...` → `+243...`.
pub fn phone_of(from: &str) -> PhoneNumber {
    PhoneNumber::new(from.strip_prefix("whatsapp:").unwrap_or(from))
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// The vectors of twilio-python's own tests (tests/unit/test_request_validator.py):
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

    #[test]
    fn parses_a_whatsapp_message_and_keeps_every_parameter_for_the_signature() {
        let body = b"SmsMessageSid=SM11&NumMedia=0&ProfileName=Jean+Kabila&WaId=243810000001\
                     &Body=Kinshasa%2C+N%27Djamena+%C3%A9t%C3%A9&To=whatsapp%3A%2B14155238886\
                     &From=whatsapp%3A%2B243810000001&MessageSid=SM11&SomethingNew=x";
        let (inbound, params) = parse_form(body).unwrap();
        assert_eq!(inbound.from, "whatsapp:+243810000001");
        assert_eq!(inbound.body, "Kinshasa, N'Djamena été");
        assert_eq!(inbound.message_sid.as_deref(), Some("SM11"));
        assert_eq!(inbound.num_media, 0);
        assert_eq!(inbound.button_payload, None);
        assert_eq!(params.len(), 9);
        assert!(params.contains(&("ProfileName".into(), "Jean Kabila".into())));
        assert!(params.contains(&("SomethingNew".into(), "x".into())));

        let token = "test-token";
        let url = "https://votre-domaine.cd/whatsapp/webhook";
        let signature = expected_signature(token, url, &params);
        assert!(verify_signature(token, url, &params, Some(&signature)));
    }

    #[test]
    fn media_without_text_and_button_replies() {
        let (image, _) = parse_form(b"From=whatsapp%3A%2B243810000001&NumMedia=1").unwrap();
        assert_eq!(image.body, "");
        assert_eq!(image.num_media, 1);

        let (button, _) =
            parse_form(b"From=whatsapp%3A%2B243810000001&Body=Oui&ButtonPayload=yes").unwrap();
        assert_eq!(button.button_payload.as_deref(), Some("yes"));
    }

    #[test]
    fn a_long_body_is_the_engines_business() {
        let body = format!("From=whatsapp%3A%2B243810000001&Body={}", "a".repeat(2000));
        let (inbound, _) = parse_form(body.as_bytes()).unwrap();
        assert_eq!(inbound.body.len(), 2000);
    }

    #[test]
    fn malformed_forms_are_typed_errors() {
        let cases: [(&[u8], TwilioError); 8] = [
            (b"Body=hello", TwilioError::MissingFrom),
            (b"From=&Body=hello", TwilioError::MissingFrom),
            (b"From=x&Body=%ZZ", TwilioError::InvalidPercentEncoding),
            (b"From=x&Body=abc%4", TwilioError::InvalidPercentEncoding),
            (b"From=x&Body=abc%", TwilioError::InvalidPercentEncoding),
            (b"From=x&Body=%C3%28", TwilioError::InvalidUtf8),
            (b"From=x&Body=\xff", TwilioError::InvalidUtf8),
            (b"From=x&NumMedia=one", TwilioError::InvalidNumMedia),
        ];
        for (body, error) in cases {
            assert_eq!(
                parse_form(body).unwrap_err(),
                error,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn debug_hides_the_phone_and_the_answer() {
        let (inbound, _) =
            parse_form(b"From=whatsapp%3A%2B243810000001&Body=Kabila&ButtonPayload=f").unwrap();
        let shown = format!("{inbound:?}");
        assert!(!shown.contains("243810000001"), "{shown}");
        assert!(!shown.contains("Kabila"), "{shown}");
    }

    #[test]
    fn empty_reply_is_an_empty_response() {
        let empty = r#"<?xml version="1.0" encoding="UTF-8"?><Response/>"#;
        assert_eq!(render_twiml(&[]), empty);
        assert_eq!(
            render_twiml(&[" \n".to_string(), "\u{1}".to_string()]),
            empty
        );
    }

    #[test]
    fn messages_are_xml_escaped() {
        let twiml = render_twiml(&["a <b> & \"c\" 'd'".to_string(), "Bienvenue !".to_string()]);
        assert_eq!(
            twiml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>\
             <Message>a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;</Message>\
             <Message>Bienvenue !</Message></Response>"
        );
    }

    #[test]
    fn media_goes_with_the_last_message_as_body_and_media() {
        let twiml = render_twiml_with_media(
            &["Merci.".to_string(), "Votre CIU : 985 & co".to_string()],
            Some("https://votre-domaine.cd/qr/ab?x=1&y=2"),
        );
        assert_eq!(
            twiml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>\
             <Message>Merci.</Message>\
             <Message><Body>Votre CIU : 985 &amp; co</Body>\
             <Media>https://votre-domaine.cd/qr/ab?x=1&amp;y=2</Media></Message></Response>"
        );
        assert_eq!(
            render_twiml_with_media(&["a".to_string()], None),
            render_twiml(&["a".to_string()])
        );
    }

    #[test]
    fn control_characters_are_dropped() {
        let twiml = render_twiml(&["a\u{0}b\u{1b}c\nd".to_string()]);
        assert!(twiml.contains("<Message>abc\nd</Message>"), "{twiml}");
    }

    fn message_bodies(twiml: &str) -> Vec<String> {
        twiml
            .split("<Message>")
            .skip(1)
            .map(|part| part.split("</Message>").next().unwrap().to_string())
            .collect()
    }

    #[test]
    fn long_texts_are_split_at_line_breaks_or_spaces() {
        let line = "Votre CIU a été généré avec succès.";
        let text = vec![line; 100].join("\n");
        let bodies = message_bodies(&render_twiml(std::slice::from_ref(&text)));
        assert!(bodies.len() >= 3);
        for body in &bodies {
            assert!(utf16_len(body) <= MAX_MESSAGE_LEN);
            assert!(body.ends_with('.'), "cut mid-line: {body:?}");
        }
        assert_eq!(bodies.join("\n"), text);

        let words = vec!["mot"; 1000].join(" ");
        let bodies = message_bodies(&render_twiml(std::slice::from_ref(&words)));
        for body in &bodies {
            assert!(utf16_len(body) <= MAX_MESSAGE_LEN);
            assert!(!body.starts_with(' ') && !body.ends_with(' '));
        }
        assert_eq!(bodies.join(" "), words);
    }

    #[test]
    fn a_single_long_word_is_cut_between_characters() {
        let word = "é🙂".repeat(700); // 1,400 characters, 2,100 UTF-16 units
        let pieces = split_message(&word);
        assert!(pieces.len() > 1);
        for piece in &pieces {
            assert!(utf16_len(piece) <= MAX_MESSAGE_LEN);
        }
        assert_eq!(pieces.concat(), word);
    }

    #[test]
    fn the_document_stays_under_64_kilobytes() {
        let messages = vec!["&".repeat(MAX_MESSAGE_LEN); 20];
        let twiml = render_twiml(&messages);
        assert!(twiml.len() < MAX_TWIML_BYTES);
        assert!(twiml.ends_with("</Message></Response>"));
        assert!(message_bodies(&twiml).len() < 20);
    }

    #[test]
    fn phone_without_the_whatsapp_prefix() {
        assert_eq!(phone_of("whatsapp:+243810000001").as_str(), "+243810000001");
        assert_eq!(phone_of("+243810000001").as_str(), "+243810000001");
    }
}
