//! The questions: ids, validators and extraction rules.
use std::collections::HashMap;

use super::Checker;
use crate::flow::definition::*;
use crate::flow::extract::hints;
use crate::flow::spelling::Spelling;
use crate::flow::validators::{AnswerKind, Compile, Validate};
use crate::flow::CompiledStep;
use crate::i18n::Catalogs;

impl Checker {
    pub(super) fn compile_steps(
        &mut self,
        def: &FlowDef,
        catalogs: &Catalogs,
        spelling: Option<&Spelling>,
    ) -> Vec<CompiledStep> {
        if def.steps.is_empty() {
            self.error("steps", "le flux n'a aucune question (steps est vide).");
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        let mut steps = Vec::new();
        for (i, step) in def.steps.iter().enumerate() {
            let path = format!("steps[{i}]");
            if let Some(first) = seen.insert(step.id.as_str(), i) {
                self.error(
                    &format!("{path}.id"),
                    format!("l'identifiant « {} » est déjà utilisé par la question {} ; chaque question doit avoir un id unique.", step.id, first + 1),
                );
            }
            let valid_name = step
                .id
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase())
                && step
                    .id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid_name || step.id == "hash" {
                self.error(
                    &format!("{path}.id"),
                    format!("« {} » ne peut pas servir d'id : utilisez des minuscules, chiffres et _ (ex. birth_year), et pas « hash ».", step.id),
                );
            }
            if let Some(validator) = self.compile_validator(&path, step, def, catalogs) {
                self.check_extract(&path, step, validator.answer_kind(), def, catalogs);
                steps.push(CompiledStep {
                    def: step.clone(),
                    validator,
                    spelling: self.step_spelling(&path, step, def, spelling),
                });
            }
        }
        steps
    }

    /// A context for a rule's own checks at `path`.
    pub(super) fn rule_context<'a>(
        &'a mut self,
        path: String,
        def: &'a FlowDef,
        catalogs: &'a Catalogs,
    ) -> Compile<'a> {
        Compile {
            path,
            def,
            catalogs,
            current_year: chrono::Datelike::year(&chrono::Utc::now()) as i64,
            file: &self.file,
            map: &self.map,
            diagnostics: &mut self.diagnostics,
        }
    }

    pub(super) fn compile_validator(
        &mut self,
        path: &str,
        step: &StepDef,
        def: &FlowDef,
        catalogs: &Catalogs,
    ) -> Option<Box<dyn Validate>> {
        let mut cx = self.rule_context(format!("{path}.validate"), def, catalogs);
        step.validate.rule().compile(&mut cx)
    }

    pub(super) fn check_extract(
        &mut self,
        path: &str,
        step: &StepDef,
        kind: AnswerKind,
        def: &FlowDef,
        catalogs: &Catalogs,
    ) {
        let rule = step.extract.rule();
        let mut cx = self.rule_context(format!("{path}.extract"), def, catalogs);
        rule.check(&mut cx);
        if !rule.fits(kind) {
            let type_of = |value: serde_json::Value| value["type"].as_str().map(str::to_owned);
            let extract = type_of(serde_json::json!(step.extract)).unwrap_or_default();
            let validate = type_of(serde_json::json!(step.validate)).unwrap_or_default();
            cx.error(
                "",
                format!(
                    "l'extraction {extract} ne va pas avec la validation {validate}. Extractions possibles : {}.",
                    hints()
                ),
            );
        }
    }
}
