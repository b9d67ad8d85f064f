//! `type: date` — a full date of birth: "15/03/1985", "15-03-85", "15.03.1985",
//! "15 mars 1985", "15 March 1985", "15 Machi 1985", "15 sanza ya misato 1985"; month
//! names of the four shipped languages are recognized whatever the person's language
//! (accents and case ignored). A two-digit year takes the latest century that gives a
//! date not in the future and within `min`/`max`.
//!
//! Shown back as `15/03/1985`, hashed and extracted as `19850315` (`date_part` takes
//! the day, month or year out of it).

use chrono::{Datelike, NaiveDate};
use unicode_normalization::char::is_combining_mark;

use super::*;
use crate::normalize::normalize_words;

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    /// Bounds of the year of the date (`max: current`: the current year).
    pub min: YearBound,
    pub max: YearBound,
}

pub const MESSAGES: Messages = Messages {
    ids: &[
        "err-date",
        "err-date-impossible",
        "err-date-year",
        "err-date-future",
    ],
    variables: &["min", "max"],
};

/// A full date, normalized as `YYYYMMDD` (what the extraction `date_part` reads).
pub const KIND: AnswerKind = AnswerKind("date");

/// Month names and usual abbreviations (fr, ln, sw, en), as `normalize_words` writes
/// them. Lingala: the CLDR names ("sánzá ya mísáto", month three) and the borrowed ones
/// ("mársi").
const MONTHS: [&[&str]; 12] = [
    &["JANVIER", "JANV", "JAN", "JANUARY", "JANUARI", "SANZA YA YAMBO", "YANWALI", "YAN"],
    &["FEVRIER", "FEVR", "FEV", "FEBRUARY", "FEB", "FEBRUARI", "SANZA YA MIBALE", "FEBWALI", "FBL"],
    &["MARS", "MARCH", "MAR", "MACHI", "MAC", "SANZA YA MISATO", "MARSI", "MSI"],
    &["AVRIL", "AVR", "APRIL", "APR", "APRILI", "SANZA YA MINEI", "APL"],
    &["MAI", "MAY", "MEI", "SANZA YA MITANO", "MAYI"],
    &["JUIN", "JUNE", "JUN", "JUNI", "SANZA YA MOTOBA", "YUNI", "YUN"],
    &["JUILLET", "JUIL", "JULY", "JUL", "JULAI", "SANZA YA NSAMBO", "YULI", "YUL"],
    &["AOUT", "AUGUST", "AUG", "AGOSTI", "AGO", "SANZA YA MWAMBE", "AUGUSTO", "AGT"],
    &["SEPTEMBRE", "SEPT", "SEP", "SEPTEMBER", "SEPTEMBA", "SANZA YA LIBWA", "SETEMBE", "STB"],
    &["OCTOBRE", "OCT", "OCTOBER", "OKTOBA", "OKT", "SANZA YA ZOMI", "OKOTOBE", "OTB"],
    &["NOVEMBRE", "NOV", "NOVEMBER", "NOVEMBA", "SANZA YA ZOMI NA MOKO", "NOVEMBE", "NVB"],
    &["DECEMBRE", "DEC", "DECEMBER", "DESEMBA", "DES", "SANZA YA ZOMI NA MIBALE", "DESEMBE", "DSB"],
];

/// Ordinal marks after a day: "1er mars", "1st March".
const ORDINALS: &[&str] = &["ER", "ERE", "ST", "ND", "RD", "TH"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// Not a date written in a form we read.
    Form,
    /// No such day (31/02, 29/02 of a non-leap year, month 13).
    Impossible,
    /// Year outside `min`/`max`.
    Year,
    Future,
}

impl Refusal {
    fn message(self) -> &'static str {
        match self {
            Refusal::Form => "err-date",
            Refusal::Impossible => "err-date-impossible",
            Refusal::Year => "err-date-year",
            Refusal::Future => "err-date-future",
        }
    }
}

/// A date as written, before its year is resolved.
#[derive(Debug, PartialEq, Eq)]
struct Written {
    day: u32,
    month: u32,
    /// The year and how many digits it was written with (2 or 4).
    year: (u32, usize),
}

enum Token {
    Number(String),
    Word(String),
}

