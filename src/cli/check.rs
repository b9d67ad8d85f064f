//! `ciu check`: checks the flow and every catalog; with the salt (and the database) at
//! hand, also whether the codes would change. It needs no secret.

use std::process::ExitCode;

use ciu::ciu::Salt;
use ciu::flow;
use ciu::startup;

use super::FlowFiles;

pub fn run(files: &FlowFiles) -> ExitCode {
    match flow::load(&files.flow, &files.locales) {
        Ok(loaded) => {
            for warning in &loaded.warnings {
                eprintln!("{warning}");
            }
            let f = &loaded.flow;
            println!(
                "OK : {} — {} questions, langues : {}{}.",
                files.flow.display(),
                f.steps.len(),
                f.def.locales.join(", "),
                if loaded.warnings.is_empty() {
                    String::new()
                } else {
                    format!(" ({} avertissement(s))", loaded.warnings.len())
                }
            );
            compare_derivation(f);
            ExitCode::SUCCESS
        }
        Err(diagnostics) => {
            for d in &diagnostics {
                eprintln!("{d}");
            }
            let errors = diagnostics.iter().filter(|d| d.is_error()).count();
            eprintln!("{errors} erreur(s) : corrigez-les puis relancez `ciu check`.");
            ExitCode::FAILURE
        }
    }
}

/// With the salt (and the database) at hand, says whether this flow would give the
/// same codes as the ones already issued. `main` has exported `.env`, so both are read
/// from the environment; nothing is required.
fn compare_derivation(flow: &flow::Flow) {
    let salt = match std::env::var("UIC_SALT") {
        Err(_) => {
            println!("(UIC_SALT non défini : l'empreinte de la dérivation n'est pas comparée aux codes déjà émis.)");
            return;
        }
        Ok(value) => match Salt::new(&value) {
            Ok(salt) => salt,
            Err(e) => {
                eprintln!("UIC_SALT invalide, empreinte non calculée : {e}");
                return;
            }
        },
    };
    let fingerprint = ciu::ciu::derivation_fingerprint(&salt, &flow.derivation);
    println!("Empreinte de la dérivation des codes : {fingerprint}");
    let Ok(url) = std::env::var("DATABASE_URL") else {
        println!("(DATABASE_URL non défini : pas de comparaison avec les codes déjà émis.)");
        return;
    };
    // Never create a database just to look into it.
    if let Some(path) = url.strip_prefix("sqlite://") {
        if !std::path::Path::new(path).exists() {
            println!("(La base {path} n'existe pas encore : aucun code émis à comparer.)");
            return;
        }
    }
    let previous = run_async_value(async {
        let store = ciu::store::Store::connect(&url).await?;
        store.latest_fingerprint(&flow.def.id).await
    });
    match previous {
        Some(Ok(Some(previous))) if previous != fingerprint => {
            eprintln!(
                "{} (base : {previous}, ce flux : {fingerprint})",
                startup::DERIVATION_CHANGED
            );
        }
        Some(Ok(Some(_))) => {
            println!("Identique à celle du dernier code enregistré : les codes ne changent pas.")
        }
        Some(Ok(None)) => println!("(Aucun code encore émis dans la base.)"),
        Some(Err(e)) => {
            eprintln!("Base de données non consultée ({e}) : l'empreinte n'a pas été comparée.")
        }
        None => eprintln!("Base de données non consultée : l'empreinte n'a pas été comparée."),
    }
}

fn run_async_value<T>(task: impl std::future::Future<Output = T>) -> Option<T> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    Some(runtime.block_on(task))
}
