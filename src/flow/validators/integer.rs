//! `type: integer` — a whole number between `min` and `max` (spaces between digits
//! allowed: "1 200").

use chrono::NaiveDate;

use super::*;

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    pub min: i64,
    pub max: i64,
}

pub const MESSAGES: Messages = Messages {
    ids: &["err-integer"],
    variables: &["min", "max"],
};

impl ValidatorDefinition for Definition {
    fn compile(&self, cx: &mut Compile) -> Option<Box<dyn Validate>> {
        check_bounds(cx, self.min, self.max);
        if self.min < 0 {
            cx.error(".min", "les nombres négatifs ne sont pas pris en charge.");
        }
        Some(Box::new(self.clone()))
    }

    fn describe(&self) -> String {
        format!("Nombre entier entre {} et {}", self.min, self.max)
    }
}

impl Validate for Definition {
    fn check(&self, raw: &str, _: NaiveDate) -> Result<Accepted, Rejection> {
        match raw.trim().replace([' ', '\u{a0}'], "").parse::<i64>() {
            Ok(value) if (self.min..=self.max).contains(&value) => Ok(number(value)),
            _ => Err(MESSAGES.refuse("err-integer", &[self.min, self.max])),
        }
    }

    fn answer_kind(&self) -> AnswerKind {
        AnswerKind::NUMBER
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{compile, day};
    use super::*;

    #[test]
    fn numbers_in_range_in_canonical_form() {
        let v = compile(&Definition { min: 1, max: 12 });
        let today = day(2026, 6, 15);
        assert_eq!(v.check("07", today).unwrap().normalized, "7");
        assert_eq!(v.check("13", today).unwrap_err().message, "err-integer");
    }

    #[test]
    fn described_in_plain_french() {
        let rule = Definition { min: 0, max: 20 };
        assert_eq!(rule.describe(), "Nombre entier entre 0 et 20");
    }
}
