//! Property tests: whatever people type, the engine answers within Twilio's limits and
//! keeps a consistent state; the same answer typed differently gives the same code; the
//! Twilio form parser never panics. (The Meta JSON parser is tested by its own suite.)

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use std::sync::OnceLock;
use unicode_normalization::UnicodeNormalization;

use ciu::channels::twilio::{self, MAX_MESSAGE_LEN};
use ciu::code::Salt;
use ciu::flow::{self, Engine, Flow, Inbound, Phase, Registration, Session};
use ciu::normalize::normalize;

#[path = "common/answers.rs"]
mod answers;
use answers::PLAUSIBLE_ANSWERS;

fn default_flow() -> &'static Flow {
    static FLOW: OnceLock<Flow> = OnceLock::new();
    FLOW.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        flow::load(&root.join("flows/ciu.yaml"), &root.join("locales"))
            .unwrap_or_else(|e| panic!("the default flow loads: {e:?}"))
            .flow
    })
}

fn salt() -> Salt {
    Salt::new("Property-test-salt-0123456789").unwrap()
}

fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap()
}

/// What people send: anything, commands and plausible answers, control characters,
/// and messages far over every limit.
fn message_text() -> impl Strategy<Value = String> {
    let others = [
        "Bonjour",
        "1850",
        "2090",
        "15th",
        "oui",
        "non",
        "O",
        "N",
        "yes",
        "aide",
        "help",
        "recommencer",
        "Retour",
        "langue",
        "arrêt",
        "STOP",
        "kotika",
        "",
    ];
    let known = [&PLAUSIBLE_ANSWERS[..], &others[..]].concat();
    prop_oneof![
        4 => ".{0,40}",
        4 => prop::sample::select(known).prop_map(str::to_owned),
        1 => "[\\x00-\\x1f\\x7f\u{200b}\u{200e}\u{feff}\u{301}]{0,12}",
        1 => (any::<char>(), 1000..6000usize).prop_map(|(c, n)| c.to_string().repeat(n)),
    ]
}

/// A message and how many minutes passed before it (sometimes past the expiry).
fn message() -> impl Strategy<Value = (String, u32, i64)> {
    (
        message_text(),
        prop_oneof![5 => Just(0u32), 1 => 1..3u32],
        prop_oneof![6 => 0..3i64, 1 => 0..200i64],
    )
}

/// Messages to the engine: either anything at all, or a whole valid conversation with
/// random messages slipped in (so that conversations also complete, restart, go back).
fn conversation() -> impl Strategy<Value = Vec<(String, u32, i64)>> {
    let valid = (
        0..5000usize,
        prop::collection::vec((0..10usize, message()), 0..8),
    )
        .prop_map(|(person, noise)| {
            let mut messages: Vec<(String, u32, i64)> = ciu::bench::conversation_messages(person)
                .into_iter()
                .map(|text| (text, 0, 0))
                .collect();
            for (position, extra) in noise {
                messages.insert(position.min(messages.len()), extra);
            }
            messages
        });
    prop_oneof![prop::collection::vec(message(), 1..40), valid]
}

/// The invariants the service relies on to save and resume a session.
fn assert_consistent(flow: &Flow, session: &Session) {
    let steps = flow.steps.len();
    let answered = session.answers.len();
    let phase_ok = |phase: &Phase| match phase {
        Phase::ChoosingLanguage { .. } => false,
        Phase::Asking { step } => *step < steps && answered == *step,
        Phase::Correcting { step } => *step < steps && answered == steps,
        Phase::Confirming | Phase::ChoosingCorrection => answered == steps,
        Phase::Finished => answered == 0,
    };
    let ok = match &session.phase {
        Phase::ChoosingLanguage { then } => phase_ok(then),
        phase => phase_ok(phase),
    };
    assert!(ok, "phase {:?} with {answered} answers", session.phase);
    for (answer, step) in session.answers.iter().zip(&flow.steps) {
        assert_eq!(answer.step_id, step.def.id);
        assert!(!normalize(&answer.normalized).is_empty());
    }
    assert!(session.attempts < flow.def.max_attempts);
    assert!(flow.def.locales.contains(&session.locale));
    let stored = serde_json::to_vec(session).unwrap();
    let restored: Session = serde_json::from_slice(&stored).unwrap();
    assert_eq!(&restored, session, "the session survives being stored");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn the_engine_always_answers_within_limits(messages in conversation()) {
        let flow = default_flow();
        let salt = salt();
        let engine = Engine::new(flow, &salt);
        let mut session = None;
        let mut now = start_time();
        for (text, media_count, minutes) in &messages {
            now += Duration::minutes(*minutes);
            let mut turn = engine.handle(session.take(), &Inbound { text, media_count: *media_count }, now);
            if let Some(request) = turn.registration.take() {
                engine.deliver(&mut turn, &Registration::New(request.candidate(0)));
                prop_assert_eq!(&turn.session.phase, &Phase::Finished);
            }
            prop_assert!(!turn.replies.is_empty(), "no reply to {:?}", text);
            for reply in &turn.replies {
                let shown = reply.plain_text();
                prop_assert!(!shown.trim().is_empty(), "an empty reply");
                prop_assert!(shown.encode_utf16().count() <= MAX_MESSAGE_LEN, "a reply of {} units", shown.encode_utf16().count());
            }
            assert_consistent(flow, &turn.session);
            session = Some(turn.session);
        }
    }
}

