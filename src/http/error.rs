//! Why a webhook request was refused, and the one place that turns it into the answer
//! the provider sees. The detail goes to the log (numbers masked, never an answer or a
//! signature); the body says only what the provider may act on.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::channels::meta::MetaError;
use crate::channels::twilio::{self, TwilioError};
use crate::channels::ChannelId;
use crate::store::StoreError;

pub const TWIML_CONTENT_TYPE: &str = "text/xml; charset=utf-8";

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// A form Twilio could not have sent: 400 with the reason.
    #[error("malformed Twilio request: {0}")]
    MalformedTwilio(#[from] TwilioError),
    /// A body Meta could not have sent: 400 with the reason.
    #[error("malformed Meta request: {0}")]
    MalformedMeta(#[from] MetaError),
    /// The provider's signature is missing or wrong: 403.
    #[error("{} signature rejected", channel.provider())]
    BadSignature {
        channel: ChannelId,
        /// Whether a signature header was there at all.
        present: bool,
    },
    /// A sender over the per-sender limit: 429. Twilio gets an empty TwiML reply, so the
    /// person gets no answer; Meta delivers the whole batch again later, so nothing it
    /// was told is received is dropped. Logged and counted where it is decided.
    #[error("rate limit reached ({channel})")]
    RateLimited { channel: ChannelId },
    /// Meta's `GET` handshake with a wrong or missing verify token: 403.
    #[error("Meta webhook verification refused: wrong or missing verify token")]
    VerificationRefused,
    /// The message could not be processed: 503 when the database is unavailable, so the
    /// provider delivers it again; 500 otherwise.
    #[error("message processing failed ({channel}): {source}")]
    Processing {
        channel: ChannelId,
        source: StoreError,
    },
}

impl IntoResponse for WebhookError {
    fn into_response(self) -> Response {
        match self {
            WebhookError::MalformedTwilio(error) => {
                tracing::warn!(%error, "malformed Twilio request");
                (StatusCode::BAD_REQUEST, error.to_string()).into_response()
            }
            WebhookError::MalformedMeta(error) => {
                tracing::warn!(%error, "malformed Meta request");
                (StatusCode::BAD_REQUEST, error.to_string()).into_response()
            }
            WebhookError::BadSignature { channel, present } => {
                tracing::warn!(present, "{} signature rejected", channel.provider());
                (StatusCode::FORBIDDEN, "invalid signature").into_response()
            }
            WebhookError::RateLimited { channel } => rate_limited(channel),
            WebhookError::VerificationRefused => {
                tracing::warn!("Meta webhook verification refused: wrong or missing verify token");
                (StatusCode::FORBIDDEN, "verification refused").into_response()
            }
            WebhookError::Processing { channel, source } => processing_failed(channel, &source),
        }
    }
}

fn rate_limited(channel: ChannelId) -> Response {
    match channel {
        ChannelId::Twilio | ChannelId::Sms => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::CONTENT_TYPE, TWIML_CONTENT_TYPE)],
            twilio::render_twiml(&[]),
        )
            .into_response(),
        _ => (
            StatusCode::TOO_MANY_REQUESTS,
            "rate limit reached, retry later",
        )
            .into_response(),
    }
}

fn processing_failed(channel: ChannelId, error: &StoreError) -> Response {
    if error.is_unavailable() {
        tracing::error!(%channel, %error, "database unavailable: asking the provider to retry");
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "database unavailable, retry later",
        )
            .into_response()
    } else {
        tracing::error!(%channel, %error, "message processing failed");
        (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn answer(error: WebhookError) -> (StatusCode, Option<String>, String) {
        let response = error.into_response();
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned());
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (
            status,
            content_type,
            String::from_utf8(body.to_vec()).unwrap(),
        )
    }

    fn cause(detail: &str) -> Box<dyn std::error::Error + Send + Sync> {
        detail.to_owned().into()
    }

    #[tokio::test]
    async fn store_failures_never_show_their_detail() {
        let detail = "connection to db.internal:5432 refused for user ciu";
        let (status, _, body) = answer(WebhookError::Processing {
            channel: ChannelId::Twilio,
            source: StoreError::Unavailable(cause(detail)),
        })
        .await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body, "database unavailable, retry later");
        let (status, _, body) = answer(WebhookError::Processing {
            channel: ChannelId::Meta,
            source: StoreError::Query(cause(detail)),
        })
        .await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body, "internal error");
    }

    #[tokio::test]
    async fn refusals_keep_their_status_and_body() {
        let (status, _, body) = answer(WebhookError::BadSignature {
            channel: ChannelId::Meta,
            present: true,
        })
        .await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::FORBIDDEN, "invalid signature")
        );
        let (status, _, body) = answer(WebhookError::VerificationRefused).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::FORBIDDEN, "verification refused")
        );
        for channel in [ChannelId::Twilio, ChannelId::Sms] {
            let (status, content_type, body) = answer(WebhookError::RateLimited { channel }).await;
            assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
            assert_eq!(content_type.as_deref(), Some(TWIML_CONTENT_TYPE));
            assert_eq!(body, twilio::render_twiml(&[]));
        }
        let (status, _, body) = answer(WebhookError::RateLimited {
            channel: ChannelId::Meta,
        })
        .await;
        assert_eq!(
            (status, body.as_str()),
            (
                StatusCode::TOO_MANY_REQUESTS,
                "rate limit reached, retry later"
            )
        );
        let (status, _, body) = answer(WebhookError::MalformedMeta(MetaError::InvalidJson)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body, MetaError::InvalidJson.to_string());
    }
}
