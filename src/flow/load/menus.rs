//! What WhatsApp shows: menu rows, buttons, labels, the summary: each fits.
use super::{listed_catalogs, Checker};
use crate::diagnostics::Diagnostic;
use crate::flow::definition::*;
use crate::flow::CompiledStep;
use crate::i18n::Catalogs;

/// WhatsApp limits (Cloud API): reply buttons and list rows.
pub const MAX_BUTTONS: usize = 3;
pub const MAX_BUTTON_TITLE: usize = 20;
pub const MAX_LIST_ROWS: usize = 10;
pub const MAX_ROW_TITLE: usize = 24;
/// Twilio refuses longer WhatsApp message bodies.
pub const MAX_REPLY_CHARS: usize = 1600;

impl Checker {
    /// Question labels are the rows of the "which answer to correct?" list.
    pub(super) fn check_label_lengths(
        &mut self,
        def: &FlowDef,
        steps: &[CompiledStep],
        catalogs: &Catalogs,
    ) {
        // Without the confirmation step there is no correction list to show them in.
        if !def.confirm.enabled() {
            return;
        }
        for (lang, catalog) in listed_catalogs(def, catalogs) {
            for step in steps {
                let Some(info) = catalog.messages.get(&step.def.label) else {
                    continue;
                };
                let label = catalogs.format(lang, &step.def.label, None);
                let length = label.chars().count();
                if length > MAX_ROW_TITLE {
                    self.diagnostics.push(Diagnostic::error(
                        &info.file,
                        info.position,
                        format!("le libellé « {label} » ({lang}) a {length} caractères ; il apparaît dans la liste des réponses à corriger, où WhatsApp n'en montre que {MAX_ROW_TITLE}. Raccourcissez-le."),
                    ));
                }
            }
        }
    }

    /// The menus the engine builds itself fit WhatsApp: the language menu is a list (one
    /// row per language), the confirmation two reply buttons, and the button opening a
    /// list has a short label.
    pub(super) fn check_menus(&mut self, def: &FlowDef, catalogs: &Catalogs) {
        if def.locales.len() > MAX_LIST_ROWS {
            self.error(
                "locales",
                format!(
                    "{} langues : le menu des langues de WhatsApp n'en montre que {MAX_LIST_ROWS}. Retirez des langues de la liste locales.",
                    def.locales.len()
                ),
            );
        }
        let mut titles = vec![
            ("language-name", MAX_ROW_TITLE, "ligne du menu des langues"),
            (
                "list-button",
                MAX_BUTTON_TITLE,
                "bouton qui ouvre une liste",
            ),
        ];
        if def.confirm.enabled() {
            titles.push(("confirm-yes", MAX_BUTTON_TITLE, "bouton"));
            titles.push(("confirm-no", MAX_BUTTON_TITLE, "bouton"));
        }
        for (lang, catalog) in listed_catalogs(def, catalogs) {
            for (id, limit, kind) in &titles {
                let Some(info) = catalog.messages.get(*id) else {
                    continue; // reported with the other missing messages
                };
                let title = catalogs.format(lang, id, None);
                let length = title.chars().count();
                if length > *limit {
                    self.diagnostics.push(Diagnostic::error(
                        &info.file,
                        info.position,
                        format!("le message « {id} » ({lang}) a {length} caractères ; WhatsApp n'en montre que {limit} sur un {kind}. Raccourcissez-le."),
                    ));
                }
            }
        }
    }

    /// The confirmation summary repeats every answer: check it with the longest answers.
    pub(super) fn check_summary_length(
        &mut self,
        def: &FlowDef,
        steps: &[CompiledStep],
        catalogs: &Catalogs,
    ) {
        if !def.confirm.enabled() {
            return;
        }
        for (lang, catalog) in listed_catalogs(def, catalogs) {
            let summary: String = steps
                .iter()
                .map(|s| {
                    let answer_len = s.validator.longest_answer();
                    let mut line = fluent_bundle::FluentArgs::new();
                    line.set("label", catalogs.format(lang, &s.def.label, None));
                    line.set("answer", "W".repeat(answer_len));
                    catalogs.format(lang, "summary-line", Some(&line)) + "\n"
                })
                .collect();
            let mut args = fluent_bundle::FluentArgs::new();
            args.set("summary", summary);
            let length = catalogs
                .format(lang, "confirm-summary", Some(&args))
                .chars()
                .count();
            if length > MAX_REPLY_CHARS {
                let info = catalog.messages.get("confirm-summary");
                let file = info.map_or_else(|| catalog.main_file(), |i| i.file.clone());
                self.diagnostics.push(Diagnostic::error(
                    &file,
                    info.and_then(|i| i.position),
                    format!("avec les réponses les plus longues, le résumé ({lang}) atteint {length} caractères (maximum {MAX_REPLY_CHARS}). Réduisez max_len des questions ou raccourcissez les libellés."),
                ));
            }
        }
    }
}
