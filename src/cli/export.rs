//! `ciu export`: the registry as CSV, with no phone number and no personal data.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ciu::private_file::{self, IfExists};
use ciu::reports;
use ciu::store::Store;

#[derive(clap::ValueEnum, Clone, Copy)]
pub enum ExportFormat {
    /// uic_code, created_at, last_requested_at, request_count, flow_id, flow_version
    Csv,
}

pub async fn run(format: ExportFormat, output: Option<PathBuf>) -> ExitCode {
    // `--format` names the format so others can be added; CSV is the one there is.
    let ExportFormat::Csv = format;
    let Some(store) = super::open_store().await else {
        return ExitCode::FAILURE;
    };
    let outcome = match &output {
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            reports::write_csv(&store, &mut out).await
        }
        Some(path) => match write_file(&store, path).await {
            Some(written) => written,
            None => return ExitCode::FAILURE,
        },
    };
    match outcome {
        Ok(count) => {
            if let Some(path) = &output {
                eprintln!("{count} CIU exportés dans {}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("Échec de l'export : {e}");
            ExitCode::FAILURE
        }
    }
}

/// Writes the export to a file only its owner can read (it lists the programme's
/// clients' codes); `None` when the file cannot be created (said on stderr).
async fn write_file(store: &Store, path: &Path) -> Option<Result<u64, reports::ExportError>> {
    let file = match private_file::create(path, IfExists::Replace) {
        Ok(file) => file,
        Err(e) => {
            eprintln!("impossible de créer {} : {e}", path.display());
            return None;
        }
    };
    let written = reports::write_csv(store, &mut std::io::BufWriter::new(file)).await;
    if written.is_err() {
        // A half-written export must not pass for a complete one.
        let _ = std::fs::remove_file(path);
    }
    Some(written)
}
