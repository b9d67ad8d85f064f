//! Edited copies of the shipped flow, written elsewhere by tests: the text of
//! flows/ciu.yaml with its spelling files named by absolute path (they are named
//! relative to the flow file), and the flow with a sixth, two-choice question (sex: H or
//! F) whose answer goes into the code, added the way a programme would: by editing the
//! flow file and each language's catalog only (see CUSTOMIZING_QUESTIONS.md).

use std::path::{Path, PathBuf};

/// flows/ciu.yaml, ready to be edited and written in another folder.
pub fn shipped_flow_text() -> String {
    let flows = Path::new(env!("CARGO_MANIFEST_DIR")).join("flows");
    let text = std::fs::read_to_string(flows.join("ciu.yaml")).unwrap();
    ["spelling.yaml", "places.yaml", "keep-apart.yaml"]
        .iter()
        .fold(text, |text, file| {
            text.replace(
                &format!(": {file}\n"),
                &format!(": {}\n", flows.join(file).display()),
            )
        })
}

/// Where [`write_sixth_question_flow`] put the flow file and the catalogs.
pub struct SixthQuestionFlow {
    pub flow: PathBuf,
    pub locales: PathBuf,
}

/// Writes the flow and the catalogs of every shipped language under `dir`.
pub fn write_sixth_question_flow(dir: &Path) -> SixthQuestionFlow {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let flow = shipped_flow_text()
        .replace(
            "\nciu:\n",
            "
  - id: sex
    prompt: q-sex
    label: label-sex
    validate:
      type: choice
      options:
        - { value: H, label: opt-sex-male }
        - { value: F, label: opt-sex-female }
    extract: { type: whole }

ciu:
",
        )
        .replace(
            "{{ last_name }}-{{ hash }}",
            "{{ last_name }}-{{ sex }}-{{ hash }}",
        );
    std::fs::write(dir.join("ciu.yaml"), flow).unwrap();
    for (lang, question, label, male, female) in [
        (
            "fr",
            "Êtes-vous un homme ou une femme ?",
            "Sexe",
            "Homme",
            "Femme",
        ),
        ("ln", "Ozali mobali to mwasi?", "Lolenge", "Mobali", "Mwasi"),
        (
            "sw",
            "Wewe ni mwanamume au mwanamke?",
            "Jinsia",
            "Mwanamume",
            "Mwanamke",
        ),
        ("en", "Are you a man or a woman?", "Sex", "Man", "Woman"),
    ] {
        let target = dir.join("locales").join(lang);
        std::fs::create_dir_all(&target).unwrap();
        let mut ftl =
            std::fs::read_to_string(root.join("locales").join(lang).join("ciu.ftl")).unwrap();
        ftl.push_str(&format!(
            "\nq-sex = ({{ $number }}/{{ $total }}) {question}\nlabel-sex = {label}\nopt-sex-male = {male}\nopt-sex-female = {female}\n"
        ));
        std::fs::write(target.join("ciu.ftl"), ftl).unwrap();
    }
    SixthQuestionFlow {
        flow: dir.join("ciu.yaml"),
        locales: dir.join("locales"),
    }
}
