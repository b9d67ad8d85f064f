//! `type: regex` — an answer of a precise format, given as a regular expression that
//! must match the whole answer, at most `max_len` characters.

use chrono::NaiveDate;

use super::*;
use crate::normalize::normalize;

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    pub pattern: String,
    #[serde(default = "default_max_len")]
    pub max_len: usize,
}

fn default_max_len() -> usize {
    100
}

pub const MESSAGES: Messages = Messages {
    ids: &["err-pattern", "err-text-too-long"],
    variables: &["max"],
};

#[derive(Debug)]
struct Compiled {
    regex: ::regex::Regex,
    max_len: usize,
}

impl ValidatorDefinition for Definition {
    fn compile(&self, cx: &mut Compile) -> Option<Box<dyn Validate>> {
        match ::regex::Regex::new(&format!("^(?:{})$", self.pattern)) {
            Ok(regex) => Some(Box::new(Compiled {
                regex,
                max_len: self.max_len,
            })),
            Err(e) => {
                let detail = e.to_string();
                let detail = detail.lines().last().unwrap_or_default().trim().to_owned();
                cx.error(
                    ".pattern",
                    format!("l'expression régulière « {} » est invalide ({detail}). Vérifiez les parenthèses et crochets.", self.pattern),
                );
                None
            }
        }
    }

    fn describe(&self) -> String {
        format!(
            "Réponse au format de l'expression régulière « {} », {} au plus",
            self.pattern,
            french_count(self.max_len, "caractère")
        )
    }
}

impl Validate for Compiled {
    fn check(&self, raw: &str, _: NaiveDate) -> Result<Accepted, Rejection> {
        let refuse = |id| MESSAGES.refuse(id, &[self.max_len as i64]);
        let shown = raw.trim().to_owned();
        if shown.chars().count() > self.max_len {
            Err(refuse("err-text-too-long"))
        } else if self.regex.is_match(&shown) {
            let normalized = normalize(raw);
            Ok(Accepted { shown, normalized })
        } else {
            Err(refuse("err-pattern"))
        }
    }

    fn answer_kind(&self) -> AnswerKind {
        AnswerKind::TEXT
    }

    fn longest_answer(&self) -> usize {
        self.max_len
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{compile, day};
    use super::*;

    #[test]
    fn the_whole_answer_must_match() {
        let r = compile(&Definition {
            pattern: "[A-Z]{2}-[0-9]{3}".into(),
            max_len: 10,
        });
        let today = day(2026, 6, 15);
        assert_eq!(r.check("AB-123", today).unwrap().normalized, "AB123");
        assert_eq!(r.check("AB123", today).unwrap_err().message, "err-pattern");
    }

    #[test]
    fn described_in_plain_french() {
        let rule = Definition {
            pattern: "[A-Z]{2}-[0-9]{3}".into(),
            max_len: 10,
        };
        assert_eq!(
            rule.describe(),
            "Réponse au format de l'expression régulière « [A-Z]{2}-[0-9]{3} », 10 caractères au plus"
        );
    }
}