/// Numbers and words, split at separators and at digit/letter changes ("15mars").
fn tokens(raw: &str) -> Vec<Token> {
    let open_vowels: String = raw
        .chars()
        .map(|c| match c {
            'ɔ' | 'Ɔ' => 'o',
            'ɛ' | 'Ɛ' => 'e',
            c if c.is_alphanumeric() || is_combining_mark(c) => c,
            _ => ' ',
        })
        .collect();
    let mut out: Vec<Token> = Vec::new();
    for word in normalize_words(&open_vowels).split(' ') {
        let mut rest = word;
        while let Some(first) = rest.chars().next() {
            let digits = first.is_ascii_digit();
            let end = rest
                .find(|c: char| c.is_ascii_digit() != digits)
                .unwrap_or(rest.len());
            let (piece, tail) = rest.split_at(end);
            out.push(if digits {
                Token::Number(piece.to_owned())
            } else {
                Token::Word(piece.to_owned())
            });
            rest = tail;
        }
    }
    out
}

fn month_named(words: &str) -> Option<u32> {
    MONTHS
        .iter()
        .position(|names| names.contains(&words))
        .map(|i| i as u32 + 1)
}

/// A day or a month: one or two digits.
fn day_or_month(digits: &str) -> Option<u32> {
    if digits.len() > 2 {
        return None;
    }
    digits.parse().ok()
}

/// A year and how many digits it was written with: two or four.
fn year_of(digits: &str) -> Option<(u32, usize)> {
    if !matches!(digits.len(), 2 | 4) {
        return None;
    }
    Some((digits.parse().ok()?, digits.len()))
}

/// Reads day, month and year: three numbers (day first, or an ISO year first), or two
/// numbers around a month name.
fn read(raw: &str) -> Result<Written, Refusal> {
    let mut numbers = Vec::new();
    let mut words = Vec::new();
    let mut after_number = false;
    for token in tokens(raw) {
        match token {
            Token::Number(n) => {
                numbers.push(n);
                after_number = true;
            }
            Token::Word(w) if after_number && ORDINALS.contains(&w.as_str()) => {}
            Token::Word(w) => {
                words.push(w);
                after_number = false;
            }
        }
    }
    let form = |day: &str, month: u32, year: &str| -> Result<Written, Refusal> {
        Ok(Written {
            day: day_or_month(day).ok_or(Refusal::Form)?,
            month,
            year: year_of(year).ok_or(Refusal::Form)?,
        })
    };
    match (numbers.as_slice(), words.is_empty()) {
        ([y, m, d], true) if y.len() == 4 => form(d, day_or_month(m).ok_or(Refusal::Form)?, y),
        ([d, m, y], true) => form(d, day_or_month(m).ok_or(Refusal::Form)?, y),
        ([a, b], false) => {
            let month = month_named(&words.join(" ")).ok_or(Refusal::Form)?;
            if a.len() == 4 {
                form(b, month, a)
            } else {
                form(a, month, b)
            }
        }
        _ => Err(Refusal::Form),
    }
}

impl ValidatorDefinition for Definition {
    fn compile(&self, cx: &mut Compile) -> Option<Box<dyn Validate>> {
        let year = cx.current_year;
        check_bounds(cx, self.min.resolve(year), self.max.resolve(year));
        Some(Box::new(self.clone()))
    }

    fn describe(&self) -> String {
        format!(
            "Date complète (jour, mois, année ; ex. 15/03/1985 ou 15 mars 1985), année entre {} et {}, pas dans le futur",
            self.min.describe(),
            self.max.describe()
        )
    }
}

impl Definition {
    /// The date for a written year: the only one for four digits; for two digits the
    /// latest century that gives a valid date not after `today`, within the bounds.
    fn resolve(&self, written: &Written, today: NaiveDate) -> Result<NaiveDate, Refusal> {
        let current = today.year() as i64;
        let (min, max) = (self.min.resolve(current), self.max.resolve(current));
        let (year, digits) = written.year;
        let candidates: Vec<i64> = if digits == 4 {
            vec![year as i64]
        } else {
            (min.div_euclid(100)..=max.div_euclid(100))
                .rev()
                .map(|century| century * 100 + year as i64)
                .collect()
        };
        if !(1..=12).contains(&written.month) {
            return Err(Refusal::Impossible);
        }
        // The worst refusal seen, for when no century fits.
        let mut refusal = Refusal::Year;
        for year in candidates {
            if !(min..=max).contains(&year) {
                continue;
            }
            let Some(date) = NaiveDate::from_ymd_opt(year as i32, written.month, written.day)
            else {
                refusal = Refusal::Impossible;
                continue;
            };
            if date > today {
                // "Impossible" says more than "future", which says more than "year".
                if refusal != Refusal::Impossible {
                    refusal = Refusal::Future;
                }
                continue;
            }
            return Ok(date);
        }
        Err(refusal)
    }
}

