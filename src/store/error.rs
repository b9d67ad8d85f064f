use sqlx::error::DatabaseError;
use sqlx::migrate::MigrateError;
use sqlx::postgres::PgDatabaseError;
use sqlx::sqlite::SqliteError;

/// Storage failures, split by what the caller should do: `Unavailable` is worth a retry
/// later (the webhook answers 503 so the provider redelivers), the rest is a bug or a
/// broken database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database unavailable: {0}")]
    Unavailable(sqlx::Error),
    #[error("database error: {0}")]
    Query(sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(MigrateError),
    /// The URL itself is never repeated: it may hold a password.
    #[error("unsupported DATABASE_URL: expected sqlite://PATH, sqlite::memory:, postgres://... or postgresql://...")]
    UnsupportedUrl,
}

impl StoreError {
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if means_unavailable(&error) {
            StoreError::Unavailable(error)
        } else {
            StoreError::Query(error)
        }
    }
}

impl From<MigrateError> for StoreError {
    fn from(error: MigrateError) -> Self {
        match error {
            MigrateError::Execute(error) if means_unavailable(&error) => {
                StoreError::Unavailable(error)
            }
            other => StoreError::Migrate(other),
        }
    }
}

/// The database cannot be reached or is overloaded, as opposed to a query it refused.
fn means_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(error) => {
            if let Some(error) = error.try_downcast_ref::<PgDatabaseError>() {
                // 08: connection exception; 53: insufficient resources (too many
                // connections, disk full); 57P: shutdown or startup in progress;
                // 28: the login is refused and 3D000: the database is gone — on a
                // reconnect these too mean the service cannot reach its data.
                let code = error.code();
                code.starts_with("08")
                    || code.starts_with("53")
                    || code.starts_with("57P")
                    || code.starts_with("28")
                    || code == "3D000"
            } else if let Some(error) = error.try_downcast_ref::<SqliteError>() {
                let extended: i32 = error.code().and_then(|c| c.parse().ok()).unwrap_or(0);
                // BUSY/LOCKED after busy_timeout, IOERR, FULL, CANTOPEN.
                matches!(extended & 0xff, 5 | 6 | 10 | 13 | 14)
            } else {
                false
            }
        }
        _ => false,
    }
}
