//! Persistence: the CIU registry, conversation sessions and processed message ids, on
//! SQLite (embedded default) or PostgreSQL (production, several instances). The SQL is
//! written once, in the dialect both accept (`$n` parameters, `ON CONFLICT`,
//! `RETURNING`); only connection set-up and per-phone locking differ.
//!
//! Everything stored about a conversation that could hold an answer arrives already
//! sealed (see [`crate::seal`]); this module never sees plaintext answers.

/// Runs the same sqlx expression against whichever pool is connected.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.backend {
            Backend::Sqlite { pool: $pool, .. } => $body,
            Backend::Postgres { pool: $pool, .. } => $body,
        }
    };
}

mod console;
mod counters;
mod duplicates;
mod error;
mod outbox;
mod pg_conn;
mod reports;
mod seed;
mod sqlite_writer;
mod tx;
mod ussd;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::fmt;
use std::str::FromStr;
use std::time::Duration as StdDuration;

use std::sync::Arc;

use crate::phone::PhoneKey;

pub use console::RegistryFigures;
pub use counters::{CounterAddition, CounterSum, SHARDS};
pub use duplicates::{DerivationCodes, DerivationStatus, DuplicateCursor, DuplicatePair};
pub use error::StoreError;
pub use outbox::OutboundRow;
use pg_conn::{PgIdle, PgTx};
pub use reports::{qr_token_digest, CreatedBetween, ExportRecord};
pub use seed::{SeedBatch, SeedOutcome, SeedRecord};
use sqlite_writer::{start_checkpointer, Checkpointer, SqliteWriter, WriterGuard, WriterLock};
pub use tx::{Claim, NewRecord, Registered, StoreTx, StoredSession};
pub use ussd::UssdSessionRow;

/// Meta redelivers for up to 7 days: a message id must be remembered a little longer.
const PROCESSED_MESSAGE_RETENTION_DAYS: i64 = 8;
/// A stored reply is only needed for quick redeliveries; after this it is erased.
const REPLY_RETENTION_DAYS: i64 = 1;
/// How long an erased, expired conversation keeps its "it expired" notice.
const EXPIRED_NOTICE_DAYS: i64 = 1;
const STATS_DAYS: i64 = 30;
/// How long a request waits for a connection or a lock before the database is
/// reported unavailable (and the webhook answers 503 so the provider retries).
const WAIT_LIMIT: StdDuration = StdDuration::from_secs(5);

/// A connected database.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Sqlite {
        pool: SqlitePool,
        /// SQLite allows one writer at a time. Queuing writers here, in order, avoids
        /// the sleep-and-retry of SQLite's busy handler between tasks of this process;
        /// `BEGIN IMMEDIATE` still protects against other processes. Messages are
        /// written through the lock's own connection (see [`sqlite_writer`]); other
        /// writes (cleanup, outbox, QR images) hold the lock and use the pool.
        writer: WriterLock,
        _checkpointer: Arc<Checkpointer>,
    },
    Postgres {
        pool: PgPool,
        /// Connections kept between messages (see [`pg_conn`]).
        idle: Arc<PgIdle>,
    },
}

/// Shows the backend only: connection options may hold a password.
impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend_name())
            .finish_non_exhaustive()
    }
}

/// Figures over the registry (the statistics queries of `docs/fr/guide-de-deploiement.md`, 14.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    pub total_codes: i64,
    /// Distinct stored phone numbers (hashed or plain, as configured).
    pub unique_users: i64,
    /// Codes created per day over the last 30 days, most recent first.
    pub per_day: Vec<(NaiveDate, i64)>,
    /// Codes per channel they were first given on (src/channels/mod.rs labels; `None`
    /// for codes given before channels were recorded), most first.
    pub per_channel: Vec<(Option<String>, i64)>,
}

