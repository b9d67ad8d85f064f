//! USSD screens (src/flow/load/ussd.rs): a message that makes a screen longer than 182
//! characters is named at its line, in the language concerned; a `.ussd` short form
//! fixes it.

use super::{assert_error, assert_passes, Copy};

const EN: &str = "locales/en/ciu.ftl";

#[test]
fn a_question_too_long_for_a_screen_needs_a_short_form() {
    let c = Copy::new();
    let long = "Please tell us, as precisely as you can and in full, the name of the town or \
                village where your mother was born, even if it is small or far away";
    c.edit(
        EN,
        "q-mother-birthplace = ({ $number }/{ $total }) Where was your mother born? (town or village)",
        &format!("q-mother-birthplace = ({{ $number }}/{{ $total }}) {long}"),
    );
    let line = c.line_of(EN, "q-mother-birthplace =");
    assert_error(
        &c, EN, line,
        "(en) a 2", // "… » (en) a 2xx caractères ; un écran USSD en permet 182"
    );
    let (_, out) = c.check();
    assert!(out.contains("un écran USSD en permet 182"), "{out}");
    assert!(out.contains("q-mother-birthplace"), "{out}");
    c.edit(
        EN,
        "    Example: Kinshasa",
        "    Example: Kinshasa\n    .ussd = ({ $number }/{ $total }) Mother's town or village?",
    );
    assert_passes(&c);
}

#[test]
fn a_short_form_too_long_is_reported_too() {
    let c = Copy::new();
    let long = "x".repeat(200);
    c.edit(
        EN,
        "    .ussd = Resuming. To start again: { $restart }",
        &format!("    .ussd = {long}"),
    );
    let line = c.line_of(EN, "resumed =");
    assert_error(&c, EN, line, "un écran USSD en permet 182");
}

#[test]
fn every_screen_of_the_shipped_flow_fits() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let flow = ciu::flow::load(&root.join("flows/ciu.yaml"), &root.join("locales"))
        .unwrap()
        .flow;
    let problems = ciu::flow::load::ussd::check_ussd_screens(&flow);
    assert!(problems.is_empty(), "{problems:?}");
}
