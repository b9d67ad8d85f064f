//! `ciu derivation`: which derivations issued the codes of the registry, whether this
//! configuration (flow, spelling rules, places, salt) would issue the same codes, and,
//! with `--accept EMPREINTE`, the deployer's confirmation of a change, without which
//! `serve` refuses to start.

use std::process::ExitCode;

use ciu::code::derivation_fingerprint;
use ciu::config::{DerivationSettings, SaltSource};
use ciu::startup;
use ciu::store::{DerivationStatus, Store};

use super::FlowFiles;

pub async fn run(files: &FlowFiles, accept: Option<String>) -> ExitCode {
    let Some(flow) = super::load_flow(files) else {
        return ExitCode::FAILURE;
    };
    let settings = match DerivationSettings::from_env() {
        Ok(settings) => settings,
        Err(errors) => {
            super::report_config_errors(&errors);
            return ExitCode::FAILURE;
        }
    };
    let store = match startup::connect_store(&settings.database).await {
        Ok(store) => store,
        Err(e) => {
            eprintln!("{e:#}");
            return ExitCode::FAILURE;
        }
    };
    let current = derivation_fingerprint(&settings.salt.salt, &flow.derivation);
    if let SaltSource::DevelopmentFile { path, .. } = &settings.salt.source {
        println!(
            "(Sel de développement de {} : UIC_SALT n'est pas défini.)",
            path.display()
        );
    }
    println!("Flux « {} » ({})", flow.def.id, files.flow.display());
    println!("Empreinte de la dérivation de cette configuration : {current}");
    if !print_history(&store, &flow.def.id, &current).await {
        return ExitCode::FAILURE;
    }
    let status = match store.derivation_status(&flow.def.id, &current).await {
        Ok(status) => status,
        Err(e) => {
            eprintln!("impossible de lire les dérivations : {e}");
            return ExitCode::FAILURE;
        }
    };
    match (status, accept) {
        (DerivationStatus::NoCodes, _) => {
            println!("Aucun code émis pour ce flux : rien à confirmer, `ciu serve` démarrera.");
            ExitCode::SUCCESS
        }
        (DerivationStatus::Known, _) => {
            println!("Les codes ne changent pas : `ciu serve` démarrera.");
            ExitCode::SUCCESS
        }
        (DerivationStatus::Changed { previous }, None) => {
            eprintln!(
                "Erreur : {}",
                startup::derivation_changed(&previous, &current)
            );
            ExitCode::FAILURE
        }
        (DerivationStatus::Changed { .. }, Some(accepted)) if accepted != current => {
            eprintln!(
                "Erreur : l'empreinte confirmée ({accepted}) n'est pas celle de cette \
                 configuration ({current}) : la configuration a changé depuis que vous l'avez \
                 lue. Relancez `ciu derivation`, vérifiez, puis confirmez l'empreinte affichée."
            );
            ExitCode::FAILURE
        }
        (DerivationStatus::Changed { .. }, Some(_)) => {
            accept_change(&store, &flow.def.id, &current).await
        }
    }
}

/// Lists the derivations that issued codes; `false` when the database cannot be read.
async fn print_history(store: &Store, flow_id: &str, current: &str) -> bool {
    let history = match store.codes_per_derivation(flow_id).await {
        Ok(history) => history,
        Err(e) => {
            eprintln!("impossible de lire les codes émis : {e}");
            return false;
        }
    };
    if !history.is_empty() {
        println!("Codes déjà émis, par dérivation :");
    }
    for issued in &history {
        println!(
            "  {}  {} code(s), du {} au {}{}",
            issued.fingerprint,
            issued.codes,
            issued.first_code.format("%Y-%m-%d"),
            issued.last_code.format("%Y-%m-%d"),
            if issued.fingerprint == current {
                "  (cette configuration)"
            } else {
                ""
            }
        );
    }
    true
}

async fn accept_change(store: &Store, flow_id: &str, current: &str) -> ExitCode {
    match store
        .accept_derivation(flow_id, current, chrono::Utc::now())
        .await
    {
        Ok(()) => {
            println!(
                "Changement confirmé : les codes émis à partir de maintenant viennent de la \
                 dérivation {current} ; une personne déjà enregistrée peut recevoir un nouveau \
                 code. `ciu serve` peut démarrer."
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("impossible d'enregistrer la confirmation : {e}");
            ExitCode::FAILURE
        }
    }
}
