//! Meta webhook deliveries as Meta documents them: the envelope of a notification, the
//! messages a person sends (text, a tapped button or list row, an image), and the
//! `X-Hub-Signature-256` that signs them.

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

/// The business number the test server answers from (`META_PHONE_NUMBER_ID`).
pub const PHONE_NUMBER_ID: &str = "106540352242922";
/// The app secret the test server checks signatures with (`META_APP_SECRET`).
pub const APP_SECRET: &str = "meta-app-secret-0123456789";

/// `sha256=<hex HMAC-SHA256(APP_SECRET, body)>`, as Meta signs a delivery.
pub fn signature(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(APP_SECRET.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A notification for our business number whose one change carries `value` (its
/// `messages` or `statuses`), with the metadata filled in.
pub fn envelope(mut value: Value) -> Value {
    value["messaging_product"] = json!("whatsapp");
    value["metadata"] =
        json!({ "display_phone_number": "15550783881", "phone_number_id": PHONE_NUMBER_ID });
    json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "102290129340398",
            "changes": [{ "field": "messages", "value": value }]
        }]
    })
}

/// A notification as Meta posts it, carrying `messages`.
pub fn notification(messages: Vec<Value>) -> Value {
    envelope(json!({
        "contacts": [{ "profile": { "name": "Marie" }, "wa_id": "243000000000" }],
        "messages": messages,
    }))
}

pub fn text(from: &str, wamid: &str, body: &str) -> Value {
    json!({ "from": from, "id": wamid, "timestamp": "1739321024", "type": "text", "text": { "body": body } })
}

pub fn button_reply(from: &str, wamid: &str, id: &str) -> Value {
    json!({
        "context": { "from": "15550783881", "id": "wamid.previous" },
        "from": from, "id": wamid, "timestamp": "1739321024", "type": "interactive",
        "interactive": { "type": "button_reply", "button_reply": { "id": id, "title": id } }
    })
}

pub fn list_reply(from: &str, wamid: &str, id: &str) -> Value {
    json!({
        "context": { "from": "15550783881", "id": "wamid.previous" },
        "from": from, "id": wamid, "timestamp": "1739321024", "type": "interactive",
        "interactive": { "type": "list_reply", "list_reply": { "id": id, "title": id, "description": "" } }
    })
}

pub fn image(from: &str, wamid: &str) -> Value {
    json!({
        "from": from, "id": wamid, "timestamp": "1739321024", "type": "image",
        "image": { "caption": "", "mime_type": "image/jpeg", "sha256": "abc", "id": "1234" }
    })
}
