//! Ordered rewrite rules on normalized answers (`A–Z0–9`, see src/normalize.rs).
//! Matching is a hand-written scan with one-letter context, so no look-around or
//! back-reference is needed and a word with nothing to rewrite costs no allocation.

use std::fmt::Write as _;

use crate::diagnostics::Position;

/// Whole passes over the list before giving up on a fixpoint (checked by `ciu check`).
pub const MAX_PASSES: usize = 8;

/// A set of ASCII letters and digits, one bit each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LetterSet(u128);

impl LetterSet {
    pub fn from_letters(letters: &str) -> LetterSet {
        LetterSet(
            letters
                .bytes()
                .filter(|b| *b < 128)
                .fold(0, |bits, b| bits | 1 << b),
        )
    }

    pub fn contains(self, byte: u8) -> bool {
        byte < 128 && self.0 & (1 << byte) != 0
    }

    /// The members in order, for messages and the derivation text.
    pub fn letters(self) -> String {
        (0u8..128)
            .filter(|b| self.contains(*b))
            .map(char::from)
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    Start,
    End,
}

/// Where a match may happen: the letter just before it, the letter just after it,
/// the start or the end of the word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Context {
    pub after: Option<LetterSet>,
    pub before: Option<LetterSet>,
    pub at: Option<Anchor>,
}

impl Context {
    pub fn is_unconditional(&self) -> bool {
        *self == Context::default()
    }

    fn allows(&self, word: &[u8], start: usize, end: usize) -> bool {
        let at_ok = match self.at {
            None => true,
            Some(Anchor::Start) => start == 0,
            Some(Anchor::End) => end == word.len(),
        };
        let after_ok = self
            .after
            .is_none_or(|set| start > 0 && set.contains(word[start - 1]));
        let before_ok = self
            .before
            .is_none_or(|set| end < word.len() && set.contains(word[end]));
        at_ok && after_ok && before_ok
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rewrite {
    /// `from` → `to` at every non-overlapping place, left to right.
    Replace { from: String, to: String },
    /// A doubled letter of the set becomes single (`LL` → `L`, `LLL` → `L`).
    CollapseDoubles { letters: LetterSet },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub rewrite: Rewrite,
    pub context: Context,
    /// Where the rule is written, for diagnostics (`None` in rules built by hand).
    pub position: Option<Position>,
    /// The rule as written (`{ from: TCH, to: TSH }`), for diagnostics.
    pub label: String,
}

impl Rule {
    /// Applies the rule once over the whole word; `None` when nothing matched.
    pub fn rewrite(&self, word: &str) -> Option<String> {
        match &self.rewrite {
            Rewrite::Replace { from, to } => self.replace(word, from, to),
            Rewrite::CollapseDoubles { letters } => collapse_doubles(word, *letters),
        }
    }

    fn replace(&self, word: &str, from: &str, to: &str) -> Option<String> {
        // The usual case: the pattern is absent and nothing is allocated.
        let first = word.find(from)?;
        let bytes = word.as_bytes();
        let pattern = from.as_bytes();
        let mut out: Option<String> = None;
        let mut copied = 0;
        let mut i = first;
        while i + pattern.len() <= bytes.len() {
            let end = i + pattern.len();
            if &bytes[i..end] == pattern && self.context.allows(bytes, i, end) {
                let out = out.get_or_insert_with(|| String::with_capacity(word.len() + 4));
                out.push_str(&word[copied..i]);
                out.push_str(to);
                copied = end;
                i = end;
            } else {
                i += 1;
            }
        }
        let mut out = out?;
        out.push_str(&word[copied..]);
        Some(out)
    }

    /// Stable one-line description, part of the derivation text.
    pub fn describe(&self) -> String {
        let mut text = match &self.rewrite {
            Rewrite::Replace { from, to } => format!("replace {from}>{to}"),
            Rewrite::CollapseDoubles { letters } => format!("collapse {}", letters.letters()),
        };
        if let Some(after) = self.context.after {
            let _ = write!(text, " after={}", after.letters());
        }
        if let Some(before) = self.context.before {
            let _ = write!(text, " before={}", before.letters());
        }
        match self.context.at {
            Some(Anchor::Start) => text.push_str(" at=start"),
            Some(Anchor::End) => text.push_str(" at=end"),
            None => {}
        }
        text
    }
}

fn collapse_doubles(word: &str, letters: LetterSet) -> Option<String> {
    let bytes = word.as_bytes();
    let first = bytes
        .windows(2)
        .position(|w| w[0] == w[1] && letters.contains(w[0]))?;
    let mut out = String::with_capacity(word.len());
    out.push_str(&word[..=first]);
    for (i, &b) in bytes.iter().enumerate().skip(first + 1) {
        if !(b == bytes[i - 1] && letters.contains(b)) {
            out.push(char::from(b));
        }
    }
    Some(out)
}

/// A named, ordered, compiled list of rules (`{ use: … }` already expanded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSet {
    pub name: String,
    pub rules: Vec<Rule>,
}

/// What [`RuleSet::trace`] saw: the result, the rules that changed the word (indexes
/// into `rules`, in order of firing) and whether a fixpoint was reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    pub result: String,
    pub fired: Vec<usize>,
    pub fixpoint: bool,
}

