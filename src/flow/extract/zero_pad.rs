//! `type: zero_pad` — the number written with at least `width` digits (5 → 05).

use super::*;

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    pub width: usize,
}

pub const HINT: &str = "zero_pad pour une année, un jour ou un nombre";

impl ExtractionRule for Definition {
    fn fits(&self, kind: AnswerKind) -> bool {
        kind == AnswerKind::NUMBER
    }

    fn check(&self, cx: &mut Compile) {
        check_count(cx, "width", self.width);
    }

    fn extract(&self, normalized: &str) -> String {
        let width = self.width;
        let digits: String = normalized.chars().filter(char::is_ascii_digit).collect();
        format!("{digits:0>width$}")
    }

    fn describe(&self) -> String {
        let width = self.width;
        match width {
            1 => "Le nombre tel quel".to_owned(),
            _ => format!(
                "Le nombre écrit avec {width} chiffres au moins, des 0 devant si besoin (5 → {})",
                self.extract("5")
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_to_the_width() {
        let day = Definition { width: 2 };
        assert_eq!(day.extract("15"), "15");
        assert_eq!(day.extract("5"), "05");
    }

    #[test]
    fn described_in_plain_french() {
        assert_eq!(
            Definition { width: 2 }.describe(),
            "Le nombre écrit avec 2 chiffres au moins, des 0 devant si besoin (5 → 05)"
        );
    }
}
