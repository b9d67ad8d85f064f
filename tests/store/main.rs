//! The store against real databases: a fresh SQLite file per test, and also a fresh
//! PostgreSQL database per test when `TEST_DATABASE_URL` points at a server
//! (e.g. `postgres://postgres@127.0.0.1:5432/postgres`).

#[path = "../common/mod.rs"]
mod common;
mod harness;

mod connection;
mod counters;
mod duplicates;
mod outbox;
mod registry;
mod reports;
mod sessions;
mod sqlite_writer;
mod transactions;
mod ussd;
