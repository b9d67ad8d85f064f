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
}
