//! Deduplication: a message id is claimed once; a redelivery gets the stored reply.

use chrono::{DateTime, Utc};

use super::session::{sqlite_read_session, StoredSession};
use super::{StoreTx, TxConn};
use crate::store::sqlite_writer::{self, query_first, time_text};
use crate::store::StoreError;

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

/// Parameters: message id, phone, now.
const CLAIM_MESSAGE: &str =
    "INSERT INTO processed_messages (message_id, phone_number, processed_at)
     VALUES ($1, $2, $3) ON CONFLICT (message_id) DO NOTHING";

const READ_REPLY: &str = "SELECT reply FROM processed_messages WHERE message_id = $1";

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

impl StoreTx {
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
}