impl Validate for Definition {
    fn check(&self, raw: &str, today: NaiveDate) -> Result<Accepted, Rejection> {
        let bounds = year_bounds(&self.min, &self.max, today.year() as i64);
        let refuse = |refusal: Refusal| MESSAGES.refuse(refusal.message(), &bounds);
        let written = read(raw).map_err(refuse)?;
        let date = self.resolve(&written, today).map_err(refuse)?;
        Ok(Accepted {
            shown: date.format("%d/%m/%Y").to_string(),
            normalized: date.format("%Y%m%d").to_string(),
        })
    }

    fn answer_kind(&self) -> AnswerKind {
        KIND
    }

    fn longest_answer(&self) -> usize {
        "15/03/1985".len()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{compile, day};
    use super::*;

    fn birth_date() -> Box<dyn Validate> {
        compile(&Definition {
            min: YearBound::Year(1900),
            max: YearBound::Keyword(CurrentKeyword::Current),
        })
    }

    #[test]
    fn the_usual_ways_of_writing_a_date() {
        let v = birth_date();
        let today = day(2026, 6, 15);
        for input in [
            "15/03/1985",
            "15-03-85",
            "15.03.1985",
            " 15 / 3 / 1985 ",
            "15 mars 1985",
            "15 MARS 85",
            "15 March 1985",
            "March 15, 1985",
            "15 Machi 1985",
            "15 sanza ya misato 1985",
            "15 sánzá ya mísáto 1985",
            "15 mársi 1985",
            "1985-03-15",
            "15mars1985",
        ] {
            let accepted = v.check(input, today).unwrap_or_else(|e| panic!("{input}: {e:?}"));
            assert_eq!(accepted.shown, "15/03/1985", "{input}");
            assert_eq!(accepted.normalized, "19850315", "{input}");
        }
        let first = v.check("1er février 2000", today).unwrap();
        assert_eq!(first.normalized, "20000201");
        let ln = v.check("2 sanza ya zomi na mibale 1990", today).unwrap();
        assert_eq!(ln.normalized, "19901202");
        let ln = v.check("2 ɔkɔtɔ́bɛ 1990", today).unwrap();
        assert_eq!(ln.normalized, "19901002");
    }

    #[test]
    fn two_digit_years_are_in_the_past() {
        let v = birth_date();
        let today = day(2026, 6, 15);
        assert_eq!(v.check("15/03/26", today).unwrap().normalized, "20260315");
        assert_eq!(v.check("15/07/26", today).unwrap().normalized, "19260715");
        assert_eq!(v.check("01/01/05", today).unwrap().normalized, "20050101");
        assert_eq!(v.check("01/01/99", today).unwrap().normalized, "19990101");
        // 29/02/00: 2000 was a leap year.
        assert_eq!(v.check("29/02/00", today).unwrap().normalized, "20000229");
    }

    #[test]
    fn impossible_future_out_of_range_and_unreadable_dates_are_refused() {
        let v = birth_date();
        let today = day(2026, 6, 15);
        for (input, message) in [
            ("31/02/1985", "err-date-impossible"),
            ("29/02/1985", "err-date-impossible"),
            ("15/13/1985", "err-date-impossible"),
            ("03/15/1985", "err-date-impossible"),
            ("15/03/1850", "err-date-year"),
            ("15/03/2090", "err-date-year"),
            ("16/06/2026", "err-date-future"),
            ("15/03", "err-date"),
            ("1985", "err-date"),
            ("15031985", "err-date"),
            ("15/03/985", "err-date"),
            ("15 marz 1985", "err-date"),
            ("quinze mars", "err-date"),
        ] {
            let refusal = v.check(input, today).unwrap_err();
            assert_eq!(refusal.message, message, "{input}");
            assert_eq!(refusal.args, vec![("min", 1900), ("max", 2026)]);
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
            "Date complète (jour, mois, année ; ex. 15/03/1985 ou 15 mars 1985), année entre 1900 et l'année en cours, pas dans le futur"
        );
    }
}
