//! `ciu cleanup`: erases expired conversations now (the server does it every minute).

use std::process::ExitCode;

pub async fn run() -> ExitCode {
    let Some(store) = super::open_store().await else {
        return ExitCode::FAILURE;
    };
    match store.cleanup_expired(chrono::Utc::now()).await {
        Ok(n) => {
            println!("{{\"status\":\"success\",\"sessions_cleaned\":{n}}}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
