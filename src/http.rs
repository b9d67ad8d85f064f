//! The HTTP surface: Twilio and Meta webhooks, health, cleanup, metrics. Handlers are
//! thin: parse, verify, hand the message to the [`Bot`], render (Twilio) or acknowledge
//! (Meta, whose replies leave through the outbox).

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::sync::Arc;

use crate::channels::meta::{self, MetaInbound};
use crate::channels::twilio;
use crate::config::Settings;
use crate::phone::PhoneNumber;
use crate::qr::QrPublisher;
use crate::service::{Bot, Message, ReplyVia};
use crate::store::StoreError;

mod error;

pub use error::WebhookError;
use error::TWIML_CONTENT_TYPE;

/// Webhook bodies are small forms; anything bigger is refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Meta may batch several messages of up to 4096 characters in one delivery, and would
/// redeliver a refused one for a week: its route accepts more.
pub const META_MAX_BODY_BYTES: usize = 256 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub bot: Arc<Bot>,
    pub settings: Arc<Settings>,
    pub limiter: Option<Arc<DefaultKeyedRateLimiter<PhoneNumber>>>,
    /// Set when codes are also sent as QR images (`ENABLE_QR_CODE`).
    pub qr: Option<Arc<QrPublisher>>,
}

impl AppState {
    pub fn new(bot: Arc<Bot>, settings: Arc<Settings>) -> Self {
        let limiter = settings
            .rate_limit_per_minute
            .map(|n| Arc::new(RateLimiter::keyed(Quota::per_minute(n))));
        let qr = QrPublisher::from_settings(&settings, &bot.store).map(Arc::new);
        AppState {
            bot,
            settings,
            limiter,
            qr,
        }
    }
}

/// The routes of the enabled channels (`CHANNELS`), and the service's own.
pub fn router(state: AppState) -> Router {
    let settings = state.settings.clone();
    let mut router = Router::new();
    if settings.channels.twilio {
        router = router.route(&settings.webhook_path, post(twilio_webhook));
    }
    if settings.channels.meta {
        router = router.route(
            &settings.meta.webhook_path,
            get(meta_verification)
                .post(meta_webhook)
                .layer(DefaultBodyLimit::max(META_MAX_BODY_BYTES)),
        );
    }
    router
        .route("/health", get(health))
        .route("/whatsapp/cleanup", post(cleanup))
        .route("/metrics", get(metrics))
        .route("/qr/{token}", get(qr_image))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
                let id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or_default();
                tracing::info_span!("request", id = %id, method = %request.method(), path = %request.uri().path())
            }),
        )
        .layer(middleware::from_fn(assign_request_id))
        .with_state(state)
}

const REQUEST_ID: &str = "x-request-id";

/// Gives each request an id, named in its log span and returned as `X-Request-Id`, so
/// a complaint or an nginx log line leads to the service's log lines. nginx's own id
/// (`proxy_set_header X-Request-Id $request_id`) is kept when it looks like one.
async fn assign_request_id(mut request: Request, next: Next) -> Response {
    let given = request
        .headers()
        .get(REQUEST_ID)
        .filter(|value| is_plausible_request_id(value.as_bytes()))
        .cloned();
    let id = given.unwrap_or_else(|| {
        HeaderValue::from_str(&format!("{:032x}", rand::random::<u128>()))
            .expect("hex is a valid header value")
    });
    request.headers_mut().insert(REQUEST_ID, id.clone());
    let mut response = next.run(request).await;
    response.headers_mut().insert(REQUEST_ID, id);
    response
}

/// Short and plain, so a forged header cannot forge log lines.
fn is_plausible_request_id(id: &[u8]) -> bool {
    (1..=64).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
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
    let _timer = state.bot.metrics.observe("twilio");
    let (inbound, params) = twilio::parse_form(&body)?;
    if let Some(token) = &state.settings.twilio.auth_token {
        let url = signed_url(&state.settings, &headers, &uri);
        let signature = headers
            .get("x-twilio-signature")
            .and_then(|v| v.to_str().ok());
        if !twilio::verify_signature(token.expose(), &url, &params, signature) {
            return Err(WebhookError::BadSignature {
                channel: "Twilio",
                present: signature.is_some(),
            });
        }
    }
    let phone = twilio::phone_of(&inbound.from);
    if !within_rate_limit(&state, &phone) {
        return Err(WebhookError::RateLimited);
    }
    // A tapped quick-reply button sends its id; that is the answer.
    let text = inbound
        .button_payload
        .as_deref()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or(&inbound.body);
    let message = Message {
        channel: "twilio",
        phone: &phone,
        message_id: inbound.message_sid.as_deref(),
        text,
        media_count: inbound.num_media,
        reply_via: ReplyVia::Inline,
    };
    let handled = state
        .bot
        .handle_message(message, Utc::now())
        .await
        .map_err(|source| WebhookError::Processing {
            channel: "twilio",
            source,
        })?;
    let texts: Vec<String> = handled.replies.iter().map(|r| r.plain_text()).collect();
    let media_url = match (&state.qr, &handled.code) {
        (Some(qr), Some(code)) => publish_qr(qr, code).await,
        _ => None,
    };
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, TWIML_CONTENT_TYPE)],
        twilio::render_twiml_with_media(&texts, media_url.as_deref()),
    )
        .into_response())
}

