//! `type: text` — letters (a name, a place): at least `letters_min` letters, no digits,
//! at most `max_len` characters.

use chrono::NaiveDate;

use super::*;
use crate::normalize::normalize;

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    #[serde(default = "one")]
    pub letters_min: usize,
    pub max_len: usize,
}

fn one() -> usize {
    1
}

pub const MESSAGES: Messages = Messages {
    ids: &["err-text", "err-text-too-long"],
    variables: &["min", "max"],
};

impl ValidatorDefinition for Definition {
    fn compile(&self, cx: &mut Compile) -> Option<Box<dyn Validate>> {
        if self.letters_min > self.max_len || self.max_len == 0 {
            cx.error(
                "",
                "letters_min doit être plus petit que max_len, et max_len au moins 1.",
            );
        }
        Some(Box::new(self.clone()))
    }

    fn describe(&self) -> String {
        format!(
            "Texte sans chiffres : au moins {}, {} au plus",
            french_count(self.letters_min, "lettre"),
            french_count(self.max_len, "caractère")
        )
    }
}

impl Validate for Definition {
    fn check(&self, raw: &str, _: NaiveDate) -> Result<Accepted, Rejection> {
        let refuse = |id| MESSAGES.refuse(id, &[self.letters_min as i64, self.max_len as i64]);
        let shown = raw.trim().to_owned();
        let normalized = normalize(raw);
        if shown.chars().count() > self.max_len {
            Err(refuse("err-text-too-long"))
        } else if normalized.bytes().any(|b| b.is_ascii_digit())
            || normalized.len() < self.letters_min
        {
            Err(refuse("err-text"))
        } else {
            Ok(Accepted { shown, normalized })
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
    fn text_needs_letters_and_no_digits() {
        let v = compile(&Definition {
            letters_min: 2,
            max_len: 10,
        });
        let today = day(2026, 6, 15);
        assert_eq!(v.check(" N'Djaména ", today).unwrap().normalized, "NDJAMENA");
        assert_eq!(v.check("J", today).unwrap_err().message, "err-text");
        assert_eq!(v.check("Jean2", today).unwrap_err().message, "err-text");
        assert_eq!(
            v.check("Bartholomew-Jean", today).unwrap_err().message,
            "err-text-too-long"
        );
    }

    #[test]
    fn described_in_plain_french() {
        let rule = Definition {
            letters_min: 2,
            max_len: 60,
        };
        assert_eq!(
            rule.describe(),
            "Texte sans chiffres : au moins 2 lettres, 60 caractères au plus"
        );
        let one = Definition {
            letters_min: 1,
            max_len: 40,
        };
        assert_eq!(
            one.describe(),
            "Texte sans chiffres : au moins 1 lettre, 40 caractères au plus"
        );
    }
}
