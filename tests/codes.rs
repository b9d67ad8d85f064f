//! The code itself, through the real engine and the shipped flow: the guide's example,
//! stability under typing variations, dependence on the salt and on the person, and a
//! sixth question added by editing configuration only.

use chrono::{TimeZone, Utc};
use std::path::Path;

use ciu::code::Salt;
use ciu::flow::{self, Flow};
use ciu::simulate::Simulator;

#[path = "common/edited_flow.rs"]
mod edited_flow;
use edited_flow::{shipped_flow_text, write_sixth_question_flow};

const SALT: &str = "Test-salt-0123456789-abcdef";

fn shipped() -> Flow {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    flow::load(&root.join("flows/ciu.yaml"), &root.join("locales"))
        .unwrap()
        .flow
}

/// Runs one whole conversation (French, confirmed) and returns the code it ends with.
fn code_for(flow: &Flow, salt: &str, answers: &[&str]) -> String {
    let salt = Salt::new(salt).unwrap();
    let mut sim = Simulator::new(
        flow,
        &salt,
        Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap(),
    );
    let phone = "+243811111111";
    sim.send(phone, "Bonjour", 0);
    sim.send(phone, "1", 0);
    for answer in answers {
        sim.send(phone, answer, 0);
    }
    let replies = sim.send(phone, "oui", 0);
    let text = replies.join("\n");
    let start = text.find("```").expect("a code in monospace") + 3;
    let end = start + text[start..].find("```").unwrap();
    text[start..end].to_owned()
}

fn is_guide_shape(code: &str) -> bool {
    let Some(hash) = code.strip_prefix("985-KINS-15-JEA-KABI-") else {
        return false;
    };
    hash.len() == 5
        && hash
            .chars()
            .all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c))
}

#[test]
fn the_guides_example_and_its_variations_give_one_code() {
    let flow = shipped();
    let reference = code_for(&flow, SALT, &["1985", "Kinshasa", "Jean", "15", "Kabila"]);
    assert!(is_guide_shape(&reference), "{reference}");
    let variations: [[&str; 5]; 4] = [
        ["  1985 ", "KINSHASA", "jean", "15", "KABILA"],
        ["1985.", "Kinshása", "Jéan", " 15 ", "Kabilà"],
        // Decomposed accents (e + combining acute) must equal precomposed ones.
        ["1985", "Kinsha\u{301}sa", "Je\u{301}an", "15", "Kabila!"],
        ["1985", "Kin-shasa", "J.e.a.n", "15", "Ka bila"],
    ];
    for answers in variations {
        assert_eq!(code_for(&flow, SALT, &answers), reference, "{answers:?}");
    }
}

#[test]
fn another_salt_gives_another_hash() {
    let flow = shipped();
    let a = code_for(&flow, SALT, &["1985", "Kinshasa", "Jean", "15", "Kabila"]);
    let b = code_for(
        &flow,
        "Other-salt-9876543210-zyxw",
        &["1985", "Kinshasa", "Jean", "15", "Kabila"],
    );
    assert!(is_guide_shape(&b), "{b}");
    assert_ne!(a, b);
}

#[test]
fn another_person_gives_another_code() {
    let flow = shipped();
    let a = code_for(&flow, SALT, &["1985", "Kinshasa", "Jean", "15", "Kabila"]);
    // Same code letters (JEA, KINS, KABI), different full answers: the hash separates them.
    let b = code_for(&flow, SALT, &["1985", "Kinshasa", "Jeanne", "15", "Kabila"]);
    let c = code_for(
        &flow,
        SALT,
        &["1985", "Kinshasa", "Jean", "15", "Kabilanga"],
    );
    assert_ne!(a, b);
    assert_ne!(a, c);
    assert_ne!(b, c);
    assert!(b.starts_with("985-KINS-15-JEA-KABI-"), "{b}");
}

#[test]
fn short_answers_are_padded_and_days_zero_padded() {
    let flow = shipped();
    let code = code_for(&flow, SALT, &["2003", "Oyo", "Jo", "5", "Ba"]);
    assert!(code.starts_with("003-OYOX-05-JOX-BAXX-"), "{code}");
}

