//! The unit of work for one inbound message: deduplication, session, registration and
//! the reply, all committed together or not at all.

use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::{Postgres, Sqlite, Transaction};
use tokio::sync::OwnedMutexGuard;

use super::StoreError;
use crate::ciu::CiuRequest;

/// How many candidate codes are tried for one person before giving up.
pub const MAX_CANDIDATES: u32 = 16;

const INSERT_FINGERPRINT: &str =
    "INSERT INTO derivation_fingerprints (flow_id, fingerprint, first_seen_at)
     VALUES ($1, $2, $3) ON CONFLICT (flow_id, fingerprint) DO NOTHING";

/// A transaction holding the lock of one phone. Dropped without `commit`, it rolls back.
pub struct StoreTx {
    conn: TxConn,
    phone: String,
    /// The session row as read by `claim_message`, so `load_session` needs no query.
    session_read: Option<Option<StoredSession>>,
    /// Writes kept for `commit`, which sends them in one round trip with the others.
    pending_session: Option<SessionWrite>,
    pending_reply: Option<(String, Vec<u8>)>,
}

/// A `save_session` not yet sent to the database.
struct SessionWrite {
    current_step: String,
    locale: String,
    state: Vec<u8>,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
}

enum TxConn {
    Sqlite(SqliteTx),
    Postgres(Transaction<'static, Postgres>),
}

/// A SQLite transaction opened and closed by hand, so that `BEGIN IMMEDIATE` travels
/// with the first statement and `COMMIT` with the last: each round trip is a hand-off
/// to sqlx's worker thread, the main cost of a message.
struct SqliteTx {
    /// The process's writer lock and its connection (always there until dropped).
    writer: Option<OwnedMutexGuard<Option<PoolConnection<Sqlite>>>>,
    /// Whether the connection stays with the lock afterwards, or goes back to the pool.
    keep_connection: bool,
    /// `BEGIN IMMEDIATE` was sent and no `COMMIT` yet.
    open: bool,
}

impl SqliteTx {
    fn conn(&mut self) -> &mut sqlx::SqliteConnection {
        self.writer
            .as_mut()
            .and_then(|writer| writer.as_mut())
            .expect("the writer's connection is kept until drop")
    }
}

/// Dropped while open (an error, a duplicate message, a cancelled request): rolls back
/// in the background, keeping the writer lock until then so the next transaction never
/// meets this one's. A connection that cannot roll back is closed (SQLite then rolls
/// back), never reused in a transaction.
impl Drop for SqliteTx {
    fn drop(&mut self) {
        let Some(mut writer) = self.writer.take() else {
            return;
        };
        let keep_connection = self.keep_connection;
        if !self.open {
            if !keep_connection {
                writer.take();
            }
            return;
        }
        tokio::spawn(async move {
            let rolled_back = match writer.as_mut() {
                Some(conn) => sqlx::query("ROLLBACK").execute(&mut **conn).await.is_ok(),
                None => true,
            };
            if !rolled_back || !keep_connection {
                if let Some(mut conn) = writer.take() {
                    if !rolled_back {
                        conn.close_on_drop();
                    }
                }
            }
        });
    }
}

/// Runs the same sqlx expression on the transaction's connection, whatever the backend.
macro_rules! with_conn {
    ($tx:expr, $conn:ident => $body:expr) => {{
        $tx.open_sqlite_transaction().await?;
        match &mut $tx.conn {
            TxConn::Sqlite(sqlite) => {
                let $conn = sqlite.conn();
                $body
            }
            TxConn::Postgres(transaction) => {
                let $conn = &mut **transaction;
                $body
            }
        }
    }};
}

/// Whether an inbound message is seen for the first time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    New,
    /// Already processed; `reply` is the sealed reply then given, if still kept.
    Duplicate {
        reply: Option<Vec<u8>>,
    },
}

/// `conversation_sessions` columns read back: state, locale, updated_at, expires_at.
type SessionRow = (Option<Vec<u8>>, String, DateTime<Utc>, DateTime<Utc>);

