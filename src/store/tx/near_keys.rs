//! Possible duplicates found at registration: the new record's near keys (see
//! `NearKey` in src/code.rs) are looked up by the index of `uic_near_keys`, never by a
//! scan, and every earlier record sharing one becomes a pair in `possible_duplicates`.

use chrono::{DateTime, Utc};

use super::{StoreTx, TxConn};
use crate::code::NearKey;
use crate::store::sqlite_writer::{self, time_text};
use crate::store::StoreError;

/// Parameters: near key, new record id, differing step, now. (SQLite needs the `WHERE`
/// before an upsert clause on `INSERT … SELECT`; it is there.)
const PAIR_WITH_EARLIER: &str =
    "INSERT INTO possible_duplicates (record_a, record_b, differing_step, found_at)
     SELECT record_id, $2, $3, $4 FROM uic_near_keys WHERE near_key = $1
     ON CONFLICT DO NOTHING";

const INSERT_NEAR_KEY: &str = "INSERT INTO uic_near_keys (near_key, record_id) VALUES ($1, $2)";

/// The same for all of a record's keys in one PostgreSQL round trip. Both inserts see
/// the snapshot taken before the statement, so a record never pairs with itself.
const PG_RECORD_NEAR_KEYS: &str = "WITH given AS (
         SELECT * FROM UNNEST($1::bytea[], $2::text[]) AS g (near_key, step)
     ), pairs AS (
         INSERT INTO possible_duplicates (record_a, record_b, differing_step, found_at)
         SELECT n.record_id, $3, given.step, $4
         FROM given JOIN uic_near_keys n ON n.near_key = given.near_key
         ON CONFLICT DO NOTHING
         RETURNING 1
     ), keys AS (
         INSERT INTO uic_near_keys (near_key, record_id)
         SELECT near_key, $3 FROM given
     )
     SELECT CAST(COUNT(*) AS BIGINT) FROM pairs";

impl StoreTx {
    /// Stores `near_keys` for the new record `record_id` and returns how many pairs of
    /// possible duplicates they revealed.
    pub(super) async fn record_near_keys(
        &mut self,
        record_id: i64,
        near_keys: &[NearKey],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        if near_keys.is_empty() {
            return Ok(0);
        }
        match &mut self.conn {
            TxConn::Sqlite(sqlite) => {
                let connection = sqlite.conn()?;
                let now = time_text(now);
                let mut pairs = 0;
                for key in near_keys {
                    let digest: &[u8] = &key.digest;
                    pairs += sqlite_writer::execute(
                        connection,
                        PAIR_WITH_EARLIER,
                        &[&digest, &record_id, &key.step, &now],
                    )? as u64;
                    sqlite_writer::execute(connection, INSERT_NEAR_KEY, &[&digest, &record_id])?;
                }
                Ok(pairs)
            }
            TxConn::Postgres { tx, .. } => {
                let digests: Vec<&[u8]> = near_keys.iter().map(|k| &k.digest[..]).collect();
                let steps: Vec<&str> = near_keys.iter().map(|k| k.step.as_str()).collect();
                let pairs: i64 = sqlx::query_scalar(PG_RECORD_NEAR_KEYS)
                    .bind(digests)
                    .bind(steps)
                    .bind(record_id)
                    .bind(now)
                    .fetch_one(&mut **tx)
                    .await?;
                Ok(pairs as u64)
            }
        }
    }
}
