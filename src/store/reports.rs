//! What operators read out of the store besides conversations: the registry for export
//! (no phone number, no person key) and the short-lived QR images of codes.

use chrono::{DateTime, Utc};

use super::{Backend, Store, StoreError};

/// One registry row as exported: the code and its bookkeeping, nothing that identifies
/// a person or a phone.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ExportRecord {
    /// Position in the registry, to ask for the next page; not exported.
    pub id: i64,
    pub uic_code: String,
    pub created_at: DateTime<Utc>,
    pub last_requested_at: DateTime<Utc>,
    pub request_count: i64,
    pub flow_id: String,
    pub flow_version: i64,
}

/// A span of creation times: `from` included, `until` excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreatedBetween {
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

/// Every code: from 1970 to the year 9999.
impl Default for CreatedBetween {
    fn default() -> Self {
        CreatedBetween {
            from: DateTime::UNIX_EPOCH,
            until: DateTime::from_timestamp(253_402_300_799, 0).expect("9999-12-31 is a date"),
        }
    }
}

impl Store {
    /// Up to `limit` registry rows created after the row `after_id` (0 for the first
    /// page), oldest first. Paging keeps an export of a large registry in small memory
    /// without holding one long read open.
    pub async fn export_page(
        &self,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<ExportRecord>, StoreError> {
        self.export_page_between(after_id, &CreatedBetween::default(), limit)
            .await
    }

    /// [`Store::export_page`] for the codes created in `between` only.
    pub async fn export_page_between(
        &self,
        after_id: i64,
        between: &CreatedBetween,
        limit: i64,
    ) -> Result<Vec<ExportRecord>, StoreError> {
        let rows = with_pool!(self, pool => sqlx::query_as(
            "SELECT id, uic_code, created_at, last_requested_at,
                    CAST(request_count AS BIGINT) AS request_count, flow_id, flow_version
             FROM uic_records
             WHERE id > $1 AND created_at >= $2 AND created_at < $3
             ORDER BY id LIMIT $4",
        )
        .bind(after_id)
        .bind(between.from)
        .bind(between.until)
        .bind(limit)
        .fetch_all(pool)
        .await)?;
        Ok(rows)
    }

    /// Keeps a sealed code under `token` until `expires_at`. Only the token's digest is
    /// written ([`qr_token_digest`]): reading the table does not give the public address
    /// of anyone's image.
    pub async fn save_qr_code(
        &self,
        token: &str,
        code_sealed: &[u8],
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _writer = self.lock_writer_if_sqlite().await?;
        with_pool!(self, pool => sqlx::query(
            "INSERT INTO qr_codes (token_digest, code_sealed, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(&qr_token_digest(token)[..])
        .bind(code_sealed)
        .bind(expires_at)
        .execute(pool)
        .await
        .map(drop))?;
        Ok(())
    }

    /// The sealed code kept under `token`, unless it expired before `now`.
    pub async fn qr_code(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let sealed = with_pool!(self, pool => sqlx::query_scalar(
            "SELECT code_sealed FROM qr_codes WHERE token_digest = $1 AND expires_at >= $2",
        )
        .bind(&qr_token_digest(token)[..])
        .bind(now)
        .fetch_optional(pool)
        .await)?;
        Ok(sealed)
    }
}

/// What the `qr_codes` table holds instead of a token. A plain SHA-256 is enough: the
/// token is 128 random bits (see [`crate::qr`]), so there is nothing to guess.
pub fn qr_token_digest(token: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes()).into()
}

/// Part of [`Store::cleanup_expired`]: QR images past their expiry.
pub(super) const DELETE_EXPIRED_QR_CODES: &str = "DELETE FROM qr_codes WHERE expires_at < $1";
