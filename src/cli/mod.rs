//! The subcommands of `ciu`, one file each; `main.rs` parses the command line and calls
//! one of them. Operator messages are in French.

pub mod bench;
pub mod check;
pub mod cleanup;
pub mod export;
pub mod migrate;
pub mod salt;
pub mod serve;
pub mod simulate;
pub mod stats;

use std::path::PathBuf;
use std::process::ExitCode;

use ciu::config::{ConfigErrors, DatabaseSettings};
use ciu::startup;
use ciu::store::Store;

#[derive(clap::Args, Clone)]
pub struct FlowFiles {
    /// Fichier de flux.
    #[arg(long, env = "FLOW_PATH", default_value = "flows/ciu.yaml")]
    pub flow: PathBuf,
    /// Dossier des catalogues de messages (un sous-dossier par langue).
    #[arg(long, env = "LOCALES_DIR", default_value = "locales")]
    pub locales: PathBuf,
}

/// Runs `task` on a multi-threaded runtime (the server and the database commands).
pub fn run_async(task: impl std::future::Future<Output = ExitCode>) -> ExitCode {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(task),
        Err(e) => {
            eprintln!("impossible de démarrer l'exécution asynchrone : {e}");
            ExitCode::FAILURE
        }
    }
}

/// Prints each configuration problem (variable, `.env` line, what to do).
pub fn report_config_errors(errors: &ConfigErrors) {
    for error in &errors.0 {
        eprintln!("{error}");
    }
    eprintln!("Corrigez le fichier .env (voir .env.example) puis relancez.");
}

/// The database settings; on errors prints each one.
pub fn database_settings() -> Option<DatabaseSettings> {
    DatabaseSettings::from_env()
        .map_err(|errors| report_config_errors(&errors))
        .ok()
}

/// The configured database, migrated; errors are printed (variable, or connection).
pub async fn open_store() -> Option<Store> {
    let database = database_settings()?;
    match startup::connect_store(&database).await {
        Ok(store) => Some(store),
        Err(e) => {
            eprintln!("{e:#}");
            None
        }
    }
}
