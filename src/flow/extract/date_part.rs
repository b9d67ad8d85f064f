//! `type: date_part` — the `day`, `month` or `year` of a date (validator `date`), its
//! last `digits` digits (default: 2 for a day or a month, 4 for a year), zero-padded:
//! `15/03/1985` gives `15` (day), `03` (month), `985` (year, digits: 3).

use super::*;

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    pub part: Part,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digits: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Day,
    Month,
    Year,
}

pub const HINT: &str = "date_part (part: day, month ou year) pour une date";

impl Definition {
    /// Where the part is in `YYYYMMDD`, and its full width.
    fn span(&self) -> (usize, usize) {
        match self.part {
            Part::Year => (0, 4),
            Part::Month => (4, 2),
            Part::Day => (6, 2),
        }
    }
}

impl ExtractionRule for Definition {
    fn fits(&self, kind: AnswerKind) -> bool {
        kind == crate::flow::validators::date::KIND
    }

    fn check(&self, cx: &mut Compile) {
        let (_, width) = self.span();
        if let Some(digits) = self.digits {
            if !(1..=width).contains(&digits) {
                cx.error(
                    ".digits",
                    format!("digits doit être entre 1 et {width} pour cette partie de la date."),
                );
            }
        }
    }

    fn extract(&self, normalized: &str) -> String {
        let (start, width) = self.span();
        let digits = self.digits.unwrap_or(width).min(width);
        let part = normalized.get(start..start + width).unwrap_or_default();
        part[width.saturating_sub(digits).min(part.len())..].to_owned()
    }

    fn describe(&self) -> String {
        let (_, width) = self.span();
        let (name, of) = match self.part {
            Part::Day => ("Le jour de la date", "du jour"),
            Part::Month => ("Le mois de la date", "du mois"),
            Part::Year => ("L'année de la date", "de l'année"),
        };
        match self.digits.unwrap_or(width).min(width) {
            d if d == width => format!("{name}, sur {width} chiffres"),
            1 => format!("Le dernier chiffre {of} de la date"),
            d => format!("Les {d} derniers chiffres {of} de la date"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_month_and_year_of_a_date() {
        let part = |part, digits| Definition { part, digits }.extract("19850315");
        assert_eq!(part(Part::Day, None), "15");
        assert_eq!(part(Part::Month, None), "03");
        assert_eq!(part(Part::Year, None), "1985");
        assert_eq!(part(Part::Year, Some(3)), "985");
        assert_eq!(part(Part::Day, Some(1)), "5");
    }

    #[test]
    fn described_in_plain_french() {
        let describe = |part, digits| Definition { part, digits }.describe();
        assert_eq!(
            describe(Part::Day, None),
            "Le jour de la date, sur 2 chiffres"
        );
        assert_eq!(
            describe(Part::Month, Some(2)),
            "Le mois de la date, sur 2 chiffres"
        );
        assert_eq!(
            describe(Part::Year, Some(3)),
            "Les 3 derniers chiffres de l'année de la date"
        );
        assert_eq!(
            describe(Part::Day, Some(1)),
            "Le dernier chiffre du jour de la date"
        );
    }
}
