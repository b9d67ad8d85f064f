//! The inbound webhook JSON, reduced to what the engine needs.

use std::fmt;

use serde::Deserialize;

use crate::phone::PhoneNumber;

/// One inbound message, reduced to what the engine needs. The profile name Meta sends
/// along is never read: the service stores no names.
#[derive(Clone, PartialEq, Eq)]
pub struct MetaInbound {
    /// The sender: in international form, `+<digits>`, or, for a person whose number
    /// Meta does not give, their business-scoped user id (`CD.1349…`), kept as it is.
    /// Either way it is the conversation's key and where the replies go.
    pub phone: PhoneNumber,
    /// The `wamid...`, for deduplication.
    pub message_id: String,
    /// The text, or the id of the button or list row that was tapped; empty for media.
    pub text: String,
    /// 1 for a message the bot cannot read (image, audio, sticker, location...).
    pub media_count: u32,
    /// The business number the message was sent to (`metadata.phone_number_id`).
    pub to_phone_number_id: Option<String>,
}

/// Logs must never show a phone number or an answer, so `Debug` hides them.
impl fmt::Debug for MetaInbound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetaInbound")
            .field("phone", &"[redacted]")
            .field("message_id", &self.message_id)
            .field("text_chars", &self.text.chars().count())
            .field("media_count", &self.media_count)
            .field("to_phone_number_id", &self.to_phone_number_id)
            .finish()
    }
}

/// A body Meta could not have sent; the HTTP layer answers 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetaError {
    /// serde's detail is left out: it may quote a piece of the message.
    #[error("malformed Meta webhook: not the JSON of a WhatsApp Business Account notification")]
    InvalidJson,
    #[error("malformed Meta webhook: a message's sender is neither a phone number nor a user id")]
    InvalidSender,
}

#[derive(Deserialize)]
struct Notification {
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Deserialize)]
struct Change {
    #[serde(default)]
    value: Option<ChangeValue>,
}

/// `statuses[]` (sent, delivered, read, failed) and `contacts[]` are accepted and
/// ignored: serde skips fields that are not named here.
#[derive(Deserialize)]
struct ChangeValue {
    #[serde(default)]
    metadata: Option<Metadata>,
    #[serde(default)]
    messages: Vec<RawMessage>,
    #[serde(default)]
    contacts: Vec<Contact>,
}

/// The sender's identities, read when a message has no `from` of its own.
#[derive(Deserialize)]
struct Contact {
    #[serde(default)]
    wa_id: Option<String>,
    #[serde(default)]
    user_id: Option<String>,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(default)]
    phone_number_id: Option<String>,
}

#[derive(Deserialize)]
struct RawMessage {
    /// The phone number; absent for a person known by their user id only.
    #[serde(default)]
    from: Option<String>,
    /// The business-scoped user id (BSUID), `CC.` and letters and digits.
    #[serde(default)]
    from_user_id: Option<String>,
    id: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<TextContent>,
    #[serde(default)]
    interactive: Option<InteractiveReply>,
    #[serde(default)]
    button: Option<TemplateButton>,
}

#[derive(Deserialize)]
struct TextContent {
    #[serde(default)]
    body: String,
}

#[derive(Deserialize)]
struct InteractiveReply {
    #[serde(default)]
    button_reply: Option<TappedChoice>,
    #[serde(default)]
    list_reply: Option<TappedChoice>,
}

#[derive(Deserialize)]
struct TappedChoice {
    id: String,
}

/// A quick-reply button of a template message.
#[derive(Deserialize)]
struct TemplateButton {
    #[serde(default)]
    payload: Option<String>,
    #[serde(default)]
    text: Option<String>,
}

/// Every message of a webhook delivery, in the order Meta listed them.
pub fn parse_webhook(body: &[u8]) -> Result<Vec<MetaInbound>, MetaError> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| MetaError::InvalidJson)?;
    // serde would read a struct from an array too (`[]` as an empty notification).
    if !value.is_object() {
        return Err(MetaError::InvalidJson);
    }
    let notification: Notification =
        serde_json::from_value(value).map_err(|_| MetaError::InvalidJson)?;
    let mut inbound = Vec::new();
    for value in notification
        .entry
        .into_iter()
        .flat_map(|entry| entry.changes)
        .filter_map(|change| change.value)
    {
        let to_phone_number_id = value.metadata.and_then(|m| m.phone_number_id);
        let only_contact = match value.contacts.as_slice() {
            [contact] => Some(contact),
            _ => None,
        };
        for message in value.messages {
            let sender = sender_of(&message, only_contact)?;
            if let Some(parsed) = read_message(message, sender, to_phone_number_id.as_deref()) {
                inbound.push(parsed);
            }
        }
    }
    Ok(inbound)
}

