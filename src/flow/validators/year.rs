//! `type: year` — a year written with four digits, between `min` and `max`
//! (`max: current` is the current year).

use chrono::{Datelike, NaiveDate};

use super::*;
use crate::normalize::normalize;

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    pub min: YearBound,
    pub max: YearBound,
}

pub const MESSAGES: Messages = Messages {
    ids: &["err-year"],
    variables: &["min", "max"],
};

impl ValidatorDefinition for Definition {
    fn compile(&self, cx: &mut Compile) -> Option<Box<dyn Validate>> {
        let year = cx.current_year;
        check_bounds(cx, self.min.resolve(year), self.max.resolve(year));
        Some(Box::new(self.clone()))
    }

    fn describe(&self) -> String {
        format!(
            "Année en 4 chiffres, entre {} et {}",
            self.min.describe(),
            self.max.describe()
        )
    }
}

impl Validate for Definition {
    fn check(&self, raw: &str, today: NaiveDate) -> Result<Accepted, Rejection> {
        let current = today.year() as i64;
        let (min, max) = (self.min.resolve(current), self.max.resolve(current));
        let normalized = normalize(raw);
        // A year is written with 4 digits: "85" or "mil neuf cent" are refused.
        match parse_digits(&normalized, 4) {
            Some(year) if normalized.len() == 4 && (min..=max).contains(&year) => Ok(number(year)),
            _ => Err(MESSAGES.refuse("err-year", &[min, max])),
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
    fn years_outside_the_range_or_not_four_digits_are_refused() {
        let v = compile(&Definition {
            min: YearBound::Year(1900),
            max: YearBound::Keyword(CurrentKeyword::Current),
        });
        let today = day(2026, 6, 15);
        let year = v.check(" 1985. ", today).unwrap();
        assert_eq!(
            (year.shown.as_str(), year.normalized.as_str()),
            ("1985", "1985")
        );
        for bad in ["1850", "2090", "85", "mil neuf cent", "19 85x", "2027"] {
            let err = v.check(bad, today).unwrap_err();
            assert_eq!(err.message, "err-year", "{bad}");
            assert_eq!(err.args, vec![("min", 1900), ("max", 2026)]);
        }
    }

    #[test]
    fn described_in_plain_french() {
        let rule = Definition {
            min: YearBound::Year(1900),
            max: YearBound::Keyword(CurrentKeyword::Current),
        };
        assert_eq!(
            rule.describe(),
            "Année en 4 chiffres, entre 1900 et l'année en cours"
        );
    }
}
