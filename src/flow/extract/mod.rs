//! Extraction rules: the part of a normalized answer that appears in the code.
//!
//! One file per rule in this folder (its `type:` name is the file name); `build.rs`
//! lists the files, so a new rule is one new file.

use super::validators::{AnswerKind, Compile};

include!(concat!(env!("OUT_DIR"), "/extract.rs"));

/// An extraction rule as written in the flow file.
pub trait ExtractionRule {
    /// Whether the rule makes sense for the answers of a validator.
    fn fits(&self, kind: AnswerKind) -> bool;
    /// Load-time checks of the rule's own options (reported through `cx`).
    fn check(&self, cx: &mut Compile);
    fn extract(&self, normalized: &str) -> String;
    /// What the rule puts in the code, in plain French for programme staff (the
    /// console's page of the flow): « Les 3 derniers chiffres ».
    fn describe(&self) -> String;
}

impl ExtractDef {
    /// What the step's `extract:` puts in the code, in plain French (see
    /// [`ExtractionRule::describe`]).
    pub fn describe(&self) -> String {
        self.rule().describe()
    }
}

pub fn extract(rule: &ExtractDef, normalized: &str) -> String {
    rule.rule().extract(normalized)
}

/// What each rule is for, to explain a rule that does not fit its question.
pub fn hints() -> String {
    HINTS.join(" ; ")
}

/// `count`, `width`, `digits`: between 1 and 20 (a code stays readable).
pub fn check_count(cx: &mut Compile, key: &str, value: usize) {
    if !(1..=20).contains(&value) {
        cx.error(
            &format!(".{key}"),
            format!("{key} doit être entre 1 et 20."),
        );
    }
}
