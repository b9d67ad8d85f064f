//! Validators: turn what a person typed into a canonical normalized value, or say
//! (by a message id and its numbers) what was expected.
//!
//! One file per validator type in this folder (its `type:` name is the file name): its
//! definition in the flow file, its load-time checks, its check of an answer and the
//! messages it may refuse with (its `MESSAGES`). `build.rs` lists the files, so a new
//! validator is one new file plus its messages in `locales/*/ciu.ftl`
//! (CUSTOMIZING_QUESTIONS.md); a validator giving a new sort of value declares its
//! [`AnswerKind`] in its file too (`date::KIND`).

use chrono::NaiveDate;
use std::path::Path;

use crate::diagnostics::{Diagnostic, Position};
use crate::flow::definition::FlowDef;
use crate::flow::source_map::SourceMap;
use crate::i18n::Catalogs;

include!(concat!(env!("OUT_DIR"), "/validators.rs"));

/// A valid answer: what to show back to the person and what is hashed.
#[derive(Clone, PartialEq, Eq)]
pub struct Accepted {
    pub shown: String,
    pub normalized: String,
}

impl std::fmt::Debug for Accepted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Accepted([redacted])")
    }
}

/// Why an answer was refused: the default error message id and its numeric arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub message: &'static str,
    pub args: Vec<(&'static str, i64)>,
}

/// A validator's refusal messages and the numbers they are given: the one list of its
/// message variables. Every refusal gets all of them, and a step's custom `error:`
/// message may use them (`ciu check` holds the translations to these names).
#[derive(Debug)]
pub struct Messages {
    pub ids: &'static [&'static str],
    pub variables: &'static [&'static str],
}

impl Messages {
    /// Refusal `id`, with `values` for the variables, in their order.
    pub fn refuse(&self, id: &'static str, values: &[i64]) -> Rejection {
        debug_assert!(self.ids.contains(&id), "{id} is not one of {:?}", self.ids);
        debug_assert_eq!(
            values.len(),
            self.variables.len(),
            "{id}: one value per variable {:?}",
            self.variables
        );
        Rejection {
            message: id,
            args: self
                .variables
                .iter()
                .copied()
                .zip(values.iter().copied())
                .collect(),
        }
    }
}

/// One option of a choice question.
#[derive(Debug, Clone)]
pub struct ChoiceOption {
    pub value: String,
    pub label: String,
}

/// What sort of value a validator gives, so extraction rules can say if they fit. A
/// validator giving another sort declares it in its own file (`date::KIND`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerKind(pub &'static str);

impl AnswerKind {
    /// Digits only (a year, a day, a number).
    pub const NUMBER: AnswerKind = AnswerKind("number");
    /// Letters (free text or a choice's value).
    pub const TEXT: AnswerKind = AnswerKind("text");
}

/// A compiled validator, ready to check answers.
pub trait Validate: std::fmt::Debug + Send + Sync {
    /// Checks `raw` (already known to be non-empty after normalization); `today` decides
    /// `current` bounds and what is in the future.
    fn check(&self, raw: &str, today: NaiveDate) -> Result<Accepted, Rejection>;
    fn answer_kind(&self) -> AnswerKind;
    /// The options to show as buttons or a list (empty but for a choice).
    fn choices(&self) -> &[ChoiceOption] {
        &[]
    }
    /// The longest answer as shown back, to check the summary fits one message.
    fn longest_answer(&self) -> usize {
        4
    }
}

/// A validator as written in the flow file.
pub trait ValidatorDefinition {
    /// Checks the definition and compiles it; `None` when it cannot be used (the
    /// problems are reported through `cx`).
    fn compile(&self, cx: &mut Compile) -> Option<Box<dyn Validate>>;
    /// What the rule accepts, in plain French for programme staff (the console's page
    /// of the flow): « Année entre 1900 et l'année en cours ».
    fn describe(&self) -> String;
}

impl ValidateDef {
    /// What the step's `validate:` accepts, in plain French (see
    /// [`ValidatorDefinition::describe`]).
    pub fn describe(&self) -> String {
        self.rule().describe()
    }
}

