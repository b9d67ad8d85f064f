//! `POST WEBHOOK_PATH`: Twilio's webhook for WhatsApp (`From: whatsapp:…`) and plain SMS
//! (`From: +243…`), answered in TwiML.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use chrono::Utc;

use super::{parse_form, render_twiml_with_media, sender_of, verify_signature};
use crate::config::Settings;
use crate::http::TWIML_CONTENT_TYPE;
use crate::http::{check_rate_limit, check_signature, publish_qr, AppState, WebhookError};
use crate::service::{Message, ReplyVia};

/// The route, when `CHANNELS` has `twilio`.
pub fn routes(settings: &Settings) -> Router<AppState> {
    let router = Router::new();
    if !settings.channels.twilio {
        return router;
    }
    router.route(&settings.twilio.webhook_path, post(twilio_webhook))
}

/// The URL Twilio signed: the public address from configuration (behind nginx the inner
/// request does not know it), else what the request itself says.
fn signed_url(settings: &Settings, headers: &HeaderMap, uri: &Uri) -> String {
    let path_and_query = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
    match &settings.public_base_url {
        Some(base) => format!("{base}{path_and_query}"),
        None => {
            let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
            let scheme = header("x-forwarded-proto").unwrap_or("http");
            let host = header("host").unwrap_or("localhost");
            format!("{scheme}://{host}{path_and_query}")
        }
    }
}

async fn twilio_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, WebhookError> {
    let (inbound, params) = parse_form(&body)?;
    let (channel, sender) = sender_of(&inbound.from);
    let _timer = state.bot.metrics.observe(channel);
    if let Some(token) = &state.settings.twilio.auth_token {
        let url = signed_url(&state.settings, &headers, &uri);
        let signature = headers
            .get("x-twilio-signature")
            .and_then(|v| v.to_str().ok());
        let valid = verify_signature(token.expose(), &url, &params, signature);
        check_signature(channel, valid, signature.is_some())?;
    }
    check_rate_limit(&state, channel, &sender)?;
    // A tapped quick-reply button sends its id; that is the answer.
    let text = inbound
        .button_payload
        .as_deref()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or(&inbound.body);
    let message = Message {
        channel,
        phone: &sender,
        message_id: inbound.message_sid.as_deref(),
        text,
        media_count: inbound.num_media,
        reply_via: ReplyVia::Inline,
    };
    let handled = state
        .bot
        .handle_message(message, Utc::now())
        .await
        .map_err(|source| WebhookError::Processing { channel, source })?;
    let texts: Vec<String> = handled.replies.iter().map(|r| r.plain_text()).collect();
    // SMS carries no image: the code is in the text.
    let media_url = match (&state.qr, &handled.code) {
        (Some(qr), Some(code)) if channel.is_whatsapp() => publish_qr(qr, code).await,
        _ => None,
    };
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, TWIML_CONTENT_TYPE)],
        render_twiml_with_media(&texts, media_url.as_deref()),
    )
        .into_response())
}