/// `None` for what is not an answer: a reaction (an emoji on an earlier message) would
/// otherwise restart a finished conversation.
fn read_message(
    message: RawMessage,
    sender: PhoneNumber,
    to_phone_number_id: Option<&str>,
) -> Option<MetaInbound> {
    let (text, media_count) = match message.kind.as_str() {
        "text" => (message.text.map(|t| t.body).unwrap_or_default(), 0),
        "interactive" => match message
            .interactive
            .and_then(|i| i.button_reply.or(i.list_reply))
        {
            Some(tapped) => (tapped.id, 0),
            None => (String::new(), 1),
        },
        "button" => match message.button.and_then(|b| b.payload.or(b.text)) {
            Some(payload) => (payload, 0),
            None => (String::new(), 1),
        },
        "reaction" => return None,
        // image, audio, video, document, sticker, location, contacts, unsupported...:
        // the engine answers with its polite "please write" re-prompt.
        _ => (String::new(), 1),
    };
    Some(MetaInbound {
        phone: sender,
        message_id: message.id,
        text,
        media_count,
        to_phone_number_id: to_phone_number_id.map(str::to_owned),
    })
}

/// Who sent `message`: its `from` (a number, or a user id), else its `from_user_id`,
/// else the delivery's one contact (`wa_id`, else `user_id`). The phone number wins when
/// there is one, so a person keeps the key of their earlier conversations and of SMS.
fn sender_of(message: &RawMessage, contact: Option<&Contact>) -> Result<PhoneNumber, MetaError> {
    let from_contact = contact.and_then(|c| c.wa_id.as_ref().or(c.user_id.as_ref()));
    let given = message
        .from
        .as_ref()
        .or(message.from_user_id.as_ref())
        .or(from_contact)
        .ok_or(MetaError::InvalidJson)?;
    let digits = given.trim_start_matches('+');
    if (6..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(PhoneNumber::new(format!("+{digits}")));
    }
    if is_user_id(given) {
        return Ok(PhoneNumber::new(given.as_str()));
    }
    Err(MetaError::InvalidSender)
}

