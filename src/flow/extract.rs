//! Extraction rules: the part of a normalized answer that appears in the code.

use crate::flow::definition::ExtractDef;

pub fn extract(rule: &ExtractDef, normalized: &str) -> String {
    match rule {
        ExtractDef::FirstLetters { count, pad } => {
            let mut out: String = normalized
                .chars()
                .filter(char::is_ascii_alphabetic)
                .take(*count)
                .collect();
            while out.chars().count() < *count {
                out.push(*pad);
            }
            out
        }
        ExtractDef::LastDigits { count } => {
            let digits: Vec<char> = normalized.chars().filter(char::is_ascii_digit).collect();
            let tail: String = digits[digits.len().saturating_sub(*count)..]
                .iter()
                .collect();
            format!("{tail:0>count$}")
        }
        ExtractDef::ZeroPad { width } => {
            let digits: String = normalized.chars().filter(char::is_ascii_digit).collect();
            format!("{digits:0>width$}")
        }
        ExtractDef::Whole {} => normalized.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guides_examples() {
        let last3 = ExtractDef::LastDigits { count: 3 };
        let first4 = ExtractDef::FirstLetters { count: 4, pad: 'X' };
        let first3 = ExtractDef::FirstLetters { count: 3, pad: 'X' };
        let day = ExtractDef::ZeroPad { width: 2 };
        assert_eq!(extract(&last3, "1985"), "985");
        assert_eq!(extract(&first4, "KINSHASA"), "KINS");
        assert_eq!(extract(&first3, "JEAN"), "JEA");
        assert_eq!(extract(&first3, "JO"), "JOX");
        assert_eq!(extract(&day, "15"), "15");
        assert_eq!(extract(&day, "5"), "05");
        assert_eq!(extract(&ExtractDef::Whole {}, "H"), "H");
    }
}
