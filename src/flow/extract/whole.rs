//! `type: whole` — the whole normalized value (for a choice: the option's value; for a
//! date: `YYYYMMDD`).

use super::*;

/// No options; a struct (even empty) so that unknown keys are refused, not ignored.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {}

pub const HINT: &str = "whole pour tout";

impl ExtractionRule for Definition {
    fn fits(&self, _: AnswerKind) -> bool {
        true
    }

    fn check(&self, _: &mut Compile) {}

    fn extract(&self, normalized: &str) -> String {
        normalized.to_owned()
    }

    fn describe(&self) -> String {
        "La réponse entière (pour un choix : la valeur de l'option ; pour une date : AAAAMMJJ)"
            .to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything() {
        assert_eq!(Definition {}.extract("H"), "H");
    }

    #[test]
    fn described_in_plain_french() {
        assert_eq!(
            Definition {}.describe(),
            "La réponse entière (pour un choix : la valeur de l'option ; pour une date : AAAAMMJJ)"
        );
    }
}
