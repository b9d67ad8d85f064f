//! The unit of work for one inbound message: deduplication, session, registration and
//! the reply, all committed together or not at all.

mod claim;
mod near_keys;
mod registry;
mod session;

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::pg_conn::PgTx;
use super::sqlite_writer::{self, time_text, Finished, Savepoint, WriterGuard};
use super::StoreError;
use crate::channels::ChannelId;
use crate::phone::PhoneKey;
pub use claim::Claim;
pub use registry::{NewRecord, Registered};
use session::SessionWrite;
pub use session::StoredSession;

/// A transaction holding the lock of one phone. Dropped without `commit`, it rolls back.
pub struct StoreTx {
    conn: TxConn,
    phone: PhoneKey,
    /// The session row as read by `claim_message`, so `load_session` needs no query.
    session_read: Option<Option<StoredSession>>,
    /// Writes kept for `commit`, which sends them in one round trip with the others.
    pending_session: Option<SessionWrite>,
    pending_reply: Option<(String, Vec<u8>)>,
}

enum TxConn {
    Sqlite(SqliteTx),
    Postgres {
        tx: PgTx,
        /// The commit waits for the disk (see [`StoreTx::make_durable`]).
        durable: bool,
    },
}

/// A message's savepoint on the process's SQLite writer, opened with the first
/// statement (see [`sqlite_writer`] for how messages share a transaction).
struct SqliteTx {
    /// Until the message ends.
    writer: Option<WriterGuard>,
    /// The savepoint was opened and not yet closed.
    open: bool,
}

impl SqliteTx {
    /// The writer's connection, inside the message's savepoint.
    fn conn(&mut self) -> Result<&Connection, StoreError> {
        let writer = self
            .writer
            .as_mut()
            .expect("the writer is held until the message ends");
        if !self.open {
            writer.begin_message()?;
            self.open = true;
        }
        writer.connection()
    }

    fn finish(&mut self, savepoint: Savepoint) -> Option<Finished> {
        let savepoint = if self.open {
            savepoint
        } else {
            Savepoint::None
        };
        self.open = false;
        Some(self.writer.take()?.finish_message(savepoint))
    }
}

/// Dropped before commit (an error, a duplicate message, a cancelled request): the
/// message's writes are undone, those of the messages before it in the transaction
/// are kept.
impl Drop for SqliteTx {
    fn drop(&mut self) {
        self.finish(Savepoint::Undo);
    }
}

/// Parameters: channel, recipient (as stored), sealed phone, sealed payload, now.
const ENQUEUE_OUTBOUND: &str = "INSERT INTO outbox
         (channel, recipient, phone, payload, attempts, next_attempt_at, created_at)
     VALUES ($1, $2, $3, $4, 0, $5, $5)";

impl StoreTx {
    pub(super) fn sqlite(writer: WriterGuard, phone: &PhoneKey) -> Self {
        Self::new(
            TxConn::Sqlite(SqliteTx {
                writer: Some(writer),
                open: false,
            }),
            phone,
        )
    }

    pub(super) fn postgres(tx: PgTx, phone: &PhoneKey) -> Self {
        Self::new(TxConn::Postgres { tx, durable: false }, phone)
    }

    fn new(conn: TxConn, phone: &PhoneKey) -> Self {
        StoreTx {
            conn,
            phone: phone.clone(),
            session_read: None,
            pending_session: None,
            pending_reply: None,
        }
    }

    /// The key of the phone whose lock this transaction holds.
    pub fn phone(&self) -> &PhoneKey {
        &self.phone
    }

    /// Queues a message to this phone through `channel`, sent once the transaction has
    /// committed (see [`Store::claim_outbound`](super::Store::claim_outbound)). `phone`
    /// (the real number) and `payload` are sealed by the caller.
    pub async fn enqueue_outbound(
        &mut self,
        channel: ChannelId,
        phone: &[u8],
        payload: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.make_durable().await?;
        match &mut self.conn {
            TxConn::Sqlite(sqlite) => {
                sqlite_writer::execute(
                    sqlite.conn()?,
                    ENQUEUE_OUTBOUND,
                    &[
                        &channel.label(),
                        &self.phone.as_str(),
                        &phone,
                        &payload,
                        &time_text(now),
                    ],
                )?;
            }
            TxConn::Postgres { tx, .. } => {
                sqlx::query(ENQUEUE_OUTBOUND)
                    .bind(channel.label())
                    .bind(self.phone.as_str())
                    .bind(phone)
                    .bind(payload)
                    .bind(now)
                    .execute(&mut **tx)
                    .await?;
            }
        }
        Ok(())
    }

    pub async fn commit(mut self) -> Result<(), StoreError> {
        match self.conn {
            TxConn::Sqlite(_) => {
                self.write_pending_session().await?;
                self.write_pending_reply().await?;
                let TxConn::Sqlite(sqlite) = &mut self.conn else {
                    unreachable!("matched above");
                };
                let finished = sqlite.finish(Savepoint::Keep);
                drop(self);
                match finished {
                    Some(Finished::Now(committed)) => {
                        committed?;
                        // The writer is released, which woke the next message waiting
                        // for it on this thread; yielding lets that message run now,
                        // instead of after this one has rendered and sent its reply:
                        // the writer never sits idle while messages wait.
                        tokio::task::yield_now().await;
                    }
                    Some(Finished::Later(batch)) => batch.committed().await?,
                    None => unreachable!("the writer is held until the message ends"),
                }
            }
            TxConn::Postgres { .. } => {
                self.postgres_write_pending().await?;
                if let TxConn::Postgres { tx, .. } = self.conn {
                    tx.commit().await?;
                }
            }
        }
        Ok(())
    }

    /// PostgreSQL: whether this transaction's commit will wait for the disk (`None` on
    /// SQLite, where every commit is alike). For tests.
    #[doc(hidden)]
    pub async fn commit_waits_for_disk(&mut self) -> Result<Option<bool>, StoreError> {
        match &mut self.conn {
            TxConn::Sqlite(_) => Ok(None),
            TxConn::Postgres { tx, .. } => {
                let setting: String =
                    sqlx::query_scalar("SELECT current_setting('synchronous_commit')")
                        .fetch_one(&mut **tx)
                        .await?;
                Ok(Some(setting != "off"))
            }
        }
    }

    /// Makes the commit wait until it is on disk (PostgreSQL's default), for the
    /// transactions whose loss a person would notice: a code issued, a message queued.
    /// The other steps of a conversation commit without waiting for the disk: if the
    /// PostgreSQL server itself crashed (not this service), its last fraction of a
    /// second of steps could be lost, and those conversations would ask the previous
    /// question again; codes are never lost. SQLite runs in the same spirit
    /// (`synchronous = NORMAL`). Measured: +24 % messages per second (BENCHMARKS.md).
    async fn make_durable(&mut self) -> Result<(), StoreError> {
        if let TxConn::Postgres { tx, durable } = &mut self.conn {
            if !*durable {
                // The server's (or database's) setting, `on` unless made stricter.
                sqlx::query("SET LOCAL synchronous_commit TO DEFAULT")
                    .execute(&mut **tx)
                    .await?;
                *durable = true;
            }
        }
        Ok(())
    }
}
