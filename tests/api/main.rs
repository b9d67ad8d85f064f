//! The real server over HTTP, on SQLite always and on PostgreSQL when
//! `TEST_DATABASE_URL` is set.

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/edited_flow.rs"]
mod edited_flow;
mod helpers;
#[path = "../common/meta_webhook.rs"]
mod meta_webhook;

mod bad_input;
mod concurrency;
mod console;
mod counters;
mod flow_view;
mod guide;
mod meta;
mod meta_identities;
mod observability;
mod privacy;
mod qr;
mod scale_out;
mod signature;
mod sms;
mod ussd;
