//! The declarative part: flow definition, loading and checking, the pure engine.

pub mod definition;
pub mod session;
