//! Messages and languages: every message the flow sends exists in every listed
//! language with the variables it is given, and each language is complete.
use std::collections::HashSet;

use super::menus::{MAX_REPLY_CHARS, MAX_ROW_TITLE};
use super::Checker;
use crate::diagnostics::{Diagnostic, Severity};
use crate::flow::definition::*;
use crate::flow::validators::refusal_messages;
use crate::flow::{CompiledStep, FIXED_MESSAGES};
use crate::i18n::{Catalog, Catalogs, MessageInfo};

impl Checker {
    pub(super) fn check_locales(&mut self, def: &FlowDef, catalogs: &Catalogs) {
        if def.locales.is_empty() {
            self.error(
                "locales",
                "la liste des langues (locales) est vide : indiquez au moins fr.",
            );
        }
        if !def.locales.contains(&def.default_locale) {
            self.error(
                "default_locale",
                format!(
                    "la langue par défaut « {} » n'est pas dans la liste locales.",
                    def.default_locale
                ),
            );
        }
        let mut seen = HashSet::new();
        for (i, code) in def.locales.iter().enumerate() {
            if !seen.insert(code) {
                self.error(
                    &format!("locales[{i}]"),
                    format!("la langue « {code} » est listée deux fois."),
                );
            }
            if catalogs.get(code).is_none() {
                self.error(
                    &format!("locales[{i}]"),
                    format!(
                        "la langue « {code} » est listée mais le dossier {} n'existe pas. Créez-le (voir TRANSLATING.md) ou retirez la langue de la liste.",
                        catalogs.dir.join(code).display()
                    ),
                );
            }
        }
        for code in catalogs.codes() {
            if !def.locales.iter().any(|l| l == code) {
                let position = self.map.find("locales");
                self.diagnostics.push(Diagnostic::warning(
                    &self.file,
                    position,
                    format!("la langue « {code} » a des traductions mais n'est pas dans locales : elle n'est pas proposée aux personnes. Ajoutez « {code} » à cette liste quand elle est complète (dossier {}).", catalogs.dir.join(code).display()),
                ));
            }
        }
    }

    /// Every message the flow can send exists in every listed language, uses only the
    /// variables it is given, and fits in one WhatsApp message. Languages being
    /// prepared (a folder, not yet in `locales`) get the same checks, as warnings.
    pub(super) fn check_messages(
        &mut self,
        def: &FlowDef,
        steps: &[CompiledStep],
        catalogs: &Catalogs,
    ) {
        let required = required_messages(steps);
        for lang in &def.locales {
            self.check_catalog(def, catalogs, lang, &required, Severity::Error);
        }
        for code in catalogs.codes() {
            if !def.locales.iter().any(|l| l == code) {
                self.check_catalog(def, catalogs, code, &required, Severity::Warning);
            }
        }
        self.check_summary_length(def, steps, catalogs);
        self.check_label_lengths(def, steps, catalogs);
    }

    /// The checks of one language; `severity` is a warning for a language not yet listed.
    fn check_catalog(
        &mut self,
        def: &FlowDef,
        catalogs: &Catalogs,
        lang: &str,
        required: &[Required],
        severity: Severity,
    ) {
        let Some(catalog) = catalogs.get(lang) else {
            return; // a listed language without folder is reported by check_locales
        };
        let listed = severity == Severity::Error;
        let mut missing = Vec::new();
        for message in required {
            let Some(info) = catalog.messages.get(&message.id) else {
                missing.push(message);
                continue;
            };
            self.check_variables(&message.id, info, message.variables, severity);
            let longest = worst_case_length(catalogs, lang, message, def);
            if listed && longest > MAX_REPLY_CHARS {
                self.diagnostics.push(Diagnostic::error(
                    &info.file,
                    info.position,
                    format!("le message « {} » peut atteindre {longest} caractères ; un message WhatsApp en permet {MAX_REPLY_CHARS}. Raccourcissez-le.", message.id),
                ));
            }
        }
        self.report_missing(catalog, &missing, listed, &def.default_locale);
        if lang != def.default_locale {
            if let Some(reference) = catalogs.get(&def.default_locale) {
                self.compare_with_reference(&def.default_locale, reference, catalog);
            }
        }
    }

