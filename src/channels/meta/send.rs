//! Sending a rendered message through the Graph API, and what became of it.

use std::fmt;
use std::time::Duration;

use serde_json::{json, Value};

use crate::config::{MetaSettings, Secret};
use crate::phone::PhoneNumber;

/// A Graph API call that takes longer is abandoned and retried later.
const SEND_TIMEOUT: Duration = Duration::from_secs(15);

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
