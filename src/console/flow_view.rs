//! GET /console/flux: the flow as it runs, read by programme staff. Each question in
//! order with its prompt in every language of the flow (as the person reads it), its
//! validation, extraction and spelling in plain French (each rule describes itself:
//! src/flow/validators/, src/flow/extract/, src/flow/spelling/), the code's template
//! with an example computed with the development salt, the running derivation
//! fingerprint; and what `ciu check` says now about the files on disk, so an officer
//! who has just edited flows/ciu.yaml sees the problems, and whether codes would
//! change, before restarting the service.
//!
//! Nothing here reads the registry: the page shows no person's answer, no number.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use minijinja::context;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

use super::Staff;
use crate::code::{CiuRequest, Salt};
use crate::diagnostics::{Diagnostic, Severity};
use crate::flow::definition::HashAlphabet;
use crate::flow::extract::extract;
use crate::flow::load::sms::sms_report;
use crate::flow::{spelling, Engine, Flow, Loaded};
use crate::http::AppState;

/// The guide's example answers (CUSTOMIZING_QUESTIONS.md), by step id. A choice
/// question without one takes its first option.
const GUIDE_ANSWERS: [(&str, &str); 5] = [
    ("birth_year", "1985"),
    ("mother_birthplace", "Kinshasa"),
    ("first_name", "Jean"),
    ("birth_day", "15"),
    ("last_name", "Kabila"),
];

/// Problems listed on the page at most (`ciu check` lists them all): the page stays
/// small whatever is broken.
const MAX_DIAGNOSTICS: usize = 100;

