//! `POST USSD_PATH` (default `/ussd`): Africa's Talking's callback, answered in plain
//! text within its few seconds. Every answer is a screen the gateway can show: a bad
//! form gets 400, a wrong secret 403, and a failure on this side an `END` screen asking
//! to dial again later — never a 5xx the person would see as a network error.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use chrono::Utc;
use std::collections::HashMap;

use super::{parse_form, secret_matches, CONTENT_TYPE, USSD_CHANNEL};
use crate::config::Settings;
use crate::http::AppState;
use crate::service::UssdAnswer;

/// The URL parameter holding `USSD_SECRET` (`https://…/ussd?cle=…`).
pub const SECRET_PARAMETER: &str = "cle";

/// Shown when the request cannot be processed now (database unavailable, rate limit):
/// the person does not know the language yet, so in all four.
pub const RETRY_LATER: &str =
    "END Réessayez plus tard. / Meka lisusu nsima. / Jaribu tena baadaye. / Try again later.";

/// The route, when `CHANNELS` has `ussd`.
pub fn routes(settings: &Settings) -> Router<AppState> {
    let router = Router::new();
    if !settings.channels.ussd {
        return router;
    }
    router.route(&settings.ussd.path, post(ussd_callback))
}

fn plain(status: StatusCode, body: impl Into<String>) -> Response {
    (status, [(header::CONTENT_TYPE, CONTENT_TYPE)], body.into()).into_response()
}

async fn ussd_callback(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let _timer = state.bot.metrics.observe(USSD_CHANNEL);
    let configured = state.settings.ussd.secret.as_ref().map(|s| s.expose());
    let given = query.get(SECRET_PARAMETER).map(String::as_str);
    if !secret_matches(configured, given) {
        tracing::warn!(present = given.is_some(), "USSD secret rejected");
        return plain(StatusCode::FORBIDDEN, "forbidden");
    }
    let request = match parse_form(&body) {
        Ok(request) => request,
        Err(error) => {
            tracing::warn!(%error, "malformed USSD request");
            return plain(StatusCode::BAD_REQUEST, error.to_string());
        }
    };
    if let Some(limiter) = &state.limiter {
        if limiter.check_key(&request.phone).is_err() {
            tracing::warn!(channel = %USSD_CHANNEL, phone = %request.phone, "rate limit reached");
            state.bot.metrics.rate_limited.inc();
            return plain(StatusCode::OK, RETRY_LATER);
        }
    }
    match state.bot.handle_ussd(&request, Utc::now()).await {
        Ok(UssdAnswer::Screen(screen)) => plain(StatusCode::OK, screen),
        Ok(UssdAnswer::ForeignSession) => {
            tracing::warn!(phone = %request.phone, "USSD session id already used by another number");
            plain(
                StatusCode::BAD_REQUEST,
                "malformed USSD request: sessionId belongs to another phoneNumber",
            )
        }
        Err(error) => {
            tracing::error!(channel = %USSD_CHANNEL, %error, "USSD request failed: asked to dial again later");
            plain(StatusCode::OK, RETRY_LATER)
        }
    }
}