impl Store {
    /// Accepts `sqlite://PATH` (relative or `sqlite:///absolute`), `postgres://...` and
    /// `postgresql://...`. A missing SQLite file is created. An in-memory SQLite
    /// database is refused: it would forget every code at the next restart.
    pub async fn connect(database_url: &str) -> Result<Store, StoreError> {
        let backend = if database_url.starts_with("sqlite:") {
            connect_sqlite(database_url).await?
        } else if database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://")
        {
            let pool = PgPoolOptions::new()
                .max_connections((pg_conn::MESSAGE_CONNECTIONS + pg_conn::OTHER_CONNECTIONS) as u32)
                .acquire_timeout(WAIT_LIMIT)
                // No ping before each use: a stale connection (after an outage) fails
                // one request (503, retried) and is closed, never reused.
                .test_before_acquire(false)
                .connect(database_url)
                .await?;
            Backend::Postgres {
                pool,
                idle: Arc::default(),
            }
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        Ok(Store { backend })
    }

    /// Applies the embedded migrations that have not run yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sqlite { pool, .. } => sqlx::migrate!("./migrations/sqlite").run(pool).await?,
            Backend::Postgres { pool, .. } => {
                sqlx::migrate!("./migrations/postgres").run(pool).await?
            }
        }
        Ok(())
    }

    /// PostgreSQL's `autovacuum`: `Some(false)` when the server has it off, so that no
    /// table is ever analyzed as it grows (see `Store::refresh_statistics`); `None` on
    /// SQLite.
    pub async fn postgres_autovacuum(&self) -> Result<Option<bool>, StoreError> {
        let Backend::Postgres { pool, .. } = &self.backend else {
            return Ok(None);
        };
        let setting: String = sqlx::query_scalar("SELECT current_setting('autovacuum')")
            .fetch_one(pool)
            .await?;
        Ok(Some(setting == "on"))
    }

    pub async fn health(&self) -> Result<(), StoreError> {
        with_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(drop))?;
        Ok(())
    }

    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite { .. } => "sqlite",
            Backend::Postgres { .. } => "postgresql",
        }
    }

    /// Opens a transaction holding the lock of `phone` (the key the number is stored
    /// under): all work for one phone runs one transaction at a time, across processes.
    /// Dropping the transaction without [`StoreTx::commit`] rolls it back.
    ///
    /// On SQLite the transaction holds the database's only write lock: finish it before
    /// writing through anything else (another `begin`, `cleanup_expired`), or that call
    /// waits 5 s and fails as unavailable.
    pub async fn begin(&self, phone: &PhoneKey) -> Result<StoreTx, StoreError> {
        match &self.backend {
            Backend::Sqlite { writer, .. } => {
                // The transaction begins (IMMEDIATE: the write lock at once, so two
                // transactions never both read and then fail to upgrade to writing)
                // with the first statement.
                Ok(StoreTx::sqlite(writer.lock().await?, phone))
            }
            Backend::Postgres { pool, idle } => {
                // BEGIN and the phone's lock in one round trip (a simple query, so the
                // key is written in: a number computed here, never text from outside).
                // A step of a conversation does not wait for its commit to reach the
                // disk; one that issues a code or queues a message does (see
                // `StoreTx::make_durable`).
                let begin = format!(
                    "BEGIN; SET LOCAL synchronous_commit = off; \
                     SELECT pg_advisory_xact_lock({})",
                    phone_lock_key(phone)
                );
                let tx = PgTx::begin(pool, idle, &begin, WAIT_LIMIT).await?;
                Ok(StoreTx::postgres(tx, phone))
            }
        }
    }

    /// Removes sessions that expired before `now` and returns how many. Also forgets
    /// message ids older than 8 days, erases stored replies older than 1 day, QR
    /// images past their expiry, USSD sessions older than a day (src/store/ussd.rs) and
    /// expired console sessions (src/store/console.rs).
    pub async fn cleanup_expired(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let _writer = self.lock_writer_if_sqlite().await?;
        let message_cutoff = now - Duration::days(PROCESSED_MESSAGE_RETENTION_DAYS);
        let reply_cutoff = now - Duration::days(REPLY_RETENTION_DAYS);
        // Expired conversations lose their answers now; the row (step "expired", the
        // language) stays a day so the next message can say that it expired.
        let erased = with_pool!(self, pool => sqlx::query(
            "UPDATE conversation_sessions SET state = NULL, current_step = 'expired'
             WHERE expires_at < $1 AND state IS NOT NULL AND current_step <> 'finished'",
        )
        .bind(now)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
        let finished = with_pool!(self, pool => sqlx::query(
            "DELETE FROM conversation_sessions WHERE expires_at < $1 AND current_step = 'finished'",
        )
        .bind(now)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
        with_pool!(self, pool => sqlx::query(
            "DELETE FROM conversation_sessions WHERE state IS NULL AND expires_at < $1",
        )
        .bind(now - Duration::days(EXPIRED_NOTICE_DAYS))
        .execute(pool)
        .await
        .map(drop))?;
        let sessions = erased + finished;
        with_pool!(self, pool => sqlx::query(reports::DELETE_EXPIRED_QR_CODES)
            .bind(now)
            .execute(pool)
            .await
            .map(drop))?;
        with_pool!(self, pool => sqlx::query(
            "DELETE FROM processed_messages WHERE processed_at < $1",
        )
        .bind(message_cutoff)
        .execute(pool)
        .await
        .map(drop))?;
        with_pool!(self, pool => sqlx::query(
            "UPDATE processed_messages SET reply = NULL
             WHERE processed_at < $1 AND reply IS NOT NULL",
        )
        .bind(reply_cutoff)
        .execute(pool)
        .await
        .map(drop))?;
        self.delete_old_ussd_sessions(now).await?;
        with_pool!(self, pool => sqlx::query(console::DELETE_EXPIRED_CONSOLE_SESSIONS)
            .bind(now)
            .execute(pool)
            .await
            .map(drop))?;
        Ok(sessions)
    }

    /// Fingerprints of the derivations that issued codes for `flow_id`, oldest first.
    /// One that differs from the current derivation means future codes would not match
    /// the codes already given.
    pub async fn issued_fingerprints(&self, flow_id: &str) -> Result<Vec<String>, StoreError> {
        let fingerprints = with_pool!(self, pool => sqlx::query_scalar(
            "SELECT fingerprint FROM derivation_fingerprints
             WHERE flow_id = $1 ORDER BY first_seen_at, fingerprint",
        )
        .bind(flow_id)
        .fetch_all(pool)
        .await)?;
        Ok(fingerprints)
    }

    /// The derivation fingerprint of the most recently issued code, if any: what the
    /// current configuration must match for a person to keep their code.
    pub async fn latest_fingerprint(&self, flow_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .latest_code(flow_id)
            .await?
            .map(|(fingerprint, _)| fingerprint))
    }

    /// The derivation and the time of the most recently issued code of `flow_id`.
    pub(crate) async fn latest_code(
        &self,
        flow_id: &str,
    ) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
        let latest = with_pool!(self, pool => sqlx::query_as(
            "SELECT derivation_fingerprint, created_at FROM uic_records
             WHERE flow_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(flow_id)
        .fetch_optional(pool)
        .await)?;
        Ok(latest)
    }

    pub async fn stats(&self, now: DateTime<Utc>) -> Result<Stats, StoreError> {
        // DISTINCT in a subquery, not COUNT(DISTINCT): both databases then read the
        // phone index (migration 0006) in order instead of sorting every number.
        let (total_codes, unique_users): (i64, i64) = with_pool!(self, pool => sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM uic_records),
                    (SELECT COUNT(*) FROM (SELECT DISTINCT phone_number FROM uic_records) AS phones)",
        )
        .fetch_one(pool)
        .await)?;
        // Both databases compute DATE() in UTC: SQLite from the stored UTC text,
        // PostgreSQL because sqlx sets the session time zone to UTC.
        let per_day = with_pool!(self, pool => sqlx::query_as(
            "SELECT DATE(created_at) AS day, COUNT(*) FROM uic_records
             WHERE created_at >= $1 GROUP BY DATE(created_at) ORDER BY day DESC",
        )
        .bind(now - Duration::days(STATS_DAYS))
        .fetch_all(pool)
        .await)?;
        let per_channel = with_pool!(self, pool => sqlx::query_as(
            "SELECT channel, COUNT(*) AS codes FROM uic_records
             GROUP BY channel ORDER BY codes DESC, channel",
        )
        .fetch_all(pool)
        .await)?;
        Ok(Stats {
            total_codes,
            unique_users,
            per_day,
            per_channel,
        })
    }

    /// Conversations that have not expired at `now`.
    pub async fn active_sessions(&self, now: DateTime<Utc>) -> Result<i64, StoreError> {
        let count = with_pool!(self, pool => sqlx::query_scalar(
            "SELECT COUNT(*) FROM conversation_sessions
             WHERE expires_at >= $1 AND state IS NOT NULL AND current_step <> 'finished'",
        )
        .bind(now)
        .fetch_one(pool)
        .await)?;
        Ok(count)
    }

    async fn lock_writer_if_sqlite(&self) -> Result<Option<WriterGuard>, StoreError> {
        match &self.backend {
            Backend::Sqlite { writer, .. } => writer.lock_for_pool().await.map(Some),
            Backend::Postgres { .. } => Ok(None),
        }
    }
}

