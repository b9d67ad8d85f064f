//! A key written twice, a word where a number is expected inside a `type:` block, and a
//! value that fits none of a setting's forms (`enabled: oui`, `max: maintenant`):
//! reported in French at the line of the key itself, not at the block's first line.

use super::{assert_error, assert_passes, Copy, FLOW};

#[test]
fn a_repeated_key_is_named_at_its_second_line() {
    let c = Copy::new();
    c.edit(
        FLOW,
        "max_message_chars:",
        "max_attempts: 4\nmax_message_chars:",
    );
    let first = c.line_of(FLOW, "max_attempts: 3");
    let repeat = c.line_of(FLOW, "max_attempts: 4");
    let (_, out) = c.check();
    assert!(!out.contains("duplicate"), "English left: {out}");
    assert_error(
        &c,
        FLOW,
        repeat,
        &format!("la clé « max_attempts » est écrite deux fois dans le même bloc, aux lignes {first} et {repeat}"),
    );
    c.edit(FLOW, "max_attempts: 4\n", "");
    assert_passes(&c);
}

#[test]
fn a_repeated_key_inside_a_type_block_is_at_its_line() {
    let c = Copy::new();
    c.edit(
        FLOW,
        "    extract: { type: last_digits, count: 3 }",
        "    extract:\n      type: last_digits\n      count: 3\n      count: 2",
    );
    assert_error(
        &c,
        FLOW,
        c.line_of(FLOW, "      count: 2"),
        "la clé « count » est écrite deux fois dans le même bloc (à « question 1, extract »)",
    );
}

#[test]
fn a_repeated_language_in_a_word_list_is_an_error() {
    // serde keeps the last list without a word: the file says two things.
    let c = Copy::new();
    c.edit(
        FLOW,
        "    fr: [AIDE, HELP]",
        "    fr: [AIDE, HELP]\n    fr: [SOS]",
    );
    assert_error(
        &c,
        FLOW,
        c.line_of(FLOW, "    fr: [SOS]"),
        "la clé « fr » est écrite deux fois dans le même bloc (à « commands.help »)",
    );
}

#[test]
fn a_word_for_a_number_in_an_extraction_is_at_its_key() {
    let c = Copy::new();
    c.edit(
        FLOW,
        "    extract: { type: last_digits, count: 3 }",
        "    extract:\n      type: last_digits\n      count: trois",
    );
    assert_error(
        &c,
        FLOW,
        c.line_of(FLOW, "count: trois"),
        "un nombre entier positif est attendu (à « question 1, extract.count »)",
    );
    c.edit(FLOW, "count: trois", "count: 3");
    assert_passes(&c);
}

#[test]
fn a_french_yes_for_confirm_is_at_its_line() {
    // serde names no key for a value that fits none of confirm's forms: the sentence
    // must still point at the line a programme officer wrote.
    let c = Copy::new();
    c.edit(FLOW, "  enabled: true", "  enabled: oui");
    assert_error(
        &c,
        FLOW,
        c.line_of(FLOW, "  enabled: oui"),
        "confirm ne comprend pas « oui » : écrivez true ou false (pas oui ou non)",
    );
    c.edit(FLOW, "  enabled: oui", "  enabled: true");
    assert_passes(&c);
}

#[test]
fn a_word_for_a_year_bound_is_at_its_key() {
    let c = Copy::new();
    c.edit(FLOW, "max: current }", "max: maintenant }");
    assert_error(
        &c,
        FLOW,
        c.line_of(FLOW, "max: maintenant"),
        "« maintenant » n'est pas une année (à « question 1, validate.max »)",
    );
}
