//! Sending a rendered message through the Graph API, and what became of it.

use std::fmt;
use std::time::Duration;

use serde_json::{json, Value};

use crate::channels::{ChannelId, ReplySender, SendFuture, SendOutcome};
use crate::config::{MetaSettings, Secret};
use crate::phone::PhoneNumber;

/// A Graph API call that takes longer is abandoned and retried later.
const SEND_TIMEOUT: Duration = Duration::from_secs(15);

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

    /// Sends one rendered message to `phone` (`+<digits>`, or a user id).
    pub async fn send(&self, phone: &PhoneNumber, message: &Value) -> SendOutcome {
        let body = graph_body(phone, message);
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

impl ReplySender for GraphClient {
    fn channel(&self) -> ChannelId {
        ChannelId::Meta
    }

    fn send<'a>(&'a self, to: &'a PhoneNumber, message: &'a Value) -> SendFuture<'a> {
        Box::pin(GraphClient::send(self, to, message))
    }
}

/// The Graph API body: the rendered message, addressed to `phone`. A number goes in
/// `to` (digits only); a business-scoped user id (src/channels/meta/parse.rs) is assumed
/// to go in `recipient`, as the BSUID guides of Meta's Cloud API partners describe it
/// (README.md, "Channels": Meta's own reference could not be checked).
fn graph_body(phone: &PhoneNumber, message: &Value) -> Value {
    let mut body = message.clone();
    if let Some(object) = body.as_object_mut() {
        object.insert("messaging_product".into(), json!("whatsapp"));
        object.insert("recipient_type".into(), json!("individual"));
        match phone.as_str().strip_prefix('+') {
            Some(digits) => object.insert("to".into(), json!(digits)),
            None => object.insert("recipient".into(), json!(phone.as_str())),
        };
    }
    body
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

    #[test]
    fn numbers_go_in_to_and_user_ids_in_recipient() {
        let text = json!({ "type": "text", "text": { "body": "Bonjour" } });
        let to_number = graph_body(&PhoneNumber::new("+243991234567"), &text);
        assert_eq!(to_number["to"], "243991234567");
        assert!(to_number.get("recipient").is_none());
        let to_user = graph_body(&PhoneNumber::new("CD.13491208655302741918"), &text);
        assert_eq!(to_user["recipient"], "CD.13491208655302741918");
        assert!(to_user.get("to").is_none());
        assert_eq!(to_user["messaging_product"], "whatsapp");
    }
}
