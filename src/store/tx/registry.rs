//! The CIU registry inside a message's transaction: a person's code, never given to two
//! people.

use chrono::{DateTime, Utc};

use super::{StoreTx, TxConn};
use crate::channels::ChannelId;
use crate::code::{CiuRequest, MAX_CANDIDATES};
use crate::phone::PhoneKey;
use crate::store::sqlite_writer::{self, query_first, time_text};
use crate::store::StoreError;

const INSERT_FINGERPRINT: &str =
    "INSERT INTO derivation_fingerprints (flow_id, fingerprint, first_seen_at)
     VALUES ($1, $2, $3) ON CONFLICT (flow_id, fingerprint) DO NOTHING";

/// What is stored with a new code besides the code and the person key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecord {
    /// The key of the phone that asked.
    pub phone_number: PhoneKey,
    pub flow_id: String,
    pub flow_version: i64,
    pub fingerprint: String,
}

/// What [`StoreTx::register`] did for one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registered {
    /// A code was issued; `collision_index` > 0 when the normal code (candidate 0)
    /// already belonged to someone else.
    New {
        code: String,
        collision_index: u32,
        /// Earlier records that agree with this one on every answer but one.
        possible_duplicates: u64,
    },
    /// This person already had a code: it is given again.
    Existing { code: String },
    /// All candidates belong to other people: no code can be given (alert-worthy).
    Exhausted,
}

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
     ON CONFLICT DO NOTHING
     RETURNING id";

/// Parameters: channel label, code (migrations/*/0008_record_channel.sql). The first
/// channel stays.
const NOTE_CHANNEL: &str =
    "UPDATE uic_records SET channel = $1 WHERE uic_code = $2 AND channel IS NULL";

const RECORD_COLLISION: &str =
    "INSERT INTO ciu_collisions (flow_id, uic_code, collision_index, detected_at)
     VALUES ($1, $2, $3, $4)";

impl StoreTx {
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
            if let Some(record_id) = self
                .insert_record(&code, collision_index, &request.person_key, record, now)
                .await?
            {
                self.note_fingerprint(record, now).await?;
                let possible_duplicates = self
                    .record_near_keys(record_id, &request.near_keys, now)
                    .await?;
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
                    possible_duplicates,
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

    /// The new record's id, or `None` when the code or the person key is already taken.
    async fn insert_record(
        &mut self,
        code: &str,
        collision_index: u32,
        person_key: &str,
        record: &NewRecord,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        let collision_index = collision_index as i32;
        match &mut self.conn {
            TxConn::Sqlite(sqlite) => query_first(
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
                |row| Ok(row.get(0)?),
            ),
            TxConn::Postgres { tx, .. } => Ok(sqlx::query_scalar(INSERT_RECORD)
                .bind(code)
                .bind(person_key)
                .bind(record.phone_number.as_str())
                .bind(&record.flow_id)
                .bind(record.flow_version)
                .bind(&record.fingerprint)
                .bind(collision_index)
                .bind(now)
                .fetch_optional(&mut **tx)
                .await?),
        }
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

    /// Records which channel a code was first given on (`ciu stats`, codes per channel);
    /// a code already given keeps its channel.
    pub async fn note_channel(&mut self, code: &str, channel: ChannelId) -> Result<(), StoreError> {
        let (sql, label) = (NOTE_CHANNEL, channel.label());
        match &mut self.conn {
            TxConn::Sqlite(sqlite) => {
                sqlite_writer::execute(sqlite.conn()?, sql, &[&label, &code])?;
            }
            TxConn::Postgres { tx, .. } => {
                sqlx::query(sql)
                    .bind(label)
                    .bind(code)
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
