//! CIU WhatsApp: a declarative flow engine that gives each client a deterministic,
//! privacy-preserving Code Identificateur Unique over WhatsApp.

pub mod bench;
pub mod channels;
pub mod code;
pub mod config;
pub mod console;
pub mod diagnostics;
pub mod flow;
pub mod http;
pub mod i18n;
pub mod normalize;
pub mod outbox;
pub mod phone;
pub mod private_file;
pub mod qr;
pub mod reports;
pub mod seal;
pub mod service;
pub mod simulate;
pub mod startup;
pub mod store;
pub mod telemetry;
