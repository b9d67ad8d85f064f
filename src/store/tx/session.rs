//! The conversation of one phone: read once, written at commit together with the reply
//! kept for redeliveries.

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::{StoreTx, TxConn};
use crate::store::sqlite_writer::{self, parse_time, query_first, time_text};
use crate::store::StoreError;

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

/// A `save_session` not yet sent to the database.
pub(super) struct SessionWrite {
    current_step: String,
    locale: String,
    state: Vec<u8>,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
}

/// `conversation_sessions` columns read back: state, locale, updated_at, expires_at.
type SessionRow = (Option<Vec<u8>>, String, DateTime<Utc>, DateTime<Utc>);

const LOAD_SESSION: &str = "SELECT state, locale, updated_at, expires_at
     FROM conversation_sessions WHERE phone_number = $1";

/// The upsert of a session, written once for [`SAVE_SESSION`] and
/// [`POSTGRES_SAVE_SESSION_AND_REPLY`].
macro_rules! upsert_session_sql {
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

/// Parameters: phone, step, locale, state, now, expires_at.
const SAVE_SESSION: &str = upsert_session_sql!();

/// Parameters: message id, reply.
const RECORD_REPLY: &str = "UPDATE processed_messages SET reply = $2 WHERE message_id = $1";

/// PostgreSQL: both writes in one statement. Parameters as in [`SAVE_SESSION`], then
/// message id and reply as `$7` and `$8`.
const POSTGRES_SAVE_SESSION_AND_REPLY: &str = concat!(
    "WITH saved AS (",
    upsert_session_sql!(),
    " RETURNING 1)
     UPDATE processed_messages SET reply = $8 WHERE message_id = $7"
);

const DELETE_SESSION: &str = "DELETE FROM conversation_sessions WHERE phone_number = $1";

impl StoreTx {
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

    /// Sends the kept session and reply, in one statement when there are both.
    pub(super) async fn postgres_write_pending(&mut self) -> Result<(), StoreError> {
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

    pub(super) async fn write_pending_session(&mut self) -> Result<(), StoreError> {
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

    pub(super) async fn write_pending_reply(&mut self) -> Result<(), StoreError> {
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
}

pub(super) fn sqlite_read_session(
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
