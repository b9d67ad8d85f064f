//! Synthetic registrations for scale measurements (`ciu bench --seed`, BENCHMARKS.md),
//! written as registration writes them (src/store/tx/registry.rs): the record (the next
//! candidate when another person holds the code, a collision row then), the derivation
//! fingerprint, the pairs found by looking up its near keys in their index, then its
//! near keys. Many records share one transaction, so a million take minutes.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, TransactionBehavior};
use sqlx::postgres::PgPool;
use std::collections::{HashMap, HashSet};

use super::sqlite_writer::time_text;
use super::{Backend, Store, StoreError};
use crate::code::CiuRequest;
use crate::phone::PhoneKey;

/// Records written in one transaction, and what they share.
pub struct SeedBatch<'a> {
    pub flow_id: &'a str,
    pub flow_version: i64,
    pub fingerprint: &'a str,
    /// The flow's step ids in order: a near key's `left_out` names the differing step.
    pub steps: &'a [String],
    pub records: Vec<SeedRecord>,
}

/// One synthetic registration.
pub struct SeedRecord {
    pub request: CiuRequest,
    pub phone_number: PhoneKey,
    pub created_at: DateTime<Utc>,
}

/// What a batch wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SeedOutcome {
    pub inserted: u64,
    /// The same answers as a record already there: registration would give that code
    /// again, so nothing is written.
    pub existing: u64,
    /// Records that got a later candidate (their normal code belonged to another).
    pub collisions: u64,
    pub pairs: u64,
}

impl std::ops::AddAssign for SeedOutcome {
    fn add_assign(&mut self, other: SeedOutcome) {
        self.inserted += other.inserted;
        self.existing += other.existing;
        self.collisions += other.collisions;
        self.pairs += other.pairs;
    }
}

const INSERT_RECORD: &str = "INSERT INTO uic_records
         (uic_code, person_key, phone_number, flow_id, flow_version,
          derivation_fingerprint, collision_index, created_at, last_requested_at,
          request_count)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, 1)
     ON CONFLICT DO NOTHING";
const PERSON_EXISTS: &str = "SELECT 1 FROM uic_records WHERE person_key = $1";
const INSERT_COLLISION: &str =
    "INSERT INTO ciu_collisions (flow_id, uic_code, collision_index, detected_at)
     VALUES ($1, $2, $3, $4)";
const INSERT_FINGERPRINT: &str =
    "INSERT INTO derivation_fingerprints (flow_id, fingerprint, first_seen_at)
     VALUES ($1, $2, $3) ON CONFLICT (flow_id, fingerprint) DO NOTHING";
const INSERT_PAIR: &str =
    "INSERT INTO possible_duplicates (record_a, record_b, differing_step, found_at)
     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING";

impl Store {
    /// After a bulk load: PostgreSQL plans from table statistics, and a table filled at
    /// once has none until autovacuum's next analyze (never when it is off). Without
    /// them the registration's near-key join (src/store/tx/near_keys.rs) was planned as
    /// a scan of every near key: measured 2026-12-03, a registry of 1,000,000 records
    /// seeded then served spent all its CPU on that scan. SQLite plans from its indexes
    /// and needs nothing.
    pub async fn refresh_statistics(&self) -> Result<(), StoreError> {
        if let Backend::Postgres { pool, .. } = &self.backend {
            sqlx::query("ANALYZE").execute(pool).await?;
        }
        Ok(())
    }

    /// Writes `batch` in one transaction; on error nothing of it is kept.
    pub async fn seed_batch(&self, batch: &SeedBatch<'_>) -> Result<SeedOutcome, StoreError> {
        let Some(first) = batch.records.first() else {
            return Ok(SeedOutcome::default());
        };
        match &self.backend {
            Backend::Sqlite { writer, .. } => {
                // The process's writer connection, so nothing else writes meanwhile; the
                // lock is released between batches for the checkpointer.
                let mut writer = writer.lock_for_pool().await?;
                let conn = writer.connection()?;
                let tx =
                    rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
                let outcome = sqlite_seed(&tx, batch)?;
                tx.execute(
                    INSERT_FINGERPRINT,
                    params![
                        batch.flow_id,
                        batch.fingerprint,
                        time_text(first.created_at)
                    ],
                )?;
                tx.commit()?;
                Ok(outcome)
            }
            Backend::Postgres { pool, .. } => postgres_seed(pool, batch, first.created_at).await,
        }
    }
}

