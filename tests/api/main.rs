//! The real server over HTTP, on SQLite always and on PostgreSQL when
//! `TEST_DATABASE_URL` is set.

#[path = "../common/mod.rs"]
mod common;
mod helpers;
#[path = "../common/meta_webhook.rs"]
mod meta_webhook;
#[path = "../common/sixth_question.rs"]
mod sixth_question;

mod bad_input;
mod concurrency;
mod guide;
mod meta;
mod observability;
mod privacy;
mod qr;
mod scale_out;
mod signature;
