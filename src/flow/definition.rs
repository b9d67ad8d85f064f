//! What `flows/*.yaml` says, as serde types. Unknown keys are refused so a typo in the
//! flow file is reported instead of silently ignored.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use crate::flow::extract::ExtractDef;
pub use crate::flow::validators::{CurrentKeyword, ValidateDef, YearBound};

/// Highest flow-file `version` this engine understands.
pub const ENGINE_FLOW_VERSION: u32 = 1;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FlowDef {
    /// Identifies the registry the codes belong to; part of the hash input.
    pub id: String,
    /// Flow-file format version; a file newer than [`ENGINE_FLOW_VERSION`] is refused.
    pub version: u32,
    pub default_locale: String,
    pub locales: Vec<String>,
    #[serde(default = "default_timeout")]
    pub session_timeout_minutes: u32,
    /// Invalid answers allowed per question before the session ends.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// Longest inbound message accepted, in characters.
    #[serde(default = "default_max_message_chars")]
    pub max_message_chars: usize,
    pub commands: CommandsDef,
    /// `confirm: true`, or the full form with the yes/no words per language.
    #[serde(default)]
    pub confirm: ConfirmSetting,
    pub steps: Vec<StepDef>,
    pub ciu: CiuDef,
    /// The spelling files (rules, places, keep-apart pairs), relative to this file;
    /// steps choose a rule set with `spelling:` (src/flow/spelling/).
    #[serde(default)]
    pub spelling: Option<SpellingFilesDef>,
    /// Limits of the replies sent by plain SMS (src/flow/load/sms.rs).
    #[serde(default)]
    pub sms: Option<SmsDef>,
}

/// `sms: { max_segments: 3 }`: `ciu check` fails when a message takes more SMS.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SmsDef {
    pub max_segments: usize,
}

fn default_timeout() -> u32 {
    15
}
fn default_max_attempts() -> u32 {
    3
}
fn default_max_message_chars() -> usize {
    300
}

/// Aliases per language, e.g. `{ fr: [AIDE], en: [HELP] }`. Every alias of every
/// language is recognised at any time; the person's language decides which are shown.
pub type Aliases = BTreeMap<String, Vec<String>>;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CommandsDef {
    pub restart: Aliases,
    pub help: Aliases,
    pub language: Aliases,
    pub back: Aliases,
    pub stop: Aliases,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum ConfirmSetting {
    Enabled(bool),
    Full(ConfirmDef),
}

impl Default for ConfirmSetting {
    fn default() -> Self {
        ConfirmSetting::Enabled(false)
    }
}

impl ConfirmSetting {
    pub fn enabled(&self) -> bool {
        match self {
            ConfirmSetting::Enabled(on) => *on,
            ConfirmSetting::Full(def) => def.enabled,
        }
    }

    /// The yes/no words (none with the short form: 1/2 and the buttons still work).
    pub fn words(&self) -> (Aliases, Aliases) {
        match self {
            ConfirmSetting::Enabled(_) => (Aliases::new(), Aliases::new()),
            ConfirmSetting::Full(def) => (def.yes.clone(), def.no.clone()),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmDef {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub yes: Aliases,
    #[serde(default)]
    pub no: Aliases,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StepDef {
    /// Name of the answer; used as the template variable.
    pub id: String,
    /// Fluent message id of the question.
    pub prompt: String,
    /// Fluent message id of the short label shown in the confirmation summary.
    pub label: String,
    pub validate: ValidateDef,
    pub extract: ExtractDef,
    /// Fluent message id replacing the validator's default error message.
    #[serde(default)]
    pub error: Option<String>,
    /// Rule set of the flow's spelling file giving this answer its canonical form
    /// before extraction and hashing (Kabilla → KABILA).
    #[serde(default)]
    pub spelling: Option<String>,
}

/// Where the spelling data lives, relative to the flow file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SpellingFilesDef {
    pub rules: String,
    pub places: String,
    pub keep_apart: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CiuDef {
    /// minijinja template; variables are step ids plus `hash`.
    pub template: String,
    pub hash: HashDef,
    /// Wrap the code in WhatsApp monospace (```) in messages.
    #[serde(default = "yes")]
    pub monospace: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HashDef {
    pub length: usize,
    #[serde(default)]
    pub alphabet: HashAlphabet,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HashAlphabet {
    /// `0-9A-F`.
    #[default]
    Hex,
    /// Crockford base32 `0-9A-Z` without I, L, O, U: easy to read aloud.
    Base32,
}

impl HashAlphabet {
    pub fn symbols(self) -> &'static [u8] {
        match self {
            HashAlphabet::Hex => b"0123456789ABCDEF",
            HashAlphabet::Base32 => b"0123456789ABCDEFGHJKMNPQRSTVWXYZ",
        }
    }
}
