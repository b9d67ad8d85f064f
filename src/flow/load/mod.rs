//! Loading a flow file and its catalogs: every check of the flow file and the
//! translations, each reported with file, line and a sentence a programme officer
//! understands (CUSTOMIZING_QUESTIONS.md, TRANSLATING.md); then compilation into [`Flow`].
//! One file per concern: YAML errors, steps, commands, messages, menus, template.

mod commands;
pub mod menus;
mod messages;
pub mod sms;
mod spelling;
mod steps;
mod template;
pub mod ussd;
mod yaml;

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostics::{Diagnostic, Position};
use crate::flow::definition::*;
use crate::flow::source_map::SourceMap;
use crate::flow::Flow;
use crate::i18n::Catalogs;
pub use menus::MAX_REPLY_CHARS;
use yaml::{repeated_key_sentence, yaml_error};

/// A loaded flow plus the warnings found on the way.
pub struct Loaded {
    pub flow: Flow,
    pub warnings: Vec<Diagnostic>,
}

/// Loads and checks `flow_path` with the catalogs in `locales_dir`. Any error → `Err`
/// with every diagnostic found (errors and warnings), sorted by file and line.
pub fn load(flow_path: &Path, locales_dir: &Path) -> Result<Loaded, Vec<Diagnostic>> {
    let source = std::fs::read_to_string(flow_path).map_err(|e| {
        vec![Diagnostic::error(
            flow_path,
            None,
            format!("impossible de lire le fichier du flux ({e}). Vérifiez le chemin (--flow ou FLOW_PATH)."),
        )]
    })?;
    let map = SourceMap::build(&source);
    let def: FlowDef = serde_yaml::from_str(&source)
        .map_err(|e| vec![yaml_error(flow_path, &e, &source, &map)])?;
    let mut checker = Checker {
        file: flow_path.to_path_buf(),
        map,
        diagnostics: Vec::new(),
    };
    let flow = checker.compile(def, locales_dir);
    let mut diagnostics = checker.diagnostics;
    if let Some(flow) = &flow {
        diagnostics.extend(ussd::check_ussd_screens(flow));
        diagnostics.extend(sms::check_sms_segments(flow));
    }
    diagnostics.sort_by(|a, b| (&a.file, a.line, a.severity).cmp(&(&b.file, b.line, b.severity)));
    match flow {
        Some(flow) if !diagnostics.iter().any(Diagnostic::is_error) => Ok(Loaded {
            flow,
            warnings: diagnostics,
        }),
        _ => Err(diagnostics),
    }
}

pub(crate) struct Checker {
    file: PathBuf,
    map: SourceMap,
    diagnostics: Vec<Diagnostic>,
}

impl Checker {
    pub(crate) fn error(&mut self, path: &str, message: impl Into<String>) {
        let position = self.map.find(path);
        self.diagnostics
            .push(Diagnostic::error(&self.file, position, message));
    }

    /// A key written twice where serde keeps one without a word (a word list of a
    /// command or a language): the file says two things.
    fn check_repeated_keys(&mut self) {
        for (path, repeat, first) in self.map.repeated_keys() {
            let message = repeated_key_sentence(path, repeat, first);
            self.diagnostics
                .push(Diagnostic::error(&self.file, Some(repeat), message));
        }
    }

    fn compile(&mut self, def: FlowDef, locales_dir: &Path) -> Option<Flow> {
        if def.version > ENGINE_FLOW_VERSION {
            self.error("version", format!(
                "ce fichier est de version {}, mais ce programme ne connaît que la version {ENGINE_FLOW_VERSION} au plus. Mettez à jour le programme ou utilisez un flux de version {ENGINE_FLOW_VERSION}.",
                def.version
            ));
        }
        if def.version == 0 {
            self.error("version", "la version doit être 1 ou plus.");
        }
        if def.id.trim().is_empty() {
            self.error("id", "l'identifiant du flux (id) ne peut pas être vide.");
        }
        self.check_numbers(&def);
        self.check_repeated_keys();
        let (catalogs, catalog_diagnostics) = Catalogs::load(locales_dir, &def.default_locale);
        self.diagnostics.extend(catalog_diagnostics);
        self.check_locales(&def, &catalogs);
        let commands = self.compile_commands(&def, &catalogs);
        let (yes, no) = self.compile_confirm(&def, &commands, &catalogs);
        let spelling = self.load_spelling(&def);
        let steps = self.compile_steps(&def, &catalogs, spelling.as_ref());
        self.check_choices_against_commands(&def, &steps, &catalogs, &commands);
        let template = self.compile_template(&def);
        self.check_messages(&def, &steps, &catalogs);
        self.check_menus(&def, &catalogs);
        if self.diagnostics.iter().any(Diagnostic::is_error) {
            return None;
        }
        let canonical = serde_json::to_string(&def).expect("definitions serialize");
        let revision = hex::encode(&Sha256::digest(canonical.as_bytes())[..8]);
        let derivation = derivation_description(&def, &steps);
        Some(Flow {
            session_timeout_minutes: def.session_timeout_minutes,
            def,
            path: self.file.clone(),
            revision,
            derivation,
            steps,
            catalogs,
            template: Arc::new(template?),
            commands,
            yes,
            no,
        })
    }

    fn check_numbers(&mut self, def: &FlowDef) {
        if def.max_attempts == 0 {
            self.error("max_attempts", "max_attempts doit être au moins 1.");
        }
        if !(1..=1440).contains(&def.session_timeout_minutes) {
            self.error(
                "session_timeout_minutes",
                "session_timeout_minutes doit être entre 1 et 1440 (24 heures).",
            );
        }
        if !(1..=MAX_REPLY_CHARS).contains(&def.max_message_chars) {
            self.error(
                "max_message_chars",
                format!("max_message_chars doit être entre 1 et {MAX_REPLY_CHARS}."),
            );
        }
        if !(1..=32).contains(&def.ciu.hash.length) {
            self.error(
                "ciu.hash.length",
                "la longueur du hachage doit être entre 1 et 32 caractères (5 conseillé).",
            );
        }
    }
}

/// The catalogs of the listed languages (a listed language without folder is reported
/// by the locale checks).
fn listed_catalogs<'a>(
    def: &'a FlowDef,
    catalogs: &'a Catalogs,
) -> impl Iterator<Item = (&'a String, &'a crate::i18n::Catalog)> {
    def.locales
        .iter()
        .filter_map(|lang| Some((lang, catalogs.get(lang)?)))
}

/// What decides the codes, in a stable text form (for the derivation fingerprint): a
/// step's spelling rules and places are in it, so editing them changes the fingerprint.
fn derivation_description(def: &FlowDef, compiled: &[crate::flow::CompiledStep]) -> String {
    let steps: Vec<_> = compiled
        .iter()
        .map(|step| {
            let s = &step.def;
            let mut described =
                serde_json::json!({ "id": s.id, "validate": s.validate, "extract": s.extract });
            if let Some(spelling) = &step.spelling {
                described["spelling"] = spelling.derivation_text().into();
            }
            described
        })
        .collect();
    serde_json::json!({
        "engine": "ciu-derivation-v1",
        "flow": def.id,
        "steps": steps,
        "template": def.ciu.template,
        "hash": def.ciu.hash,
    })
    .to_string()
}

/// Position of a flow path (for callers that report on a loaded flow).
pub fn position_of(source: &str, path: &str) -> Option<Position> {
    SourceMap::build(source).find(path)
}
