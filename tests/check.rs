//! `ciu check` on broken copies of the shipped files: every kind of mistake described in
//! CUSTOMIZING_QUESTIONS.md and TRANSLATING.md exits 1 and names the file and line, in a
//! sentence staff can act on; following its advice gives a file that passes.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Repeated keys and misplaced values inside a `type:` block (tests/check/keys.rs).
#[path = "check/keys.rs"]
mod keys;
/// SMS segments within the flow's limit (tests/check/sms.rs).
#[path = "check/sms.rs"]
mod sms;
/// The code template's checks (tests/check/template.rs).
#[path = "check/template.rs"]
mod template;
/// USSD screens fit in 182 characters (tests/check/ussd.rs).
#[path = "check/ussd.rs"]
mod ussd;

struct Copy {
    dir: tempfile::TempDir,
}

impl Copy {
    fn new() -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&root.join("flows"), &dir.path().join("flows"));
        copy_dir(&root.join("locales"), &dir.path().join("locales"));
        Copy { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Replaces the first occurrence of `from` (which must exist) in a file.
    fn edit(&self, rel: &str, from: &str, to: &str) -> &Self {
        let path = self.path(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{from:?} not in {rel}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
        self
    }

    /// Runs `ciu check` from the copy; returns (exit code, stderr + stdout).
    fn check(&self) -> (i32, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_ciu"))
            .arg("check")
            .current_dir(self.dir.path())
            .env_remove("FLOW_PATH")
            .env_remove("LOCALES_DIR")
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        (out.status.code().unwrap_or(-1), text)
    }

    fn line_of(&self, rel: &str, needle: &str) -> usize {
        let text = std::fs::read_to_string(self.path(rel)).unwrap();
        text.lines().position(|l| l.contains(needle)).expect(needle) + 1
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

const FLOW: &str = "flows/ciu.yaml";

/// Asserts exit 1 and an error at `file:line` whose sentence contains `words`.
fn assert_error(copy: &Copy, file: &str, line: usize, words: &str) {
    let (code, out) = copy.check();
    assert_eq!(code, 1, "{out}");
    assert_line(&out, &format!("{file}:{line}:"), "erreur", words);
}

#[test]
fn shipped_files_pass() {
    let (code, out) = Copy::new().check();
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("OK"), "{out}");
}

#[test]
fn yaml_syntax_error() {
    let c = Copy::new();
    // A tab for indentation: the most common YAML mistake in a text editor.
    c.edit(FLOW, "    prompt: q-first-name", "\tprompt: q-first-name");
    let line = c.line_of(FLOW, "\tprompt: q-first-name");
    let (code, out) = c.check();
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("{FLOW}:{line}:")), "{out}");
}

#[test]
fn unclosed_quote_is_shown_where_it_opens() {
    let c = Copy::new();
    c.edit(FLOW, "prompt: q-first-name", "prompt: \"q-first-name");
    assert_error(
        &c,
        FLOW,
        c.line_of(FLOW, "prompt: \"q-first-name"),
        "guillemet ouvert ici n'est jamais fermé",
    );
    // Following the advice: a closing quote at the end of the value.
    c.edit(FLOW, "prompt: \"q-first-name", "prompt: \"q-first-name\"");
    assert_passes(&c);
}

#[test]
fn unknown_key() {
    let c = Copy::new();
    c.edit(FLOW, "    prompt: q-first-name", "    promt: q-first-name");
    assert_error(&c, FLOW, c.line_of(FLOW, "promt:"), "promt");
}

#[test]
fn unknown_validator_type() {
    let c = Copy::new();
    c.edit(FLOW, "type: day_of_month", "type: day_of_moon");
    assert_error(&c, FLOW, c.line_of(FLOW, "day_of_moon"), "day_of_moon");
}

#[test]
fn unknown_extraction_type() {
    let c = Copy::new();
    c.edit(FLOW, "type: last_digits", "type: last_letters");
    assert_error(&c, FLOW, c.line_of(FLOW, "last_letters"), "last_letters");
}

#[test]
fn duplicate_step_ids() {
    let c = Copy::new();
    c.edit(FLOW, "  - id: last_name", "  - id: first_name");
    let line = c.line_of(FLOW, "prompt: q-last-name") - 1;
    assert_error(&c, FLOW, line, "déjà utilisé");
}

#[test]
fn message_missing_from_a_listed_locale() {
    let c = Copy::new();
    let ftl = "locales/ln/ciu.ftl";
    let text = std::fs::read_to_string(c.path(ftl)).unwrap();
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("label-first-name"))
        .collect();
    std::fs::write(c.path(ftl), kept.join("\n")).unwrap();
    assert_error(
        &c,
        FLOW,
        c.line_of(FLOW, "label: label-first-name"),
        "label-first-name",
    );
    let (_, out) = c.check();
    assert!(out.contains("ln"), "{out}");
}