/// The code a French conversation with these answers ends with, if it completes.
fn code_for(answers: &[String]) -> Option<String> {
    let salt = salt();
    let engine = Engine::new(default_flow(), &salt);
    let now = start_time();
    let mut session = None;
    let mut messages = vec!["Bonjour".to_owned(), "1".to_owned()];
    messages.extend_from_slice(answers);
    messages.push("oui".to_owned());
    for text in &messages {
        let mut turn = engine.handle(
            session.take(),
            &Inbound {
                text,
                media_count: 0,
            },
            now,
        );
        if let Some(request) = turn.registration.take() {
            return Some(request.candidate(0));
        }
        session = Some(turn.session);
    }
    None
}

/// `word` as someone else might type it: other case, accents (precomposed or
/// combining), spaces, hyphens, apostrophes and dots around and between letters.
fn typed_differently(word: &'static str) -> impl Strategy<Value = String> {
    let letters: Vec<char> = word.chars().collect();
    let per_letter = (
        any::<bool>(),
        prop::sample::select(vec![
            None,
            Some('\u{300}'),
            Some('\u{301}'),
            Some('\u{302}'),
            Some('\u{308}'),
        ]),
        prop::sample::select(vec!["", "", "", " ", "-", "'", "."]),
    );
    (
        prop::collection::vec(per_letter, letters.len()),
        prop::sample::select(vec!["", " ", "  "]),
        prop::sample::select(vec!["", " ", ".", " !"]),
        any::<bool>(),
    )
        .prop_map(move |(changes, before, after, compose)| {
            let mut typed = before.to_owned();
            for (i, (c, (upper, accent, separator))) in letters.iter().zip(changes).enumerate() {
                typed.push(if upper {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                });
                typed.extend(accent);
                if i + 1 < letters.len() {
                    typed.push_str(separator);
                }
            }
            typed.push_str(after);
            if compose {
                typed.nfc().collect()
            } else {
                typed.nfd().collect()
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn variations_of_an_answer_give_the_same_value_and_code(
        place in typed_differently("Kinshasa"),
        first_name in typed_differently("Beatrice"),
        family_name in typed_differently("Mukendi"),
    ) {
        prop_assert_eq!(normalize(&place), "KINSHASA");
        prop_assert_eq!(normalize(&place.nfc().collect::<String>()), normalize(&place.nfd().collect::<String>()));
        let plain = ["1985", "Kinshasa", "Beatrice", "15", "Mukendi"].map(str::to_owned);
        let typed = ["1985".to_owned(), place, first_name, " 15 ".to_owned(), family_name];
        let expected = code_for(&plain).expect("the plain answers complete");
        prop_assert_eq!(code_for(&typed), Some(expected));
    }
}

/// Bodies close to what Twilio sends, with bad escapes and odd names mixed in.
fn form_like() -> impl Strategy<Value = Vec<u8>> {
    let name = prop_oneof![
        prop::sample::select(vec![
            "From",
            "Body",
            "MessageSid",
            "NumMedia",
            "ButtonPayload"
        ])
        .prop_map(str::to_owned),
        "[A-Za-z%+=]{0,6}",
    ];
    let value = "([ -~]|%[0-9A-Fa-f]{2}|%[0-9A-Za-z]{0,2}|\\+){0,20}";
    prop::collection::vec((name, value, any::<bool>()), 0..8).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(n, v, with_equals)| if with_equals { format!("{n}={v}") } else { n })
            .collect::<Vec<_>>()
            .join("&")
            .into_bytes()
    })
}

proptest! {
    #[test]
    fn the_form_parser_never_panics(body in prop_oneof![prop::collection::vec(any::<u8>(), 0..400), form_like()]) {
        if let Ok((inbound, params)) = twilio::parse_form(&body) {
            prop_assert!(!inbound.from.is_empty());
            prop_assert!(params.iter().any(|(name, _)| name == "From"));
        }
    }

    #[test]
    fn any_text_survives_the_form(body in ".{0,200}", sid in "[A-Za-z0-9]{1,34}") {
        let form = ciu::bench::twilio_form("+243990000001", &body, &sid);
        let (inbound, _) = twilio::parse_form(form.as_bytes()).unwrap();
        prop_assert_eq!(inbound.body, body);
        prop_assert_eq!(inbound.message_sid, Some(sid));
    }
}
