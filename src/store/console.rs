//! What the staff console (src/console/) keeps and reads: its signed-in sessions, by
//! a digest of their token only (made by `Console::session_digest`, src/console/auth.rs),
//! and the registry figures of its dashboard.

use chrono::{DateTime, Utc};

use super::{Backend, Store, StoreError};

/// The registry figures of the dashboard that the daily counters do not hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistryFigures {
    pub codes: i64,
    pub possible_duplicates: i64,
    pub collisions: i64,
    /// Replies waiting in the outbox, and among them those whose last try failed.
    pub outbox_pending: i64,
    pub outbox_failed: i64,
}

/// Run by [`Store::cleanup_expired`] every minute.
pub(super) const DELETE_EXPIRED_CONSOLE_SESSIONS: &str =
    "DELETE FROM console_sessions WHERE expires_at <= $1";

impl Store {
    /// Records a signed-in session, by its token's digest, until `expires_at`.
    pub async fn open_console_session(
        &self,
        digest: &[u8],
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _writer = self.lock_writer_if_sqlite().await?;
        with_pool!(self, pool => sqlx::query(
            "INSERT INTO console_sessions (token_digest, created_at, expires_at)
             VALUES ($1, $2, $3)",
        )
        .bind(digest)
        .bind(now)
        .bind(expires_at)
        .execute(pool)
        .await
        .map(drop))?;
        Ok(())
    }

    /// Whether the token of this digest is a session that has not expired.
    pub async fn console_session_valid(
        &self,
        digest: &[u8],
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let found: Option<i32> = with_pool!(self, pool => sqlx::query_scalar(
            "SELECT 1 FROM console_sessions WHERE token_digest = $1 AND expires_at > $2",
        )
        .bind(digest)
        .bind(now)
        .fetch_optional(pool)
        .await)?;
        Ok(found.is_some())
    }

    /// Signs out: the session is forgotten.
    pub async fn close_console_session(&self, digest: &[u8]) -> Result<(), StoreError> {
        let _writer = self.lock_writer_if_sqlite().await?;
        with_pool!(self, pool => sqlx::query(
            "DELETE FROM console_sessions WHERE token_digest = $1",
        )
        .bind(digest)
        .execute(pool)
        .await
        .map(drop))?;
        Ok(())
    }

    /// The dashboard's registry figures, each one count.
    pub async fn registry_figures(&self) -> Result<RegistryFigures, StoreError> {
        let (codes, possible_duplicates, collisions, outbox_pending, outbox_failed): (
            i64,
            i64,
            i64,
            i64,
            i64,
        ) = with_pool!(self, pool => sqlx::query_as(
            "SELECT (SELECT CAST(COUNT(*) AS BIGINT) FROM uic_records),
                    (SELECT CAST(COUNT(*) AS BIGINT) FROM possible_duplicates),
                    (SELECT CAST(COUNT(*) AS BIGINT) FROM ciu_collisions),
                    (SELECT CAST(COUNT(*) AS BIGINT) FROM outbox),
                    (SELECT CAST(COUNT(*) AS BIGINT) FROM outbox WHERE last_error IS NOT NULL)",
        )
        .fetch_one(pool)
        .await)?;
        Ok(RegistryFigures {
            codes,
            possible_duplicates,
            collisions,
            outbox_pending,
            outbox_failed,
        })
    }
}
