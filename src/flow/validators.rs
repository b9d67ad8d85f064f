//! Validators: turn what a person typed into a canonical normalized value, or say
//! (by a message id and its arguments) what was expected.

use regex::Regex;
use std::collections::HashMap;

use crate::flow::definition::{CurrentKeyword, YearBound};
use crate::normalize::{normalize, normalize_words};

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

#[derive(Debug, Clone)]
pub struct ChoiceOption {
    pub value: String,
    pub label: String,
}

#[derive(Debug, Clone)]
pub enum Validator {
    Year {
        min: YearBound,
        max: YearBound,
    },
    DayOfMonth,
    Integer {
        min: i64,
        max: i64,
    },
    Text {
        letters_min: usize,
        max_len: usize,
    },
    Choice {
        options: Vec<ChoiceOption>,
        /// Normalized option value, label (in every language) or number → option index.
        lookup: HashMap<String, usize>,
    },
    Regex {
        regex: Regex,
        max_len: usize,
    },
}

impl YearBound {
    pub fn resolve(&self, current_year: i64) -> i64 {
        match self {
            YearBound::Year(y) => *y,
            YearBound::Keyword(CurrentKeyword::Current) => current_year,
        }
    }
}

/// All digits, at most `max_digits` of them (leading zeros allowed): "05" → 5.
fn parse_digits(normalized: &str, max_digits: usize) -> Option<i64> {
    let significant = normalized.trim_start_matches('0');
    if normalized.is_empty()
        || !normalized.bytes().all(|b| b.is_ascii_digit())
        || significant.len() > max_digits
    {
        return None;
    }
    Some(significant.parse().unwrap_or(0))
}

impl Validator {
    /// The numbers a refusal message may show; every refusal (default or custom
    /// message) gets all of them.
    pub fn args(&self, current_year: i64) -> Vec<(&'static str, i64)> {
        match self {
            Validator::Year { min, max } => vec![
                ("min", min.resolve(current_year)),
                ("max", max.resolve(current_year)),
            ],
            Validator::DayOfMonth => Vec::new(),
            Validator::Integer { min, max } => vec![("min", *min), ("max", *max)],
            Validator::Text {
                letters_min,
                max_len,
            } => vec![("min", *letters_min as i64), ("max", *max_len as i64)],
            Validator::Choice { options, .. } => vec![("count", options.len() as i64)],
            Validator::Regex { max_len, .. } => vec![("max", *max_len as i64)],
        }
    }

    /// Checks `raw` (already known to be non-empty after normalization). Numbers are
    /// shown back and hashed in their canonical form ("05" → "5").
    pub fn check(&self, raw: &str, current_year: i64) -> Result<Accepted, Rejection> {
        let refuse = |message| Rejection {
            message,
            args: self.args(current_year),
        };
        let number = |value: i64| Accepted {
            shown: value.to_string(),
            normalized: value.to_string(),
        };
        let shown = raw.trim().to_owned();
        let normalized = normalize(raw);
        match self {
            Validator::Year { min, max } => {
                let (min, max) = (min.resolve(current_year), max.resolve(current_year));
                // A year is written with 4 digits: "85" or "mil neuf cent" are refused.
                match parse_digits(&normalized, 4) {
                    Some(year) if normalized.len() == 4 && (min..=max).contains(&year) => {
                        Ok(number(year))
                    }
                    _ => Err(refuse("err-year")),
                }
            }
            Validator::DayOfMonth => match parse_digits(&normalized, 2) {
                Some(day) if (1..=31).contains(&day) => Ok(number(day)),
                _ => Err(refuse("err-day")),
            },
            Validator::Integer { min, max } => {
                match shown.replace([' ', '\u{a0}'], "").parse::<i64>() {
                    Ok(value) if (*min..=*max).contains(&value) => Ok(number(value)),
                    _ => Err(refuse("err-integer")),
                }
            }
            Validator::Text {
                letters_min,
                max_len,
            } => {
                if shown.chars().count() > *max_len {
                    Err(refuse("err-text-too-long"))
                } else if normalized.bytes().any(|b| b.is_ascii_digit())
                    || normalized.len() < *letters_min
                {
                    Err(refuse("err-text"))
                } else {
                    Ok(Accepted { shown, normalized })
                }
            }
            Validator::Choice { options, lookup } => {
                match lookup
                    .get(&normalize_words(raw))
                    .and_then(|i| options.get(*i))
                {
                    Some(option) => Ok(Accepted {
                        shown: option.value.clone(),
                        normalized: option.value.clone(),
                    }),
                    None => Err(refuse("err-choice")),
                }
            }
            Validator::Regex { regex, max_len } => {
                if shown.chars().count() > *max_len {
                    Err(refuse("err-text-too-long"))
                } else if regex.is_match(&shown) {
                    Ok(Accepted { shown, normalized })
                } else {
                    Err(refuse("err-pattern"))
                }
            }
        }
    }