/// Whether the message was new, its stored reply, then the session columns (all NULL
/// when the phone has no session).
type ClaimRow = (
    bool,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Option<String>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

// Each message costs a few statements in a transaction that holds a lock; every round
// trip saved is throughput (on SQLite each one is a hand-off to sqlx's worker thread).
// So the claim is sent with the read of the session, and the session with the reply:
// the only two statements here written once per dialect.

/// SQLite: two statements in one round trip; `changes()` tells whether the insert
/// happened.
macro_rules! sqlite_claim_and_read {
    () => {
        "INSERT INTO processed_messages (message_id, phone_number, processed_at)
         VALUES ($1, $2, $3) ON CONFLICT (message_id) DO NOTHING;
         SELECT changes() = 1, m.reply, s.state, s.locale, s.updated_at, s.expires_at
         FROM (SELECT 1) AS one
         LEFT JOIN processed_messages AS m ON m.message_id = $1
         LEFT JOIN conversation_sessions AS s ON s.phone_number = $2"
    };
}
const SQLITE_CLAIM_AND_READ: &str = sqlite_claim_and_read!();
const SQLITE_BEGIN_CLAIM_AND_READ: &str = concat!("BEGIN IMMEDIATE;", sqlite_claim_and_read!());

macro_rules! load_session {
    () => {
        "SELECT state, locale, updated_at, expires_at FROM conversation_sessions
         WHERE phone_number = $1"
    };
}
const LOAD_SESSION: &str = load_session!();
const SQLITE_BEGIN_LOAD_SESSION: &str = concat!("BEGIN IMMEDIATE;", load_session!());

/// PostgreSQL: the insert as a data-modifying CTE. The outer query does not see the
/// row the CTE inserts (same snapshot), and sees a duplicate's row because the phone
/// lock orders this transaction after the one that processed it.
const POSTGRES_CLAIM_AND_READ: &str = "WITH claim AS (
         INSERT INTO processed_messages (message_id, phone_number, processed_at)
         VALUES ($1, $2, $3) ON CONFLICT (message_id) DO NOTHING RETURNING 1
     )
     SELECT EXISTS (SELECT 1 FROM claim), m.reply, s.state, s.locale, s.updated_at, s.expires_at
     FROM (SELECT 1) AS one
     LEFT JOIN processed_messages AS m ON m.message_id = $1
     LEFT JOIN conversation_sessions AS s ON s.phone_number = $2";

/// Parameters: phone, step, locale, state, now, expires_at.
macro_rules! save_session {
    () => {
        "INSERT INTO conversation_sessions
             (phone_number, current_step, locale, state, created_at, updated_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $5, $6)
         ON CONFLICT (phone_number) DO UPDATE SET
             current_step = excluded.current_step,
             locale = excluded.locale,
             state = excluded.state,
             updated_at = excluded.updated_at,
             expires_at = excluded.expires_at"
    };
}
const SAVE_SESSION: &str = save_session!();

/// Parameters: message id, reply.
const RECORD_REPLY: &str = "UPDATE processed_messages SET reply = $2 WHERE message_id = $1";

/// SQLite's last round trip: the kept writes and `COMMIT`. Parameters as in
/// [`SAVE_SESSION`], then message id and reply as `$7` and `$8`.
macro_rules! sqlite_record_reply {
    () => {
        "UPDATE processed_messages SET reply = $8 WHERE message_id = $7;"
    };
}
const SQLITE_SAVE_SESSION_REPLY_COMMIT: &str =
    concat!(save_session!(), ";", sqlite_record_reply!(), "COMMIT");
const SQLITE_SAVE_SESSION_COMMIT: &str = concat!(save_session!(), ";COMMIT");
const SQLITE_RECORD_REPLY_COMMIT: &str = concat!(sqlite_record_reply!(), "COMMIT");

/// PostgreSQL: both writes in one statement. Parameters as for SQLite.
const POSTGRES_SAVE_SESSION_AND_REPLY: &str = "WITH saved AS (
         INSERT INTO conversation_sessions
             (phone_number, current_step, locale, state, created_at, updated_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $5, $6)
         ON CONFLICT (phone_number) DO UPDATE SET
             current_step = excluded.current_step,
             locale = excluded.locale,
             state = excluded.state,
             updated_at = excluded.updated_at,
             expires_at = excluded.expires_at
         RETURNING 1
     )
     UPDATE processed_messages SET reply = $8 WHERE message_id = $7";

