//! The messaging providers that carry conversations to and from the engine (README.md, "Channels").

pub mod meta;
pub mod twilio;