/// A programme adds a sixth question with numbered choices by editing the flow file and
/// the catalogs only; the answer flows into the code.
#[test]
fn a_sixth_question_from_configuration_only() {
    let dir = tempfile::tempdir().unwrap();
    let written = write_sixth_question_flow(dir.path());
    let flow = flow::load(&written.flow, &written.locales)
        .unwrap_or_else(|d| panic!("{d:?}"))
        .flow;
    assert_eq!(flow.steps.len(), 6);

    let salt = Salt::new(SALT).unwrap();
    let mut sim = Simulator::new(
        &flow,
        &salt,
        Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap(),
    );
    let phone = "+243822222222";
    sim.send(phone, "Bonjour", 0);
    sim.send(phone, "1", 0);
    for answer in ["1985", "Kinshasa", "Jean", "15"] {
        sim.send(phone, answer, 0);
    }
    let question = sim.send(phone, "Kabila", 0).join("\n");
    assert!(
        question.contains("(6/6) Êtes-vous un homme ou une femme ?"),
        "{question}"
    );
    assert!(
        question.contains("1. Homme") && question.contains("2. Femme"),
        "{question}"
    );
    let refused = sim.send(phone, "3", 0).join("\n");
    assert!(
        refused.contains("Répondez par un chiffre de 1 à 2."),
        "{refused}"
    );
    let summary = sim.send(phone, "2", 0).join("\n");
    assert!(summary.contains("Sexe : Femme"), "{summary}");
    let result = sim.send(phone, "oui", 0).join("\n");
    assert!(result.contains("985-KINS-15-JEA-KABI-F-"), "{result}");

    // The same person answering by label, in another language, gets the same code.
    let again = code_for(
        &flow,
        SALT,
        &["1985", "Kinshasa", "Jean", "15", "Kabila", "mwasi"],
    );
    assert!(result.contains(&again), "{result} vs {again}");
    let man = code_for(
        &flow,
        SALT,
        &["1985", "Kinshasa", "Jean", "15", "Kabila", "Homme"],
    );
    assert!(man.starts_with("985-KINS-15-JEA-KABI-H-"), "{man}");
}

#[test]
fn a_flow_change_restarts_sessions_begun_under_the_old_questions() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let old = shipped();
    let dir = tempfile::tempdir().unwrap();
    let edited = shipped_flow_text().replace("max_len: 60", "max_len: 50");
    std::fs::write(dir.path().join("ciu.yaml"), edited).unwrap();
    let new = flow::load(&dir.path().join("ciu.yaml"), &root.join("locales"))
        .unwrap()
        .flow;
    assert_ne!(old.revision, new.revision);

    let salt = Salt::new(SALT).unwrap();
    let now = Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap();
    let inbound = |text| ciu::flow::Inbound {
        text,
        media_count: 0,
    };
    let old_engine = ciu::flow::Engine::new(&old, &salt);
    let mut session = old_engine.handle(None, &inbound("Bonjour"), now).session;
    for text in ["1", "1985"] {
        session = old_engine
            .handle(Some(session), &inbound(text), now)
            .session;
    }
    let new_engine = ciu::flow::Engine::new(&new, &salt);
    let turn = new_engine.handle(Some(session), &inbound("Kinshasa"), now);
    let text = turn.replies[0].plain_text();
    assert!(
        text.starts_with("Les questions ont été mises à jour."),
        "{text}"
    );
    assert!(text.contains("(1/5)"), "{text}");
    assert!(turn.session.answers.is_empty());
}

/// Command words of other languages are names like any other: "Rudi" is Swahili for
/// "back", and a French speaker's first name.
#[test]
fn another_languages_command_word_is_an_answer() {
    let flow = shipped();
    let code = code_for(&flow, SALT, &["1985", "Kinshasa", "Rudi", "15", "Simama"]);
    assert!(code.starts_with("985-KINS-15-RUD-SIMA-"), "{code}");
}
