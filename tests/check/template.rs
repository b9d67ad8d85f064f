//! The code template (`ciu.template`): only text and plain `{{ variable }}` naming a
//! question or the hash, which must be shown. Each refused construct is reported at the
//! line of `template:`, says where it is in the template and what to write instead.

use super::{assert_error, assert_passes, Copy, FLOW};

/// The shipped template.
const SHIPPED: &str = "{{ birth_year }}-{{ mother_birthplace }}-{{ birth_day }}-{{ first_name }}-{{ last_name }}-{{ hash }}";

/// A copy whose template is `template` (written inside the YAML double quotes).
fn with_template(template: &str) -> Copy {
    let c = Copy::new();
    c.edit(FLOW, SHIPPED, template);
    c
}

fn template_line(c: &Copy) -> usize {
    c.line_of(FLOW, "  template:")
}

/// Asserts each of `words` in one error at the line of `template:`.
fn assert_template_error(c: &Copy, words: &[&str]) {
    for w in words {
        assert_error(c, FLOW, template_line(c), w);
    }
}

#[test]
fn the_shipped_template_and_one_without_a_step_are_accepted() {
    assert_passes(&with_template(SHIPPED));
    // The hash covers every answer, shown or not in the code.
    assert_passes(&with_template(
        "{{ birth_year }}-{{ mother_birthplace }}-{{ first_name }}-{{ last_name }}-{{ hash }}",
    ));
}

#[test]
fn a_condition_around_the_hash_is_refused_then_the_plain_hash_passes() {
    let c = with_template(
        "{{ birth_year }}-{{ last_name }}-{% if last_name != 'KABI' %}{{ hash }}{% endif %}",
    );
    assert_template_error(
        &c,
        &[
            "{% if %} dans le modèle du code (caractère 34 du modèle) : une partie du code pourrait disparaître pour certaines réponses",
            "écrivez seulement du texte et des {{ variable }}",
        ],
    );
    let (_, out) = c.check();
    assert!(
        !out.contains("n'affiche jamais"),
        "the `if` is the fault:\n{out}"
    );
    c.edit(
        FLOW,
        "{% if last_name != 'KABI' %}{{ hash }}{% endif %}",
        "{{ hash }}",
    );
    assert_passes(&c);
}

#[test]
fn a_condition_around_a_step_is_refused() {
    let c =
        with_template("{{ birth_year }}-{% if birth_day %}{{ last_name }}{% endif %}-{{ hash }}");
    assert_template_error(&c, &["{% if %}", "caractère 18 du modèle"]);
}

#[test]
fn a_loop_is_refused() {
    let c = with_template("{% for c in last_name %}{{ c }}{% endfor %}-{{ hash }}");
    assert_template_error(
        &c,
        &["{% for %} dans le modèle du code", "répéter ou omettre"],
    );
}

#[test]
fn a_set_is_refused() {
    let c = with_template("{% set h = hash %}{{ birth_year }}-{{ h }}");
    assert_template_error(
        &c,
        &[
            "{% set %} dans le modèle du code",
            "remplacer une réponse ou le hachage",
        ],
    );
}

#[test]
fn a_filter_on_a_step_is_refused_then_the_plain_variable_passes() {
    let c = with_template("{{ birth_year }}-{{ last_name|lower }}-{{ hash }}");
    assert_template_error(
        &c,
        &[
            "le filtre « |lower » sur {{ last_name }} dans le modèle du code (caractère 18 du modèle)",
            "écrivez {{ last_name }} tel quel",
        ],
    );
    c.edit(FLOW, "{{ last_name|lower }}", "{{ last_name }}");
    assert_passes(&c);
}

#[test]
fn the_hash_must_be_shown_as_is() {
    let c = Copy::new();
    c.edit(FLOW, "{{ hash }}\"", "{{ hash | lower }}\"");
    assert_error(&c, FLOW, c.line_of(FLOW, "hash | lower"), "tel quel");
    assert_template_error(
        &c,
        &[
            "le filtre « |lower » sur {{ hash }}",
            "écrivez {{ hash }} tel quel",
        ],
    );
    let (_, out) = c.check();
    assert!(!out.contains("n'affiche jamais"), "{out}");
}

#[test]
fn slicing_a_step_is_refused() {
    let c = with_template("{{ birth_year }}-{{ last_name[:1] }}-{{ hash }}");
    assert_template_error(
        &c,
        &[
            "la découpe « [ : ] » sur {{ last_name }}",
            "se règle dans extract de la question",
        ],
    );
}

#[test]
fn slicing_the_hash_is_refused() {
    let c = with_template("{{ birth_year }}-{{ hash[:2] }}");
    assert_template_error(
        &c,
        &["la découpe « [ : ] » sur {{ hash }}", "ciu.hash.length"],
    );
}

#[test]
fn attribute_access_is_refused() {
    let c = with_template("{{ birth_year }}-{{ last_name.upper }}-{{ hash }}");
    assert_template_error(
        &c,
        &[
            "l'accès à l'attribut « .upper » sur {{ last_name }}",
            "écrivez {{ last_name }} tel quel",
        ],
    );
}

#[test]
fn a_missing_hash_is_refused_then_adding_it_passes() {
    let c = with_template("{{ birth_year }}-{{ first_name }}-{{ last_name }}");
    assert_template_error(
        &c,
        &[
            "le modèle du code n'affiche jamais {{ hash }}",
            "ajoutez {{ hash }} tel quel",
        ],
    );
    c.edit(FLOW, "{{ last_name }}", "{{ last_name }}-{{ hash }}");
    assert_passes(&c);
}

#[test]
fn template_variable_that_is_no_step() {
    let c = Copy::new();
    c.edit(
        FLOW,
        "{{ last_name }}-{{ hash }}",
        "{{ surname }}-{{ hash }}",
    );
    assert_error(&c, FLOW, c.line_of(FLOW, "{{ surname }}"), "surname");
    assert_error(
        &c,
        FLOW,
        c.line_of(FLOW, "{{ surname }}"),
        "qui n'est l'id d'aucune question",
    );
}
