//! The unit of work for one inbound message: deduplication, session, registration and
//! the reply, all committed together or not at all.

use chrono::{DateTime, Utc};
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
    // Declared before `_writer` so that, on drop, the rollback is issued before the
    // next writer may start.
    conn: TxConn,
    _writer: Option<OwnedMutexGuard<()>>,
    phone: String,
}

enum TxConn {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Runs the same sqlx expression on the transaction's connection, whatever the backend.
macro_rules! with_conn {
    ($tx:expr, $conn:ident => $body:expr) => {
        match &mut $tx.conn {
            TxConn::Sqlite(transaction) => {
                let $conn = &mut **transaction;
                $body
            }
            TxConn::Postgres(transaction) => {
                let $conn = &mut **transaction;
                $body
            }
        }
    };
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
    pub(super) fn sqlite(
        tx: Transaction<'static, Sqlite>,
        writer: OwnedMutexGuard<()>,
        phone: &str,
    ) -> Self {
        StoreTx {
            conn: TxConn::Sqlite(tx),
            _writer: Some(writer),
            phone: phone.to_owned(),
        }
    }

    pub(super) fn postgres(tx: Transaction<'static, Postgres>, phone: &str) -> Self {
        StoreTx {
            conn: TxConn::Postgres(tx),
            _writer: None,
            phone: phone.to_owned(),
        }
    }

    /// Records `message_id` as processed for this phone. A redelivery (the id is known)
    /// gets back the reply stored by the first processing.
    pub async fn claim_message(
        &mut self,
        message_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Claim, StoreError> {
        let inserted = with_conn!(self, conn => sqlx::query(
            "INSERT INTO processed_messages (message_id, phone_number, processed_at)
             VALUES ($1, $2, $3) ON CONFLICT (message_id) DO NOTHING",
        )
        .bind(message_id)
        .bind(&self.phone)
        .bind(now)
        .execute(conn)
        .await
        .map(|done| done.rows_affected() == 1))?;
        if inserted {
            return Ok(Claim::New);
        }
        let reply = with_conn!(self, conn => sqlx::query_scalar(
            "SELECT reply FROM processed_messages WHERE message_id = $1",
        )
        .bind(message_id)
        .fetch_one(conn)
        .await)?;
        Ok(Claim::Duplicate { reply })
    }

    /// Keeps the (sealed) reply to `message_id` for redeliveries.
    pub async fn record_reply(&mut self, message_id: &str, reply: &[u8]) -> Result<(), StoreError> {
        with_conn!(self, conn => sqlx::query(
            "UPDATE processed_messages SET reply = $2 WHERE message_id = $1",
        )
        .bind(message_id)
        .bind(reply)
        .execute(conn)
        .await
        .map(drop))?;
        Ok(())
    }

    /// The saved session of this phone, expired or not: the caller decides what an
    /// expired one means (cleanup removes them later).
    pub async fn load_session(&mut self) -> Result<Option<StoredSession>, StoreError> {
        let row: Option<SessionRow> = with_conn!(self, conn => sqlx::query_as(
            "SELECT state, locale, updated_at, expires_at FROM conversation_sessions
             WHERE phone_number = $1",
        )
        .bind(&self.phone)
        .fetch_optional(conn)
        .await)?;
        Ok(
            row.map(|(state, locale, updated_at, expires_at)| StoredSession {
                state,
                locale,
                updated_at,
                expires_at,
            }),
        )
    }

    /// Creates or replaces the session of this phone. `current_step` is a step name
    /// (never an answer); `locale` the person's language; `state` is sealed.
    pub async fn save_session(
        &mut self,
        current_step: &str,
        locale: &str,
        state: &[u8],
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        with_conn!(self, conn => sqlx::query(
            "INSERT INTO conversation_sessions
                 (phone_number, current_step, locale, state, created_at, updated_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $5, $6)
             ON CONFLICT (phone_number) DO UPDATE SET
                 current_step = excluded.current_step,
                 locale = excluded.locale,
                 state = excluded.state,
                 updated_at = excluded.updated_at,
                 expires_at = excluded.expires_at",
        )
        .bind(&self.phone)
        .bind(current_step)
        .bind(locale)
        .bind(state)
        .bind(now)
        .bind(expires_at)
        .execute(conn)
        .await
        .map(drop))?;
        Ok(())
    }

    pub async fn delete_session(&mut self) -> Result<(), StoreError> {
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
        match self.conn {
            TxConn::Sqlite(tx) => tx.commit().await?,
            TxConn::Postgres(tx) => tx.commit().await?,
        }
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