async fn connect_sqlite(database_url: &str) -> Result<Backend, StoreError> {
    let options =
        SqliteConnectOptions::from_str(database_url).map_err(|_| StoreError::UnsupportedUrl)?;
    if is_in_memory_sqlite(database_url) {
        return Err(StoreError::InMemoryUnsupported);
    }
    let options = options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // Safe with WAL (no corruption on power loss, at worst the last commits are
        // lost) and avoids an fsync per transaction.
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(WAIT_LIMIT)
        .foreign_keys(true);
    // Messages are written through the writer's own connection; these serve reads
    // (health, statistics) and the other writes. A local file cannot go stale: no
    // ping before each use.
    // Checkpoints are left to the checkpointer here too (see `sqlite_writer`), with
    // the same bound as the writer's.
    let options = options.pragma("wal_autocheckpoint", "8192");
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .acquire_timeout(WAIT_LIMIT)
        .test_before_acquire(false)
        .connect_with(options.clone())
        .await?;
    let writer = WriterLock::new(
        SqliteWriter::new(options.get_filename(), WAIT_LIMIT),
        WAIT_LIMIT,
    );
    let checkpointer = start_checkpointer(writer.clone(), options.get_filename().to_owned());
    Ok(Backend::Sqlite {
        pool,
        writer,
        _checkpointer: Arc::new(checkpointer),
    })
}

/// An SQLite URL of a database that lives in memory only (refused: every code would be
/// forgotten at the next restart).
pub fn is_in_memory_sqlite(database_url: &str) -> bool {
    database_url.starts_with("sqlite:")
        && (database_url.contains(":memory:") || database_url.contains("mode=memory"))
}

/// The advisory lock of one phone, the same in every process: two phones that happen
/// to share a key only wait for each other.
fn phone_lock_key(phone: &PhoneKey) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("ciu/phone/{}", phone.as_str()));
    i64::from_be_bytes(
        digest[..8]
            .try_into()
            .expect("a SHA-256 digest has 32 bytes"),
    )
}
