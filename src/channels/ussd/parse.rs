//! Africa's Talking's USSD callback: a form with `sessionId`, `serviceCode`,
//! `phoneNumber`, `networkCode` and `text`, every input of the session so far joined by
//! `*` (empty on the first request of a session).

use std::fmt;

use crate::channels::form::{decode_component, raw_pairs, FormError};
use crate::phone::PhoneNumber;

/// The longest `text` accepted: a USSD session lasts a few minutes, each input is at
/// most 182 characters; more is not a USSD gateway.
pub const MAX_TEXT_BYTES: usize = 16 * 1024;
/// The most inputs one session may carry.
pub const MAX_INPUTS: usize = 200;
/// The longest `sessionId` kept (Africa's Talking's are about 30 characters).
pub const MAX_SESSION_ID: usize = 100;

/// One USSD request. `Debug` hides the number and the inputs (they are answers).
#[derive(Clone, PartialEq, Eq)]
pub struct UssdRequest {
    pub session_id: String,
    pub service_code: String,
    pub phone: PhoneNumber,
    pub network_code: String,
    /// The inputs of the session in order; none on the first request.
    pub inputs: Vec<String>,
}

impl fmt::Debug for UssdRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UssdRequest")
            .field("session_id", &self.session_id)
            .field("service_code", &self.service_code)
            .field("phone", &self.phone)
            .field("network_code", &self.network_code)
            .field("inputs", &self.inputs.len())
            .finish()
    }
}

/// A form Africa's Talking could not have sent: the HTTP layer answers 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UssdError {
    #[error("malformed form body: a '%' is not followed by two hexadecimal digits")]
    InvalidPercentEncoding,
    #[error("malformed form body: a parameter is not valid UTF-8 once decoded")]
    InvalidUtf8,
    #[error("malformed USSD request: {0} is missing or empty")]
    Missing(&'static str),
    #[error("malformed USSD request: sessionId is too long or holds control characters")]
    InvalidSessionId,
    #[error("malformed USSD request: phoneNumber is not an international number")]
    InvalidPhone,
    #[error("malformed USSD request: text is too long or has too many inputs")]
    TooLong,
}

impl From<FormError> for UssdError {
    fn from(error: FormError) -> Self {
        match error {
            FormError::InvalidPercentEncoding => UssdError::InvalidPercentEncoding,
            FormError::InvalidUtf8 => UssdError::InvalidUtf8,
        }
    }
}

/// Parses the `application/x-www-form-urlencoded` body. Unknown fields are ignored;
/// a repeated field counts once (the first).
pub fn parse_form(body: &[u8]) -> Result<UssdRequest, UssdError> {
    let mut params: Vec<(String, String)> = Vec::new();
    for (name, value) in raw_pairs(body) {
        let name = decode_component(name)?;
        if matches!(
            name.as_str(),
            "sessionId" | "serviceCode" | "phoneNumber" | "networkCode" | "text"
        ) && value.len() > MAX_TEXT_BYTES * 3
        {
            return Err(UssdError::TooLong);
        }
        params.push((name, decode_component(value)?));
    }
    let first = |name: &str| {
        params
            .iter()
            .find(|(param, _)| param == name)
            .map(|(_, value)| value.trim())
    };
    let required = |name: &'static str| {
        first(name)
            .filter(|v| !v.is_empty())
            .ok_or(UssdError::Missing(name))
    };
    let session_id = required("sessionId")?;
    if session_id.len() > MAX_SESSION_ID || session_id.chars().any(char::is_control) {
        return Err(UssdError::InvalidSessionId);
    }
    let phone = phone_of(required("phoneNumber")?).ok_or(UssdError::InvalidPhone)?;
    let text = first("text").unwrap_or_default();
    Ok(UssdRequest {
        session_id: session_id.to_owned(),
        service_code: first("serviceCode").unwrap_or_default().to_owned(),
        phone,
        network_code: first("networkCode").unwrap_or_default().to_owned(),
        inputs: split_inputs(text)?,
    })
}

/// `1*1985*Kinshasa` → `["1", "1985", "Kinshasa"]`; `""` → no input. An empty input
/// between two `*` stays (the engine answers it as an empty message).
pub fn split_inputs(text: &str) -> Result<Vec<String>, UssdError> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(UssdError::TooLong);
    }
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let inputs: Vec<String> = text.split('*').map(|s| s.trim().to_owned()).collect();
    if inputs.len() > MAX_INPUTS {
        return Err(UssdError::TooLong);
    }
    Ok(inputs)
}

/// The number as every channel stores it (`+243…`, like Twilio's `whatsapp:+243…`
/// once its prefix is removed, src/channels/twilio/parse.rs): spaces removed, a `+`
/// added to bare digits; anything else is refused.
pub fn phone_of(raw: &str) -> Option<PhoneNumber> {
    let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    let digits = compact.strip_prefix('+').unwrap_or(&compact);
    let valid = (6..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    valid.then(|| PhoneNumber::new(format!("+{digits}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_africas_talking_form() {
        let body = b"sessionId=ATUid_1&serviceCode=%2A384%2A123%23&phoneNumber=%2B243810000001\
                     &networkCode=63902&text=1%2A1985%2AKinshasa";
        let request = parse_form(body).unwrap();
        assert_eq!(request.session_id, "ATUid_1");
        assert_eq!(request.service_code, "*384*123#");
        assert_eq!(request.phone.as_str(), "+243810000001");
        assert_eq!(request.inputs, ["1", "1985", "Kinshasa"]);
        assert!(!format!("{request:?}").contains("Kinshasa"));
    }

    #[test]
    fn first_request_has_no_input() {
        let request = parse_form(b"sessionId=s&phoneNumber=243810000001&text=").unwrap();
        assert!(request.inputs.is_empty());
        assert_eq!(request.phone.as_str(), "+243810000001");
        assert_eq!(split_inputs("1**2").unwrap(), ["1", "", "2"]);
    }

    #[test]
    fn refuses_what_a_gateway_never_sends() {
        assert_eq!(
            parse_form(b"phoneNumber=%2B243810000001"),
            Err(UssdError::Missing("sessionId"))
        );
        assert_eq!(
            parse_form(b"sessionId=s"),
            Err(UssdError::Missing("phoneNumber"))
        );
        assert_eq!(
            parse_form(b"sessionId=s&phoneNumber=abc"),
            Err(UssdError::InvalidPhone)
        );
        assert_eq!(
            parse_form(b"sessionId=s&phoneNumber=1&text=%zz"),
            Err(UssdError::InvalidPercentEncoding)
        );
        let long = format!(
            "sessionId=s&phoneNumber=%2B243810000001&text={}",
            "1*".repeat(300)
        );
        assert_eq!(parse_form(long.as_bytes()), Err(UssdError::TooLong));
    }
}