    /// Message ids this validator may use, so the checker can require them.
    pub fn error_messages(&self) -> &'static [&'static str] {
        match self {
            Validator::Year { .. } => &["err-year"],
            Validator::DayOfMonth => &["err-day"],
            Validator::Integer { .. } => &["err-integer"],
            Validator::Text { .. } => &["err-text", "err-text-too-long"],
            Validator::Choice { .. } => &["err-choice"],
            Validator::Regex { .. } => &["err-pattern", "err-text-too-long"],
        }
    }
}

/// Builds the lookup of a choice: by number (1-based), by value, by any label.
pub fn choice_lookup<'a>(
    options: &[ChoiceOption],
    labels_in_every_language: impl Fn(&ChoiceOption) -> Vec<String> + 'a,
) -> HashMap<String, usize> {
    let mut lookup = HashMap::new();
    for (i, option) in options.iter().enumerate() {
        for label in labels_in_every_language(option) {
            lookup.entry(normalize_words(&label)).or_insert(i);
        }
    }
    // Values and numbers win over labels: they are what buttons and menus send.
    for (i, option) in options.iter().enumerate() {
        lookup.insert(normalize_words(&option.value), i);
        lookup.insert((i + 1).to_string(), i);
    }
    lookup
}

#[cfg(test)]
mod tests {
    use super::*;

    fn year() -> Validator {
        Validator::Year {
            min: YearBound::Year(1900),
            max: YearBound::Keyword(CurrentKeyword::Current),
        }
    }

    #[test]
    fn years_outside_the_range_or_not_four_digits_are_refused() {
        let v = year();
        let year = v.check(" 1985. ", 2026).unwrap();
        assert_eq!(
            (year.shown.as_str(), year.normalized.as_str()),
            ("1985", "1985")
        );
        for bad in ["1850", "2090", "85", "mil neuf cent", "19 85x", "2027"] {
            let err = v.check(bad, 2026).unwrap_err();
            assert_eq!(err.message, "err-year", "{bad}");
            assert_eq!(err.args, vec![("min", 1900), ("max", 2026)]);
        }
    }

    #[test]
    fn days_are_one_to_thirty_one_in_digits() {
        let v = Validator::DayOfMonth;
        assert_eq!(v.check("05", 2026).unwrap().shown, "5");
        assert_eq!(v.check("5", 2026).unwrap().normalized, "5");
        assert_eq!(v.check("31", 2026).unwrap().normalized, "31");
        for bad in ["0", "32", "15th", "quinze", "123"] {
            assert_eq!(v.check(bad, 2026).unwrap_err().message, "err-day", "{bad}");
        }
    }

    #[test]
    fn text_needs_letters_and_no_digits() {
        let v = Validator::Text {
            letters_min: 2,
            max_len: 10,
        };
        assert_eq!(v.check(" N'Djaména ", 2026).unwrap().normalized, "NDJAMENA");
        assert_eq!(v.check("J", 2026).unwrap_err().message, "err-text");
        assert_eq!(v.check("Jean2", 2026).unwrap_err().message, "err-text");
        assert_eq!(
            v.check("Bartholomew-Jean", 2026).unwrap_err().message,
            "err-text-too-long"
        );
    }

    #[test]
    fn choices_accept_number_value_and_label() {
        let options = vec![
            ChoiceOption {
                value: "H".into(),
                label: "opt-m".into(),
            },
            ChoiceOption {
                value: "F".into(),
                label: "opt-f".into(),
            },
        ];
        let lookup = choice_lookup(&options, |o| {
            if o.value == "H" {
                vec!["Homme".into(), "Mobali".into()]
            } else {
                vec!["Femme".into(), "Mwasi".into()]
            }
        });
        let v = Validator::Choice { options, lookup };
        for (input, value) in [
            ("1", "H"),
            ("2", "F"),
            ("homme", "H"),
            ("MWASI", "F"),
            ("f", "F"),
        ] {
            assert_eq!(v.check(input, 2026).unwrap().normalized, value, "{input}");
        }
        assert_eq!(v.check("3", 2026).unwrap_err().args, vec![("count", 2)]);
    }

    #[test]
    fn integers_and_patterns() {
        let v = Validator::Integer { min: 1, max: 12 };
        assert_eq!(v.check("07", 2026).unwrap().normalized, "7");
        assert_eq!(v.check("13", 2026).unwrap_err().message, "err-integer");
        let r = Validator::Regex {
            regex: Regex::new("^(?:[A-Z]{2}-[0-9]{3})$").unwrap(),
            max_len: 10,
        };
        assert_eq!(r.check("AB-123", 2026).unwrap().normalized, "AB123");
        assert_eq!(r.check("AB123", 2026).unwrap_err().message, "err-pattern");
    }
}
