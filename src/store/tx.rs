//! The unit of work for one inbound message: deduplication, session, registration and
//! the reply, all committed together or not at all.

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::pg_conn::PgTx;
use super::sqlite_writer::{
    self, parse_time, query_first, time_text, Finished, Savepoint, WriterGuard,
};
use super::StoreError;
use crate::ciu::{CiuRequest, MAX_CANDIDATES};
use crate::phone::PhoneKey;

const INSERT_FINGERPRINT: &str =
    "INSERT INTO derivation_fingerprints (flow_id, fingerprint, first_seen_at)
     VALUES ($1, $2, $3) ON CONFLICT (flow_id, fingerprint) DO NOTHING";

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

/// Whether an inbound message is seen for the first time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    New,
    /// Already processed; `reply` is the sealed reply then given, if still kept.
    Duplicate {
        reply: Option<Vec<u8>>,
    },
}

/// Whether the message was new, its stored reply, then the session columns (all NULL
/// when the phone has no session): state, locale, updated_at, expires_at.
type ClaimRow = (
    bool,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Option<String>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

/// `conversation_sessions` columns read back: state, locale, updated_at, expires_at.
type SessionRow = (Option<Vec<u8>>, String, DateTime<Utc>, DateTime<Utc>);

/// Parameters: message id, phone, now.
const CLAIM_MESSAGE: &str =
    "INSERT INTO processed_messages (message_id, phone_number, processed_at)
     VALUES ($1, $2, $3) ON CONFLICT (message_id) DO NOTHING";

const READ_REPLY: &str = "SELECT reply FROM processed_messages WHERE message_id = $1";

const LOAD_SESSION: &str = "SELECT state, locale, updated_at, expires_at
     FROM conversation_sessions WHERE phone_number = $1";

/// PostgreSQL, where each statement is a round trip to the server: the claim, the
/// stored reply and the session in one, the insert as a data-modifying CTE. The outer
/// query does not see the row the CTE inserts (same snapshot), and sees a duplicate's
/// row because the phone lock orders this transaction after the one that processed it.
const POSTGRES_CLAIM_AND_READ: &str = "WITH claim AS (
         INSERT INTO processed_messages (message_id, phone_number, processed_at)
         VALUES ($1, $2, $3) ON CONFLICT (message_id) DO NOTHING RETURNING 1
     )
     SELECT EXISTS (SELECT 1 FROM claim), m.reply, s.state, s.locale, s.updated_at, s.expires_at
     FROM (SELECT 1) AS one
     LEFT JOIN processed_messages AS m ON m.message_id = $1
     LEFT JOIN conversation_sessions AS s ON s.phone_number = $2";

/// Parameters: phone, step, locale, state, now, expires_at.
const SAVE_SESSION: &str = "INSERT INTO conversation_sessions
         (phone_number, current_step, locale, state, created_at, updated_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $5, $6)
     ON CONFLICT (phone_number) DO UPDATE SET
         current_step = excluded.current_step,
         locale = excluded.locale,
         state = excluded.state,
         updated_at = excluded.updated_at,
         expires_at = excluded.expires_at";

/// Parameters: message id, reply.
const RECORD_REPLY: &str = "UPDATE processed_messages SET reply = $2 WHERE message_id = $1";

/// PostgreSQL: both writes in one statement. Parameters as in [`SAVE_SESSION`], then
/// message id and reply as `$7` and `$8`.
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

const RENEW_EXISTING: &str = "UPDATE uic_records
     SET request_count = request_count + 1, last_requested_at = $2
     WHERE person_key = $1
     RETURNING uic_code";

/// Parameters: code, person key, phone, flow id, flow version, fingerprint, collision
/// index, now.
const INSERT_RECORD: &str = "INSERT INTO uic_records
         (uic_code, person_key, phone_number, flow_id, flow_version,
          derivation_fingerprint, collision_index, created_at, last_requested_at,
          request_count)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, 1)
     ON CONFLICT DO NOTHING";

const RECORD_COLLISION: &str =
    "INSERT INTO ciu_collisions (flow_id, uic_code, collision_index, detected_at)
     VALUES ($1, $2, $3, $4)";

const DELETE_SESSION: &str = "DELETE FROM conversation_sessions WHERE phone_number = $1";

