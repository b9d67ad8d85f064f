//! `type: first_letters` — the first `count` letters; shorter answers are padded with
//! `pad` (default X).

use super::*;

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    pub count: usize,
    #[serde(default = "default_pad")]
    pub pad: char,
}

fn default_pad() -> char {
    'X'
}

pub const HINT: &str = "first_letters pour du texte ou un choix";

impl ExtractionRule for Definition {
    fn fits(&self, kind: AnswerKind) -> bool {
        kind == AnswerKind::TEXT
    }

    fn check(&self, cx: &mut Compile) {
        check_count(cx, "count", self.count);
        if !self.pad.is_ascii_alphanumeric() {
            cx.error(
                ".pad",
                "le caractère de remplissage doit être une lettre ou un chiffre (ex. X).",
            );
        }
    }

    fn extract(&self, normalized: &str) -> String {
        let mut out: String = normalized
            .chars()
            .filter(char::is_ascii_alphabetic)
            .take(self.count)
            .collect();
        while out.chars().count() < self.count {
            out.push(self.pad);
        }
        out
    }

    fn describe(&self) -> String {
        let pad = self.pad;
        match self.count {
            1 => format!("La première lettre ({pad} s'il n'y en a pas)"),
            n => {
                format!("Les {n} premières lettres (complétées par {pad} si la réponse en a moins)")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_letters_padded() {
        let first4 = Definition { count: 4, pad: 'X' };
        let first3 = Definition { count: 3, pad: 'X' };
        assert_eq!(first4.extract("KINSHASA"), "KINS");
        assert_eq!(first3.extract("JEAN"), "JEA");
        assert_eq!(first3.extract("JO"), "JOX");
    }

    #[test]
    fn described_in_plain_french() {
        assert_eq!(
            Definition { count: 4, pad: 'X' }.describe(),
            "Les 4 premières lettres (complétées par X si la réponse en a moins)"
        );
        assert_eq!(
            Definition { count: 1, pad: 'Z' }.describe(),
            "La première lettre (Z s'il n'y en a pas)"
        );
    }
}
