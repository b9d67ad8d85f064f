//! The declarative part: flow definition, loading and checking, the pure engine.
//! Nothing in here does IO except [`load`], which reads the files once at start-up.

pub mod definition;
pub mod engine;
pub mod extract;
pub mod funnel;
pub mod load;
pub mod session;
pub mod source_map;
pub mod spelling;
pub mod validators;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use crate::code::CiuTemplate;
use crate::i18n::Catalogs;
use definition::{FlowDef, StepDef};
use validators::Validate;

pub use engine::{Engine, Event, Inbound, Registration, Reply, ReplyChoice, Turn};
pub use load::{load, Loaded};
pub use session::{Answer, Phase, Session};

/// Commands a person can send at any step (whole message only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Restart,
    Help,
    Language,
    Back,
    Stop,
}

/// Messages the engine itself sends, with the variables each may use. Every listed
/// language must define all of them (checked at load time); the validators' refusal
/// messages are declared by each validator (`validators::refusal_messages`).
pub const FIXED_MESSAGES: &[(&str, &[&str])] = &[
    ("language-name", &[]),
    ("language-prompt", &[]),
    ("language-invalid", &["count"]),
    ("language-set", &[]),
    ("welcome", &["total"]),
    ("ack", &[]),
    ("err-empty", &[]),
    ("err-media", &[]),
    ("err-too-long", &["max"]),
    ("too-many-attempts", &[]),
    ("help", &["restart", "back", "language", "stop"]),
    ("restarted", &[]),
    ("back-at-first", &[]),
    ("stopped", &[]),
    ("confirm-summary", &["summary"]),
    ("summary-line", &["label", "answer"]),
    ("confirm-yes", &[]),
    ("confirm-no", &[]),
    ("confirm-invalid", &[]),
    ("correct-which", &[]),
    ("list-button", &[]),
    ("result-new", &["code"]),
    ("result-existing", &["code"]),
    ("result-unavailable", &[]),
    ("expired", &["minutes"]),
    ("flow-changed", &[]),
    ("resumed", &["restart"]),
];

pub struct CompiledStep {
    pub def: StepDef,
    pub validator: Box<dyn Validate>,
    /// The step's spelling rules (and gazetteer), when it names a rule set.
    pub spelling: Option<spelling::Canonicalizer>,
}

impl CompiledStep {
    /// What the code is made of for this answer: the normalized answer in its canonical
    /// spelling when the step has one.
    pub fn canonical(&self, normalized: &str) -> String {
        match &self.spelling {
            Some(canonicalizer) => canonicalizer.canonical(normalized),
            None => normalized.to_owned(),
        }
    }
}

/// A checked, ready-to-run flow: definition, compiled validators, catalogs, template.
pub struct Flow {
    pub def: FlowDef,
    pub path: PathBuf,
    /// Digest of the definition; a session begun under another one is not continued.
    pub revision: String,
    /// Stable text of everything that decides the codes (input of the fingerprint).
    pub derivation: String,
    pub steps: Vec<CompiledStep>,
    pub catalogs: Catalogs,
    pub template: Arc<CiuTemplate>,
    /// May be overridden by `SESSION_TIMEOUT_MINUTES`.
    pub session_timeout_minutes: u32,
    /// Language → normalized word → command.
    commands: HashMap<String, HashMap<String, Command>>,
    yes: HashSet<String>,
    no: HashSet<String>,
}

impl Flow {
    pub fn step_ids(&self) -> Vec<&str> {
        self.steps.iter().map(|s| s.def.id.as_str()).collect()
    }

    /// The command a whole message means for a person speaking `locale`: the words of
    /// their language and of the reference language count.
    pub fn command(&self, locale: &str, words: &str) -> Option<Command> {
        [locale, self.def.default_locale.as_str()]
            .iter()
            .find_map(|l| self.commands.get(*l)?.get(words).copied())
    }
}
