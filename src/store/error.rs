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
    Unavailable(Cause),
    #[error("database error: {0}")]
    Query(Cause),
    #[error("database migration failed: {0}")]
    Migrate(MigrateError),
    /// The URL itself is never repeated: it may hold a password.
    #[error(
        "unsupported DATABASE_URL: expected sqlite://PATH, postgres://... or postgresql://..."
    )]
    UnsupportedUrl,
    /// An in-memory SQLite database forgets every code at each restart.
    #[error("sqlite::memory: is not supported: codes must survive a restart; use a file, e.g. sqlite://ciu.db")]
    InMemoryUnsupported,
}

/// The driver's error (sqlx, or rusqlite for the SQLite writer).
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

impl StoreError {
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if means_unavailable(&error) {
            StoreError::Unavailable(error.into())
        } else {
            StoreError::Query(error.into())
        }
    }
}

impl From<MigrateError> for StoreError {
    fn from(error: MigrateError) -> Self {
        match error {
            MigrateError::Execute(error) if means_unavailable(&error) => {
                StoreError::Unavailable(error.into())
            }
            other => StoreError::Migrate(other),
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        let unavailable = match &error {
            rusqlite::Error::SqliteFailure(failure, _) => {
                sqlite_code_means_unavailable(failure.extended_code)
            }
            _ => false,
        };
        if unavailable {
            StoreError::Unavailable(error.into())
        } else {
            StoreError::Query(error.into())
        }
    }
}

/// BUSY/LOCKED after busy_timeout, IOERR, FULL, CANTOPEN (primary result codes).
fn sqlite_code_means_unavailable(extended: i32) -> bool {
    matches!(extended & 0xff, 5 | 6 | 10 | 13 | 14)
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
                sqlite_code_means_unavailable(extended)
            } else {
                false
            }
        }
        _ => false,
    }
}
