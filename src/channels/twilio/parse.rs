//! Twilio's inbound form: the message, and every parameter the signature covers.

use std::fmt;

use crate::channels::form::{parse_pairs, FormError};
use crate::channels::ChannelId;
use crate::phone::PhoneNumber;

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

impl From<FormError> for TwilioError {
    fn from(error: FormError) -> Self {
        match error {
            FormError::InvalidPercentEncoding => TwilioError::InvalidPercentEncoding,
            FormError::InvalidUtf8 => TwilioError::InvalidUtf8,
        }
    }
}

/// Parses Twilio's `application/x-www-form-urlencoded` body. Returns the message and
/// every parameter as received (unknown ones included), which the signature covers.
pub fn parse_form(body: &[u8]) -> Result<(TwilioInbound, Vec<(String, String)>), TwilioError> {
    let params = parse_pairs(body)?;

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

/// The phone number in a Twilio address: `whatsapp:+243...` → `+243...`.
pub fn phone_of(from: &str) -> PhoneNumber {
    PhoneNumber::new(from.strip_prefix("whatsapp:").unwrap_or(from))
}

/// The channel a Twilio address comes from, and the sender: `whatsapp:…` is WhatsApp,
/// anything else a plain SMS. The sender is the same for both (`+243…`), so a person
/// keeps one stored key on either. After `whatsapp:` Twilio may also put a WhatsApp
/// business-scoped user id instead of a number: kept as it is, it is that person's key.
pub fn sender_of(from: &str) -> (ChannelId, PhoneNumber) {
    let channel = if from.starts_with("whatsapp:") {
        ChannelId::Twilio
    } else {
        ChannelId::Sms
    };
    (channel, phone_of(from))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::twilio::{expected_signature, verify_signature};

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
    fn phone_without_the_whatsapp_prefix() {
        assert_eq!(phone_of("whatsapp:+243810000001").as_str(), "+243810000001");
        assert_eq!(phone_of("+243810000001").as_str(), "+243810000001");
    }

    #[test]
    fn sms_and_whatsapp_senders_share_the_number() {
        let (whatsapp, phone) = sender_of("whatsapp:+243810000001");
        let (sms, same) = sender_of("+243810000001");
        assert_eq!((whatsapp, sms), (ChannelId::Twilio, ChannelId::Sms));
        assert_eq!(phone, same);
        let (channel, user) = sender_of("whatsapp:CD.1234567890123456789");
        assert_eq!(channel, ChannelId::Twilio);
        assert_eq!(user.as_str(), "CD.1234567890123456789");
    }
}