fn sqlite_seed(conn: &Connection, batch: &SeedBatch) -> Result<SeedOutcome, StoreError> {
    let mut insert = conn.prepare_cached(INSERT_RECORD)?;
    let mut person_exists = conn.prepare_cached(PERSON_EXISTS)?;
    let mut collision = conn.prepare_cached(INSERT_COLLISION)?;
    let mut lookup =
        conn.prepare_cached("SELECT record_id FROM uic_near_keys WHERE near_key = $1")?;
    let mut pair = conn.prepare_cached(INSERT_PAIR)?;
    let mut near_key =
        conn.prepare_cached("INSERT INTO uic_near_keys (near_key, record_id) VALUES ($1, $2)")?;
    let mut outcome = SeedOutcome::default();
    for record in &batch.records {
        let created_at = time_text(record.created_at);
        let request = &record.request;
        let mut id = None;
        for (n, code) in request.candidates() {
            let inserted = insert.execute(params![
                code,
                request.person_key,
                record.phone_number.as_str(),
                batch.flow_id,
                batch.flow_version,
                batch.fingerprint,
                n as i32,
                created_at
            ])?;
            if inserted == 1 {
                id = Some(conn.last_insert_rowid());
                if n > 0 {
                    collision.execute(params![batch.flow_id, code, n as i32, created_at])?;
                    outcome.collisions += 1;
                }
                break;
            }
            if person_exists.exists(params![request.person_key])? {
                break;
            }
        }
        let Some(id) = id else {
            outcome.existing += 1;
            continue;
        };
        outcome.inserted += 1;
        for key in &request.near_keys {
            let earlier: Vec<i64> = lookup
                .query_map(params![&key.digest[..]], |row| row.get(0))?
                .collect::<Result<_, _>>()?;
            for other in earlier {
                outcome.pairs +=
                    pair.execute(params![other, id, batch.steps[key.left_out], created_at])? as u64;
            }
        }
        for key in &request.near_keys {
            near_key.execute(params![&key.digest[..], id])?;
        }
    }
    Ok(outcome)
}

async fn postgres_seed(
    pool: &PgPool,
    batch: &SeedBatch<'_>,
    first_at: DateTime<Utc>,
) -> Result<SeedOutcome, StoreError> {
    let mut tx = pool.begin().await?;
    let mut outcome = SeedOutcome::default();
    let ids = pg_insert_records(&mut tx, batch, &mut outcome).await?;
    let mut digests = Vec::new();
    let mut owners = Vec::new();
    for (record, id) in batch.records.iter().zip(&ids) {
        let Some(id) = id else { continue };
        for key in &record.request.near_keys {
            digests.push(key.digest.to_vec());
            owners.push(*id);
        }
    }
    sqlx::query(
        "INSERT INTO uic_near_keys (near_key, record_id)
         SELECT * FROM UNNEST($1::bytea[], $2::bigint[])",
    )
    .bind(&digests)
    .bind(&owners)
    .execute(&mut *tx)
    .await?;
    // Every record holding one of these keys, by the index; those before a record are
    // what its registration would have found.
    let holders: Vec<(Vec<u8>, i64)> =
        sqlx::query_as("SELECT near_key, record_id FROM uic_near_keys WHERE near_key = ANY($1)")
            .bind(&digests)
            .fetch_all(&mut *tx)
            .await?;
    let mut by_key: HashMap<Vec<u8>, Vec<i64>> = HashMap::new();
    for (key, id) in holders {
        by_key.entry(key).or_default().push(id);
    }
    let (mut record_a, mut record_b, mut steps, mut found_at) = (vec![], vec![], vec![], vec![]);
    for (record, id) in batch.records.iter().zip(&ids) {
        let Some(id) = *id else { continue };
        for key in &record.request.near_keys {
            for &other in by_key.get(&key.digest[..]).into_iter().flatten() {
                if other < id {
                    record_a.push(other);
                    record_b.push(id);
                    steps.push(batch.steps[key.left_out].as_str());
                    found_at.push(record.created_at);
                }
            }
        }
    }
    outcome.pairs = sqlx::query(
        "INSERT INTO possible_duplicates (record_a, record_b, differing_step, found_at)
         SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::timestamptz[])
         ON CONFLICT DO NOTHING",
    )
    .bind(&record_a)
    .bind(&record_b)
    .bind(&steps)
    .bind(&found_at)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query(INSERT_FINGERPRINT)
        .bind(batch.flow_id)
        .bind(batch.fingerprint)
        .bind(first_at)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Inserts the records, trying each one's next candidate ([`CiuRequest::candidates`])