/// Parameters: channel, recipient (as stored), sealed phone, sealed payload, now.
const ENQUEUE_OUTBOUND: &str = "INSERT INTO outbox
         (channel, recipient, phone, payload, attempts, next_attempt_at, created_at)
     VALUES ($1, $2, $3, $4, 0, $5, $5)";

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
    /// The key of the phone that asked.
    pub phone_number: PhoneKey,
    pub flow_id: String,
    pub flow_version: i64,
    pub fingerprint: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registered {
    /// A code was issued; `collision_index` > 0 when the normal code (candidate 0)
    /// already belonged to someone else.
    New { code: String, collision_index: u32 },
    /// This person already had a code: it is given again.
    Existing { code: String },
    /// All candidates belong to other people: no code can be given (alert-worthy).
    Exhausted,
}

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

    /// Records `message_id` as processed for this phone. A redelivery (the id is known)
    /// gets back the reply stored by the first processing. Reads the session too, for
    /// [`StoreTx::load_session`].
    pub async fn claim_message(
        &mut self,
        message_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Claim, StoreError> {
        let phone = self.phone.as_str();
        let session = match &mut self.conn {
            TxConn::Sqlite(sqlite) => {
                let conn = sqlite.conn()?;
                let claimed = sqlite_writer::execute(
                    conn,
                    CLAIM_MESSAGE,
                    &[&message_id, &phone, &time_text(now)],
                )? == 1;
                if !claimed {
                    let reply =
                        query_first(conn, READ_REPLY, &[&message_id], |row| Ok(row.get(0)?))?;
                    return Ok(Claim::Duplicate {
                        reply: reply.flatten(),
                    });
                }
                sqlite_read_session(conn, phone)?
            }
            TxConn::Postgres { tx, .. } => {
                let (claimed, reply, state, locale, updated_at, expires_at): ClaimRow =
                    sqlx::query_as(POSTGRES_CLAIM_AND_READ)
                        .bind(message_id)
                        .bind(phone)
                        .bind(now)
                        .fetch_one(&mut **tx)
                        .await?;
                if !claimed {
                    return Ok(Claim::Duplicate { reply });
                }
                match (locale, updated_at, expires_at) {
                    (Some(locale), Some(updated_at), Some(expires_at)) => Some(StoredSession {
                        state,
                        locale,
                        updated_at,
                        expires_at,
                    }),
                    _ => None,
                }
            }
        };
        self.session_read = Some(session);
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
        match &mut self.conn {
            TxConn::Sqlite(sqlite) => sqlite_read_session(sqlite.conn()?, self.phone.as_str()),
            TxConn::Postgres { tx, .. } => {
                let row: Option<SessionRow> = sqlx::query_as(LOAD_SESSION)
                    .bind(self.phone.as_str())
                    .fetch_optional(&mut **tx)
                    .await?;
                Ok(
                    row.map(|(state, locale, updated_at, expires_at)| StoredSession {
                        state,
                        locale,
                        updated_at,
                        expires_at,
                    }),
                )
            }
        }
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
        match &mut self.conn {
            TxConn::Sqlite(sqlite) => {
                sqlite_writer::execute(sqlite.conn()?, DELETE_SESSION, &[&self.phone.as_str()])?;
            }
            TxConn::Postgres { tx, .. } => {
                sqlx::query(DELETE_SESSION)
                    .bind(self.phone.as_str())
                    .execute(&mut **tx)
                    .await?;
            }
        }
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
    ) -> Result<Registered, StoreError> {
        self.make_durable().await?;
        if let Some(code) = self.renew_existing(&request.person_key, now).await? {
            return Ok(Registered::Existing { code });
        }
        for (collision_index, code) in request.candidates() {
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
                return Ok(Registered::New {
                    code,
                    collision_index,
                });
            }
            // The insert hit a unique key: either this person was registered meanwhile
            // (from another phone, in a concurrent transaction that has now committed),
            // or another person holds this candidate.
            if let Some(code) = self.renew_existing(&request.person_key, now).await? {
                return Ok(Registered::Existing { code });
            }
        }
        tracing::error!(
            flow_id = %record.flow_id,
            candidates = MAX_CANDIDATES,
            "CIU candidates exhausted: every candidate code belongs to another person; no code issued (the hash is too short for this registry)"
        );
        Ok(Registered::Exhausted)
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
        self.make_durable().await?;
        match &mut self.conn {
            TxConn::Sqlite(sqlite) => {
                sqlite_writer::execute(
                    sqlite.conn()?,
                    ENQUEUE_OUTBOUND,
                    &[
                        &channel,
                        &self.phone.as_str(),
                        &phone,
                        &payload,
                        &time_text(now),
                    ],
                )?;
            }
            TxConn::Postgres { tx, .. } => {
                sqlx::query(ENQUEUE_OUTBOUND)
                    .bind(channel)
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

    /// Sends the kept session and reply, in one statement when there are both.
    async fn postgres_write_pending(&mut self) -> Result<(), StoreError> {
        let TxConn::Postgres { tx, .. } = &mut self.conn else {
            unreachable!("called for PostgreSQL only");
        };
        if let (Some(session), Some((message_id, reply))) =
            (&self.pending_session, &self.pending_reply)
        {
            sqlx::query(POSTGRES_SAVE_SESSION_AND_REPLY)
                .bind(self.phone.as_str())
                .bind(&session.current_step)
                .bind(&session.locale)
                .bind(&session.state)
                .bind(session.now)
                .bind(session.expires_at)
                .bind(message_id)
                .bind(reply)
                .execute(&mut **tx)
                .await?;
            self.pending_session = None;
            self.pending_reply = None;
            return Ok(());
        }
        self.write_pending_session().await?;
        self.write_pending_reply().await
    }

    async fn write_pending_session(&mut self) -> Result<(), StoreError> {
        let Some(session) = self.pending_session.take() else {
            return Ok(());
        };
        match &mut self.conn {
            TxConn::Sqlite(sqlite) => {
                sqlite_writer::execute(
                    sqlite.conn()?,
                    SAVE_SESSION,
                    &[
                        &self.phone.as_str(),
                        &session.current_step,
                        &session.locale,
                        &session.state,
                        &time_text(session.now),
                        &time_text(session.expires_at),
                    ],
                )?;
            }
            TxConn::Postgres { tx, .. } => {
                sqlx::query(SAVE_SESSION)
                    .bind(self.phone.as_str())
                    .bind(&session.current_step)
                    .bind(&session.locale)
                    .bind(&session.state)
                    .bind(session.now)
                    .bind(session.expires_at)
                    .execute(&mut **tx)
                    .await?;
            }
        }
        Ok(())
    }

    async fn write_pending_reply(&mut self) -> Result<(), StoreError> {
        let Some((message_id, reply)) = self.pending_reply.take() else {
            return Ok(());
        };
        match &mut self.conn {
            TxConn::Sqlite(sqlite) => {
                sqlite_writer::execute(sqlite.conn()?, RECORD_REPLY, &[&message_id, &reply])?;
            }
            TxConn::Postgres { tx, .. } => {
                sqlx::query(RECORD_REPLY)
                    .bind(&message_id)
                    .bind(&reply)
                    .execute(&mut **tx)
                    .await?;
            }
        }
        Ok(())
    }

    /// Counts a new request of a known person and returns their code.
    async fn renew_existing(
        &mut self,
        person_key: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        match &mut self.conn {
            TxConn::Sqlite(sqlite) => query_first(
                sqlite.conn()?,
                RENEW_EXISTING,
                &[&person_key, &time_text(now)],
                |row| Ok(row.get(0)?),
            ),
            TxConn::Postgres { tx, .. } => Ok(sqlx::query_scalar(RENEW_EXISTING)
                .bind(person_key)
                .bind(now)
                .fetch_optional(&mut **tx)
                .await?),
        }
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
        let collision_index = collision_index as i32;
        let inserted = match &mut self.conn {
            TxConn::Sqlite(sqlite) => sqlite_writer::execute(
                sqlite.conn()?,
                INSERT_RECORD,
                &[
                    &code,
                    &person_key,
                    &record.phone_number.as_str(),
                    &record.flow_id,
                    &record.flow_version,
                    &record.fingerprint,
                    &collision_index,
                    &time_text(now),
                ],
            )?,
            TxConn::Postgres { tx, .. } => sqlx::query(INSERT_RECORD)
                .bind(code)
                .bind(person_key)
                .bind(record.phone_number.as_str())
                .bind(&record.flow_id)
                .bind(record.flow_version)
                .bind(&record.fingerprint)
                .bind(collision_index)
                .bind(now)
                .execute(&mut **tx)
                .await?
                .rows_affected() as usize,
        };
        Ok(inserted == 1)
    }

    async fn record_collision(
        &mut self,
        code: &str,
        collision_index: u32,
        flow_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let collision_index = collision_index as i32;
        match &mut self.conn {
            TxConn::Sqlite(sqlite) => {
                sqlite_writer::execute(
                    sqlite.conn()?,
                    RECORD_COLLISION,
                    &[&flow_id, &code, &collision_index, &time_text(now)],
                )?;
            }
            TxConn::Postgres { tx, .. } => {
                sqlx::query(RECORD_COLLISION)
                    .bind(flow_id)
                    .bind(code)
                    .bind(collision_index)
                    .bind(now)
                    .execute(&mut **tx)
                    .await?;
            }
        }
        Ok(())
    }

    async fn note_fingerprint(
        &mut self,
        record: &NewRecord,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        match &mut self.conn {
            TxConn::Sqlite(sqlite) => {
                sqlite_writer::execute(
                    sqlite.conn()?,
                    INSERT_FINGERPRINT,
                    &[&record.flow_id, &record.fingerprint, &time_text(now)],
                )?;
            }
            TxConn::Postgres { tx, .. } => {
                sqlx::query(INSERT_FINGERPRINT)
                    .bind(&record.flow_id)
                    .bind(&record.fingerprint)
                    .bind(now)
                    .execute(&mut **tx)
                    .await?;
            }
        }
        Ok(())
    }
}

fn sqlite_read_session(
    conn: &Connection,
    phone: &str,
) -> Result<Option<StoredSession>, StoreError> {
    query_first(conn, LOAD_SESSION, &[&phone], |row| {
        Ok(StoredSession {
            state: row.get(0)?,
            locale: row.get(1)?,
            updated_at: parse_time(&row.get::<_, String>(2)?)?,
            expires_at: parse_time(&row.get::<_, String>(3)?)?,
        })
    })
}
