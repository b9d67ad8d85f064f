//! USSD in Africa's Talking's format (`POST /ussd`, `CHANNELS=…,ussd`): the guide's
//! answers over a session driven as the gateway calls it give the WhatsApp code, every
//! screen `CON `/`END ` within 182 characters; a cut session resumes; a repeated
//! request is answered the same and processed once; bad input never gets a 5xx.

use crate::common::for_each_database;
use crate::helpers::{spawn_app, TestApp};

const GUIDE: [&str; 5] = ["1985", "Kinshasa", "Jean", "15", "Kabila"];
const USSD: &[(&str, &str)] = &[("CHANNELS", "twilio,ussd")];
const MAX_SCREEN: usize = 182;

struct Screen {
    status: u16,
    content_type: String,
    body: String,
}

async fn post_ussd(app: &TestApp, query: &str, params: &[(&str, &str)]) -> Screen {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    let response = app
        .client
        .post(format!("{}/ussd{query}", app.address))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    Screen {
        status: response.status().as_u16(),
        content_type: response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default(),
        body: response.text().await.unwrap(),
    }
}

/// One request of session `session` as Africa's Talking sends it; the screen must be
/// `CON `/`END `, plain text, at most 182 characters.
async fn ussd(app: &TestApp, session: &str, phone: &str, text: &str) -> String {
    let screen = post_ussd(
        app,
        "",
        &[
            ("sessionId", session),
            ("serviceCode", "*384*123#"),
            ("phoneNumber", phone),
            ("networkCode", "63902"),
            ("text", text),
        ],
    )
    .await;
    assert_eq!(screen.status, 200, "{text:?}: {}", screen.body);
    assert!(
        screen.content_type.starts_with("text/plain"),
        "{}",
        screen.content_type
    );
    assert!(
        screen.body.starts_with("CON ") || screen.body.starts_with("END "),
        "{:?}",
        screen.body
    );
    assert!(
        screen.body.chars().count() <= MAX_SCREEN,
        "{:?}",
        screen.body
    );
    screen.body
}

/// A whole session: language 1, the answers, 1 (yes); returns every screen.
async fn session(app: &TestApp, session_id: &str, phone: &str, answers: &[&str]) -> Vec<String> {
    let mut inputs = vec!["1"];
    inputs.extend_from_slice(answers);
    inputs.push("1");
    let mut screens = Vec::new();
    for count in 0..=inputs.len() {
        screens.push(ussd(app, session_id, phone, &inputs[..count].join("*")).await);
    }
    screens
}

fn code_in(screen: &str) -> String {
    screen
        .lines()
        .find(|l| l.starts_with("985-"))
        .unwrap_or_else(|| panic!("no code in {screen:?}"))
        .trim()
        .to_owned()
}

#[tokio::test]
async fn the_guides_answers_give_the_whatsapp_code() {
    for_each_database(|url| async move {
        let app = spawn_app(&url, USSD).await;
        let screens = session(&app, "ATUid_guide", "+243810000101", &GUIDE).await;
        assert!(screens[0].contains("Langue / Monoko"), "{}", screens[0]);
        assert!(screens[1].contains("(1/5)"), "{}", screens[1]);
        assert!(screens[..screens.len() - 1]
            .iter()
            .all(|s| s.starts_with("CON ")));
        let last = screens.last().unwrap();
        assert!(last.starts_with("END "), "{last}");
        assert!(!last.contains("```"), "no WhatsApp markup: {last}");
        let code = code_in(last);
        assert!(code.starts_with("985-KINS-15-JEA-KABI-"), "{code}");

        // The same answers over WhatsApp (another phone): the same code.
        let whatsapp = app.conversation("+243810000102", &GUIDE).await;
        assert_eq!(
            whatsapp.code().as_deref(),
            Some(code.as_str()),
            "{}",
            whatsapp.body
        );
        // The same phone over WhatsApp is the same person: its conversation is the
        // USSD one (finished), so it starts again in French.
        let again = app.say("+243810000101", "Bonjour", None).await;
        assert!(again.text().contains("(1/5)"), "{}", again.body);
        assert_eq!(app.codes_in_registry().await, 1);
    })
    .await;
}

