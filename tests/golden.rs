//! Golden transcripts: `tests/golden/*.chat` (messages) → `*.out` (expected replies),
//! run through the real engine with the shipped flow and catalogs. After an intended
//! change: `UPDATE_GOLDEN=1 cargo test --test golden`, then review the diff.
//!
//! `tests/golden/validators/<type>.chat`: one per validator type, run with the shipped
//! flow whose questions are replaced by the ones written in the script's `#|` lines
//! (YAML: `steps:` and `template:`), so each script carries its own small flow.

use chrono::{TimeZone, Utc};
use std::path::{Path, PathBuf};

use ciu::code::Salt;
use ciu::flow::Flow;
use ciu::simulate::{Simulator, DEVELOPMENT_SALT};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn scripts_in(dir: &Path) -> Vec<PathBuf> {
    let mut scripts: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "chat"))
        .collect();
    scripts.sort();
    scripts
}

/// Runs `script` on `flow`; the difference with its `.out`, if any.
fn run(flow: &Flow, script: &Path) -> Option<String> {
    let salt = Salt::new(DEVELOPMENT_SALT).unwrap();
    let start = Utc.with_ymd_and_hms(2026, 6, 15, 9, 0, 0).unwrap();
    let mut simulator = Simulator::new(flow, &salt, start);
    let transcript = simulator.run_script(&std::fs::read_to_string(script).unwrap());
    if let Some(problem) = ussd_screen_problem(&transcript) {
        return Some(format!("{}: {problem}", script.display()));
    }
    let expected_path = script.with_extension("out");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&expected_path, &transcript).unwrap();
        return None;
    }
    let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
    if expected == transcript {
        return None;
    }
    let first_difference = expected
        .lines()
        .zip(transcript.lines())
        .position(|(a, b)| a != b)
        .unwrap_or(expected.lines().count().min(transcript.lines().count()));
    Some(format!(
        "{}: differs from line {} — expected {:?}, got {:?}",
        expected_path.display(),
        first_difference + 1,
        expected.lines().nth(first_difference),
        transcript.lines().nth(first_difference)
    ))
}

/// In a USSD transcript (`!ussd`), every reply is one screen: `CON ` or `END `, at most
/// 182 characters (src/channels/ussd/render.rs).
fn ussd_screen_problem(transcript: &str) -> Option<String> {
    if !transcript.lines().any(|l| l == "!ussd") {
        return None;
    }
    let mut screens = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in transcript.lines() {
        match (
            line.strip_prefix("< ").or((line == "<").then_some("")),
            &mut current,
        ) {
            (Some(text), Some(lines)) => lines.push(text),
            (Some(text), None) => current = Some(vec![text]),
            (None, _) => screens.extend(current.take().map(|l| l.join("\n"))),
        }
    }
    screens.extend(current.map(|l| l.join("\n")));
    let max = ciu::channels::ussd::MAX_SCREEN_CHARS;
    screens.iter().find_map(|screen| {
        let fits = screen.chars().count() <= max;
        let prefixed = screen.starts_with("CON ") || screen.starts_with("END ");
        (!(fits && prefixed))
            .then(|| format!("USSD screen not CON/END within {max} characters: {screen:?}"))
    })
}

fn assert_no_failures(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{}\n(after an intended change: UPDATE_GOLDEN=1 cargo test --test golden)",
        failures.join("\n")
    );
}

#[test]
fn transcripts_match() {
    let loaded = ciu::flow::load(&root().join("flows/ciu.yaml"), &root().join("locales"))
        .unwrap_or_else(|d| panic!("shipped flow must load: {d:?}"));
    let scripts = scripts_in(&root().join("tests/golden"));
    assert!(
        scripts.len() >= 4,
        "one script per shipped language at least"
    );
    let failures = scripts
        .iter()
        .filter_map(|s| run(&loaded.flow, s))
        .collect();
    assert_no_failures(failures);
}

/// The shipped flow with the questions and template of the script's `#|` lines, written
/// next to the build's other files (the locales are the shipped ones).
fn flow_of(script: &Path) -> PathBuf {
    let text = std::fs::read_to_string(script).unwrap();
    let own: String = text
        .lines()
        .filter_map(|l| l.strip_prefix("#|"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l).to_owned() + "\n")
        .collect();
    let own: serde_yaml::Value = serde_yaml::from_str(&own)
        .unwrap_or_else(|e| panic!("{}: the #| lines are not YAML: {e}", script.display()));
    let shipped = std::fs::read_to_string(root().join("flows/ciu.yaml")).unwrap();
    let mut flow: serde_yaml::Value = serde_yaml::from_str(&shipped).unwrap();
    flow["steps"] = own["steps"].clone();
    flow["ciu"]["template"] = own["template"].clone();
    // The script's own questions name no spelling rules; the files are beside the
    // shipped flow, not this copy.
    if let Some(flow) = flow.as_mapping_mut() {
        flow.remove("spelling");
    }
    let name = script.file_stem().unwrap().to_string_lossy();
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("golden-{name}.yaml"));
    std::fs::write(&path, serde_yaml::to_string(&flow).unwrap()).unwrap();
    path
}

#[test]
fn every_validator_has_its_transcript() {
    let dir = root().join("tests/golden/validators");
    let mut failures = Vec::new();
    for kind in ciu::flow::validators::TYPES {
        let script = dir.join(format!("{kind}.chat"));
        assert!(
            script.exists(),
            "validator {kind}: add {} (see tests/golden.rs)",
            script.display()
        );
        let flow_path = flow_of(&script);
        let loaded = ciu::flow::load(&flow_path, &root().join("locales")).unwrap_or_else(|d| {
            let lines: Vec<String> = d.iter().map(ToString::to_string).collect();
            panic!(
                "{}: its flow must load:\n{}",
                script.display(),
                lines.join("\n")
            )
        });
        assert!(
            loaded
                .flow
                .def
                .steps
                .iter()
                .any(|s| serde_yaml::to_value(&s.validate).unwrap()["type"] == *kind),
            "{}: no question uses the validator {kind}",
            script.display()
        );
        failures.extend(run(&loaded.flow, &script));
    }
    assert_no_failures(failures);
}
