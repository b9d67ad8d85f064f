//! The Twilio channels' settings (WhatsApp and SMS share the webhook) and what production requires of them.

use super::reader::Reader;
use super::values::parse_route_path;
use super::TwilioSettings;

pub(super) const DEFAULT_WEBHOOK_PATH: &str = "/whatsapp/webhook";

pub(super) fn read_twilio(reader: &mut Reader) -> TwilioSettings {
    TwilioSettings {
        webhook_path: reader
            .parsed("WEBHOOK_PATH", |v| {
                parse_route_path(v, DEFAULT_WEBHOOK_PATH)
            })
            .unwrap_or_else(|| DEFAULT_WEBHOOK_PATH.to_owned()),
        account_sid: reader.parsed("TWILIO_ACCOUNT_SID", check_account_sid),
        auth_token: reader.secret("TWILIO_AUTH_TOKEN"),
        whatsapp_number: reader.parsed("TWILIO_WHATSAPP_NUMBER", parse_whatsapp_number),
    }
}

/// In production every webhook is signed, and the signature covers the public address.
pub(super) fn require_twilio_secrets(
    reader: &mut Reader,
    twilio: &TwilioSettings,
    public_base_url: Option<&str>,
) {
    reader.require(
        "TWILIO_AUTH_TOKEN",
        twilio.auth_token.is_some(),
        "les signatures des webhooks sont toujours vérifiées en production ; copiez l'Auth \
         Token depuis https://console.twilio.com/",
    );
    reader.require(
        "PUBLIC_BASE_URL",
        public_base_url.is_some(),
        "Twilio signe l'adresse publique qu'il appelle (par exemple \
         https://votre-domaine.cd), que le service ne peut pas lire dans la requête derrière \
         nginx",
    );
}

fn check_account_sid(value: &str) -> Result<String, String> {
    let well_formed = value.len() == 34
        && value.starts_with("AC")
        && value[2..].bytes().all(|byte| byte.is_ascii_hexdigit());
    if well_formed {
        Ok(value.to_owned())
    } else {
        Err(
            "doit être AC suivi de 32 caractères hexadécimaux (console Twilio, « Account Info »)"
                .to_owned(),
        )
    }
}

/// Accepts `whatsapp:+14155238886` or `+14155238886`; returns the first form.
fn parse_whatsapp_number(value: &str) -> Result<String, String> {
    let number = value.strip_prefix("whatsapp:").unwrap_or(value);
    let well_formed = number.strip_prefix('+').is_some_and(|digits| {
        (6..=15).contains(&digits.len()) && digits.bytes().all(|byte| byte.is_ascii_digit())
    });
    if well_formed {
        Ok(format!("whatsapp:{number}"))
    } else {
        Err(format!(
            "« {value} » doit être un numéro au format international, comme \
             whatsapp:+14155238886"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_account_ids_are_checked() {
        assert_eq!(
            parse_whatsapp_number("+14155238886").as_deref(),
            Ok("whatsapp:+14155238886")
        );
        assert!(parse_whatsapp_number("14155238886")
            .unwrap_err()
            .contains("whatsapp:+14155238886"));
        assert!(check_account_sid("AC0123456789abcdef0123456789abcdef").is_ok());
        assert!(check_account_sid("AC123")
            .unwrap_err()
            .contains("32 caractères hexadécimaux"));
    }
}
