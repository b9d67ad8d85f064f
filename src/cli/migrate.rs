//! `ciu migrate`: creates or updates the tables (the guide's `init_db`). It needs only
//! the database settings, so it runs before the channels' secrets are filled in.

use std::process::ExitCode;

use ciu::startup;

pub async fn run() -> ExitCode {
    let Some(database) = super::database_settings() else {
        return ExitCode::FAILURE;
    };
    match startup::connect_store(&database).await {
        Ok(store) => {
            println!("Tables de base de données créées avec succès !");
            println!(
                "Base de données ({}) : {}",
                store.backend_name(),
                database.url_for_logs()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("Échec de la migration : {e:#}");
            ExitCode::FAILURE
        }
    }
}
