//! The floor of BENCHMARKS.md: a bare handler that parses the Twilio form and returns a
//! fixed TwiML, started in the load tool's process, to measure what the machine and the
//! HTTP stack allow before the service does any work.

use anyhow::Context;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;

use crate::channels::twilio;
use crate::http::MAX_BODY_BYTES;

const FLOOR_TWIML: &str =
    r#"<?xml version="1.0" encoding="UTF-8"?><Response><Message>OK</Message></Response>"#;

/// The floor (BENCHMARKS.md): parse the Twilio form, answer a fixed TwiML, nothing else.
pub fn floor_router() -> Router {
    async fn answer(body: Bytes) -> Response {
        match twilio::parse_form(&body) {
            Ok(_) => (
                [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
                FLOOR_TWIML,
            )
                .into_response(),
            Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
        }
    }
    Router::new()
        .route("/whatsapp/webhook", post(answer))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// Starts the floor server on its own runtime (as many workers as `ciu serve` gets), so
/// that it competes with the load generator for the CPU like a separate server would.
/// Returns its webhook URL; the server lives until the process exits.
pub fn start_floor_server() -> anyhow::Result<String> {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").context("cannot listen for the floor server")?;
    listener.set_nonblocking(true)?;
    let address = listener.local_addr()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("floor")
        .build()
        .context("cannot start the floor server's runtime")?;
    std::thread::spawn(move || {
        runtime.block_on(async move {
            let served = match tokio::net::TcpListener::from_std(listener) {
                Ok(listener) => axum::serve(listener, floor_router()).await,
                Err(e) => Err(e),
            };
            if let Err(e) = served {
                eprintln!("floor server stopped: {e}");
            }
        })
    });
    Ok(format!("http://{address}/whatsapp/webhook"))
}
