//! SMS segments (src/flow/load/sms.rs): a message taking more SMS than the flow's
//! `sms.max_segments` is named at its line, in the language concerned, with the
//! character that made it UCS-2; `ciu check` reports the count per language.

use super::{assert_error, assert_passes, Copy};

const FR: &str = "locales/fr/ciu.ftl";

fn long_question(letter: char) -> String {
    format!(
        "q-first-name = ({{ $number }}/{{ $total }}) {}\n    .ussd = ({{ $number }}/{{ $total }}) Prénom ?\n    Exemple : Jean",
        format!("Quel est votre pr{letter}nom complet, tel qu'il est ecrit sur vos papiers ? ").repeat(4)
    )
}

#[test]
fn one_accent_outside_gsm7_makes_a_message_take_more_sms() {
    let c = Copy::new();
    c.edit(
        FR,
        "q-first-name = ({ $number }/{ $total }) Quel est votre prénom ?\n    Exemple : Jean",
        &long_question('ê'),
    );
    let line = c.line_of(FR, "q-first-name =");
    assert_error(&c, FR, line, "prend 5 SMS en UCS-2");
    let (_, out) = c.check();
    assert!(
        out.contains("« ê » n'est pas dans l'alphabet GSM-7"),
        "{out}"
    );
    assert!(out.contains("sms.max_segments"), "{out}");
    // Without the accent the same text is GSM-7: 160 characters per SMS, 2 SMS.
    c.edit(FR, &long_question('ê'), &long_question('e'));
    assert_passes(&c);
    let (_, out) = c.check();
    assert!(out.contains("SMS (fr, limite 4 SMS)"), "{out}");
    assert!(out.contains("q-first-name 2 (GSM-7)"), "{out}");
}

#[test]
fn the_limit_is_the_flows() {
    let c = Copy::new();
    c.edit(
        "flows/ciu.yaml",
        "sms: { max_segments: 4 }",
        "sms: { max_segments: 1 }",
    );
    let line = c.line_of(FR, "help =");
    assert_error(&c, FR, line, "(fr) prend 3 SMS en UCS-2");
}
