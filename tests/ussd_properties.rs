//! Property tests of the USSD channel (src/channels/ussd/, src/service/ussd.rs): the
//! parser takes any `*`-joined text and never panics on huge or broken ones; every
//! screen is `CON `/`END ` within 182 characters; a repeated request gets the same
//! screen and changes nothing.

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use std::sync::atomic::{AtomicU32, Ordering};

use ciu::channels::ussd::{
    parse_form, render_screen, Next, UssdError, UssdRequest, MAX_INPUTS, MAX_SCREEN_CHARS,
    MAX_TEXT_BYTES,
};
use ciu::code::Salt;
use ciu::config::PhoneStorage;
use ciu::flow::{self, Reply, ReplyChoice};
use ciu::service::{Bot, UssdAnswer};
use ciu::store::Store;

#[path = "common/answers.rs"]
mod answers;
use answers::PLAUSIBLE_ANSWERS;

fn form(session: &str, phone: &str, text: &str) -> Vec<u8> {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("sessionId", session)
        .append_pair("serviceCode", "*384*123#")
        .append_pair("phoneNumber", phone)
        .append_pair("networkCode", "63902")
        .append_pair("text", text)
        .finish()
        .into_bytes()
}

/// What people key in on a phone pad, and some of what they should not.
fn input() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(
            [
                &PLAUSIBLE_ANSWERS[..],
                &["RETOUR", "AIDE", "RECOMMENCER", "ARRET", ""],
            ]
            .concat()
        )
        .prop_map(str::to_owned),
        "[^*]{0,40}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn star_joined_texts_give_back_their_inputs(inputs in prop::collection::vec("[^*]{0,30}", 1..40)) {
        let text = inputs.join("*");
        let request = parse_form(&form("s1", "+243810000001", &text)).unwrap();
        let expected: Vec<String> = if text.trim().is_empty() {
            Vec::new()
        } else {
            inputs.iter().map(|i| i.trim().to_owned()).collect()
        };
        prop_assert_eq!(request.inputs, expected);
        prop_assert_eq!(request.phone.as_str(), "+243810000001");
    }

    #[test]
    fn huge_texts_are_refused_not_crashed(length in 0usize..(3 * MAX_TEXT_BYTES), star_every in 1usize..50) {
        let text: String = (0..length).map(|i| if i % star_every == 0 { '*' } else { '7' }).collect();
        match parse_form(&form("s1", "+243810000001", &text)) {
            Ok(request) => {
                prop_assert!(text.len() <= MAX_TEXT_BYTES);
                prop_assert!(request.inputs.len() <= MAX_INPUTS);
            }
            Err(error) => prop_assert_eq!(error, UssdError::TooLong),
        }
    }

    #[test]
    fn any_body_is_parsed_or_refused(body in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = parse_form(&body);
    }

    #[test]
    fn every_screen_fits(text in ".{0,400}", titles in prop::collection::vec(".{0,40}", 0..12), end in any::<bool>()) {
        let reply = Reply {
            text,
            choices: titles.into_iter().enumerate().map(|(i, title)| ReplyChoice { id: i.to_string(), title }).collect(),
        };
        let screen = render_screen(&[reply], if end { Next::End } else { Next::Continue });
        let prefix = if end { "END " } else { "CON " };
        prop_assert!(screen.starts_with(prefix), "{:?}", screen);
        prop_assert!(screen.chars().count() <= MAX_SCREEN_CHARS);
    }
}

fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
}

/// One bot on a fresh SQLite database for the whole run; each case has its own phones.
fn bot() -> &'static (tokio::runtime::Runtime, Bot, tempfile::TempDir) {
    static BOT: std::sync::OnceLock<(tokio::runtime::Runtime, Bot, tempfile::TempDir)> =
        std::sync::OnceLock::new();
    BOT.get_or_init(|| {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("ciu.db").display());
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let flow = flow::load(&root.join("flows/ciu.yaml"), &root.join("locales"))
            .unwrap()
            .flow;
        let salt = Salt::new("Ussd-property-salt-0123456789").unwrap();
        let bot = runtime.block_on(async {
            let store = Store::connect(&url).await.unwrap();
            store.migrate().await.unwrap();
            Bot::new(flow, salt, store, PhoneStorage::Hashed)
        });
        (runtime, bot, dir)
    })
}

static CASE: AtomicU32 = AtomicU32::new(0);

/// Drives a session as Africa's Talking does (the text grows by one input per request),
/// repeating the requests marked; returns every screen.
fn drive(
    bot: &Bot,
    runtime: &tokio::runtime::Runtime,
    phone: &str,
    inputs: &[(String, bool)],
) -> Vec<String> {
    let session = format!("ATUid_{phone}");
    let mut screens = Vec::new();
    let mut now = start_time();
    for count in 0..=inputs.len() {
        let text: Vec<&str> = inputs[..count].iter().map(|(i, _)| i.as_str()).collect();
        let request: UssdRequest = parse_form(&form(&session, phone, &text.join("*"))).unwrap();
        now += Duration::seconds(5);
        let answer = runtime.block_on(bot.handle_ussd(&request, now)).unwrap();
        let UssdAnswer::Screen(screen) = answer else {
            panic!("own session refused")
        };
        let repeated = count > 0 && inputs[count - 1].1;
        if repeated {
            let again = runtime.block_on(bot.handle_ussd(&request, now)).unwrap();
            assert_eq!(
                again,
                UssdAnswer::Screen(screen.clone()),
                "a repeat answers the same"
            );
        }
        assert!(
            screen.starts_with("CON ") || screen.starts_with("END "),
            "{screen:?}"
        );
        assert!(screen.chars().count() <= MAX_SCREEN_CHARS, "{screen:?}");
        screens.push(screen);
    }
    screens
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn repeated_requests_answer_the_same_and_count_once(inputs in prop::collection::vec((input(), any::<bool>()), 0..14)) {
        let (runtime, bot, _) = bot();
        let case = CASE.fetch_add(1, Ordering::Relaxed);
        let with_repeats = drive(bot, runtime, &format!("+2438100{case:05}"), &inputs);
        let once: Vec<(String, bool)> = inputs.iter().map(|(i, _)| (i.clone(), false)).collect();
        let without = drive(bot, runtime, &format!("+2439900{case:05}"), &once);
        // The same screens, but for the code (new for the first phone, already given
        // for the second): a repeat fed nothing twice.
        for (a, b) in with_repeats.iter().zip(&without) {
            if !a.starts_with("END ") {
                prop_assert_eq!(a, b);
            }
        }
    }
}
