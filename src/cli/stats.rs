//! `ciu stats`: the guide's monthly figures.

use std::process::ExitCode;

use ciu::reports;

pub async fn run(json: bool) -> ExitCode {
    let Some(store) = super::open_store().await else {
        return ExitCode::FAILURE;
    };
    match store.stats(chrono::Utc::now()).await {
        Ok(stats) if json => {
            println!("{}", reports::stats_json(&stats));
            ExitCode::SUCCESS
        }
        Ok(stats) => {
            print!("{}", reports::stats_text(&stats, store.backend_name()));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