/// A saved conversation; `state` is sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    /// `None` once cleanup erased an expired conversation: only its language is left,
    /// so the next message can say politely that it expired.
    pub state: Option<Vec<u8>>,
    pub locale: String,
    pub updated_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What is stored with a new code besides the code and the person key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecord {
    /// The phone number as stored: hashed or plain, decided by the caller.
    pub phone_number: String,
    pub flow_id: String,
    pub flow_version: i64,
    pub fingerprint: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registration {
    /// A code was issued; `collision_index` > 0 when the normal code (candidate 0)
    /// already belonged to someone else.
    New { code: String, collision_index: u32 },
    /// This person already had a code: it is given again.
    Existing { code: String },
    /// All candidates belong to other people: no code can be given (alert-worthy).
    Exhausted,
}

impl StoreTx {
    /// `writer` holds a connection that is not in a transaction: the first statement
    /// opens one.
    pub(super) fn sqlite(
        writer: OwnedMutexGuard<Option<PoolConnection<Sqlite>>>,
        keep_connection: bool,
        phone: &str,
    ) -> Self {
        StoreTx {
            conn: TxConn::Sqlite(SqliteTx {
                writer: Some(writer),
                keep_connection,
                open: false,
            }),
            phone: phone.to_owned(),
            session_read: None,
            pending_session: None,
            pending_reply: None,
        }
    }

    pub(super) fn postgres(tx: Transaction<'static, Postgres>, phone: &str) -> Self {
        StoreTx {
            conn: TxConn::Postgres(tx),
            phone: phone.to_owned(),
            session_read: None,
            pending_session: None,
            pending_reply: None,
        }
    }

    /// Records `message_id` as processed for this phone. A redelivery (the id is known)
    /// gets back the reply stored by the first processing. Reads the session too, for
    /// [`StoreTx::load_session`].
    pub async fn claim_message(
        &mut self,
        message_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Claim, StoreError> {
        let phone = &self.phone;
        let (claimed, reply, state, locale, updated_at, expires_at): ClaimRow = match &mut self.conn
        {
            TxConn::Sqlite(sqlite) => {
                let sql = if sqlite.open {
                    SQLITE_CLAIM_AND_READ
                } else {
                    SQLITE_BEGIN_CLAIM_AND_READ
                };
                sqlite.open = true;
                sqlx::query_as(sql)
                    .bind(message_id)
                    .bind(phone)
                    .bind(now)
                    .fetch_one(sqlite.conn())
                    .await?
            }
            TxConn::Postgres(tx) => {
                sqlx::query_as(POSTGRES_CLAIM_AND_READ)
                    .bind(message_id)
                    .bind(phone)
                    .bind(now)
                    .fetch_one(&mut **tx)
                    .await?
            }
        };
        if !claimed {
            return Ok(Claim::Duplicate { reply });
        }
        self.session_read = Some(match (locale, updated_at, expires_at) {
            (Some(locale), Some(updated_at), Some(expires_at)) => Some(StoredSession {
                state,
                locale,
                updated_at,
                expires_at,
            }),
            _ => None,
        });
        Ok(Claim::New)
    }

    /// Keeps the (sealed) reply to `message_id` for redeliveries (written at commit).
    pub async fn record_reply(&mut self, message_id: &str, reply: &[u8]) -> Result<(), StoreError> {
        self.pending_reply = Some((message_id.to_owned(), reply.to_vec()));
        Ok(())
    }

    /// The saved session of this phone, expired or not: the caller decides what an
    /// expired one means (cleanup removes them later).
    pub async fn load_session(&mut self) -> Result<Option<StoredSession>, StoreError> {
        if let Some(write) = &self.pending_session {
            return Ok(Some(StoredSession {
                state: Some(write.state.clone()),
                locale: write.locale.clone(),
                updated_at: write.now,
                expires_at: write.expires_at,
            }));
        }
        if let Some(read) = &self.session_read {
            return Ok(read.clone());
        }
        let phone = &self.phone;
        let row: Option<SessionRow> = match &mut self.conn {
            TxConn::Sqlite(sqlite) => {
                let sql = if sqlite.open {
                    LOAD_SESSION
                } else {
                    SQLITE_BEGIN_LOAD_SESSION
                };
                sqlite.open = true;
                sqlx::query_as(sql)
                    .bind(phone)
                    .fetch_optional(sqlite.conn())
                    .await?
            }
            TxConn::Postgres(tx) => {
                sqlx::query_as(LOAD_SESSION)
                    .bind(phone)
                    .fetch_optional(&mut **tx)
                    .await?
            }
        };
        Ok(
            row.map(|(state, locale, updated_at, expires_at)| StoredSession {
                state,
                locale,
                updated_at,
                expires_at,
            }),
        )
    }

    /// Creates or replaces the session of this phone (written at commit). `current_step`
    /// is a step name (never an answer); `locale` the person's language; `state` is
    /// sealed.
    pub async fn save_session(
        &mut self,
        current_step: &str,
        locale: &str,
        state: &[u8],
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        // A second save in one transaction: the first must still set `created_at`.
        self.write_pending_session().await?;
        self.pending_session = Some(SessionWrite {
            current_step: current_step.to_owned(),
            locale: locale.to_owned(),
            state: state.to_vec(),
            expires_at,
            now,
        });
        Ok(())
    }

    pub async fn delete_session(&mut self) -> Result<(), StoreError> {
        self.pending_session = None;
        self.session_read = Some(None);
        with_conn!(self, conn => sqlx::query(
            "DELETE FROM conversation_sessions WHERE phone_number = $1",
        )
        .bind(&self.phone)
        .execute(conn)
        .await
        .map(drop))?;
        Ok(())
    }

    /// Gives this person their code. The same person always gets the same code (from any
    /// phone); a code is never given to two people: when candidate `n` belongs to
    /// someone else, candidate `n + 1` is tried, which keeps the result deterministic
    /// for a given registry. Unique-key conflicts are expected here, never errors.
    pub async fn register(
        &mut self,
        request: &CiuRequest,
        record: &NewRecord,
        now: DateTime<Utc>,
    ) -> Result<Registration, StoreError> {
        if let Some(code) = self.renew_existing(&request.person_key, now).await? {
            return Ok(Registration::Existing { code });
        }
        for collision_index in 0..MAX_CANDIDATES {
            let code = request.candidate(collision_index);
            if self
                .insert_record(&code, collision_index, &request.person_key, record, now)
                .await?
            {
                self.note_fingerprint(record, now).await?;
                if collision_index > 0 {
                    self.record_collision(&code, collision_index, &record.flow_id, now)
                        .await?;
                    tracing::warn!(
                        flow_id = %record.flow_id,
                        collision_index,
                        "CIU collision: the normal code belongs to another person, issued an alternative candidate"
                    );
                }
                return Ok(Registration::New {
                    code,
                    collision_index,
                });
            }
            // The insert hit a unique key: either this person was registered meanwhile
            // (from another phone, in a concurrent transaction that has now committed),
            // or another person holds this candidate.
            if let Some(code) = self.renew_existing(&request.person_key, now).await? {
                return Ok(Registration::Existing { code });
            }
        }
        tracing::error!(
            flow_id = %record.flow_id,
            candidates = MAX_CANDIDATES,
            "CIU candidates exhausted: every candidate code belongs to another person; no code issued (the hash is too short for this registry)"
        );
        Ok(Registration::Exhausted)
    }

    /// Queues a message to this phone through `channel`, sent once the transaction has
    /// committed (see [`Store::claim_outbound`](super::Store::claim_outbound)). `phone`
    /// (the real number) and `payload` are sealed by the caller.
    pub async fn enqueue_outbound(
        &mut self,
        channel: &str,
        phone: &[u8],
        payload: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        with_conn!(self, conn => sqlx::query(
            "INSERT INTO outbox (channel, recipient, phone, payload, attempts, next_attempt_at, created_at)
             VALUES ($1, $2, $3, $4, 0, $5, $5)",
        )
        .bind(channel)
        .bind(&self.phone)
        .bind(phone)
        .bind(payload)
        .bind(now)
        .execute(conn)
        .await
        .map(drop))?;
        Ok(())
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        let mut tx = self;
        match &mut tx.conn {
            TxConn::Sqlite(_) => tx.sqlite_write_pending_and_commit().await,
            TxConn::Postgres(_) => {
                tx.postgres_write_pending().await?;
                if let TxConn::Postgres(transaction) = tx.conn {
                    transaction.commit().await?;
                }
                Ok(())
            }
        }
    }

    /// Sends `BEGIN IMMEDIATE` unless the transaction is open (or on PostgreSQL).
    async fn open_sqlite_transaction(&mut self) -> Result<(), StoreError> {
        if let TxConn::Sqlite(sqlite) = &mut self.conn {
            if !sqlite.open {
                sqlite.open = true;
                sqlx::query("BEGIN IMMEDIATE")
                    .execute(sqlite.conn())
                    .await?;
            }
        }
        Ok(())
    }

    /// The kept session and reply, then `COMMIT`, in one round trip.
    async fn sqlite_write_pending_and_commit(&mut self) -> Result<(), StoreError> {
        let (session, reply) = (self.pending_session.take(), self.pending_reply.take());
        let sql = match (&session, &reply) {
            (Some(_), Some(_)) => SQLITE_SAVE_SESSION_REPLY_COMMIT,
            (Some(_), None) => SQLITE_SAVE_SESSION_COMMIT,
            (None, Some(_)) => SQLITE_RECORD_REPLY_COMMIT,
            (None, None) => "COMMIT",
        };
        let TxConn::Sqlite(sqlite) = &mut self.conn else {
            unreachable!("called for SQLite only");
        };
        if !sqlite.open && session.is_none() && reply.is_none() {
            // Nothing was read or written: there is no transaction to commit.
            return Ok(());
        }
        self.open_sqlite_transaction().await?;
        let TxConn::Sqlite(sqlite) = &mut self.conn else {
            unreachable!("called for SQLite only");
        };
        let (message_id, reply) = reply.unzip();
        sqlx::query(sql)
            .bind(&self.phone)
            .bind(session.as_ref().map(|s| s.current_step.as_str()))
            .bind(session.as_ref().map(|s| s.locale.as_str()))
            .bind(session.as_ref().map(|s| s.state.as_slice()))
            .bind(session.as_ref().map(|s| s.now))
            .bind(session.as_ref().map(|s| s.expires_at))
            .bind(message_id)
            .bind(reply)
            .execute(sqlite.conn())
            .await?;
        sqlite.open = false;
        Ok(())
    }

    /// Sends the kept session and reply, in one statement when there are both.
    async fn postgres_write_pending(&mut self) -> Result<(), StoreError> {
        match (self.pending_session.take(), self.pending_reply.take()) {
            (Some(session), Some((message_id, reply))) => {
                with_conn!(self, conn => sqlx::query(POSTGRES_SAVE_SESSION_AND_REPLY)
                    .bind(&self.phone)
                    .bind(&session.current_step)
                    .bind(&session.locale)
                    .bind(&session.state)
                    .bind(session.now)
                    .bind(session.expires_at)
                    .bind(&message_id)
                    .bind(&reply)
                    .execute(conn)
                    .await
                    .map(drop))?;
            }
            (session, reply) => {
                self.pending_session = session;
                self.write_pending_session().await?;
                if let Some((message_id, reply)) = reply {
                    with_conn!(self, conn => sqlx::query(RECORD_REPLY)
                        .bind(&message_id)
                        .bind(&reply)
                        .execute(conn)
                        .await
                        .map(drop))?;
                }
            }
        }
        Ok(())
    }

    async fn write_pending_session(&mut self) -> Result<(), StoreError> {
        let Some(session) = self.pending_session.take() else {
            return Ok(());
        };
        with_conn!(self, conn => sqlx::query(SAVE_SESSION)
            .bind(&self.phone)
            .bind(&session.current_step)
            .bind(&session.locale)
            .bind(&session.state)
            .bind(session.now)
            .bind(session.expires_at)
            .execute(conn)
            .await
            .map(drop))?;
        Ok(())
    }

    /// Counts a new request of a known person and returns their code.
    async fn renew_existing(
        &mut self,
        person_key: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        let code = with_conn!(self, conn => sqlx::query_scalar(
            "UPDATE uic_records
             SET request_count = request_count + 1, last_requested_at = $2
             WHERE person_key = $1
             RETURNING uic_code",
        )
        .bind(person_key)
        .bind(now)
        .fetch_optional(conn)
        .await)?;
        Ok(code)
    }

    /// `false` when the code or the person key is already taken.
    async fn insert_record(
        &mut self,
        code: &str,
        collision_index: u32,
        person_key: &str,
        record: &NewRecord,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let inserted = with_conn!(self, conn => sqlx::query(
            "INSERT INTO uic_records
                 (uic_code, person_key, phone_number, flow_id, flow_version,
                  derivation_fingerprint, collision_index, created_at, last_requested_at,
                  request_count)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, 1)
             ON CONFLICT DO NOTHING",
        )
        .bind(code)
        .bind(person_key)
        .bind(&record.phone_number)
        .bind(&record.flow_id)
        .bind(record.flow_version)
        .bind(&record.fingerprint)
        .bind(collision_index as i32)
        .bind(now)
        .execute(conn)
        .await
        .map(|done| done.rows_affected() == 1))?;
        Ok(inserted)
    }

    async fn record_collision(
        &mut self,
        code: &str,
        collision_index: u32,
        flow_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        with_conn!(self, conn => sqlx::query(
            "INSERT INTO ciu_collisions (flow_id, uic_code, collision_index, detected_at)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(flow_id)
        .bind(code)
        .bind(collision_index as i32)
        .bind(now)
        .execute(conn)
        .await
        .map(drop))?;
        Ok(())
    }

    async fn note_fingerprint(
        &mut self,
        record: &NewRecord,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        with_conn!(self, conn => sqlx::query(INSERT_FINGERPRINT)
            .bind(&record.flow_id)
            .bind(&record.fingerprint)
            .bind(now)
            .execute(conn)
            .await
            .map(drop))?;
        Ok(())
    }
}
