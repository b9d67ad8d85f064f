//! `ciu export`: the registry as CSV, with no phone number and no personal data.

use std::path::PathBuf;
use std::process::ExitCode;

use ciu::reports;

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
    let outcome = super::write_report(output.as_deref(), async |mut out| {
        reports::write_csv(&store, &mut out).await
    })
    .await;
    match outcome {
        None => ExitCode::FAILURE,
        Some(Ok(count)) => {
            if let Some(path) = &output {
                eprintln!("{count} CIU exportés dans {}", path.display());
            }
            ExitCode::SUCCESS
        }
        Some(Err(e)) => {
            eprintln!("Échec de l'export : {e}");
            ExitCode::FAILURE
        }
    }
}