impl RuleSet {
    /// The canonical spelling of a normalized word: the list applied in order, again
    /// and again until nothing changes (at most [`MAX_PASSES`] passes).
    pub fn apply(&self, normalized: &str) -> String {
        self.trace(normalized).result
    }

    pub fn trace(&self, normalized: &str) -> Trace {
        let mut word = normalized.to_owned();
        let mut fired = Vec::new();
        for _ in 0..MAX_PASSES {
            let before = fired.len();
            for (index, rule) in self.rules.iter().enumerate() {
                if let Some(rewritten) = rule.rewrite(&word) {
                    if rewritten != word {
                        fired.push(index);
                        word = rewritten;
                    }
                }
            }
            if fired.len() == before {
                return Trace {
                    result: word,
                    fired,
                    fixpoint: true,
                };
            }
        }
        Trace {
            result: word,
            fired,
            fixpoint: false,
        }
    }

    /// Stable text of the set, for the derivation fingerprint.
    pub fn derivation_text(&self) -> String {
        let mut text = format!("rule_set {}\n", self.name);
        for rule in &self.rules {
            let _ = writeln!(text, "  {}", rule.describe());
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(from: &str, to: &str, context: Context) -> Rule {
        Rule {
            rewrite: Rewrite::Replace {
                from: from.into(),
                to: to.into(),
            },
            context,
            position: None,
            label: format!("{from}>{to}"),
        }
    }

    fn set(rules: Vec<Rule>) -> RuleSet {
        RuleSet {
            name: "test".into(),
            rules,
        }
    }

    #[test]
    fn replacement_respects_its_context() {
        let vowel = LetterSet::from_letters("AEIOU");
        let u_to_w = rule(
            "U",
            "W",
            Context {
                after: Some(LetterSet::from_letters("M")),
                before: Some(vowel),
                at: None,
            },
        );
        assert_eq!(u_to_w.rewrite("MUAMBA").as_deref(), Some("MWAMBA"));
        assert_eq!(u_to_w.rewrite("MUKENDI"), None);
        assert_eq!(u_to_w.rewrite("UAMU"), None);
        let final_y = rule(
            "Y",
            "YI",
            Context {
                after: Some(vowel),
                at: Some(Anchor::End),
                ..Context::default()
            },
        );
        assert_eq!(final_y.rewrite("NGOY").as_deref(), Some("NGOYI"));
        assert_eq!(final_y.rewrite("YAYA"), None);
    }

    #[test]
    fn unmatched_words_are_left_alone() {
        let tch = rule("TCH", "TSH", Context::default());
        assert_eq!(tch.rewrite("KABILA"), None);
        assert_eq!(
            tch.rewrite("TCHITCHI").as_deref(),
            Some("TSHITSHI"),
            "every occurrence"
        );
    }

    #[test]
    fn doubled_letters_collapse_only_in_their_class() {
        let consonants = LetterSet::from_letters("BCDFGHJKLMNPQRSTVWXZ");
        assert_eq!(
            collapse_doubles("KABILLA", consonants).as_deref(),
            Some("KABILA")
        );
        assert_eq!(
            collapse_doubles("MUTOMBBBO", consonants).as_deref(),
            Some("MUTOMBO")
        );
        assert_eq!(collapse_doubles("SAADA", consonants), None);
    }

    #[test]
    fn the_list_is_applied_until_nothing_changes() {
        // OU → U then U → W before A only reaches MWAMBA on the same pass because of
        // the order; a later rule feeding an earlier one needs a second pass.
        let rules = set(vec![
            rule("AB", "X", Context::default()),
            rule("C", "B", Context::default()),
        ]);
        let trace = rules.trace("AC");
        assert_eq!(trace.result, "X");
        assert!(trace.fixpoint);
        assert_eq!(trace.fired, vec![1, 0]);
    }

    #[test]
    fn a_loop_is_reported_as_no_fixpoint() {
        let rules = set(vec![
            rule("A", "B", Context::default()),
            rule("B", "A", Context::default()),
        ]);
        assert!(!rules.trace("A").fixpoint);
        assert!(rules.trace("C").fixpoint);
    }
}
