//! Meta's WhatsApp Cloud API: the inbound webhook JSON, the `X-Hub-Signature-256` check,
//! the verification handshake, rendering replies as Graph API messages (text, reply
//! buttons, lists) and sending them (README.md, "Channels").

mod parse;
mod render;
mod route;
mod send;
mod verify;

pub use parse::{parse_webhook, MetaError, MetaInbound};
pub use render::render;
pub use route::{routes, META_MAX_BODY_BYTES};
pub use send::GraphClient;
pub use verify::{handshake_challenge, verify_signature};

/// Limits of the Cloud API's messages, in characters.
pub const MAX_TEXT_CHARS: usize = 4096;
pub const MAX_INTERACTIVE_BODY_CHARS: usize = 1024;
pub const MAX_BUTTONS: usize = 3;
pub const MAX_BUTTON_TITLE_CHARS: usize = 20;
pub const MAX_BUTTON_ID_CHARS: usize = 256;
pub const MAX_LIST_ROWS: usize = 10;
pub const MAX_ROW_TITLE_CHARS: usize = 24;
pub const MAX_ROW_ID_CHARS: usize = 200;
pub const MAX_LIST_BUTTON_CHARS: usize = 20;