#[tokio::test]
async fn dialling_again_after_a_cut_session_resumes_or_restarts() {
    for_each_database(|url| async move {
        let app = spawn_app(&url, USSD).await;
        let phone = "+243810000201";
        ussd(&app, "ATUid_cut1", phone, "").await;
        ussd(&app, "ATUid_cut1", phone, "1").await;
        let asked = ussd(&app, "ATUid_cut1", phone, "1*1985").await;
        assert!(asked.contains("(2/5)"), "{asked}");
        // The network cut the session; a new one starts with an empty text, never
        // taken as an answer: where it was.
        let resumed = ussd(&app, "ATUid_cut2", phone, "").await;
        assert!(resumed.starts_with("CON "), "{resumed}");
        assert!(
            resumed.contains("On reprend") && resumed.contains("(2/5)"),
            "{resumed}"
        );
        let next = ussd(&app, "ATUid_cut2", phone, "Kinshasa").await;
        assert!(next.contains("(3/5)"), "{next}");
        // Or the clear word: from the beginning.
        ussd(&app, "ATUid_cut3", phone, "").await;
        let restarted = ussd(&app, "ATUid_cut3", phone, "RECOMMENCER").await;
        assert!(restarted.contains("(1/5)"), "{restarted}");
        // After the code, dialling again is a new conversation: the welcome.
        let screens = session(&app, "ATUid_cut4", "+243810000202", &GUIDE).await;
        assert!(screens.last().unwrap().starts_with("END "));
        let welcome = ussd(&app, "ATUid_cut5", "+243810000202", "").await;
        assert!(
            welcome.contains("CIU en 5 questions") && welcome.contains("(1/5)"),
            "{welcome}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_repeated_request_is_answered_the_same_and_processed_once() {
    for_each_database(|url| async move {
        let app = spawn_app(&url, USSD).await;
        let phone = "+243810000301";
        let first = ussd(&app, "ATUid_rep", phone, "").await;
        assert_eq!(ussd(&app, "ATUid_rep", phone, "").await, first);
        ussd(&app, "ATUid_rep", phone, "1").await;
        let year = ussd(&app, "ATUid_rep", phone, "1*1985").await;
        assert_eq!(ussd(&app, "ATUid_rep", phone, "1*1985").await, year);
        assert_eq!(ussd(&app, "ATUid_rep", phone, "1*1985").await, year);
        // Processed once: the next input answers question 2, not question 3.
        let next = ussd(&app, "ATUid_rep", phone, "1*1985*Kinshasa").await;
        assert!(next.contains("(3/5)"), "{next}");
        // Several inputs at once (a request lost on the way): each fed once, in order.
        let later = ussd(&app, "ATUid_rep", phone, "1*1985*Kinshasa*Jean*15").await;
        assert!(later.contains("(5/5)"), "{later}");
    })
    .await;
}

#[tokio::test]
async fn bad_requests_get_400_never_a_5xx() {
    for_each_database(|url| async move {
        let app = spawn_app(&url, USSD).await;
        let missing = post_ussd(&app, "", &[("phoneNumber", "+243810000401"), ("text", "")]).await;
        assert_eq!(missing.status, 400, "{}", missing.body);
        let phone = post_ussd(&app, "", &[("sessionId", "s"), ("phoneNumber", "abc")]).await;
        assert_eq!(phone.status, 400, "{}", phone.body);
        let huge = "1*".repeat(10_000);
        let huge = post_ussd(
            &app,
            "",
            &[
                ("sessionId", "s"),
                ("phoneNumber", "+243810000401"),
                ("text", &huge),
            ],
        )
        .await;
        assert_eq!(huge.status, 400, "{}", huge.body);
        let response = app
            .client
            .post(format!("{}/ussd", app.address))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("sessionId=s&phoneNumber=%2B243810000401&text=%E9%zz")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400);
        // A session id already used by another number is not answered with its screen.
        ussd(&app, "ATUid_theirs", "+243810000402", "").await;
        let foreign = post_ussd(
            &app,
            "",
            &[
                ("sessionId", "ATUid_theirs"),
                ("phoneNumber", "+243810000403"),
                ("text", ""),
            ],
        )
        .await;
        assert_eq!(foreign.status, 400, "{}", foreign.body);
        // Odd but well-formed inputs are answers the engine refuses politely.
        let odd = ussd(&app, "ATUid_odd", "+243810000404", "1**\u{202E}*💥").await;
        assert!(odd.starts_with("CON "), "{odd}");
    })
    .await;
}

#[tokio::test]
async fn the_secret_in_the_callback_url_is_checked() {
    for_each_database(|url| async move {
        let secret = "0123456789abcdef0123456789abcdef";
        let app = spawn_app(&url, &[("CHANNELS", "ussd"), ("USSD_SECRET", secret)]).await;
        let params = [
            ("sessionId", "ATUid_s"),
            ("phoneNumber", "+243810000501"),
            ("text", ""),
        ];
        assert_eq!(post_ussd(&app, "", &params).await.status, 403);
        assert_eq!(
            post_ussd(&app, "?cle=0123456789abcdef0123456789abcdeX", &params)
                .await
                .status,
            403
        );
        let allowed = post_ussd(&app, &format!("?cle={secret}"), &params).await;
        assert_eq!(allowed.status, 200, "{}", allowed.body);
        assert!(allowed.body.starts_with("CON "), "{}", allowed.body);
        // Without ussd in CHANNELS there is no route.
        let without = spawn_app(&url, &[]).await;
        assert_eq!(post_ussd(&without, "", &params).await.status, 404);
    })
    .await;
}
