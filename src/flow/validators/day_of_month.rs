//! `type: day_of_month` — a day from 1 to 31, in digits.

use chrono::NaiveDate;

use super::*;
use crate::normalize::normalize;

/// No options; a struct (even empty) so that unknown keys are refused, not ignored.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {}

pub const MESSAGES: Messages = Messages {
    ids: &["err-day"],
    variables: &[],
};

impl ValidatorDefinition for Definition {
    fn compile(&self, _: &mut Compile) -> Option<Box<dyn Validate>> {
        Some(Box::new(self.clone()))
    }

    fn describe(&self) -> String {
        "Jour du mois en chiffres, de 1 à 31".to_owned()
    }
}

impl Validate for Definition {
    fn check(&self, raw: &str, _: NaiveDate) -> Result<Accepted, Rejection> {
        match parse_digits(&normalize(raw), 2) {
            Some(day) if (1..=31).contains(&day) => Ok(number(day)),
            _ => Err(MESSAGES.refuse("err-day", &[])),
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
    fn days_are_one_to_thirty_one_in_digits() {
        let v = compile(&Definition {});
        let today = day(2026, 6, 15);
        assert_eq!(v.check("05", today).unwrap().shown, "5");
        assert_eq!(v.check("5", today).unwrap().normalized, "5");
        assert_eq!(v.check("31", today).unwrap().normalized, "31");
        for bad in ["0", "32", "15th", "quinze", "123"] {
            assert_eq!(v.check(bad, today).unwrap_err().message, "err-day", "{bad}");
        }
    }

    #[test]
    fn described_in_plain_french() {
        assert_eq!(
            Definition {}.describe(),
            "Jour du mois en chiffres, de 1 à 31"
        );
    }
}