/// Everything a validator's or an extraction's load-time checks may need, and where
/// they report.
pub struct Compile<'a> {
    /// Flow path of the rule being compiled, e.g. `steps[2].validate`.
    pub path: String,
    pub def: &'a FlowDef,
    pub catalogs: &'a Catalogs,
    pub current_year: i64,
    pub file: &'a Path,
    pub map: &'a SourceMap,
    pub diagnostics: &'a mut Vec<Diagnostic>,
}

impl Compile<'_> {
    /// An error at `self.path` followed by `below` (e.g. `.min`, or "" for the rule).
    pub fn error(&mut self, below: &str, message: impl Into<String>) {
        let position = self.map.find(&format!("{}{below}", self.path));
        self.diagnostics
            .push(Diagnostic::error(self.file, position, message));
    }

    /// An error in a catalog file (e.g. a label too long for a button).
    pub fn error_in(&mut self, file: &Path, position: Option<Position>, message: String) {
        self.diagnostics
            .push(Diagnostic::error(file, position, message));
    }
}

/// `n` and its noun, the noun in the plural from 2 on (French): « 1 lettre », « 2 lettres ».
pub fn french_count(n: usize, noun: &str) -> String {
    if n > 1 {
        format!("{n} {noun}s")
    } else {
        format!("{n} {noun}")
    }
}

/// `max: current` means the current year, read from the clock the caller passes in.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(untagged)]
pub enum YearBound {
    Year(i64),
    Keyword(CurrentKeyword),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CurrentKeyword {
    Current,
}

impl YearBound {
    pub fn resolve(&self, current_year: i64) -> i64 {
        match self {
            YearBound::Year(y) => *y,
            YearBound::Keyword(CurrentKeyword::Current) => current_year,
        }
    }

    /// The bound in plain French: `1900`, or « l'année en cours ».
    pub fn describe(&self) -> String {
        match self {
            YearBound::Year(y) => y.to_string(),
            YearBound::Keyword(CurrentKeyword::Current) => "l'année en cours".to_owned(),
        }
    }
}

/// The `min`/`max` numbers of a refusal, `current` resolved (`year`, `date`).
pub fn year_bounds(min: &YearBound, max: &YearBound, current_year: i64) -> [i64; 2] {
    [min.resolve(current_year), max.resolve(current_year)]
}

/// All digits, at most `max_digits` significant ones (leading zeros allowed): "05" → 5.
pub fn parse_digits(normalized: &str, max_digits: usize) -> Option<i64> {
    let significant = normalized.trim_start_matches('0');
    if normalized.is_empty()
        || !normalized.bytes().all(|b| b.is_ascii_digit())
        || significant.len() > max_digits
    {
        return None;
    }
    Some(significant.parse().unwrap_or(0))
}

/// A number accepted as its canonical form ("05" → "5").
pub fn number(value: i64) -> Accepted {
    Accepted {
        shown: value.to_string(),
        normalized: value.to_string(),
    }
}

/// Every validator's refusal messages, each with its variables (the checker requires
/// them in every language).
pub fn refusal_messages() -> impl Iterator<Item = (&'static str, &'static [&'static str])> {
    MESSAGES
        .iter()
        .flat_map(|m| m.ids.iter().map(|id| (*id, m.variables)))
}

/// The `min`/`max` bounds check shared by `year`, `integer` and `date`.
pub fn check_bounds(cx: &mut Compile, min: i64, max: i64) {
    if min > max {
        cx.error("", "min est plus grand que max.");
    }
}

#[cfg(test)]
pub mod testing {
    //! Compiles a definition against the shipped flow's catalogs, for unit tests.
    use super::*;

    pub fn compile(def: &dyn ValidatorDefinition) -> Box<dyn Validate> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let source = std::fs::read_to_string(root.join("flows/ciu.yaml")).unwrap();
        let flow: FlowDef = serde_yaml::from_str(&source).unwrap();
        let (catalogs, _) = Catalogs::load(&root.join("locales"), "fr");
        let map = SourceMap::default();
        let mut diagnostics = Vec::new();
        let mut cx = Compile {
            path: "steps[0].validate".into(),
            def: &flow,
            catalogs: &catalogs,
            current_year: 2026,
            file: Path::new("test.yaml"),
            map: &map,
            diagnostics: &mut diagnostics,
        };
        let compiled = def.compile(&mut cx).expect("compiles");
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        compiled
    }

    pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }
}
