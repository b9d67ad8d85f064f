//! Golden transcripts: `tests/golden/*.chat` (messages) → `*.out` (expected replies),
//! run through the real engine with the shipped flow and catalogs. After an intended
//! change: `UPDATE_GOLDEN=1 cargo test --test golden`, then review the diff.

use chrono::{TimeZone, Utc};
use std::path::Path;

use ciu::ciu::Salt;
use ciu::simulate::{Simulator, DEVELOPMENT_SALT};

#[test]
fn transcripts_match() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let loaded = ciu::flow::load(&root.join("flows/ciu.yaml"), &root.join("locales"))
        .unwrap_or_else(|d| panic!("shipped flow must load: {d:?}"));
    let salt = Salt::new(DEVELOPMENT_SALT).unwrap();
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut scripts: Vec<_> = std::fs::read_dir(root.join("tests/golden"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "chat"))
        .collect();
    scripts.sort();
    assert!(
        scripts.len() >= 4,
        "one script per shipped language at least"
    );
    let mut failures = Vec::new();
    for script in scripts {
        let start = Utc.with_ymd_and_hms(2026, 6, 15, 9, 0, 0).unwrap();
        let mut simulator = Simulator::new(&loaded.flow, &salt, start);
        let transcript = simulator.run_script(&std::fs::read_to_string(&script).unwrap());
        let expected_path = script.with_extension("out");
        if update {
            std::fs::write(&expected_path, &transcript).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != transcript {
            let first_difference = expected
                .lines()
                .zip(transcript.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(expected.lines().count().min(transcript.lines().count()));
            failures.push(format!(
                "{}: differs from line {} — expected {:?}, got {:?}",
                expected_path.display(),
                first_difference + 1,
                expected.lines().nth(first_difference),
                transcript.lines().nth(first_difference)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n(after an intended change: UPDATE_GOLDEN=1 cargo test --test golden)",
        failures.join("\n")
    );
}
