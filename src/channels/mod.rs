//! The messaging providers that carry conversations to and from the engine (SPEC §5).

pub mod meta;
pub mod twilio;
