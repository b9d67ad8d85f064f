//! Answer normalization: the same person typing with other case, accents
//! (precomposed or decomposed), spaces or punctuation must produce the same value.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Unicode NFD, drop combining marks, uppercase, keep only `A–Z` and `0–9`.
///
/// `"  Kinshasa "` → `KINSHASA`, `"N'Djaména"` → `NDJAMENA`, `"Jean-Paul"` → `JEANPAUL`.
pub fn normalize(input: &str) -> String {
    input
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_uppercase)
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// Normalization for matching commands and choice labels: like [`normalize`] but keeps
/// the boundaries between words, so "je veux de l'aide" never equals "AIDE".
pub fn normalize_words(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut pending_space = false;
    for c in input.nfd().filter(|c| !is_combining_mark(*c)) {
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_uppercase());
        } else if c.is_whitespace() || c == '\'' || c == '’' || c == '-' {
            pending_space = true;
        }
    }
    out
}

/// Whether `c` changes the direction of the text around it: the embeddings and
/// overrides U+202A–U+202E, the isolates U+2066–U+2069, and the marks LRM, RLM and ALM.
/// Typed in an answer, they would reorder the summary echoed back to the person.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// `input` without its bidirectional controls ([`is_bidi_control`]), for what is shown
/// back. [`normalize`] keeps only letters and digits, so the code never saw them.
pub fn without_bidi_controls(input: &str) -> String {
    input.chars().filter(|&c| !is_bidi_control(c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_controls_are_not_shown_and_never_reach_the_code() {
        let typed = "\u{202E}Kabila\u{202C} \u{2066}Jean\u{2069}\u{200F}";
        assert_eq!(without_bidi_controls(typed), "Kabila Jean");
        assert_eq!(normalize(typed), "KABILAJEAN");
        assert_eq!(normalize_words(typed), "KABILA JEAN");
        for c in [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}',
        ] {
            assert!(is_bidi_control(c));
            assert_eq!(normalize(&format!("a{c}b")), "AB");
        }
        assert_eq!(without_bidi_controls("N'Djaména"), "N'Djaména");
    }

    #[test]
    fn accents_case_spaces_and_punctuation_disappear() {
        assert_eq!(normalize("  Kinshasa "), "KINSHASA");
        assert_eq!(normalize("N'Djamena"), "NDJAMENA");
        assert_eq!(normalize("Jean-Paul"), "JEANPAUL");
        assert_eq!(normalize("Ça"), "CA");
        assert_eq!(normalize("1985."), "1985");
    }

    #[test]
    fn precomposed_and_decomposed_accents_are_equal() {
        let precomposed = "B\u{e9}atrice";
        let decomposed = "Be\u{301}atrice";
        assert_ne!(precomposed, decomposed);
        assert_eq!(normalize(precomposed), normalize(decomposed));
        assert_eq!(normalize(precomposed), "BEATRICE");
    }

    #[test]
    fn emoji_and_control_characters_vanish() {
        assert_eq!(normalize("😀\u{7}\t"), "");
    }

    #[test]
    fn words_keep_their_boundaries() {
        assert_eq!(normalize_words(" aide "), "AIDE");
        assert_eq!(normalize_words("Aidé Mbuyi"), "AIDE MBUYI");
        assert_eq!(normalize_words("je veux de l'aide"), "JE VEUX DE L AIDE");
        assert_eq!(normalize_words("Français"), "FRANCAIS");
    }
}
