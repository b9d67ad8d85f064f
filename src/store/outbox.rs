//! The outbox: replies to send through a provider's API, queued by [`StoreTx::enqueue_outbound`]
//! in the transaction of the message they answer and sent by a background worker.
//!
//! A worker *claims* due rows by pushing their next attempt one lease ahead, then sends
//! without holding a transaction (an HTTP call must never hold SQLite's only write lock).
//! A worker that dies mid-send leaves its rows to come due again when the lease ends, so a
//! message is sent at least once. Only the oldest row of each recipient can be claimed:
//! one person's messages leave one at a time, in order.
//!
//! [`StoreTx::enqueue_outbound`]: super::StoreTx::enqueue_outbound

use chrono::{DateTime, Utc};

use super::{Backend, Store, StoreError};
use crate::channels::ChannelId;

/// A claimed message; `phone` and `payload` are sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRow {
    pub id: i64,
    pub phone: Vec<u8>,
    pub payload: Vec<u8>,
    /// Failed attempts so far.
    pub attempts: u32,
    pub created_at: DateTime<Utc>,
}

type RawRow = (i64, Vec<u8>, Vec<u8>, i32, DateTime<Utc>);

/// `{lock}` is empty on SQLite (one writer at a time) and `FOR UPDATE SKIP LOCKED` on
/// PostgreSQL, so that several server processes never claim the same row.
macro_rules! claim_sql {
    ($lock:literal) => {
        concat!(
            "UPDATE outbox SET next_attempt_at = $3
             WHERE id IN (
                 SELECT o.id FROM outbox o
                 WHERE o.channel = $1 AND o.next_attempt_at <= $2
                   AND NOT EXISTS (
                       SELECT 1 FROM outbox earlier
                       WHERE earlier.channel = o.channel
                         AND earlier.recipient = o.recipient
                         AND earlier.id < o.id)
                 ORDER BY o.id
                 LIMIT $4 ",
            $lock,
            ")
             RETURNING id, phone, payload, attempts, created_at"
        )
    };
}

impl Store {
    /// Claims up to `limit` messages of `channel` due at `now`, at most one per
    /// recipient, until `lease_until`; oldest first.
    pub async fn claim_outbound(
        &self,
        channel: ChannelId,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<OutboundRow>, StoreError> {
        let rows: Vec<RawRow> = match &self.backend {
            Backend::Sqlite { pool, writer, .. } => {
                let _writer = writer.lock_for_pool().await?;
                sqlx::query_as(claim_sql!(""))
                    .bind(channel.label())
                    .bind(now)
                    .bind(lease_until)
                    .bind(i64::from(limit))
                    .fetch_all(pool)
                    .await?
            }
            Backend::Postgres { pool, .. } => {
                sqlx::query_as(claim_sql!("FOR UPDATE SKIP LOCKED"))
                    .bind(channel.label())
                    .bind(now)
                    .bind(lease_until)
                    .bind(i64::from(limit))
                    .fetch_all(pool)
                    .await?
            }
        };
        let mut rows: Vec<OutboundRow> = rows
            .into_iter()
            .map(|(id, phone, payload, attempts, created_at)| OutboundRow {
                id,
                phone,
                payload,
                attempts: u32::try_from(attempts).unwrap_or(0),
                created_at,
            })
            .collect();
        rows.sort_by_key(|row| row.id);
        Ok(rows)
    }

    /// Forgets a message: delivered, refused for good, or given up.
    pub async fn delete_outbound(&self, id: i64) -> Result<(), StoreError> {
        let _writer = self.lock_writer_if_sqlite().await?;
        with_pool!(self, pool => sqlx::query("DELETE FROM outbox WHERE id = $1")
            .bind(id)
            .execute(pool)
            .await
            .map(drop))?;
        Ok(())
    }

    /// Records a failed attempt; the message comes due again at `next_attempt_at`.
    /// `last_error` must hold no phone number and no message text.
    pub async fn retry_outbound_later(
        &self,
        id: i64,
        attempts: u32,
        next_attempt_at: DateTime<Utc>,
        last_error: &str,
    ) -> Result<(), StoreError> {
        let _writer = self.lock_writer_if_sqlite().await?;
        with_pool!(self, pool => sqlx::query(
            "UPDATE outbox SET attempts = $2, next_attempt_at = $3, last_error = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(i32::try_from(attempts).unwrap_or(i32::MAX))
        .bind(next_attempt_at)
        .bind(last_error)
        .execute(pool)
        .await
        .map(drop))?;
        Ok(())
    }

    /// Messages still waiting to be sent, on every channel.
    pub async fn outbox_pending(&self) -> Result<i64, StoreError> {
        let count = with_pool!(self, pool => sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
            .fetch_one(pool)
            .await)?;
        Ok(count)
    }

    /// When the earliest message of `channel` that can be claimed comes due (the oldest
    /// of each recipient: a later one waits for it), if any is waiting.
    pub async fn next_outbound_due(
        &self,
        channel: ChannelId,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let due = with_pool!(self, pool => sqlx::query_scalar(
            "SELECT MIN(o.next_attempt_at) FROM outbox o
             WHERE o.channel = $1
               AND NOT EXISTS (
                   SELECT 1 FROM outbox earlier
                   WHERE earlier.channel = o.channel
                     AND earlier.recipient = o.recipient
                     AND earlier.id < o.id)",
        )
        .bind(channel.label())
        .fetch_one(pool)
        .await)?;
        Ok(due)
    }
}