/// GET /console/flux.
pub async fn page(State(state): State<AppState>, staff: Staff) -> Response {
    let console = state
        .console
        .as_ref()
        .expect("the console's routes exist only with it");
    let bot = state.bot.clone();
    let (flow_path, locales_dir) = (
        state.settings.flow_path.clone(),
        state.settings.locales_dir.clone(),
    );
    // Reading and checking the files is blocking work (files, spelling, every message).
    let disk = tokio::task::spawn_blocking(move || {
        let loaded = crate::flow::load(&flow_path, &locales_dir);
        DiskView::build(
            &flow_path,
            &locales_dir,
            loaded,
            &bot.flow,
            &bot.fingerprint,
            |flow| bot.fingerprint_of(flow),
        )
    })
    .await;
    let disk = match disk {
        Ok(disk) => disk,
        Err(e) => {
            tracing::error!(error = %e, "console: the flow files were not checked");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let view = FlowView::build(
        &state.bot.flow,
        &state.bot.fingerprint,
        &console.simulation.salt,
        Utc::now().date_naive(),
        disk,
    );
    console.pages.render(
        "flow.html",
        &staff.frame(&state, "flow", "/console/flux"),
        context! {
            view => view,
            salt_is_the_services => console.simulation.is_the_services,
        },
    )
}

/// Everything the page shows, built without HTTP.
#[derive(Debug, Serialize)]
pub struct FlowView {
    pub flow_id: String,
    pub default_locale: String,
    pub languages: Vec<LanguageView>,
    pub confirm: bool,
    pub max_attempts: u32,
    pub steps: Vec<StepView>,
    /// `ciu.template` as written.
    pub template: String,
    pub hash_length: usize,
    /// `hex` or `base32`.
    pub hash_alphabet: &'static str,
    pub example: ExampleView,
    /// The derivation fingerprint the service runs with.
    pub fingerprint: String,
    pub disk: DiskView,
}

#[derive(Debug, Serialize)]
pub struct LanguageView {
    pub code: String,
    /// The language's own name (`language-name`).
    pub name: String,
}

#[derive(Debug, Serialize)]
pub struct StepView {
    pub number: usize,
    pub id: String,
    /// One per language of the flow, in the flow's order.
    pub prompts: Vec<PromptView>,
    pub validation: String,
    pub extraction: String,
    pub spelling: String,
    pub has_spelling: bool,
    /// The step's own refusal message id (`error:`), if any.
    pub error: Option<String>,
}

/// A question as the person reads it in one language.
#[derive(Debug, Serialize)]
pub struct PromptView {
    pub lang: String,
    pub language_name: String,
    pub text: String,
    /// The options of a choice question, as its buttons or numbered lines.
    pub choices: Vec<String>,
    /// The short label of the summary.
    pub label: String,
}

/// The guide's answers through the running flow, with the development salt.
#[derive(Debug, Serialize)]
pub struct ExampleView {
    pub rows: Vec<ExampleRow>,
    /// Steps without an example answer, or whose example is refused: no code then.
    pub missing: Vec<String>,
    pub code: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ExampleRow {
    pub step: String,
    pub answer: String,
    /// The answer normalized and in its canonical spelling.
    pub canonical: String,
    /// What enters the code.
    pub fragment: String,
}

/// What `ciu check` says now about the files on disk.
#[derive(Debug, Serialize)]
pub struct DiskView {
    pub flow_file: String,
    pub locales_dir: String,
    /// The files load without error (`ciu serve` would start with them).
    pub loads: bool,
    pub error_count: usize,
    pub warning_count: usize,
    /// Errors and warnings by file and line, at most [`MAX_DIAGNOSTICS`].
    pub diagnostics: Vec<DiagnosticView>,
    /// Problems not listed.
    pub more: usize,
    /// When they load: questions and languages of the files.
    pub step_count: Option<usize>,
    pub languages: Vec<String>,
    /// The SMS report of `ciu check`, one line per language.
    pub sms: Vec<String>,
    /// The fingerprint of the files with the running salt.
    pub fingerprint: Option<String>,
    /// Whether the files would give other codes than the running derivation.
    pub codes_change: Option<bool>,
    /// Whether the flow file differs from the running one (conversations in progress
    /// start again after a restart).
    pub flow_changed: Option<bool>,
}

#[derive(Debug, Serialize)]
pub struct DiagnosticView {
    /// `file:line:column`.
    pub place: String,
    /// `error` or `warning`.
    pub severity: &'static str,
    pub message: String,
}

impl FlowView {
    /// The page of `flow` (the running one), its example code made with `example_salt`
    /// on `today` (for `max: current`), and the check of the files on disk.
    pub fn build(
        flow: &Flow,
        fingerprint: &str,
        example_salt: &Salt,
        today: NaiveDate,
        disk: DiskView,
    ) -> FlowView {
        let def = &flow.def;
        let languages = def
            .locales
            .iter()
            .map(|lang| LanguageView {
                code: lang.clone(),
                name: flow.catalogs.format(lang, "language-name", None),
            })
            .collect();
        let engine = Engine::new(flow, example_salt);
        let steps = (0..flow.steps.len())
            .map(|i| step_view(flow, &engine, i))
            .collect();
        FlowView {
            flow_id: def.id.clone(),
            default_locale: def.default_locale.clone(),
            languages,
            confirm: def.confirm.enabled(),
            max_attempts: def.max_attempts,
            steps,
            template: def.ciu.template.clone(),
            hash_length: def.ciu.hash.length,
            hash_alphabet: match def.ciu.hash.alphabet {
                HashAlphabet::Hex => "hex",
                HashAlphabet::Base32 => "base32",
            },
            example: example(flow, example_salt, today),
            fingerprint: fingerprint.to_owned(),
            disk,
        }
    }
}

/// Step `i` with its prompt in every language, as the engine asks it
/// ([`Engine::prompt`]): numbered, with the options' labels in the same language.
fn step_view(flow: &Flow, engine: &Engine, i: usize) -> StepView {
    let step = &flow.steps[i];
    let prompts = flow
        .def
        .locales
        .iter()
        .map(|lang| {
            let asked = engine.prompt(lang, i);
            PromptView {
                lang: lang.clone(),
                language_name: flow.catalogs.format(lang, "language-name", None),
                text: asked.text,
                choices: asked.choices.into_iter().map(|c| c.title).collect(),
                label: flow.catalogs.format(lang, &step.def.label, None),
            }
        })
        .collect();
    StepView {
        number: i + 1,
        id: step.def.id.clone(),
        prompts,
        validation: step.def.validate.describe(),
        extraction: step.def.extract.describe(),
        spelling: spelling::describe(step.spelling.as_ref()),
        has_spelling: step.spelling.is_some(),
        error: step.def.error.clone(),
    }
}

/// The guide's answers through `flow`'s validators, spelling and extraction, and the
/// code they give with `salt` (the normal code: no registry, no collision).
fn example(flow: &Flow, salt: &Salt, today: NaiveDate) -> ExampleView {
    let mut rows = Vec::new();
    let mut missing = Vec::new();
    for step in &flow.steps {
        let id = step.def.id.as_str();
        let answer = GUIDE_ANSWERS
            .iter()
            .find(|(step_id, _)| *step_id == id)
            .map(|(_, answer)| (*answer).to_owned())
            .or_else(|| step.validator.choices().first().map(|o| o.value.clone()));
        let accepted = answer
            .as_deref()
            .and_then(|answer| step.validator.check(answer, today).ok());
        match (answer, accepted) {
            (Some(answer), Some(accepted)) => {
                let canonical = step.canonical(&accepted.normalized);
                rows.push(ExampleRow {
                    step: id.to_owned(),
                    answer,
                    fragment: extract(&step.def.extract, &canonical),
                    canonical,
                });
            }
            _ => missing.push(id.to_owned()),
        }
    }
    let code = missing.is_empty().then(|| {
        let answers: Vec<(&str, &str)> = rows
            .iter()
            .map(|row| (row.step.as_str(), row.canonical.as_str()))
            .collect();
        let fragments: BTreeMap<String, String> = rows
            .iter()
            .map(|row| (row.step.clone(), row.fragment.clone()))
            .collect();
        CiuRequest::new(
            salt,
            flow.template.clone(),
            &flow.def.id,
            &answers,
            fragments,
        )
        .candidate(0)
    });
    ExampleView {
        rows,
        missing,
        code,
    }
}

impl DiskView {
    /// The check of the files at `flow_file` and `locales_dir` (`loaded`, what
    /// `flow::load` said), compared with the running flow and its fingerprint;
    /// `fingerprint_of` gives a flow's fingerprint with the running salt.
    pub fn build(
        flow_file: &Path,
        locales_dir: &Path,
        loaded: Result<Loaded, Vec<Diagnostic>>,
        running: &Flow,
        running_fingerprint: &str,
        fingerprint_of: impl Fn(&Flow) -> String,
    ) -> DiskView {
        let (diagnostics, flow) = match &loaded {
            Ok(loaded) => (&loaded.warnings, Some(&loaded.flow)),
            Err(diagnostics) => (diagnostics, None),
        };
        let error_count = diagnostics.iter().filter(|d| d.is_error()).count();
        let fingerprint = flow.map(&fingerprint_of);
        DiskView {
            flow_file: flow_file.display().to_string(),
            locales_dir: locales_dir.display().to_string(),
            loads: flow.is_some(),
            error_count,
            warning_count: diagnostics.len() - error_count,
            more: diagnostics.len().saturating_sub(MAX_DIAGNOSTICS),
            diagnostics: diagnostics
                .iter()
                .take(MAX_DIAGNOSTICS)
                .map(DiagnosticView::of)
                .collect(),
            step_count: flow.map(|f| f.steps.len()),
            languages: flow.map(|f| f.def.locales.clone()).unwrap_or_default(),
            sms: flow.map(sms_report).unwrap_or_default(),
            codes_change: fingerprint.as_ref().map(|f| f != running_fingerprint),
            fingerprint,
            flow_changed: flow.map(|f| f.revision != running.revision),
        }
    }
}

impl DiagnosticView {
    fn of(diagnostic: &Diagnostic) -> DiagnosticView {
        let mut place = diagnostic.file.display().to_string();
        if let Some(line) = diagnostic.line {
            place.push_str(&format!(":{line}"));
            if let Some(column) = diagnostic.column {
                place.push_str(&format!(":{column}"));
            }
        }
        DiagnosticView {
            place,
            severity: match diagnostic.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            },
            message: diagnostic.message.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::derivation_fingerprint;
    use crate::console::{Frame, Pages};
    use crate::simulate::DEVELOPMENT_SALT;
    use std::path::PathBuf;

    const TEST_SALT: &str = "Test-salt-0123456789-abcdef";

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    fn load(dir: &Path) -> Result<Loaded, Vec<Diagnostic>> {
        crate::flow::load(&dir.join("flows/ciu.yaml"), &dir.join("locales"))
    }

    fn shipped() -> Flow {
        load(&root()).expect("the shipped flow loads").flow
    }

    fn fingerprint(flow: &Flow) -> String {
        derivation_fingerprint(&Salt::new(TEST_SALT).unwrap(), &flow.derivation)
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, 15).unwrap()
    }

    /// The page of the shipped flow, with the files of `dir` as those on disk.
    fn view_with_disk(dir: &Path) -> FlowView {
        let running = shipped();
        let disk = DiskView::build(
            &dir.join("flows/ciu.yaml"),
            &dir.join("locales"),
            load(dir),
            &running,
            &fingerprint(&running),
            fingerprint,
        );
        let salt = Salt::new(DEVELOPMENT_SALT).unwrap();
        FlowView::build(&running, &fingerprint(&running), &salt, today(), disk)
    }

    /// A copy of flows/ and locales/ to edit.
    fn copy_of_the_shipped_files() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for folder in ["flows", "locales"] {
            copy_dir(&root().join(folder), &dir.path().join(folder));
        }
        dir
    }

    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let path = entry.unwrap().path();
            let target = to.join(path.file_name().unwrap());
            if path.is_dir() {
                copy_dir(&path, &target);
            } else {
                std::fs::copy(&path, &target).unwrap();
            }
        }
    }

    #[test]
    fn every_rule_of_the_shipped_flow_is_described_in_plain_french() {
        let view = view_with_disk(&root());
        let described: Vec<(&str, &str, &str, &str)> = view
            .steps
            .iter()
            .map(|s| {
                (
                    s.id.as_str(),
                    s.validation.as_str(),
                    s.extraction.as_str(),
                    s.spelling.as_str(),
                )
            })
            .collect();
        let letters = "Texte sans chiffres : au moins 2 lettres";
        assert_eq!(described[0].0, "birth_year");
        assert_eq!(
            described[0].1,
            "Année en 4 chiffres, entre 1900 et l'année en cours"
        );
        assert_eq!(
            described[0].2,
            "Les 3 derniers chiffres (complétés par des 0 devant si besoin)"
        );
        assert!(described[0].3.starts_with("Non : "), "{}", described[0].3);
        assert_eq!(described[1].0, "mother_birthplace");
        assert_eq!(described[1].1, format!("{letters}, 60 caractères au plus"));
        assert_eq!(
            described[1].2,
            "Les 4 premières lettres (complétées par X si la réponse en a moins)"
        );
        assert!(
            described[1].3.starts_with("Oui, orthographe des lieux : ")
                && described[1].3.contains("places.yaml")
                && described[1]
                    .3
                    .contains("Léopoldville, Kin, Kinshasa → KINSHASA"),
            "{}",
            described[1].3
        );
        assert_eq!(described[2].0, "first_name");
        assert_eq!(described[2].1, format!("{letters}, 40 caractères au plus"));
        assert_eq!(
            described[2].2,
            "Les 3 premières lettres (complétées par X si la réponse en a moins)"
        );
        assert!(
            described[2]
                .3
                .starts_with("Oui, orthographe des prénoms : "),
            "{}",
            described[2].3
        );
        assert_eq!(described[3].0, "birth_day");
        assert_eq!(described[3].1, "Jour du mois en chiffres, de 1 à 31");
        assert_eq!(
            described[3].2,
            "Le nombre écrit avec 2 chiffres au moins, des 0 devant si besoin (5 → 05)"
        );
        assert_eq!(described[4].0, "last_name");
        assert!(
            described[4]
                .3
                .starts_with("Oui, orthographe des noms de famille : ")
                && described[4].3.contains("Kabilla, Kabila → KABILA"),
            "{}",
            described[4].3
        );
        assert_eq!(described.len(), 5);
    }

    #[test]
    fn every_step_shows_its_prompt_in_every_language_of_the_flow() {
        let flow = shipped();
        let view = view_with_disk(&root());
        let codes: Vec<&str> = view.languages.iter().map(|l| l.code.as_str()).collect();
        assert_eq!(codes, ["fr", "ln", "sw", "en"]);
        assert_eq!(view.steps.len(), 5);
        for (i, step) in view.steps.iter().enumerate() {
            let langs: Vec<&str> = step.prompts.iter().map(|p| p.lang.as_str()).collect();
            assert_eq!(langs, ["fr", "ln", "sw", "en"], "{}", step.id);
            for prompt in &step.prompts {
                let catalog = flow.catalogs.get(&prompt.lang).unwrap();
                assert!(catalog.has(&flow.steps[i].def.prompt));
                // Formatted as sent: numbered, no variable or id left.
                assert!(
                    prompt.text.starts_with(&format!("({}/5) ", i + 1)),
                    "{}",
                    prompt.text
                );
                assert!(!prompt.text.contains("{ $") && !prompt.text.contains("q-"));
                assert!(!prompt.label.is_empty() && !prompt.label.starts_with("label-"));
            }
        }
        assert!(view.steps[0].prompts[0]
            .text
            .contains("En quelle année êtes-vous né(e) ?"));
        assert!(view.steps[0].prompts[1]
            .text
            .contains("Obotama na mobu nini?"));
    }

    #[test]
    fn the_guides_example_code_with_the_development_salt() {
        let view = view_with_disk(&root());
        assert!(
            view.example.missing.is_empty(),
            "{:?}",
            view.example.missing
        );
        let code = view.example.code.as_deref().unwrap();
        let hash = code.strip_prefix("985-KINS-15-JEA-KABI-").expect(code);
        assert!(
            hash.len() == 5 && hash.chars().all(|c| c.is_ascii_hexdigit()),
            "{code}"
        );
        // The same code as the real engine gives with that salt.
        let flow = shipped();
        let salt = Salt::new(DEVELOPMENT_SALT).unwrap();
        let now = today().and_hms_opt(9, 0, 0).unwrap().and_utc();
        let mut simulator = crate::simulate::Simulator::new(&flow, &salt, now);
        for message in ["Bonjour", "1", "1985", "Kinshasa", "Jean", "15", "Kabila"] {
            simulator.send("+243000000001", message, 0);
        }
        let replies = simulator.send("+243000000001", "oui", 0).join("\n");
        assert!(replies.contains(code), "{replies}");
        assert_eq!(view.template, flow.def.ciu.template);
        assert_eq!((view.hash_length, view.hash_alphabet), (5, "hex"));
    }

    #[test]
    fn the_shipped_files_load_and_would_not_change_codes() {
        let view = view_with_disk(&root());
        let disk = &view.disk;
        assert!(disk.loads);
        assert_eq!(disk.error_count, 0);
        assert_eq!(disk.step_count, Some(5));
        assert_eq!(disk.sms.len(), 4);
        assert!(
            disk.sms[0].starts_with("SMS (fr, limite 4 SMS) : "),
            "{:?}",
            disk.sms
        );
        assert_eq!(disk.codes_change, Some(false));
        assert_eq!(disk.flow_changed, Some(false));
        assert_eq!(disk.fingerprint.as_deref(), Some(view.fingerprint.as_str()));
    }

    #[test]
    fn a_warning_of_the_files_on_disk_is_shown() {
        let dir = copy_of_the_shipped_files();
        std::fs::write(
            dir.path().join("locales/en/extra.ftl"),
            "q-only-in-english = Only here\n",
        )
        .unwrap();
        let view = view_with_disk(dir.path());
        let disk = &view.disk;
        assert!(disk.loads);
        assert_eq!(
            (disk.error_count, disk.warning_count),
            (0, 1),
            "{:?}",
            disk.diagnostics
        );
        let warning = &disk.diagnostics[0];
        assert_eq!(warning.severity, "warning");
        assert!(
            warning.place.ends_with("locales/en/extra.ftl:1:1"),
            "{}",
            warning.place
        );
        assert!(
            warning.message.contains("q-only-in-english"),
            "{}",
            warning.message
        );
        assert_eq!(disk.codes_change, Some(false));
    }

    #[test]
    fn an_error_and_a_change_of_codes_on_disk_are_shown() {
        let dir = copy_of_the_shipped_files();
        let flow_file = dir.path().join("flows/ciu.yaml");
        let shipped = std::fs::read_to_string(&flow_file).unwrap();
        let longer_hash = shipped.replace("hash: { length: 5,", "hash: { length: 6,");
        assert_ne!(longer_hash, shipped);
        std::fs::write(&flow_file, &longer_hash).unwrap();
        let changed = view_with_disk(dir.path()).disk;
        assert!(changed.loads);
        assert_eq!(
            (changed.codes_change, changed.flow_changed),
            (Some(true), Some(true))
        );

        let broken = shipped.replace("type: day_of_month }", "type: day_of_month, max: 28 }");
        std::fs::write(&flow_file, broken).unwrap();
        let broken = view_with_disk(dir.path()).disk;
        assert!(!broken.loads);
        assert_eq!(broken.error_count, 1, "{:?}", broken.diagnostics);
        assert_eq!(broken.diagnostics[0].severity, "error");
        assert!(
            broken.diagnostics[0].place.contains("flows/ciu.yaml:"),
            "{}",
            broken.diagnostics[0].place
        );
        assert_eq!((broken.fingerprint, broken.codes_change), (None, None));
    }

    #[tokio::test]
    async fn the_page_renders_small_escaped_and_in_both_languages() {
        let dir = copy_of_the_shipped_files();
        std::fs::write(
            dir.path().join("locales/en/extra.ftl"),
            "q-only-in-english = <b>Only</b> here\n",
        )
        .unwrap();
        let view = view_with_disk(dir.path());
        let pages = Pages::new();
        for lang in ["fr", "en"] {
            let frame = Frame {
                lang,
                page: "flow",
                here: "/console/flux",
                csrf: Some("token"),
                app_name: "CIU",
                app_version: "test",
            };
            let response = pages.render("flow.html", &frame, context! { view => &view });
            assert_eq!(response.status(), StatusCode::OK);
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            assert!(body.len() < 150_000, "{} bytes", body.len());
            let html = String::from_utf8(body.to_vec()).unwrap();
            assert!(!html.contains("<b>Only</b>"), "catalog text is escaped");
            assert!(html.contains("q-only-in-english"));
            for step in &view.steps {
                assert!(html.contains(&format!("id=\"step-{}\"", step.id)));
            }
            assert!(html.contains("Obotama na mobu nini?"));
            assert!(html.contains(view.example.code.as_deref().unwrap()));
            assert!(html.contains(&view.fingerprint));
        }
    }
}