#[test]
fn invalid_regex() {
    let c = Copy::new();
    c.edit(
        FLOW,
        "validate: { type: text, letters_min: 2, max_len: 40 }\n    extract: { type: first_letters, count: 3, pad: X }",
        "validate: { type: regex, pattern: \"[A-Z\" }\n    extract: { type: first_letters, count: 3, pad: X }",
    );
    assert_error(
        &c,
        FLOW,
        c.line_of(FLOW, "pattern: \"[A-Z\""),
        "expression régulière",
    );
}

fn choice_step(options: usize, label_text: &str, c: &Copy) {
    let opts: Vec<String> = (1..=options)
        .map(|i| format!("          - {{ value: V{i}, label: opt-{i} }}"))
        .collect();
    c.edit(
        FLOW,
        "\nciu:",
        &format!(
            "  - id: district\n    prompt: q-birth-day\n    label: label-birth-day\n    validate:\n      type: choice\n      options:\n{}\n    extract: {{ type: whole }}\n\nciu:",
            opts.join("\n")
        ),
    );
    for lang in ["fr", "ln", "sw", "en"] {
        let path = c.path(&format!("locales/{lang}/ciu.ftl"));
        let mut text = std::fs::read_to_string(&path).unwrap();
        for i in 1..=options {
            text.push_str(&format!("opt-{i} = {label_text} {i}\n"));
        }
        std::fs::write(path, text).unwrap();
    }
}

#[test]
fn choice_list_longer_than_whatsapp_shows() {
    let c = Copy::new();
    choice_step(11, "Zone", &c);
    assert_error(&c, FLOW, c.line_of(FLOW, "options:"), "10");
}

#[test]
fn button_title_too_long() {
    let c = Copy::new();
    choice_step(3, "Un libellé beaucoup trop long", &c);
    let (code, out) = c.check();
    assert_eq!(code, 1, "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("locales/fr/ciu.ftl:") && l.contains("20")),
        "{out}"
    );
}

#[test]
fn flow_newer_than_the_engine() {
    let c = Copy::new();
    c.edit(FLOW, "version: 1 ", "version: 2 ");
    assert_error(&c, FLOW, c.line_of(FLOW, "version: 2"), "version 2");
}

#[test]
fn fluent_syntax_error_names_the_file_and_line() {
    let c = Copy::new();
    c.edit("locales/sw/ciu.ftl", "ack = ", "ack = { $oops\nack-bis = ");
    let line = c.line_of("locales/sw/ciu.ftl", "{ $oops");
    assert_error(&c, "locales/sw/ciu.ftl", line, "Fluent");
}

#[test]
fn a_variable_the_program_does_not_give() {
    let c = Copy::new();
    c.edit("locales/en/ciu.ftl", "ack = ", "ack = { $name } ");
    assert_error(
        &c,
        "locales/en/ciu.ftl",
        c.line_of("locales/en/ciu.ftl", "{ $name }"),
        "$name",
    );
}

#[test]
fn message_longer_than_one_whatsapp_message() {
    let c = Copy::new();
    let long = "très long ".repeat(170);
    c.edit(
        "locales/fr/ciu.ftl",
        "ack = Merci.",
        &format!("ack = {long}"),
    );
    assert_error(
        &c,
        "locales/fr/ciu.ftl",
        c.line_of("locales/fr/ciu.ftl", "ack = "),
        "1600",
    );
}

#[test]
fn unlisted_partial_locale_is_only_a_warning() {
    let c = Copy::new();
    std::fs::create_dir_all(c.path("locales/kg")).unwrap();
    std::fs::write(c.path("locales/kg/ciu.ftl"), "language-name = Kikongo\n").unwrap();
    let (code, out) = c.check();
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("locales/kg") && out.contains("avertissement"),
        "{out}"
    );
    assert!(out.contains("manquant"), "{out}");
}

#[test]
fn listed_locale_without_folder() {
    let c = Copy::new();
    c.edit(
        FLOW,
        "locales: [fr, ln, sw, en]",
        "locales: [fr, ln, sw, en, kg]",
    );
    assert_error(&c, FLOW, c.line_of(FLOW, "locales: ["), "kg");
}

#[test]
fn extra_keys_on_keyless_types_are_refused() {
    let c = Copy::new();
    c.edit(
        FLOW,
        "{ type: day_of_month }",
        "{ type: day_of_month, max: 28 }",
    );
    assert_error(&c, FLOW, c.line_of(FLOW, "day_of_month, max: 28"), "max");
}

