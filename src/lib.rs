//! CIU WhatsApp: a declarative flow engine that gives each client a deterministic,
//! privacy-preserving Code Identificateur Unique over WhatsApp.

pub mod ciu;
pub mod flow;
pub mod normalize;
pub mod seal;
pub mod store;