/// A business-scoped user id: a two-letter country code, a dot, then letters, digits
/// and dots (`US.13491208655302741918`, a parent id `US.ENT.1181…`).
pub fn is_user_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    (4..=256).contains(&bytes.len())
        && bytes[..2].iter().all(u8::is_ascii_uppercase)
        && bytes[2] == b'.'
        && bytes[3..]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn envelope(messages: Value) -> Vec<u8> {
        json!({
            "object": "whatsapp_business_account",
            "entry": [{
                "id": "102290129340398",
                "changes": [{
                    "field": "messages",
                    "value": {
                        "messaging_product": "whatsapp",
                        "metadata": { "display_phone_number": "15550783881", "phone_number_id": "106540352242922" },
                        "contacts": [{ "profile": { "name": "Marie" }, "wa_id": "243991234567" }],
                        "messages": messages,
                    }
                }]
            }]
        })
        .to_string()
        .into_bytes()
    }

    fn message(kind: &str, content: Value) -> Value {
        let mut m = json!({
            "from": "243991234567",
            "id": format!("wamid.{kind}"),
            "timestamp": "1739321024",
            "type": kind,
        });
        if let Value::Object(extra) = content {
            m.as_object_mut().unwrap().extend(extra);
        }
        m
    }

    #[test]
    fn text_buttons_lists_and_template_buttons_become_answers() {
        let body = envelope(json!([
            message("text", json!({ "text": { "body": "Bonjour" } })),
            message(
                "interactive",
                json!({ "interactive": { "type": "button_reply", "button_reply": { "id": "yes", "title": "Oui" } } })
            ),
            message(
                "interactive",
                json!({ "interactive": { "type": "list_reply", "list_reply": { "id": "ln", "title": "Lingala", "description": "" } } })
            ),
            message(
                "button",
                json!({ "button": { "text": "Commencer", "payload": "start" } })
            ),
        ]));
        let parsed = parse_webhook(&body).unwrap();
        let texts: Vec<&str> = parsed.iter().map(|m| m.text.as_str()).collect();
        assert_eq!(texts, ["Bonjour", "yes", "ln", "start"]);
        assert!(parsed.iter().all(|m| m.phone.as_str() == "+243991234567"
            && m.media_count == 0
            && m.to_phone_number_id.as_deref() == Some("106540352242922")));
        assert_eq!(parsed[0].message_id, "wamid.text");
    }

    #[test]
    fn media_and_unknown_types_have_no_text_and_reactions_are_skipped() {
        let body = envelope(json!([
            message(
                "image",
                json!({ "image": { "id": "1", "mime_type": "image/jpeg", "sha256": "x" } })
            ),
            message(
                "location",
                json!({ "location": { "latitude": -4.3, "longitude": 15.3 } })
            ),
            message("sticker", json!({ "sticker": { "id": "2" } })),
            message("unsupported", json!({ "errors": [{ "code": 131051 }] })),
            message(
                "reaction",
                json!({ "reaction": { "message_id": "wamid.x", "emoji": "👍" } })
            ),
        ]));
        let parsed = parse_webhook(&body).unwrap();
        assert_eq!(parsed.len(), 4);
        assert!(parsed
            .iter()
            .all(|m| m.text.is_empty() && m.media_count == 1));
    }

    #[test]
    fn statuses_only_and_several_entries_are_fine() {
        let statuses = json!({
            "object": "whatsapp_business_account",
            "entry": [{ "id": "1", "changes": [{ "field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": { "phone_number_id": "106540352242922" },
                "statuses": [{ "id": "wamid.a", "status": "delivered", "timestamp": "1", "recipient_id": "243991234567" }]
            } }] }]
        });
        assert!(parse_webhook(statuses.to_string().as_bytes())
            .unwrap()
            .is_empty());
        assert!(parse_webhook(b"{}").unwrap().is_empty());
    }

    #[test]
    fn malformed_bodies_are_refused() {
        for body in [
            &b"not json"[..],
            b"{\"entry\": \"x\"}",
            b"[1, 2]",
            b"[]",
            b"  [ ]",
            b"{\"entry\":[{\"changes\":[{\"value\":{\"messages\":[{\"id\":\"w\",\"type\":\"text\"}]}}]}]}",
        ] {
            assert_eq!(parse_webhook(body), Err(MetaError::InvalidJson));
        }
        let bad_sender = envelope(json!([{ "from": "hello", "id": "w", "type": "text" }]));
        assert_eq!(parse_webhook(&bad_sender), Err(MetaError::InvalidSender));
    }

    #[test]
    fn debug_hides_the_phone_and_the_text() {
        let parsed = parse_webhook(&envelope(json!([message(
            "text",
            json!({ "text": { "body": "Kabila" } })
        )])))
        .unwrap();
        let shown = format!("{parsed:?}");
        assert!(
            !shown.contains("Kabila") && !shown.contains("243991234567"),
            "{shown}"
        );
    }

    #[test]
    fn a_person_known_by_their_user_id_only_is_accepted() {
        let by_field = envelope(json!([{
            "from_user_id": "CD.13491208655302741918", "id": "w1", "type": "text",
            "text": { "body": "Bonjour" }
        }]));
        let parsed = parse_webhook(&by_field).unwrap();
        assert_eq!(parsed[0].phone.as_str(), "CD.13491208655302741918");
        assert_eq!(parsed[0].text, "Bonjour");

        let mut by_contact: Value = serde_json::from_slice(&envelope(json!([{
            "id": "w2", "type": "text", "text": { "body": "Oui" }
        }])))
        .unwrap();
        by_contact["entry"][0]["changes"][0]["value"]["contacts"] =
            json!([{ "profile": { "name": "Marie" }, "user_id": "US.ENT.11815799212886844830" }]);
        let parsed = parse_webhook(by_contact.to_string().as_bytes()).unwrap();
        assert_eq!(parsed[0].phone.as_str(), "US.ENT.11815799212886844830");

        // The number, when given too, stays the key.
        let both = envelope(json!([{
            "from": "243991234567", "from_user_id": "CD.1349", "id": "w3", "type": "text"
        }]));
        assert_eq!(
            parse_webhook(&both).unwrap()[0].phone.as_str(),
            "+243991234567"
        );
        let shown = format!("{}", PhoneNumber::new("CD.13491208655302741918"));
        assert!(!shown.contains("134912086553"), "{shown}");
    }

    #[test]
    fn user_ids_are_told_from_garbage() {
        for good in [
            "US.13491208655302741918",
            "CD.abc",
            "US.ENT.11815799212886844830",
        ] {
            assert!(is_user_id(good), "{good}");
        }
        for bad in ["hello", "cd.123", "CD-123", "CD.", "CD.12 3", "CD.é1"] {
            assert!(!is_user_id(bad), "{bad}");
        }
    }
}