#[test]
fn a_choice_option_that_is_a_command() {
    let c = Copy::new();
    choice_step(2, "Zone", &c);
    c.edit(FLOW, "value: V1,", "value: STOP,");
    assert_error(&c, FLOW, c.line_of(FLOW, "value: STOP"), "commande");
}

#[test]
fn a_custom_error_message_with_a_variable_the_validator_has_not() {
    let c = Copy::new();
    c.edit(
        FLOW,
        "    validate: { type: day_of_month }",
        "    validate: { type: day_of_month }\n    error: err-my-day",
    );
    for lang in ["fr", "ln", "sw", "en"] {
        let path = c.path(&format!("locales/{lang}/ciu.ftl"));
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("err-my-day = Au plus { $max } chiffres.\n");
        std::fs::write(path, text).unwrap();
    }
    assert_error(
        &c,
        "locales/fr/ciu.ftl",
        c.line_of("locales/fr/ciu.ftl", "err-my-day"),
        "$max",
    );
}

#[test]
fn a_question_label_too_long_for_the_correction_list() {
    let c = Copy::new();
    c.edit(
        "locales/en/ciu.ftl",
        "label-first-name = ",
        "label-first-name = The first name you were given at birth, ",
    );
    assert_error(
        &c,
        "locales/en/ciu.ftl",
        c.line_of("locales/en/ciu.ftl", "label-first-name"),
        "24",
    );
}

#[test]
fn confirm_true_is_accepted() {
    let c = Copy::new();
    let text = std::fs::read_to_string(c.path(FLOW)).unwrap();
    let start = text.find("confirm:\n").unwrap();
    let end = text.find("\nsteps:").unwrap();
    std::fs::write(
        c.path(FLOW),
        format!("{}confirm: true\n{}", &text[..start], &text[end..]),
    )
    .unwrap();
    let (code, out) = c.check();
    assert_eq!(code, 0, "{out}");
    // Typing the button's title confirms too.
    std::fs::write(
        c.path("chat.txt"),
        "Bonjour\n1\n1985\nKinshasa\nJean\n15\nKabila\nOui\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ciu"))
        .args(["simulate", "--script", "chat.txt"])
        .current_dir(c.dir.path())
        .env_remove("UIC_SALT")
        .output()
        .unwrap();
    let transcript = String::from_utf8_lossy(&out.stdout);
    assert!(
        transcript.contains("Votre CIU a été généré"),
        "{transcript}"
    );
}

#[test]
fn parser_messages_count_questions_from_one() {
    let c = Copy::new();
    c.edit(FLOW, "    label: label-first-name\n", "");
    let (code, out) = c.check();
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("question 3") && out.contains("label"), "{out}");
}

#[test]
fn more_languages_than_the_whatsapp_menu_shows() {
    let c = Copy::new();
    let extra = ["kg", "lu", "ts", "rw", "rn", "ki", "ny"];
    for code in extra {
        let target = c.path(&format!("locales/{code}"));
        std::fs::create_dir_all(&target).unwrap();
        std::fs::copy(c.path("locales/en/ciu.ftl"), target.join("ciu.ftl")).unwrap();
    }
    c.edit(
        FLOW,
        "locales: [fr, ln, sw, en]",
        &format!("locales: [fr, ln, sw, en, {}]", extra.join(", ")),
    );
    assert_error(&c, FLOW, c.line_of(FLOW, "locales: ["), "menu des langues");
}

#[test]
fn menu_titles_too_long_for_whatsapp() {
    let c = Copy::new();
    c.edit(
        "locales/ln/ciu.ftl",
        "confirm-yes = Ee",
        "confirm-yes = Ee, ezali malamu mpenza",
    );
    c.edit(
        "locales/sw/ciu.ftl",
        "language-name = Kiswahili",
        "language-name = Kiswahili cha Kongo ya Mashariki",
    );
    c.edit(
        "locales/en/ciu.ftl",
        "list-button = Choose",
        "list-button = Choose one of these options",
    );
    for (file, needle) in [
        ("locales/ln/ciu.ftl", "confirm-yes ="),
        ("locales/sw/ciu.ftl", "language-name ="),
        ("locales/en/ciu.ftl", "list-button ="),
    ] {
        assert_error(
            &c,
            file,
            c.line_of(file, needle),
            "WhatsApp n'en montre que",
        );
    }
}

