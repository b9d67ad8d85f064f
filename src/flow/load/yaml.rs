//! Parser errors (serde and the YAML scanner) turned into French sentences, at the
//! place where the file goes wrong.
use std::path::Path;

use crate::diagnostics::{Diagnostic, Position};
use crate::flow::source_map::SourceMap;

/// Turns serde's messages into plain French, keeping the position.
pub(super) fn yaml_error(file: &Path, error: &serde_yaml::Error, map: &SourceMap) -> Diagnostic {
    let mut position = error.location().map(|l| Position::at(l.line(), l.column()));
    let full = error.to_string();
    // The parser's context ("while parsing a block mapping at line 72 column 5") often
    // points closer to the real mistake than the place where parsing failed.
    let started_at = full
        .split(", while ")
        .nth(1)
        .and_then(|c| c.split(" at line ").nth(1))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|line| position.is_some_and(|p| p.line != *line))
        .map(|line| format!(" Le problème commence peut-être à la ligne {line}."))
        .unwrap_or_default();
    // serde_yaml appends " at line X column Y"; the position is shown separately.
    let raw = full.split(" at line ").next().unwrap_or(&full).to_owned();
    let (path, detail) = match raw.split_once(": ") {
        Some((p, d)) if !p.contains(' ') => (format!(" (à « {} »)", human_path(p)), d.to_owned()),
        _ => (String::new(), raw.clone()),
    };
    let quoted =
        |s: &str| -> Vec<String> { s.split('`').skip(1).step_by(2).map(str::to_owned).collect() };
    let sentence = if let Some(rest) = detail.strip_prefix("unknown field ") {
        let names = quoted(rest);
        let key = names.first().cloned().unwrap_or_default();
        let serde_path = raw.split_once(": ").map_or("", |(p, _)| p);
        if let Some(exact) = map.find_key_under(serde_path, &key) {
            position = Some(exact);
        }
        let possible = &names[1.min(names.len())..];
        if possible.is_empty() {
            format!("la clé « {key} » n'a pas de sens ici{path} : cette sorte n'a pas d'autre clé que type. Retirez-la.")
        } else {
            format!(
                "la clé « {key} » n'est pas connue{path}. Clés possibles : {}. Vérifiez l'orthographe.",
                possible.join(", ")
            )
        }
    } else if let Some(rest) = detail.strip_prefix("unknown variant ") {
        let names = quoted(rest);
        format!(
            "« {} » n'est pas une valeur possible{path}. Valeurs possibles : {}.",
            names.first().cloned().unwrap_or_default(),
            names[1.min(names.len())..].join(", ")
        )
    } else if let Some(rest) = detail.strip_prefix("missing field ") {
        format!(
            "il manque la clé « {} »{path}. Ajoutez-la (voir CUSTOMIZING_QUESTIONS.md).",
            quoted(rest).first().cloned().unwrap_or_default()
        )
    } else if detail.contains("untagged enum YearBound") {
        format!("une année est attendue{path} : un nombre (ex. 1900) ou le mot current (l'année en cours).")
    } else if detail.contains("untagged enum ConfirmSetting") {
        format!("confirm attend true, false, ou les clés enabled, yes et no{path}.")
    } else if detail.contains("expected a string") {
        format!("un texte est attendu{path} ; mettez la valeur entre guillemets (ex. \"1\").")
    } else if detail.contains("expected a character") {
        format!("un seul caractère est attendu{path} (ex. X).")
    } else if detail.contains("expected u32")
        || detail.contains("expected usize")
        || detail.contains("expected i64")
    {
        format!("un nombre entier positif est attendu{path}.")
    } else if detail.contains("unknown escape character") {
        format!("une barre oblique inverse (\\) entre guillemets doubles{path}. Écrivez l'expression entre guillemets simples, ex. '\\d+'.{started_at}")
    } else if detail.starts_with("invalid type") || detail.starts_with("invalid value") {
        format!("valeur de la mauvaise sorte{path} : {detail}.")
    } else {
        format!("le fichier YAML est mal formé{path} : {detail}. Vérifiez l'indentation (des espaces, pas de tabulations), les deux-points et les guillemets.{started_at}")
    };
    Diagnostic::error(file, position, sentence)
}

/// `steps[2].validate` → `question 3, validate`: people count questions from 1.
fn human_path(path: &str) -> String {
    match path.strip_prefix("steps[").and_then(|r| r.split_once(']')) {
        Some((n, rest)) => match n.parse::<usize>() {
            Ok(i) => format!("question {}{}", i + 1, rest.replacen('.', ", ", 1)),
            Err(_) => path.to_owned(),
        },
        None => path.to_owned(),
    }
}
