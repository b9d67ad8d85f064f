//! Meta's WhatsApp Cloud API: the inbound webhook JSON, the `X-Hub-Signature-256` check,
//! the verification handshake, rendering replies as Graph API messages (text, reply
//! buttons, lists) and sending them (SPEC §5, "Channels, facts to respect").

use std::fmt;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::config::{MetaSettings, Secret};
use crate::flow::Reply;
use crate::phone::PhoneNumber;

/// Limits of the Cloud API's messages, in characters.
pub const MAX_TEXT_CHARS: usize = 4096;
pub const MAX_INTERACTIVE_BODY_CHARS: usize = 1024;
pub const MAX_BUTTONS: usize = 3;
pub const MAX_BUTTON_TITLE_CHARS: usize = 20;
pub const MAX_BUTTON_ID_CHARS: usize = 256;
pub const MAX_LIST_ROWS: usize = 10;
pub const MAX_ROW_TITLE_CHARS: usize = 24;
pub const MAX_ROW_ID_CHARS: usize = 200;
pub const MAX_LIST_BUTTON_CHARS: usize = 20;

/// A Graph API call that takes longer is abandoned and retried later.
const SEND_TIMEOUT: Duration = Duration::from_secs(15);

type HmacSha256 = Hmac<Sha256>;

/// One inbound message, reduced to what the engine needs. The profile name Meta sends
/// along is never read: the service stores no names.
#[derive(Clone, PartialEq, Eq)]
pub struct MetaInbound {
    /// The sender in international form, `+<digits>`.
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
    #[error("malformed Meta webhook: a message's sender is not a phone number")]
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
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(default)]
    phone_number_id: Option<String>,
}

#[derive(Deserialize)]
struct RawMessage {
    from: String,
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
    let notification: Notification =
        serde_json::from_slice(body).map_err(|_| MetaError::InvalidJson)?;
    let mut inbound = Vec::new();
    for value in notification
        .entry
        .into_iter()
        .flat_map(|entry| entry.changes)
        .filter_map(|change| change.value)
    {
        let to_phone_number_id = value.metadata.and_then(|m| m.phone_number_id);
        for message in value.messages {
            if let Some(parsed) = read_message(message, to_phone_number_id.as_deref())? {
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
    to_phone_number_id: Option<&str>,
) -> Result<Option<MetaInbound>, MetaError> {
    let digits = message.from.trim_start_matches('+');
    if !(6..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(MetaError::InvalidSender);
    }
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
        "reaction" => return Ok(None),
        // image, audio, video, document, sticker, location, contacts, unsupported...:
        // the engine answers with its polite "please write" re-prompt.
        _ => (String::new(), 1),
    };
    Ok(Some(MetaInbound {
        phone: PhoneNumber::new(format!("+{digits}")),
        message_id: message.id,
        text,
        media_count,
        to_phone_number_id: to_phone_number_id.map(str::to_owned),
    }))
}

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

/// One reply as Cloud API message bodies (without the recipient, added when sending):
/// reply buttons or a list when the choices fit WhatsApp's limits, else text with the
/// choices numbered; text longer than one message is split at line breaks.
/// `list_button` is the label of the button that opens a list, in the person's language.
pub fn render(reply: &Reply, list_button: &str) -> Vec<Value> {
    if let Some(interactive) = interactive(reply, list_button) {
        return vec![json!({ "type": "interactive", "interactive": interactive })];
    }
    split_text(&reply.plain_text(), MAX_TEXT_CHARS)
        .into_iter()
        .map(|body| json!({ "type": "text", "text": { "body": body, "preview_url": false } }))
        .collect()
}

fn interactive(reply: &Reply, list_button: &str) -> Option<Value> {
    let choices = &reply.choices;
    let body_fits =
        !reply.text.trim().is_empty() && chars(&reply.text) <= MAX_INTERACTIVE_BODY_CHARS;
    if choices.is_empty() || !body_fits {
        return None;
    }
    let titles_fit = |limit| choices.iter().all(|c| chars(&c.title) <= limit);
    let ids_fit = |limit| {
        choices
            .iter()
            .all(|c| !c.id.is_empty() && chars(&c.id) <= limit)
    };
    if choices.len() <= MAX_BUTTONS
        && titles_fit(MAX_BUTTON_TITLE_CHARS)
        && ids_fit(MAX_BUTTON_ID_CHARS)
    {
        let buttons: Vec<Value> = choices
            .iter()
            .map(|c| json!({ "type": "reply", "reply": { "id": c.id, "title": c.title } }))
            .collect();
        return Some(json!({
            "type": "button",
            "body": { "text": reply.text },
            "action": { "buttons": buttons },
        }));
    }
    let label_fits = !list_button.trim().is_empty() && chars(list_button) <= MAX_LIST_BUTTON_CHARS;
    if choices.len() <= MAX_LIST_ROWS
        && titles_fit(MAX_ROW_TITLE_CHARS)
        && ids_fit(MAX_ROW_ID_CHARS)
        && label_fits
    {
        let rows: Vec<Value> = choices
            .iter()
            .map(|c| json!({ "id": c.id, "title": c.title }))
            .collect();
        return Some(json!({
            "type": "list",
            "body": { "text": reply.text },
            "action": {
                "button": list_button,
                // A single section; its title (≤ 24 characters) repeats the button label.
                "sections": [{ "title": list_button, "rows": rows }],
            },
        }));
    }
    None
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

/// Cuts `text` into pieces of at most `max` characters, at line breaks when possible.
fn split_text(text: &str, max: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut current_len = 0;
    for line in text.split('\n') {
        let line_len = chars(line);
        let needed = if current.is_empty() {
            line_len
        } else {
            current_len + 1 + line_len
        };
        if needed <= max {
            if !current.is_empty() {
                current.push('\n');
            }
            current.push_str(line);
            current_len = needed;
            continue;
        }
        if !current.is_empty() {
            pieces.push(std::mem::take(&mut current));
        }
        // A single line longer than a message: cut it at character boundaries.
        let mut line_chars = line.chars().peekable();
        current_len = 0;
        while line_chars.peek().is_some() {
            let chunk: String = line_chars.by_ref().take(max).collect();
            current_len = chars(&chunk);
            if current_len == max && line_chars.peek().is_some() {
                pieces.push(chunk);
                current_len = 0;
            } else {
                current = chunk;
            }
        }
    }
    if !current.trim().is_empty() {
        pieces.push(current);
    }
    pieces
}

/// What became of one Graph API call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    Delivered,
    /// Worth trying again later: 5xx, 429, a timeout or a connection failure.
    Retry(String),
    /// Meta refused this message (4xx): sending it again would fail the same way.
    Rejected(String),
}

/// Sends messages through `POST {graph base}/{version}/{phone-number-id}/messages`.
#[derive(Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    messages_url: String,
    token: Option<Secret>,
}

impl fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClient")
            .field("messages_url", &self.messages_url)
            .finish_non_exhaustive()
    }
}

