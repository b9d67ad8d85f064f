//! Possible duplicates for the data manager, and the derivations the deployer accepted.
//! Near keys are written at registration (see `StoreTx::record_near_keys`); here they
//! are read back as pairs of codes, with no answer anywhere.

use chrono::{DateTime, Utc};

use super::{Backend, Store, StoreError};

/// Two codes whose records agree on every answer but `differing_step`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DuplicatePair {
    /// Position in the report, to ask for the next page; not shown.
    pub record_a: i64,
    pub record_b: i64,
    pub code_a: String,
    pub code_b: String,
    pub differing_step: String,
    pub created_a: DateTime<Utc>,
    pub created_b: DateTime<Utc>,
}

/// Where the report continues: the last pair of the previous page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DuplicateCursor {
    pub record_a: i64,
    pub record_b: i64,
    pub differing_step: String,
}

/// The codes one derivation issued.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DerivationCodes {
    pub fingerprint: String,
    pub codes: i64,
    pub first_code: DateTime<Utc>,
    pub last_code: DateTime<Utc>,
}

/// How the derivation of this configuration compares with the codes already issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DerivationStatus {
    /// No code issued yet for this flow: nothing to protect.
    NoCodes,
    /// The current derivation issued codes before, or the deployer accepted it.
    Known,
    /// Codes were issued under other derivations only: the same person would now get
    /// another code. `previous` is the derivation of the most recent code.
    Changed { previous: String },
}

impl Store {
    /// Up to `limit` pairs after `cursor`, in a stable order (the table's key), so a
    /// report of any size is streamed in small memory.
    pub async fn duplicates_page(
        &self,
        cursor: &DuplicateCursor,
        limit: i64,
    ) -> Result<Vec<DuplicatePair>, StoreError> {
        let rows = with_pool!(self, pool => sqlx::query_as(
            "SELECT d.record_a, d.record_b, a.uic_code AS code_a, b.uic_code AS code_b,
                    d.differing_step, a.created_at AS created_a, b.created_at AS created_b
             FROM possible_duplicates d
             JOIN uic_records a ON a.id = d.record_a
             JOIN uic_records b ON b.id = d.record_b
             WHERE (d.record_a, d.record_b, d.differing_step) > ($1, $2, $3)
             ORDER BY d.record_a, d.record_b, d.differing_step
             LIMIT $4",
        )
        .bind(cursor.record_a)
        .bind(cursor.record_b)
        .bind(&cursor.differing_step)
        .bind(limit)
        .fetch_all(pool)
        .await)?;
        Ok(rows)
    }

    /// Number of possible-duplicate pairs found so far.
    pub async fn possible_duplicate_count(&self) -> Result<i64, StoreError> {
        let count = with_pool!(self, pool => sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM possible_duplicates",
        )
        .fetch_one(pool)
        .await)?;
        Ok(count)
    }

    /// Whether `fingerprint` may issue codes for `flow_id` without the deployer's word:
    /// it issued the latest code, or the deployer accepted it after that code. Going
    /// back to an older derivation is a change too (the codes of the newer one would
    /// stop matching), so it needs a new confirmation.
    pub async fn derivation_status(
        &self,
        flow_id: &str,
        fingerprint: &str,
    ) -> Result<DerivationStatus, StoreError> {
        let Some((previous, issued_at)) = self.latest_code(flow_id).await? else {
            return Ok(DerivationStatus::NoCodes);
        };
        if previous == fingerprint {
            return Ok(DerivationStatus::Known);
        }
        let accepted: bool = with_pool!(self, pool => sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM accepted_derivations
                            WHERE flow_id = $1 AND fingerprint = $2 AND accepted_at >= $3)",
        )
        .bind(flow_id)
        .bind(fingerprint)
        .bind(issued_at)
        .fetch_one(pool)
        .await)?;
        Ok(if accepted {
            DerivationStatus::Known
        } else {
            DerivationStatus::Changed { previous }
        })
    }

    /// How many codes each derivation issued for `flow_id`, the oldest first: what
    /// `ciu derivation` shows before the deployer confirms a change.
    pub async fn codes_per_derivation(
        &self,
        flow_id: &str,
    ) -> Result<Vec<DerivationCodes>, StoreError> {
        let rows = with_pool!(self, pool => sqlx::query_as(
            "SELECT derivation_fingerprint AS fingerprint, CAST(COUNT(*) AS BIGINT) AS codes,
                    MIN(created_at) AS first_code, MAX(created_at) AS last_code
             FROM uic_records WHERE flow_id = $1
             GROUP BY derivation_fingerprint ORDER BY MIN(created_at)",
        )
        .bind(flow_id)
        .fetch_all(pool)
        .await)?;
        Ok(rows)
    }

    /// The deployer's confirmation that codes may now be issued under `fingerprint`.
    pub async fn accept_derivation(
        &self,
        flow_id: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _writer = self.lock_writer_if_sqlite().await?;
        with_pool!(self, pool => sqlx::query(
            "INSERT INTO accepted_derivations (flow_id, fingerprint, accepted_at)
             VALUES ($1, $2, $3)
             ON CONFLICT (flow_id, fingerprint) DO UPDATE SET accepted_at = excluded.accepted_at",
        )
        .bind(flow_id)
        .bind(fingerprint)
        .bind(now)
        .execute(pool)
        .await
        .map(drop))?;
        Ok(())
    }
}
