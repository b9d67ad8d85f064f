//! Twilio's webhook, for WhatsApp and plain SMS: the inbound form, the
//! `X-Twilio-Signature` check, the TwiML reply and the route (README.md, "Channels").

mod parse;
mod render;
mod route;
mod verify;

pub use parse::{parse_form, phone_of, sender_of, TwilioError, TwilioInbound};
pub use render::{render_twiml, render_twiml_with_media, MAX_MESSAGE_LEN, MAX_TWIML_BYTES};
pub use route::routes;
pub use verify::{expected_signature, verify_signature};
