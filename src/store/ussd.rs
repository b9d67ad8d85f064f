//! USSD sessions (migrations/*/0007_ussd_sessions.sql): per provider session, how many
//! inputs were fed to the engine and the last screen, sealed by the caller
//! (src/service/ussd.rs). No answer is stored here in clear.

use chrono::{DateTime, Duration, Utc};

use super::{Backend, Store, StoreError};
use crate::phone::PhoneKey;

/// A USSD session's screens are only needed while it lasts (a few minutes) and for a
/// late repeat; after this the row is erased.
const USSD_SESSION_RETENTION_HOURS: i64 = 24;

/// What is kept of one USSD session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UssdSessionRow {
    /// The phone key the session belongs to.
    pub phone: PhoneKey,
    /// How many of the session's inputs the engine was already given.
    pub inputs_fed: u32,
    /// The last screen shown, sealed.
    pub screen: Vec<u8>,
}

impl Store {
    /// The session `session_id`, if it was seen.
    pub async fn ussd_session(
        &self,
        session_id: &str,
    ) -> Result<Option<UssdSessionRow>, StoreError> {
        let row: Option<(String, i64, Vec<u8>)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT phone_number, inputs_fed, screen FROM ussd_sessions WHERE session_id = $1",
        )
        .bind(session_id)
        .fetch_optional(pool)
        .await)?;
        Ok(row.map(|(phone, fed, screen)| UssdSessionRow {
            phone: PhoneKey::from_stored(phone),
            inputs_fed: u32::try_from(fed).unwrap_or(0),
            screen,
        }))
    }

    /// Records that `inputs_fed` inputs were given and `screen` (sealed) shown. A row
    /// already further along is kept: of two identical requests answered at once, the
    /// first to finish is the one remembered.
    pub async fn save_ussd_session(
        &self,
        session_id: &str,
        phone: &PhoneKey,
        inputs_fed: u32,
        screen: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _writer = self.lock_writer_if_sqlite().await?;
        with_pool!(self, pool => sqlx::query(
            "INSERT INTO ussd_sessions (session_id, phone_number, inputs_fed, screen, updated_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (session_id) DO UPDATE
                 SET inputs_fed = excluded.inputs_fed, screen = excluded.screen,
                     updated_at = excluded.updated_at
                 WHERE ussd_sessions.inputs_fed < excluded.inputs_fed
                   AND ussd_sessions.phone_number = excluded.phone_number",
        )
        .bind(session_id)
        .bind(phone.as_str())
        .bind(i64::from(inputs_fed))
        .bind(screen)
        .bind(now)
        .execute(pool)
        .await
        .map(drop))?;
        Ok(())
    }

    /// Erases USSD sessions older than a day (part of [`Store::cleanup_expired`], which
    /// holds the SQLite writer already).
    pub(super) async fn delete_old_ussd_sessions(
        &self,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let cutoff = now - Duration::hours(USSD_SESSION_RETENTION_HOURS);
        with_pool!(self, pool => sqlx::query("DELETE FROM ussd_sessions WHERE updated_at < $1")
            .bind(cutoff)
            .execute(pool)
            .await
            .map(drop))?;
        Ok(())
    }
}