#[test]
fn long_labels_are_fine_without_a_correction_list() {
    let c = Copy::new();
    c.edit(
        "locales/en/ciu.ftl",
        "label-first-name = ",
        "label-first-name = The first name you were given at birth, ",
    );
    let text = std::fs::read_to_string(c.path(FLOW)).unwrap();
    let start = text.find("confirm:\n").unwrap();
    let end = text.find("\nsteps:").unwrap();
    std::fs::write(
        c.path(FLOW),
        format!("{}confirm: false\n{}", &text[..start], &text[end..]),
    )
    .unwrap();
    let (code, out) = c.check();
    assert_eq!(code, 0, "{out}");
}

/// Asserts exit 0 (the advice given was followed).
fn assert_passes(copy: &Copy) {
    let (code, out) = copy.check();
    assert_eq!(code, 0, "the advised fix must pass:\n{out}");
}

/// Asserts a warning at `file:line` (or `file:` alone) whose sentence contains `words`.
fn assert_warning(out: &str, file: &str, line: Option<usize>, words: &str) {
    let prefix = line.map_or(format!("{file}:"), |line| format!("{file}:{line}:"));
    assert_line(out, &prefix, "avertissement", words);
}

/// Asserts a line of `out` that starts with `prefix` and contains `label` and `words`.
fn assert_line(out: &str, prefix: &str, label: &str, words: &str) {
    assert!(
        out.lines()
            .any(|l| l.starts_with(prefix) && l.contains(label) && l.contains(words)),
        "expected {label} at {prefix} mentioning {words:?}, got:\n{out}"
    );
}

#[test]
fn a_key_indented_by_three_spaces_is_reported_as_indentation() {
    let c = Copy::new();
    c.edit(
        FLOW,
        "    label: label-first-name",
        "   label: label-first-name",
    );
    let line = c.line_of(FLOW, "   label: label-first-name");
    assert_error(
        &c,
        FLOW,
        line,
        "la clé « label » est mal indentée : 3 espace(s)",
    );
    assert_error(&c, FLOW, line, "mettez 4 espaces devant « label: »");
    c.edit(
        FLOW,
        "   label: label-first-name",
        "    label: label-first-name",
    );
    assert_passes(&c);
}

const CHOICE_STEP: &str = "  - id: birthplace_kind\n    prompt: q-birthplace-kind\n    label: label-birthplace-kind\n    validate:\n      type: choice\n      options:\n        - { value: TOWN, label: opt-birthplace-town }\n        - { value: VILLAGE, label: opt-birthplace-village }\n    extract: { type: whole }\n\nciu:";

#[test]
fn options_one_level_out_is_reported_as_indentation() {
    let c = Copy::new();
    c.edit(FLOW, "\nciu:", &format!("\n{CHOICE_STEP}"));
    assert_passes(&c);
    c.edit(FLOW, "      options:", "    options:");
    let line = c.line_of(FLOW, "    options:");
    assert_error(&c, FLOW, line, "la clé « options » est mal indentée");
    assert_error(&c, FLOW, line, "mettez 6 espaces devant « options: »");
    c.edit(FLOW, "    options:", "      options:");
    assert_passes(&c);
}

#[test]
fn a_number_as_option_value_gets_advice_that_leads_to_a_valid_file() {
    let c = Copy::new();
    c.edit(FLOW, "\nciu:", &format!("\n{CHOICE_STEP}"));
    c.edit(FLOW, "value: TOWN", "value: 1");
    let line = c.line_of(FLOW, "value: 1");
    assert_error(
        &c,
        FLOW,
        line,
        "ne peut pas être un nombre, même entre guillemets",
    );
    // Quoting it is not the way out, and the checker does not say it is.
    c.edit(FLOW, "value: 1", "value: \"1\"");
    assert_error(
        &c,
        FLOW,
        line,
        "ne peut pas être un nombre, même entre guillemets",
    );
    let (_, out) = c.check();
    assert!(!out.contains("mettez la valeur entre guillemets"), "{out}");
    // Following the advice: a word or a letter.
    c.edit(FLOW, "value: \"1\"", "value: H");
    assert_passes(&c);
}

