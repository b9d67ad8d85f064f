//! `ciu check`: checks the flow and every catalog; with the salt (and the database) at
//! hand, also whether the codes would change. It needs no secret.

use std::process::ExitCode;

use std::path::Path;

use ciu::code::derivation_fingerprint;
use ciu::config::{DerivationSettings, DEV_SALT_FILE};
use ciu::flow;
use ciu::startup;
use ciu::store::{DerivationStatus, Store};

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
            for line in flow::load::sms::sms_report(f) {
                println!("{line}");
            }
            if compare_derivation(f) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
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

/// Says whether this flow would give the same codes as the ones already issued, with
/// the salt and database `serve` would use (the development ones too). Nothing is
/// created to find out; `false` when the codes would change (`serve` would refuse to
/// start).
fn compare_derivation(flow: &flow::Flow) -> bool {
    let has_salt = std::env::var_os("UIC_SALT").is_some() || Path::new(DEV_SALT_FILE).exists();
    if !has_salt {
        println!("(Ni UIC_SALT ni {DEV_SALT_FILE} : aucun code n'a pu être émis avec ce sel, rien à comparer.)");
        return true;
    }
    let settings = match DerivationSettings::from_env() {
        Ok(settings) => settings,
        Err(errors) => {
            for error in &errors.0 {
                eprintln!("{error}");
            }
            eprintln!("(L'empreinte de la dérivation n'a pas été comparée aux codes déjà émis.)");
            return true;
        }
    };
    let fingerprint = derivation_fingerprint(&settings.salt.salt, &flow.derivation);
    println!("Empreinte de la dérivation des codes : {fingerprint}");
    let url = settings.database.url.expose();
    // Never create a database just to look into it.
    if let Some(path) = url.strip_prefix("sqlite://") {
        let path = path.split('?').next().unwrap_or(path);
        if !Path::new(path).exists() {
            println!("(La base {path} n'existe pas encore : aucun code émis à comparer.)");
            return true;
        }
    }
    let status = run_async_value(async {
        let store = Store::connect(url).await?;
        store.derivation_status(&flow.def.id, &fingerprint).await
    });
    match status {
        Some(Ok(DerivationStatus::Changed { previous })) => {
            eprintln!(
                "erreur : {} (base : {})",
                startup::derivation_changed(&previous, &fingerprint),
                settings.database.url_for_logs()
            );
            eprintln!("1 erreur : `ciu serve` refusera de démarrer tant qu'elle n'est pas réglée.");
            return false;
        }
        Some(Ok(DerivationStatus::Known)) => {
            println!("Identique à celle des codes déjà émis : les codes ne changent pas.")
        }
        Some(Ok(DerivationStatus::NoCodes)) => println!("(Aucun code encore émis dans la base.)"),
        Some(Err(e)) => {
            eprintln!("Base de données non consultée ({e}) : l'empreinte n'a pas été comparée.")
        }
        None => eprintln!("Base de données non consultée : l'empreinte n'a pas été comparée."),
    }
    true
}

fn run_async_value<T>(task: impl std::future::Future<Output = T>) -> Option<T> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    Some(runtime.block_on(task))
}