impl GraphClient {
    /// `None` when no phone number id is configured: there is nothing to send from.
    pub fn new(settings: &MetaSettings) -> anyhow::Result<Option<GraphClient>> {
        let Some(phone_number_id) = &settings.phone_number_id else {
            return Ok(None);
        };
        let http = reqwest::Client::builder()
            .timeout(SEND_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .build()?;
        Ok(Some(GraphClient {
            http,
            messages_url: format!(
                "{}/{}/{}/messages",
                settings.graph_base_url, settings.graph_version, phone_number_id
            ),
            token: settings.whatsapp_token.clone(),
        }))
    }

    /// Sends one rendered message to `phone` (`+<digits>`).
    pub async fn send(&self, phone: &PhoneNumber, message: &Value) -> SendOutcome {
        let mut body = message.clone();
        if let Some(object) = body.as_object_mut() {
            object.insert("messaging_product".into(), json!("whatsapp"));
            object.insert("recipient_type".into(), json!("individual"));
            object.insert("to".into(), json!(phone.as_str().trim_start_matches('+')));
        }
        let mut request = self.http.post(&self.messages_url).json(&body);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.expose());
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) if e.is_timeout() => return SendOutcome::Retry("timeout".into()),
            Err(e) if e.is_connect() => return SendOutcome::Retry("connection failed".into()),
            Err(_) => return SendOutcome::Retry("request failed".into()),
        };
        let status = response.status();
        if status.is_success() {
            return SendOutcome::Delivered;
        }
        let detail = describe_error(status.as_u16(), response.text().await.unwrap_or_default());
        if status.as_u16() == 429 || status.is_server_error() {
            SendOutcome::Retry(detail)
        } else {
            SendOutcome::Rejected(detail)
        }
    }
}