#[test]
fn common_yaml_errors_are_french_sentences_with_a_position() {
    for (from, to) in [
        ("    prompt: q-first-name", "\tprompt: q-first-name"),
        (
            "    label: label-first-name",
            "     label: label-first-name",
        ),
        ("id: ciu", "id: ciu: registre"),
        ("id: ciu", "id: @ciu"),
        ("locales: [fr, ln, sw, en]", "locales: [fr, ln, sw, en"),
        ("prompt: q-first-name", "prompt: \"q-first-name"),
        ("locales: [fr, ln, sw, en]", "locales: fr"),
        ("  monospace: true", "  monospace: oui"),
    ] {
        let c = Copy::new();
        c.edit(FLOW, from, to);
        let (code, out) = c.check();
        assert_eq!(code, 1, "{to:?}: {out}");
        let error = out.lines().next().unwrap();
        let position = error
            .strip_prefix(&format!("{FLOW}:"))
            .unwrap_or_else(|| panic!("{to:?}: {out}"));
        assert!(
            position
                .split(':')
                .take(2)
                .all(|n| n.parse::<usize>().is_ok()),
            "{to:?}: {out}"
        );
        for english in [
            "did not find",
            "mapping values",
            "found character",
            "tab character",
            "while scanning",
            "expected",
            "invalid type",
        ] {
            assert!(!error.contains(english), "{to:?}: English left in {error}");
        }
    }
}

#[test]
fn a_tab_is_named_and_replacing_it_by_spaces_passes() {
    let c = Copy::new();
    c.edit(FLOW, "    prompt: q-first-name", "\tprompt: q-first-name");
    assert_error(&c, FLOW, c.line_of(FLOW, "\tprompt"), "tabulation");
    c.edit(FLOW, "\tprompt: q-first-name", "    prompt: q-first-name");
    assert_passes(&c);
}

#[test]
fn a_listed_locale_needs_its_own_command_and_yes_no_words() {
    let c = Copy::new();
    c.edit(FLOW, "    sw: [MSAADA]\n", "");
    assert_error(
        &c,
        FLOW,
        c.line_of(FLOW, "  help:"),
        "la langue « sw » n'a pas de mot pour « help »",
    );
    assert_error(&c, FLOW, c.line_of(FLOW, "  help:"), "flows/ciu.yaml");
    let c = Copy::new();
    c.edit(FLOW, "    sw: [NDIYO]\n", "");
    assert_error(
        &c,
        FLOW,
        c.line_of(FLOW, "  yes:"),
        "la langue « sw » n'a pas de mot pour « yes »",
    );
}

/// A language being prepared: a folder, not yet in `locales`.
fn prepared_kikongo() -> Copy {
    let c = Copy::new();
    std::fs::create_dir_all(c.path("locales/kg")).unwrap();
    std::fs::copy(c.path("locales/en/ciu.ftl"), c.path("locales/kg/ciu.ftl")).unwrap();
    c
}

#[test]
fn a_prepared_locale_gets_the_same_checks_as_warnings() {
    let c = prepared_kikongo();
    c.edit(
        "locales/kg/ciu.ftl",
        "{ $max } characters at most",
        "{ $maxi } characters at most",
    );
    let (code, out) = c.check();
    assert_eq!(code, 0, "{out}");
    let line = c.line_of("locales/kg/ciu.ftl", "$maxi");
    assert_warning(&out, "locales/kg/ciu.ftl", Some(line), "{ $maxi }");
    assert_warning(
        &out,
        FLOW,
        Some(c.line_of(FLOW, "  help:")),
        "la langue « kg » n'a pas de mot pour « help »",
    );
    assert_warning(&out, FLOW, Some(c.line_of(FLOW, "locales: [")), "« kg »");
}

#[test]
fn a_message_identical_to_the_reference_is_a_warning() {
    let c = Copy::new();
    c.edit(
        "locales/en/ciu.ftl",
        "q-first-name = ({ $number }/{ $total }) What is your first name?\n    Example: Jean",
        "q-first-name = ({ $number }/{ $total }) Quel est votre prénom ?\n    Exemple : Jean",
    );
    let (code, out) = c.check();
    assert_eq!(code, 0, "{out}");
    let line = c.line_of("locales/en/ciu.ftl", "q-first-name =");
    assert_warning(
        &out,
        "locales/en/ciu.ftl",
        Some(line),
        "pas encore traduit ?",
    );
    // One word the same in both languages ("Site") is no mistake.
    assert!(!out.contains("« label-site »"), "{out}");
}

#[test]
fn a_missing_engine_message_names_the_file_to_add_it_to() {
    let c = Copy::new();
    let ftl = std::fs::read_to_string(c.path("locales/ln/ciu.ftl")).unwrap();
    let kept: Vec<&str> = ftl
        .lines()
        .filter(|l| !l.starts_with("err-empty"))
        .collect();
    std::fs::write(c.path("locales/ln/ciu.ftl"), kept.join("\n") + "\n").unwrap();
    let (code, out) = c.check();
    assert_eq!(code, 1, "{out}");
    assert!(
        out.lines().any(|l| l
            .starts_with("locales/ln/ciu.ftl: erreur : le message « err-empty » manque")
            && l.contains("ajoutez-le dans locales/ln/ciu.ftl")),
        "{out}"
    );
}
