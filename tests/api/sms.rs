//! Plain SMS through Twilio's webhook (`From: +243…`, no `whatsapp:`), WhatsApp user ids
//! in Twilio's `From`, and the adversarial findings of issue 12 on Twilio's side: the
//! signature of a URL with its default port and of a repeated field, bidi controls.

use ciu::channels::twilio::expected_signature;

use crate::common::for_each_database;
use crate::helpers::{spawn_app, Reply, TestApp};
use crate::meta::metric;

const GUIDE: [&str; 5] = ["1985", "Kinshasa", "Jean", "15", "Kabila"];
const TOKEN: &str = "0123456789abcdef0123456789abcdef";

/// An SMS as Twilio posts it: `From` is the bare number.
async fn sms(app: &TestApp, phone: &str, body: &str) -> Reply {
    let reply = app.post_form(&[("From", phone), ("Body", body)], &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply
}

/// The code in a plain reply: the guide's code starts with `985-KINS-15-JEA-KABI-`.
fn plain_code(text: &str) -> String {
    let start = text
        .find("985-KINS-15-JEA-KABI-")
        .expect("the code is in the reply");
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

#[tokio::test]
async fn the_guides_answers_give_one_code_over_whatsapp_and_sms() {
    for_each_database(|url| async move {
        let app = spawn_app(&url, &[]).await;
        let whatsapp = app.conversation("+243990000101", &GUIDE).await;
        let code = whatsapp.code().expect("WhatsApp shows the code in ```");
        assert!(code.starts_with("985-KINS-15-JEA-KABI-"), "{code}");

        // Another phone, by SMS: no markup, choices numbered in the text.
        let phone = "+243990000102";
        let welcome = sms(&app, phone, "Bonjour").await;
        assert!(
            welcome.text().contains("Code Identificateur Unique"),
            "{}",
            welcome.body
        );
        assert!(welcome.text().contains("\n1. Français"), "{}", welcome.body);
        sms(&app, phone, "1").await;
        let mut last = welcome;
        for answer in GUIDE {
            last = sms(&app, phone, answer).await;
        }
        assert!(last.text().contains("1. Oui"), "{}", last.body);
        let result = sms(&app, phone, "1").await;
        let text = result.text();
        assert!(!text.contains("```"), "SMS has no WhatsApp markup: {text}");
        assert!(text.contains("déjà été généré"), "{text}");
        assert_eq!(plain_code(&text), code);
        assert_eq!(app.codes_in_registry().await, 1);
        assert_eq!(
            metric(&app, "ciu_messages_total{channel=\"sms\"}").await,
            8.0
        );
        assert_eq!(
            metric(&app, "ciu_messages_total{channel=\"twilio\"}").await,
            8.0
        );
    })
    .await;
}

#[tokio::test]
async fn one_phone_is_one_conversation_on_whatsapp_and_sms() {
    for_each_database(|url| async move {
        let app = spawn_app(&url, &[]).await;
        let phone = "+243990000103";
        app.say(phone, "Bonjour", None).await;
        app.say(phone, "1", None).await;
        app.say(phone, "1985", None).await;
        // The same person goes on by SMS: the same session, the next question.
        let next = sms(&app, phone, "Kinshasa").await;
        assert!(next.text().contains("(3/5)"), "{}", next.body);
        for answer in &GUIDE[2..] {
            sms(&app, phone, answer).await;
        }
        let result = sms(&app, phone, "oui").await;
        let code = plain_code(&result.text());
        assert!(
            result.text().contains("Votre CIU a été généré"),
            "{}",
            result.body
        );
        // Back on WhatsApp, the same answers give the same code, in ```.
        let again = app.say(phone, "RESTART", None).await;
        assert!(again.text().contains("(1/5)"), "{}", again.body);
        for answer in GUIDE {
            app.say(phone, answer, None).await;
        }
        let whatsapp = app.say(phone, "oui", None).await;
        assert_eq!(whatsapp.code().unwrap(), code);
        // `ciu stats` counts the code on the channel it was first given on.
        let store = ciu::store::Store::connect(&app.database_url).await.unwrap();
        let stats = store.stats(chrono::Utc::now()).await.unwrap();
        assert_eq!(stats.per_channel, [(Some("sms".to_owned()), 1)]);
        let (_, health) = app.get("/health").await;
        let health: serde_json::Value = serde_json::from_str(&health).unwrap();
        assert_eq!(health["channels"], serde_json::json!(["twilio", "sms"]));
    })
    .await;
}

#[tokio::test]
async fn a_whatsapp_user_id_in_twilios_from_is_a_conversation_key() {
    for_each_database(|url| async move {
        let app = spawn_app(&url, &[]).await;
        let from = "whatsapp:CD.13491208655302741918";
        let mut last = app
            .post_form(&[("From", from), ("Body", "Bonjour")], &[])
            .await;
        for answer in ["1"].iter().chain(GUIDE.iter()).chain(["oui"].iter()) {
            last = app
                .post_form(&[("From", from), ("Body", answer)], &[])
                .await;
            assert_eq!(last.status, 200, "{}", last.body);
        }
        assert!(last.code().unwrap().starts_with("985-KINS-15-JEA-KABI-"));
    })
    .await;
}

#[tokio::test]
async fn bidi_controls_typed_in_an_answer_are_not_echoed() {
    for_each_database(|url| async move {
        let app = spawn_app(&url, &[]).await;
        let phone = "+243990000104";
        app.say(phone, "Bonjour", None).await;
        app.say(phone, "1", None).await;
        let mut summary = app.say(phone, "1985", None).await;
        for answer in [
            "\u{2067}Kinshasa\u{2069}",
            "Jean",
            "15",
            "\u{202E}Kabila\u{202C}",
        ] {
            summary = app.say(phone, answer, None).await;
        }
        let text = summary.text();
        assert!(
            text.contains("Kabila") && text.contains("Kinshasa"),
            "{text}"
        );
        for control in ['\u{202E}', '\u{202C}', '\u{2067}', '\u{2069}'] {
            assert!(!text.contains(control), "{control:?} echoed: {text:?}");
        }
        let result = app.say(phone, "oui", None).await;
        let code = result.code().unwrap();
        assert_eq!(
            app.conversation("+243990000105", &GUIDE)
                .await
                .code()
                .unwrap(),
            code
        );
    })
    .await;
}

fn owned(params: &[(&str, &str)]) -> Vec<(String, String)> {
    params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Twilio may sign `https://host:443/path` as well as `https://host/path`; Twilio's
/// helper library accepts both (src/channels/twilio/verify.rs has its vectors).
#[tokio::test]
async fn a_signature_over_the_default_port_is_accepted() {
    for_each_database(|url| async move {
        let public = "https://sms.example.cd";
        let app = spawn_app(
            &url,
            &[("TWILIO_AUTH_TOKEN", TOKEN), ("PUBLIC_BASE_URL", public)],
        )
        .await;
        let params = [
            ("From", "+243990000106"),
            ("Body", "Bonjour"),
            ("MessageSid", "SM106"),
        ];
        let with_port = expected_signature(
            TOKEN,
            "https://sms.example.cd:443/whatsapp/webhook",
            &owned(&params),
        );
        let reply = app
            .post_form(&params, &[("X-Twilio-Signature", with_port.as_str())])
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let other_port = expected_signature(
            TOKEN,
            "https://sms.example.cd:8443/whatsapp/webhook",
            &owned(&params),
        );
        let refused = app
            .post_form(&params, &[("X-Twilio-Signature", other_port.as_str())])
            .await;
        assert_eq!(refused.status, 403);
    })
    .await;
}

/// A form with a field repeated with the same value, signed as Twilio's helper library
/// signs it (the value once): `RequestValidator("0123…cdef").compute_signature(
/// "https://sms.example.cd/whatsapp/webhook", MultiDict([("From", "+243990000107"),
/// ("Body", "Oui"), ("Body", "Oui"), ("MessageSid", "SM107")]))` with the `twilio`
/// package 9.13.0 from PyPI.
#[tokio::test]
async fn a_repeated_identical_field_is_signed_as_twilios_library_does() {
    for_each_database(|url| async move {
        let app = spawn_app(
            &url,
            &[
                ("TWILIO_AUTH_TOKEN", TOKEN),
                ("PUBLIC_BASE_URL", "https://sms.example.cd"),
            ],
        )
        .await;
        let params = [
            ("From", "+243990000107"),
            ("Body", "Oui"),
            ("Body", "Oui"),
            ("MessageSid", "SM107"),
        ];
        let reply = app
            .post_form(&params, &[("X-Twilio-Signature", HELPER_LIBRARY_SIGNATURE)])
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    })
    .await;
}

const HELPER_LIBRARY_SIGNATURE: &str = "XC9w5IVvJnM8OFR5FGWP5ChiTFQ=";
