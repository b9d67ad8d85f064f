//! USSD in Africa's Talking's format (README.md, "USSD"): a form per request with every
//! input of the session so far, answered in plain text `CON …` (waiting for input) or
//! `END …` (over), each screen at most 182 characters. The route is in
//! src/http/ussd.rs, the bookkeeping of sessions in src/service/ussd.rs.

mod auth;
mod parse;
mod render;
mod route;

use super::ChannelId;

pub use auth::secret_matches;
pub use parse::{
    parse_form, phone_of, split_inputs, UssdError, UssdRequest, MAX_INPUTS, MAX_TEXT_BYTES,
};
pub use render::{render_screen, screen_chars, Next, MAX_SCREEN_CHARS, PREFIX_CHARS};
pub use route::{routes, RETRY_LATER, SECRET_PARAMETER};

/// The channel's id in metrics, logs and stored message ids.
pub const USSD_CHANNEL: ChannelId = ChannelId::Ussd;

/// The content type of every USSD answer.
pub const CONTENT_TYPE: &str = "text/plain; charset=utf-8";
