//! `META_WEBHOOK_PATH`: Meta's verification handshake (`GET`) and notifications (`POST`).
//! Every message is processed (session, code and the queued replies committed together)
//! before the 200; the outbox worker (src/outbox.rs) sends the replies.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::Utc;
use std::collections::HashMap;

use super::{handshake_challenge, parse_webhook, render, verify_signature, MetaInbound};
use crate::channels::ChannelId;
use crate::config::Settings;
use crate::http::{check_rate_limit, check_signature, publish_qr, AppState, WebhookError};
use crate::service::{Message, ReplyVia};
use crate::store::StoreError;

/// Meta may batch several messages of up to 4096 characters in one delivery, and would
/// redeliver a refused one for a week: its route accepts more.
pub const META_MAX_BODY_BYTES: usize = 256 * 1024;

const CHANNEL: ChannelId = ChannelId::Meta;

/// The route, when `CHANNELS` has `meta`.
pub fn routes(settings: &Settings) -> Router<AppState> {
    let router = Router::new();
    if !settings.channels.meta {
        return router;
    }
    router.route(
        &settings.meta.webhook_path,
        get(meta_verification)
            .post(meta_webhook)
            .layer(DefaultBodyLimit::max(META_MAX_BODY_BYTES)),
    )
}

/// Meta's webhook verification: `GET ?hub.mode=subscribe&hub.verify_token=..&hub.challenge=..`.
async fn meta_verification(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, WebhookError> {
    let param = |name: &str| params.get(name).map(String::as_str);
    let challenge = handshake_challenge(
        state.settings.meta.verify_token.as_ref(),
        param("hub.mode"),
        param("hub.verify_token"),
        param("hub.challenge"),
    )
    .ok_or(WebhookError::VerificationRefused)?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        challenge.to_owned(),
    )
        .into_response())
}

/// Meta's notifications. A delivery with a message over the per-sender rate limit is
/// refused as a whole (429) before anything is processed: Meta delivers it again later,
/// so nothing acknowledged is ever dropped.
async fn meta_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebhookError> {
    let _timer = state.bot.metrics.observe(CHANNEL);
    if let Some(secret) = &state.settings.meta.app_secret {
        let signature = headers
            .get("x-hub-signature-256")
            .and_then(|v| v.to_str().ok());
        let valid = verify_signature(secret.expose(), &body, signature);
        check_signature(CHANNEL, valid, signature.is_some())?;
    }
    let messages = parse_webhook(&body)?;
    let our_number = state.settings.meta.phone_number_id.as_deref();
    let ours: Vec<&MetaInbound> = messages
        .iter()
        .filter(|inbound| {
            let elsewhere = inbound
                .to_phone_number_id
                .as_deref()
                .is_some_and(|to| Some(to) != our_number);
            if elsewhere {
                // The app's webhook may serve several business numbers: answering from
                // ours would confuse the person.
                tracing::warn!("Meta message addressed to another business number: ignored");
            }
            !elsewhere
        })
        .collect();
    for inbound in &ours {
        check_rate_limit(&state, CHANNEL, &inbound.phone)?;
    }
    for inbound in ours {
        // On failure Meta redelivers the whole batch; the messages already processed
        // are recognised by their wamid and not answered twice.
        handle_meta_message(&state, inbound)
            .await
            .map_err(|source| WebhookError::Processing {
                channel: CHANNEL,
                source,
            })?;
    }
    Ok(StatusCode::OK.into_response())
}

/// One message of a Meta batch: its replies are queued, and the QR image follows the
/// code's message (without it the code is still sent).
async fn handle_meta_message(state: &AppState, inbound: &MetaInbound) -> Result<(), StoreError> {
    let message = Message {
        channel: CHANNEL,
        phone: &inbound.phone,
        message_id: Some(&inbound.message_id),
        text: &inbound.text,
        media_count: inbound.media_count,
        reply_via: ReplyVia::Outbox(render),
    };
    let handled = state.bot.handle_message(message, Utc::now()).await?;
    if let (Some(qr), Some(code)) = (&state.qr, &handled.code) {
        if let Some(url) = publish_qr(qr, code).await {
            let image = crate::qr::whatsapp_cloud_image(&url);
            if let Err(e) = state
                .bot
                .queue_message(CHANNEL, &inbound.phone, &image, Utc::now())
                .await
            {
                tracing::warn!(error = %e, "QR image not queued: the code is sent as text only");
            }
        }
    }
    Ok(())
}