    fn check_variables(
        &mut self,
        id: &str,
        info: &MessageInfo,
        allowed: &[&str],
        severity: Severity,
    ) {
        for var in &info.variables {
            if !allowed.contains(&var.as_str()) {
                let possible = if allowed.is_empty() {
                    "aucune".to_owned()
                } else {
                    allowed
                        .iter()
                        .map(|v| format!("${v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                self.diagnostics.push(Diagnostic::new(
                    severity,
                    &info.file,
                    info.position,
                    format!("le message « {id} » utilise la variable {{ ${var} }} que le programme ne fournit pas. Variables possibles : {possible}."),
                ));
            }
        }
    }

    /// A listed language: one error per missing message, at the flow line that needs it
    /// or in the file to add it to. A language being prepared: one warning for all.
    fn report_missing(
        &mut self,
        catalog: &Catalog,
        missing: &[&Required],
        listed: bool,
        reference: &str,
    ) {
        let file = catalog.main_file();
        if !listed {
            if !missing.is_empty() {
                let ids: Vec<&str> = missing.iter().map(|m| m.id.as_str()).collect();
                self.diagnostics.push(Diagnostic::warning(
                    &file,
                    None,
                    format!(
                        "traduction incomplète : {} message(s) manquant(s) : {}. Ajoutez-les dans ce fichier (modèle : locales/{reference}/ciu.ftl).",
                        ids.len(),
                        ids.join(", ")
                    ),
                ));
            }
            return;
        }
        let model = if catalog.code == reference {
            String::new()
        } else {
            format!(" (modèle : le même message dans locales/{reference}/ciu.ftl)")
        };
        for message in missing {
            let text = format!(
                "le message « {} » manque dans la langue {} : ajoutez-le dans {}{model}.",
                message.id,
                catalog.code,
                file.display()
            );
            match &message.flow_path {
                Some(p) => self.error(p, text),
                None => self.diagnostics.push(Diagnostic::error(&file, None, text)),
            }
        }
    }

    /// Messages the reference language does not have are probably typos or leftovers;
    /// messages with the reference's very text are probably not translated yet.
    fn compare_with_reference(
        &mut self,
        reference_code: &str,
        reference: &Catalog,
        catalog: &Catalog,
    ) {
        for (id, info) in &catalog.messages {
            let Some(original) = reference.messages.get(id) else {
                self.diagnostics.push(Diagnostic::warning(&info.file, info.position, format!("le message « {id} » n'existe pas dans la langue de référence ({reference_code}) ; il ne sera jamais utilisé.")));
                continue;
            };
            if original.text == info.text && needs_translation(&info.text) {
                self.diagnostics.push(Diagnostic::warning(
                    &info.file,
                    info.position,
                    format!("le message « {id} » est identique à celui de la langue de référence ({reference_code}) : pas encore traduit ? Traduisez-le (TRANSLATING.md)."),
                ));
            }
        }
    }
}

/// A message the flow may send: its id, the variables it is given, the flow path
/// that requires it (none for the engine's own messages).
struct Required {
    id: String,
    variables: &'static [&'static str],
    flow_path: Option<String>,
}

fn required_messages(steps: &[CompiledStep]) -> Vec<Required> {
    let engine = FIXED_MESSAGES.iter().copied().chain(refusal_messages());
    let mut required: Vec<Required> = engine
        .map(|(id, variables)| Required {
            id: id.to_owned(),
            variables,
            flow_path: None,
        })
        .collect();
    for (i, step) in steps.iter().enumerate() {
        let path = format!("steps[{i}]");
        let mut require = |id: &str, variables, at: String| {
            required.push(Required {
                id: id.to_owned(),
                variables,
                flow_path: Some(at),
            })
        };
        require(
            &step.def.prompt,
            &["number", "total"],
            format!("{path}.prompt"),
        );
        require(&step.def.label, &[], format!("{path}.label"));
        if let Some(error) = &step.def.error {
            // A custom refusal gets the validator's own numbers, nothing else.
            let variables = step.def.validate.messages().variables;
            require(error, variables, format!("{path}.error"));
        }
        for (j, option) in step.validator.choices().iter().enumerate() {
            require(
                &option.label,
                &[],
                format!("{path}.validate.options[{j}].label"),
            );
        }
    }
    // The same message may be required twice (a label shared by two questions).
    let mut seen = HashSet::new();
    required.retain(|m| seen.insert(m.id.clone()));
    required
}

/// Whether a text identical in two languages is suspect: only when it has two words of
/// three letters or more. A single word ("Site", "OK", a language's own name) or a
/// text of variables and signs ("{ $code }") is often the same in several languages.
fn needs_translation(text: &str) -> bool {
    text.split(|c: char| !c.is_alphabetic())
        .filter(|word| word.chars().count() >= 3)
        .count()
        >= 2
}

/// Formats a message with long stand-ins for every variable it is given: four digits
/// for a number (a validator's limits, a question's number), the longest text for the
/// engine's texts below.
fn worst_case_length(catalogs: &Catalogs, lang: &str, message: &Required, def: &FlowDef) -> usize {
    let mut args = fluent_bundle::FluentArgs::new();
    for name in message.variables {
        args.set(*name, 9999);
    }
    let longest_alias = 24;
    for name in ["restart", "help", "language", "back", "stop"] {
        args.set(name, "W".repeat(longest_alias));
    }
    args.set(
        "code",
        "W".repeat(def.ciu.template.len() + def.ciu.hash.length + 6),
    );
    args.set("summary", "");
    args.set("label", "W".repeat(MAX_ROW_TITLE));
    args.set("answer", "W".repeat(def.max_message_chars));
    catalogs
        .format(lang, &message.id, Some(&args))
        .chars()
        .count()
}