/// `false` (logged, counted) when `phone` sent more than `RATE_LIMIT_PER_MINUTE`.
fn within_rate_limit(state: &AppState, phone: &PhoneNumber) -> bool {
    let Some(limiter) = &state.limiter else {
        return true;
    };
    if limiter.check_key(phone).is_ok() {
        return true;
    }
    tracing::warn!(%phone, "rate limit reached");
    state.bot.metrics.rate_limited.inc();
    false
}

/// Meta's webhook verification: `GET ?hub.mode=subscribe&hub.verify_token=..&hub.challenge=..`.
async fn meta_verification(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, WebhookError> {
    let param = |name: &str| params.get(name).map(String::as_str);
    let challenge = meta::handshake_challenge(
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

/// Meta's notifications: every message is processed (session, code and the queued
/// replies committed together) before the 200; the outbox worker sends the replies.
async fn meta_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebhookError> {
    let _timer = state.bot.metrics.observe("meta");
    if let Some(secret) = &state.settings.meta.app_secret {
        let signature = headers
            .get("x-hub-signature-256")
            .and_then(|v| v.to_str().ok());
        if !meta::verify_signature(secret.expose(), &body, signature) {
            return Err(WebhookError::BadSignature {
                channel: "Meta",
                present: signature.is_some(),
            });
        }
    }
    let messages = meta::parse_webhook(&body)?;
    let our_number = state.settings.meta.phone_number_id.as_deref();
    for inbound in &messages {
        if inbound
            .to_phone_number_id
            .as_deref()
            .is_some_and(|to| Some(to) != our_number)
        {
            // The app's webhook may serve several business numbers: answering from ours
            // would confuse the person.
            tracing::warn!("Meta message addressed to another business number: ignored");
            continue;
        }
        if !within_rate_limit(&state, &inbound.phone) {
            continue;
        }
        // On failure Meta redelivers the whole batch; the messages already processed
        // are recognised by their wamid and not answered twice.
        handle_meta_message(&state, inbound)
            .await
            .map_err(|source| WebhookError::Processing {
                channel: "meta",
                source,
            })?;
    }
    Ok(StatusCode::OK.into_response())
}

/// One message of a Meta batch: its replies are queued, and the QR image follows the
/// code's message (without it the code is still sent).
async fn handle_meta_message(state: &AppState, inbound: &MetaInbound) -> Result<(), StoreError> {
    let message = Message {
        channel: "meta",
        phone: &inbound.phone,
        message_id: Some(&inbound.message_id),
        text: &inbound.text,
        media_count: inbound.media_count,
        reply_via: ReplyVia::Outbox(meta::render),
    };
    let handled = state.bot.handle_message(message, Utc::now()).await?;
    if let (Some(qr), Some(code)) = (&state.qr, &handled.code) {
        if let Some(url) = publish_qr(qr, code).await {
            let image = crate::qr::whatsapp_cloud_image(&url);
            if let Err(e) = state
                .bot
                .queue_message("meta", &inbound.phone, &image, Utc::now())
                .await
            {
                tracing::warn!(error = %e, "QR image not queued: the code is sent as text only");
            }
        }
    }
    Ok(())
}

async fn health(State(state): State<AppState>) -> Response {
    let database = state.bot.store.health().await;
    let healthy = database.is_ok();
    let body = serde_json::json!({
        "status": if healthy { "healthy" } else { "unhealthy" },
        "service": state.settings.app_name,
        "version": state.settings.app_version,
        "database": if healthy { "ok" } else { "unavailable" },
        "database_backend": state.bot.store.backend_name(),
    });
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

fn admin_allowed(settings: &Settings, headers: &HeaderMap) -> bool {
    let Some(token) = &settings.admin_token else {
        // Only possible in development: production refuses to start without a token.
        return true;
    };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let header = headers.get("x-admin-token").and_then(|v| v.to_str().ok());
    bearer.or(header).is_some_and(|given| token.matches(given))
}

async fn cleanup(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if !admin_allowed(&state.settings, &headers) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(serde_json::json!({"status": "error", "message": "admin token required: Authorization: Bearer <ADMIN_TOKEN>"})),
        )
            .into_response();
    }
    match state.bot.store.cleanup_expired(Utc::now()).await {
        Ok(n) => {
            Json(serde_json::json!({"status": "success", "sessions_cleaned": n})).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "cleanup failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "error", "message": "database unavailable"})),
            )
                .into_response()
        }
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    if let Ok(active) = state.bot.store.active_sessions(Utc::now()).await {
        state.bot.metrics.active_sessions.set(active);
    }
    if let Ok(pending) = state.bot.store.outbox_pending().await {
        state.bot.metrics.outbox_pending.set(pending);
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.bot.metrics.render(),
    )
        .into_response()
}

/// The image URL of `code`, or `None` (logged) when it cannot be kept: the code itself
/// is in the text, so the reply goes out anyway.
async fn publish_qr(qr: &QrPublisher, code: &str) -> Option<String> {
    match qr.publish(code, Utc::now()).await {
        Ok(url) => Some(url),
        Err(e) => {
            tracing::warn!(error = %e, "QR image not published: the code is sent as text only");
            None
        }
    }
}

/// `GET /qr/{token}`: the PNG of a published code, 404 once expired (or when QR images
/// are off). Not cached anywhere: the image is a person's code.
async fn qr_image(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let Some(qr) = &state.qr else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match qr.image(&token, Utc::now()).await {
        Ok(Some(png)) => (
            [
                (header::CONTENT_TYPE, "image/png"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            png,
        )
            .into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "QR image unavailable");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
