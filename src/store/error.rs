use sqlx::error::DatabaseError;
use sqlx::migrate::MigrateError;
use sqlx::postgres::PgDatabaseError;
use sqlx::sqlite::SqliteError;

/// Storage failures, split by what the caller should do: `Unavailable` is worth a retry
/// later (the webhook answers 503 so the provider redelivers), the rest is a bug or a
/// broken database. The messages are the operator's (`ciu migrate`, `ciu serve` at
/// startup, the logs' `error` field): in French, the driver's own words kept as detail.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("base de données injoignable ou surchargée : {}", detail(.0))]
    Unavailable(Cause),
    #[error("la base de données a refusé l'opération : {}", detail(.0))]
    Query(Cause),
    #[error("échec de la migration de la base de données : {}", migration_detail(.0))]
    Migrate(MigrateError),
    /// The URL itself is never repeated: it may hold a password.
    #[error(
        "DATABASE_URL non reconnue : elle doit commencer par sqlite:// (ex. sqlite://ciu.db), postgres:// ou postgresql://"
    )]
    UnsupportedUrl,
    /// An in-memory SQLite database forgets every code at each restart.
    #[error("sqlite::memory: n'est pas accepté : les codes doivent survivre à un redémarrage ; utilisez un fichier, ex. sqlite://ciu.db")]
    InMemoryUnsupported,
}

/// The driver's error, in French when it is one an operator commonly meets; otherwise
/// its own (English) words, marked as such.
fn detail(cause: &Cause) -> String {
    match cause.downcast_ref::<sqlx::Error>() {
        Some(sqlx::Error::PoolTimedOut) => "aucune connexion n'a abouti dans le délai (le serveur est-il démarré, l'adresse et le port de DATABASE_URL sont-ils justes ?)".to_owned(),
        Some(sqlx::Error::PoolClosed) => "les connexions sont fermées (arrêt du service en cours)".to_owned(),
        Some(sqlx::Error::Io(e)) => format!("erreur réseau ou disque (message du pilote : {e})"),
        _ => format!("message du pilote : {cause}"),
    }
}

/// What went wrong with the migrations, for the operator.
fn migration_detail(error: &MigrateError) -> String {
    match error {
        MigrateError::ExecuteMigration(e, version) => {
            format!("la migration {version} a échoué (message du pilote : {e})")
        }
        MigrateError::VersionMissing(version) => format!("la base a déjà la migration {version}, que ce programme ne connaît pas : elle a été créée par une version plus récente de ciu"),
        MigrateError::VersionMismatch(version) => format!("la migration {version}, déjà appliquée, a été modifiée depuis : remettez le dossier migrations/ de la version installée"),
        MigrateError::Dirty(version) => format!("la migration {version} a été interrompue : la base est dans un état partiel, à réparer à la main"),
        other => format!("message du pilote : {other}"),
    }
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
