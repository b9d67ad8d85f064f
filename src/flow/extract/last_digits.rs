//! `type: last_digits` — the last `count` digits, zero-padded on the left.

use super::*;

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    pub count: usize,
}

pub const HINT: &str = "last_digits pour une année, un jour ou un nombre";

impl ExtractionRule for Definition {
    fn fits(&self, kind: AnswerKind) -> bool {
        kind == AnswerKind::NUMBER
    }

    fn check(&self, cx: &mut Compile) {
        check_count(cx, "count", self.count);
    }

    fn extract(&self, normalized: &str) -> String {
        let count = self.count;
        let digits: Vec<char> = normalized.chars().filter(char::is_ascii_digit).collect();
        let tail: String = digits[digits.len().saturating_sub(count)..]
            .iter()
            .collect();
        format!("{tail:0>count$}")
    }

    fn describe(&self) -> String {
        match self.count {
            1 => "Le dernier chiffre".to_owned(),
            n => format!("Les {n} derniers chiffres (complétés par des 0 devant si besoin)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_digits() {
        assert_eq!(Definition { count: 3 }.extract("1985"), "985");
        assert_eq!(Definition { count: 3 }.extract("7"), "007");
    }

    #[test]
    fn described_in_plain_french() {
        assert_eq!(
            Definition { count: 3 }.describe(),
            "Les 3 derniers chiffres (complétés par des 0 devant si besoin)"
        );
        assert_eq!(Definition { count: 1 }.describe(), "Le dernier chiffre");
    }
}