/// while its code is taken by another person; returns each record's id (`None`: that
/// person is already there).
async fn pg_insert_records(
    tx: &mut sqlx::PgConnection,
    batch: &SeedBatch<'_>,
    outcome: &mut SeedOutcome,
) -> Result<Vec<Option<i64>>, StoreError> {
    let mut ids = vec![None; batch.records.len()];
    let mut candidates: Vec<_> = batch
        .records
        .iter()
        .map(|r| r.request.candidates())
        .collect();
    // The same person twice in a batch: the second is a renewal, not a record.
    let mut seen = HashSet::new();
    let mut pending: Vec<usize> = (0..batch.records.len())
        .filter(|&i| seen.insert(batch.records[i].request.person_key.as_str()))
        .collect();
    loop {
        // One insert for the next candidate of every record still without a code.
        let round: Vec<Candidate> = pending
            .iter()
            .filter_map(|&i| {
                let (index, code) = candidates[i].next()?;
                Some(Candidate {
                    record: i,
                    index,
                    code,
                })
            })
            .collect();
        if round.is_empty() {
            break;
        }
        let inserted = pg_insert_round(tx, batch, &round).await?;
        let mut refused = Vec::new();
        for candidate in &round {
            let record = &batch.records[candidate.record];
            match inserted.get(&record.request.person_key) {
                Some(&id) => {
                    ids[candidate.record] = Some(id);
                    if candidate.index > 0 {
                        sqlx::query(INSERT_COLLISION)
                            .bind(batch.flow_id)
                            .bind(&candidate.code)
                            .bind(candidate.index as i32)
                            .bind(record.created_at)
                            .execute(&mut *tx)
                            .await?;
                        outcome.collisions += 1;
                    }
                }
                None => refused.push(candidate.record),
            }
        }
        let refused_keys: Vec<&str> = refused
            .iter()
            .map(|&i| batch.records[i].request.person_key.as_str())
            .collect();
        let registered: HashSet<String> =
            sqlx::query_scalar("SELECT person_key FROM uic_records WHERE person_key = ANY($1)")
                .bind(&refused_keys)
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .collect();
        pending = refused
            .into_iter()
            .filter(|&i| !registered.contains(&batch.records[i].request.person_key))
            .collect();
    }
    outcome.inserted = ids.iter().flatten().count() as u64;
    outcome.existing = batch.records.len() as u64 - outcome.inserted;
    Ok(ids)
}

/// A record's candidate code number `index`.
struct Candidate {
    record: usize,
    index: u32,
    code: String,
}

/// Inserts one candidate per record; returns the ids of those inserted by person key
/// (the others hit a unique key: their code or their person is taken).
async fn pg_insert_round(
    tx: &mut sqlx::PgConnection,
    batch: &SeedBatch<'_>,
    round: &[Candidate],
) -> Result<HashMap<String, i64>, StoreError> {
    let records: Vec<&SeedRecord> = round.iter().map(|c| &batch.records[c.record]).collect();
    let codes: Vec<&str> = round.iter().map(|c| c.code.as_str()).collect();
    let indexes: Vec<i32> = round.iter().map(|c| c.index as i32).collect();
    let keys: Vec<&str> = records
        .iter()
        .map(|r| r.request.person_key.as_str())
        .collect();
    let phones: Vec<&str> = records.iter().map(|r| r.phone_number.as_str()).collect();
    let times: Vec<DateTime<Utc>> = records.iter().map(|r| r.created_at).collect();
    let inserted: Vec<(i64, String)> = sqlx::query_as(
        "INSERT INTO uic_records
             (uic_code, person_key, phone_number, flow_id, flow_version,
              derivation_fingerprint, collision_index, created_at, last_requested_at,
              request_count)
         SELECT code, person_key, phone, $6, $7, $8, collision_index, created_at, created_at, 1
         FROM UNNEST($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::int[])
              WITH ORDINALITY AS r (code, person_key, phone, created_at, collision_index, ord)
         ORDER BY ord
         ON CONFLICT DO NOTHING
         RETURNING id, person_key",
    )
    .bind(&codes)
    .bind(&keys)
    .bind(&phones)
    .bind(&times)
    .bind(&indexes)
    .bind(batch.flow_id)
    .bind(batch.flow_version)
    .bind(batch.fingerprint)
    .fetch_all(&mut *tx)
    .await?;
    Ok(inserted.into_iter().map(|(id, k)| (k, id)).collect())
}
