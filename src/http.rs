//! The HTTP surface: the channels' webhooks (each provider's routes are in its folder,
//! src/channels/), health, cleanup, metrics, QR images, and the checks every webhook
//! shares (signature refusal, per-sender rate limit).

use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::sync::Arc;

use crate::channels::{meta, twilio, ChannelId};
use crate::config::Settings;
use crate::console::Console;
use crate::phone::PhoneNumber;
use crate::qr::QrPublisher;
use crate::service::Bot;

mod error;

pub use error::{WebhookError, TWIML_CONTENT_TYPE};

/// Webhook bodies are small forms; anything bigger is refused with 413 (Meta's route
/// accepts more, src/channels/meta/route.rs).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub bot: Arc<Bot>,
    pub settings: Arc<Settings>,
    pub limiter: Option<Arc<DefaultKeyedRateLimiter<PhoneNumber>>>,
    /// Set when codes are also sent as QR images (`ENABLE_QR_CODE`).
    pub qr: Option<Arc<QrPublisher>>,
    /// Set when a password opens the staff console (src/console/).
    pub console: Option<Arc<Console>>,
}

impl AppState {
    pub fn new(bot: Arc<Bot>, settings: Arc<Settings>) -> Self {
        let limiter = settings
            .rate_limit_per_minute
            .map(|n| Arc::new(RateLimiter::keyed(Quota::per_minute(n))));
        let qr = QrPublisher::from_settings(&settings, &bot.store).map(Arc::new);
        let console =
            Console::from_settings(&settings, bot.derive_key("console-form/v1")).map(Arc::new);
        AppState {
            bot,
            settings,
            limiter,
            qr,
            console,
        }
    }
}

/// The routes of the enabled channels (`CHANNELS`), and the service's own.
pub fn router(state: AppState) -> Router {
    let settings = state.settings.clone();
    // One line per provider: its folder in src/channels/ holds its routes.
    let router = Router::new()
        .merge(twilio::routes(&settings))
        .merge(meta::routes(&settings))
        .merge(crate::channels::ussd::routes(&settings))
        .merge(crate::console::routes(&settings));
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

/// The one answer to a failed signature check, whatever the provider.
pub fn check_signature(channel: ChannelId, valid: bool, present: bool) -> Result<(), WebhookError> {
    if valid {
        Ok(())
    } else {
        Err(WebhookError::BadSignature { channel, present })
    }
}

/// Refuses (logged, counted) a sender over `RATE_LIMIT_PER_MINUTE`. The refusal's answer
/// depends on the channel ([`WebhookError::RateLimited`]).
pub fn check_rate_limit(
    state: &AppState,
    channel: ChannelId,
    sender: &PhoneNumber,
) -> Result<(), WebhookError> {
    let Some(limiter) = &state.limiter else {
        return Ok(());
    };
    if limiter.check_key(sender).is_ok() {
        return Ok(());
    }
    tracing::warn!(%channel, phone = %sender, "rate limit reached");
    state.bot.metrics.rate_limited.inc();
    Err(WebhookError::RateLimited { channel })
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
        "channels": enabled_channels(&state.settings),
    });
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// The labels of the channels this instance answers (src/channels/mod.rs).
fn enabled_channels(settings: &Settings) -> Vec<&'static str> {
    ChannelId::ALL
        .iter()
        .filter(|channel| settings.channels.has(**channel))
        .map(|channel| channel.label())
        .collect()
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
pub async fn publish_qr(qr: &QrPublisher, code: &str) -> Option<String> {
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
