//! `ciu serve`: the webhook server. It needs every setting, with production's rules.

use std::process::ExitCode;

use ciu::config::{SaltSource, Settings};
use ciu::startup::{self, Application, FlowErrors};

/// Reads the settings; on errors prints each one (variable and what to do).
fn settings() -> Option<Settings> {
    match Settings::from_env() {
        Ok(settings) => {
            if let SaltSource::DevelopmentFile { path, created } = &settings.salt_source {
                eprintln!(
                    "ATTENTION : UIC_SALT n'est pas défini. Sel de DÉVELOPPEMENT {} dans {} : les codes produits ne sont PAS valables en production. En production, générez un sel avec `ciu salt` et mettez-le dans .env (UIC_SALT=...).",
                    if *created { "créé" } else { "repris" },
                    path.display()
                );
            }
            Some(settings)
        }
        Err(errors) => {
            super::report_config_errors(&errors);
            None
        }
    }
}

/// `--check`: reads the whole configuration and the flow as `serve` does, then stops
/// before opening the database or the port.
pub fn check_only() -> ExitCode {
    let Some(settings) = settings() else {
        return ExitCode::FAILURE;
    };
    if let Err(errors) = startup::load_flow(&settings) {
        report_startup_error(&anyhow::Error::new(errors));
        return ExitCode::FAILURE;
    }
    println!(
        "Configuration du serveur complète ({}, base : {}, flux : {}).",
        format!("{:?}", settings.environment).to_lowercase(),
        settings.database_url_for_logs(),
        settings.flow_path.display()
    );
    ExitCode::SUCCESS
}

pub async fn run() -> ExitCode {
    let Some(settings) = settings() else {
        return ExitCode::FAILURE;
    };
    ciu::telemetry::init_logging(settings.log_level, settings.log_json);
    tracing::info!(
        environment = ?settings.environment,
        twilio = settings.channels.twilio,
        meta = settings.channels.meta,
        database = %settings.database_url_for_logs(),
        flow = %settings.flow_path.display(),
        "starting {} {}",
        settings.app_name,
        settings.app_version
    );
    let application = match Application::build(settings).await {
        Ok(app) => app,
        Err(e) => {
            report_startup_error(&e);
            return ExitCode::FAILURE;
        }
    };
    match application.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Erreur du serveur : {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn report_startup_error(error: &anyhow::Error) {
    if let Some(FlowErrors(diagnostics)) = error.downcast_ref::<FlowErrors>() {
        for d in diagnostics {
            eprintln!("{d}");
        }
        eprintln!("Le flux a des erreurs : le serveur ne démarre pas. Corrigez-les (ciu check) puis relancez.");
    } else {
        eprintln!("Démarrage impossible : {error:#}");
    }
}
