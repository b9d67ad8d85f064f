//! `ciu spell STEP ANSWER…`: what answers become for one question of the flow — the
//! normalized answer, the spelling rules that change it, the place of the gazetteer it
//! names, its canonical form and its fragment of the code — so programme staff can see
//! whether two spellings give one code before a client comes back.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ciu::flow::spelling::rules::{Anchor, Rewrite, Rule};
use ciu::flow::{self, extract::extract, CompiledStep, Flow};

use super::FlowFiles;

pub fn run(files: &FlowFiles, step_id: &str, answers: &[String]) -> ExitCode {
    let Some(flow) = super::load_flow(files) else {
        return ExitCode::FAILURE;
    };
    let Some(step) = flow.steps.iter().find(|s| s.def.id == step_id) else {
        eprintln!(
            "{} n'a pas de question « {step_id} » ; questions : {}.",
            files.flow.display(),
            flow.step_ids().join(", ")
        );
        return ExitCode::FAILURE;
    };
    match &step.def.spelling {
        Some(set) => println!("Question « {step_id} » — règles d'orthographe : {set}"),
        None => println!(
            "Question « {step_id} » — sans règles d'orthographe (ajoutez `spelling:` à la \
             question pour en utiliser) : seule la mise en forme compte."
        ),
    }
    let rules_file = spelling_file(&flow, |files| &files.rules);
    let places_file = spelling_file(&flow, |files| &files.places);
    let today = chrono::Utc::now().date_naive();
    let mut forms = Vec::new();
    for answer in answers {
        println!();
        println!("« {answer} »");
        match explain(&flow, step, answer, today, &rules_file, &places_file) {
            Some(form) => forms.push(form),
            None => return ExitCode::FAILURE,
        }
    }
    if forms.len() > 1 {
        println!();
        if forms.windows(2).all(|pair| pair[0] == pair[1]) {
            println!("Ces réponses donnent la même forme canonique : le même code.");
        } else {
            println!("Ces réponses donnent des formes différentes : des codes différents.");
        }
    }
    ExitCode::SUCCESS
}

/// Prints what one answer becomes; its canonical form, or `None` when the question
/// refuses it (the refusal is printed as the person would read it, in French).
fn explain(
    flow: &Flow,
    step: &CompiledStep,
    answer: &str,
    today: chrono::NaiveDate,
    rules_file: &Path,
    places_file: &Path,
) -> Option<String> {
    let accepted = match step.validator.check(answer, today) {
        Ok(accepted) => accepted,
        Err(rejection) => {
            let mut args = fluent_bundle::FluentArgs::new();
            for (name, value) in &rejection.args {
                args.set(*name, *value);
            }
            let custom = step.def.error.as_deref();
            let locale = &flow.def.default_locale;
            let text =
                flow.catalogs
                    .format(locale, custom.unwrap_or(rejection.message), Some(&args));
            eprintln!("  refusée par la question : {text}");
            return None;
        }
    };
    println!("  normalisée         : {}", accepted.normalized);
    let canonical = match &step.spelling {
        None => accepted.normalized.clone(),
        Some(canonicalizer) => {
            let explanation = canonicalizer.explain(&accepted.normalized);
            for rule in &explanation.fired {
                let line = rule.position.map(|p| format!(":{}", p.line));
                println!(
                    "  règle              : {} ({}{})",
                    describe(rule),
                    rules_file.display(),
                    line.unwrap_or_default()
                );
            }
            if let Some(place) = explanation.place {
                let line = place.spellings.first().and_then(|s| s.position);
                println!(
                    "  lieu du répertoire : {} ({}{})",
                    place.name,
                    places_file.display(),
                    line.map(|p| format!(":{}", p.line)).unwrap_or_default()
                );
            }
            explanation.canonical
        }
    };
    println!("  forme canonique    : {canonical}");
    println!(
        "  fragment du code   : {}",
        extract(&step.def.extract, &canonical)
    );
    Some(canonical)
}

/// A rule as staff read it: `TCH → TSH`, with where it applies.
fn describe(rule: &Rule) -> String {
    let mut text = match &rule.rewrite {
        Rewrite::Replace { from, to } if to.is_empty() => format!("{from} effacé"),
        Rewrite::Replace { from, to } => format!("{from} → {to}"),
        Rewrite::CollapseDoubles { letters } => {
            format!("lettre doublée → simple ({})", letters.letters())
        }
    };
    match rule.context.at {
        Some(Anchor::Start) => text.push_str(", en début de mot"),
        Some(Anchor::End) => text.push_str(", en fin de mot"),
        None => {}
    }
    if let Some(after) = rule.context.after {
        text.push_str(&format!(", après {}", after.letters()));
    }
    if let Some(before) = rule.context.before {
        text.push_str(&format!(", devant {}", before.letters()));
    }
    text
}

/// A spelling file of the flow, as a path beside the flow file.
fn spelling_file(
    flow: &Flow,
    name: impl Fn(&flow::definition::SpellingFilesDef) -> &String,
) -> PathBuf {
    let dir = flow.path.parent().unwrap_or(Path::new("."));
    match &flow.def.spelling {
        Some(files) => dir.join(name(files)),
        None => PathBuf::new(),
    }
}