/// The status and Meta's error code and type, never its message: it may quote the
/// recipient's number or the text.
fn describe_error(status: u16, body: String) -> String {
    let error = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| v.get("error").cloned());
    let field = |name: &str| {
        error
            .as_ref()
            .and_then(|e| e.get(name))
            .and_then(|v| match v {
                Value::Number(n) => Some(n.to_string()),
                Value::String(s) if s.len() <= 40 && !s.bytes().any(|b| b.is_ascii_digit()) => {
                    Some(s.clone())
                }
                _ => None,
            })
    };
    let mut detail = format!("HTTP {status}");
    if let Some(code) = field("code") {
        detail.push_str(&format!(", code {code}"));
    }
    if let Some(subcode) = field("error_subcode") {
        detail.push_str(&format!(", subcode {subcode}"));
    }
    if let Some(kind) = field("type") {
        detail.push_str(&format!(", {kind}"));
    }
    detail
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::ReplyChoice;

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

    fn reply(text: &str, choices: &[(&str, &str)]) -> Reply {
        Reply {
            text: text.to_owned(),
            choices: choices
                .iter()
                .map(|(id, title)| ReplyChoice {
                    id: (*id).to_owned(),
                    title: (*title).to_owned(),
                })
                .collect(),
        }
    }

    #[test]
    fn plain_replies_are_text_messages() {
        let rendered = render(&reply("(1/5) En quelle année ?", &[]), "Choisir");
        assert_eq!(
            rendered,
            [
                json!({ "type": "text", "text": { "body": "(1/5) En quelle année ?", "preview_url": false } })
            ]
        );
    }

    #[test]
    fn up_to_three_short_choices_are_reply_buttons() {
        let rendered = render(
            &reply("Est-ce correct ?", &[("yes", "Oui"), ("no", "Non")]),
            "Choisir",
        );
        assert_eq!(rendered.len(), 1);
        let interactive = &rendered[0]["interactive"];
        assert_eq!(interactive["type"], "button");
        assert_eq!(interactive["body"]["text"], "Est-ce correct ?");
        assert_eq!(
            interactive["action"]["buttons"],
            json!([
                { "type": "reply", "reply": { "id": "yes", "title": "Oui" } },
                { "type": "reply", "reply": { "id": "no", "title": "Non" } },
            ])
        );
    }

    #[test]
    fn more_choices_or_longer_titles_become_a_list() {
        let languages = reply(
            "Choisissez votre langue :",
            &[
                ("fr", "Français"),
                ("ln", "Lingala"),
                ("sw", "Kiswahili"),
                ("en", "English"),
            ],
        );
        let rendered = render(&languages, "Choisir");
        let interactive = &rendered[0]["interactive"];
        assert_eq!(interactive["type"], "list");
        assert_eq!(interactive["action"]["button"], "Choisir");
        let rows = &interactive["action"]["sections"][0]["rows"];
        assert_eq!(rows[0], json!({ "id": "fr", "title": "Français" }));
        assert_eq!(rows.as_array().unwrap().len(), 4);

        // Two choices, one title of 21..24 characters: too long for a button, fine in a list.
        let long = reply("Lequel ?", &[("a", "Une réponse assez longue"), ("b", "B")]);
        assert_eq!(chars("Une réponse assez longue"), 24);
        assert_eq!(render(&long, "Choisir")[0]["interactive"]["type"], "list");
    }

    #[test]
    fn what_whatsapp_cannot_show_falls_back_to_numbered_text() {
        let eleven: Vec<(String, String)> = (1..=11)
            .map(|i| (i.to_string(), format!("Choix {i}")))
            .collect();
        let refs: Vec<(&str, &str)> = eleven
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let too_long_title = reply(
            "Quelle réponse voulez-vous corriger ?",
            &[
                ("1", "Année de naissance"),
                ("2", "Lieu de naissance de la mère"),
            ],
        );
        let long_body = "x".repeat(MAX_INTERACTIVE_BODY_CHARS + 1);
        for (case, label) in [
            (reply("Lequel ?", &refs), "Choisir"),
            (too_long_title, "Choisir"),
            (
                reply(&long_body, &[("yes", "Oui"), ("no", "Non")]),
                "Choisir",
            ),
            (
                reply(
                    "Lequel ?",
                    &[("1", "a"), ("2", "b"), ("3", "c"), ("4", "d")],
                ),
                "Un libellé bien trop long",
            ),
        ] {
            let rendered = render(&case, label);
            assert_eq!(rendered[0]["type"], "text", "{case:?}");
            let text: String = rendered
                .iter()
                .map(|m| m["text"]["body"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
                .join("\n");
            assert_eq!(text, case.plain_text());
        }
    }

    #[test]
    fn long_texts_are_split_at_line_breaks() {
        let line = "a".repeat(1000);
        let text = vec![line.clone(); 9].join("\n");
        let pieces = split_text(&text, MAX_TEXT_CHARS);
        assert_eq!(pieces.len(), 3);
        assert!(pieces.iter().all(|p| chars(p) <= MAX_TEXT_CHARS));
        assert_eq!(pieces[0], vec![line.clone(); 4].join("\n"));
        assert_eq!(pieces.join("\n"), text);

        let one_line = "é".repeat(MAX_TEXT_CHARS * 2 + 10);
        let pieces = split_text(&one_line, MAX_TEXT_CHARS);
        assert_eq!(
            pieces.iter().map(|p| chars(p)).collect::<Vec<_>>(),
            [MAX_TEXT_CHARS, MAX_TEXT_CHARS, 10]
        );
        assert_eq!(pieces.concat(), one_line);
        assert_eq!(split_text("court", MAX_TEXT_CHARS), ["court"]);
    }

    #[test]
    fn error_details_keep_codes_and_drop_messages() {
        let body = r#"{"error":{"message":"(#131030) Recipient phone number +243991234567 not in allowed list","type":"OAuthException","code":131030,"error_subcode":2494010,"fbtrace_id":"Az8"}}"#;
        let detail = describe_error(400, body.to_owned());
        assert_eq!(
            detail,
            "HTTP 400, code 131030, subcode 2494010, OAuthException"
        );
        assert_eq!(describe_error(502, "<html>".into()), "HTTP 502");
    }
}
