//! Answer normalization (SPEC §4): the same person typing with other case, accents
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

#[cfg(test)]
mod tests {
    use super::*;

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
