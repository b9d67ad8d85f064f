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

use crate::channels::{meta, twilio};
use crate::config::Settings;
use crate::qr::QrPublisher;
use crate::service::{Bot, Message, ReplyVia};
use crate::store::StoreError;
use crate::telemetry::mask_phone;

/// Webhook bodies are small forms; anything bigger is refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Meta may batch several messages of up to 4096 characters in one delivery, and would
/// redeliver a refused one for a week: its route accepts more.
pub const META_MAX_BODY_BYTES: usize = 256 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub bot: Arc<Bot>,
    pub settings: Arc<Settings>,
    pub limiter: Option<Arc<DefaultKeyedRateLimiter<String>>>,
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

fn twiml(status: StatusCode, messages: &[String]) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        twilio::render_twiml(messages),
    )
        .into_response()
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
) -> Response {
    let _timer = state.bot.metrics.observe("twilio");
    let (inbound, params) = match twilio::parse_form(&body) {
        Ok(parsed) => parsed,
        Err(e) => {
            tracing::warn!(error = %e, "malformed Twilio request");
            return (StatusCode::BAD_REQUEST, e.to_string()).into_response();
        }
    };
    if let Some(token) = &state.settings.twilio.auth_token {
        let url = signed_url(&state.settings, &headers, &uri);
        let signature = headers
            .get("x-twilio-signature")
            .and_then(|v| v.to_str().ok());
        if !twilio::verify_signature(token.expose(), &url, &params, signature) {
            tracing::warn!(present = signature.is_some(), "Twilio signature rejected");
            return (StatusCode::FORBIDDEN, "invalid signature").into_response();
        }
    }
    let phone = twilio::phone_of(&inbound.from);
    if let Some(limiter) = &state.limiter {
        if limiter.check_key(&phone).is_err() {
            tracing::warn!(phone = %mask_phone(&phone), "rate limit reached");
            state.bot.metrics.rate_limited.inc();
            return twiml(StatusCode::TOO_MANY_REQUESTS, &[]);
        }
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
    match state.bot.handle_message(message, Utc::now()).await {
        Ok(handled) => {
            let texts: Vec<String> = handled.replies.iter().map(|r| r.plain_text()).collect();
            let media_url = match (&state.qr, &handled.code) {
                (Some(qr), Some(code)) => publish_qr(qr, code).await,
                _ => None,
            };
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
                twilio::render_twiml_with_media(&texts, media_url.as_deref()),
            )
                .into_response()
        }
        Err(e) => processing_failed(&e, "twilio"),
    }
}

/// 503 when the database is unavailable, so the provider delivers the message again;
/// 500 otherwise.
fn processing_failed(error: &StoreError, channel: &'static str) -> Response {
    if error.is_unavailable() {
        tracing::error!(channel, %error, "database unavailable: asking the provider to retry");
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "database unavailable, retry later",
        )
            .into_response()
    } else {
        tracing::error!(channel, %error, "message processing failed");
        (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
    }
}

/// Meta's webhook verification: `GET ?hub.mode=subscribe&hub.verify_token=..&hub.challenge=..`.
async fn meta_verification(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let param = |name: &str| params.get(name).map(String::as_str);
    match meta::handshake_challenge(
        state.settings.meta.verify_token.as_ref(),
        param("hub.mode"),
        param("hub.verify_token"),
        param("hub.challenge"),
    ) {
        Some(challenge) => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            challenge.to_owned(),
        )
            .into_response(),
        None => {
            tracing::warn!("Meta webhook verification refused: wrong or missing verify token");
            (StatusCode::FORBIDDEN, "verification refused").into_response()
        }
    }
}

/// Meta's notifications: every message is processed (session, code and the queued
/// replies committed together) before the 200; the outbox worker sends the replies.
async fn meta_webhook(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let _timer = state.bot.metrics.observe("meta");
    if let Some(secret) = &state.settings.meta.app_secret {
        let signature = headers
            .get("x-hub-signature-256")
            .and_then(|v| v.to_str().ok());
        if !meta::verify_signature(secret.expose(), &body, signature) {
            tracing::warn!(present = signature.is_some(), "Meta signature rejected");
            return (StatusCode::FORBIDDEN, "invalid signature").into_response();
        }
    }
    let messages = match meta::parse_webhook(&body) {
        Ok(messages) => messages,
        Err(e) => {
            tracing::warn!(error = %e, "malformed Meta request");
            return (StatusCode::BAD_REQUEST, e.to_string()).into_response();
        }
    };
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
        if let Some(limiter) = &state.limiter {
            if limiter.check_key(&inbound.phone).is_err() {
                tracing::warn!(phone = %mask_phone(&inbound.phone), "rate limit reached");
                state.bot.metrics.rate_limited.inc();
                continue;
            }
        }
        let message = Message {
            channel: "meta",
            phone: &inbound.phone,
            message_id: Some(&inbound.message_id),
            text: &inbound.text,
            media_count: inbound.media_count,
            reply_via: ReplyVia::Outbox(meta::render),
        };
        // On failure Meta redelivers the whole batch; the messages already processed
        // are recognised by their wamid and not answered twice.
        let handled = match state.bot.handle_message(message, Utc::now()).await {
            Ok(handled) => handled,
            Err(e) => return processing_failed(&e, "meta"),
        };
        // The QR image follows the code's message; without it the code is still sent.
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
    }
    StatusCode::OK.into_response()
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
