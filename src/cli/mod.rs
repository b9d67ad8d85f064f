//! The subcommands of `ciu`, one file each; `main.rs` parses the command line and calls
//! one of them. Operator messages are in French.

pub mod bench;
pub mod check;
pub mod cleanup;
pub mod derivation;
pub mod duplicates;
pub mod export;
pub mod migrate;
pub mod salt;
pub mod serve;
pub mod simulate;
pub mod spell;
pub mod stats;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ciu::config::{ConfigErrors, DatabaseSettings};
use ciu::private_file::{self, IfExists};
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

/// The flow of `files`, ready to run; `None` after printing each of its errors.
pub fn load_flow(files: &FlowFiles) -> Option<ciu::flow::Flow> {
    match ciu::flow::load(&files.flow, &files.locales) {
        Ok(loaded) => Some(loaded.flow),
        Err(diagnostics) => {
            for d in &diagnostics {
                eprintln!("{d}");
            }
            eprintln!("Le flux a des erreurs : corrigez-les (ciu check) d'abord.");
            None
        }
    }
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

/// Runs `write` on the standard output, or on `path`: a file only its owner can read
/// (reports list the programme's clients' codes), removed if writing fails so a
/// half-written report never passes for a complete one. `None` when the file cannot be
/// created (said on stderr).
pub async fn write_report<T, E>(
    path: Option<&Path>,
    write: impl AsyncFnOnce(&mut dyn Write) -> Result<T, E>,
) -> Option<Result<T, E>> {
    let Some(path) = path else {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        return Some(write(&mut out).await);
    };
    let file = match private_file::create(path, IfExists::Replace) {
        Ok(file) => file,
        Err(e) => {
            eprintln!("impossible de créer {} : {e}", path.display());
            return None;
        }
    };
    let written = write(&mut std::io::BufWriter::new(file)).await;
    if written.is_err() {
        let _ = std::fs::remove_file(path);
    }
    Some(written)
}
