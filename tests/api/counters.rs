//! The staff console's daily counters, over HTTP: what a few Twilio conversations add
//! (src/flow/funnel.rs, src/service.rs), written every second and when the service
//! stops (src/service/counters.rs), summed by `Store::counters_between`.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use ciu::store::Store;

use crate::common::for_each_database;
use crate::helpers::spawn_app;

const ANSWERS: [&str; 5] = ["1985", "Kinshasa", "Jean", "15", "Kabila"];

#[tokio::test]
async fn conversations_add_to_the_funnel_and_the_codes_given() {
    for_each_database(|url| async move {
        let mut app = spawn_app(&url, &[]).await;
        let (new, returning, refused, stopped) = (
            "+243830000001",
            "+243830000002",
            "+243830000003",
            "+243830000004",
        );

        // A new person, in French; one message delivered twice.
        app.say(new, "Bonjour", None).await;
        app.say(new, "1", None).await;
        app.say(new, ANSWERS[0], Some("SMcounted1")).await;
        let again = app.say(new, ANSWERS[0], Some("SMcounted1")).await;
        assert_eq!(again.status, 200);
        for answer in &ANSWERS[1..] {
            app.say(new, answer, None).await;
        }
        let first = app.say(new, "oui", None).await;
        let code = first.code().expect("a code");

        // The same person from another phone, in English: the same code, returning.
        app.say(returning, "Hello", None).await;
        app.say(returning, "4", None).await;
        for answer in ANSWERS {
            app.say(returning, answer, None).await;
        }
        let second = app.say(returning, "yes", None).await;
        assert_eq!(
            second.code().as_deref(),
            Some(code.as_str()),
            "{}",
            second.body
        );

        // Another person, one answer refused on the way.
        app.say(refused, "Bonjour", None).await;
        app.say(refused, "1", None).await;
        let refusal = app.say(refused, "85", None).await;
        assert!(!refusal.text().contains("(2/5)"), "{}", refusal.body);
        for answer in ["1985", "Goma", "Marie", "3", "Mbuyi"] {
            app.say(refused, answer, None).await;
        }
        let third = app.say(refused, "oui", None).await;
        assert_ne!(third.code().expect("a code"), code);

        // Stopped at the second question.
        app.say(stopped, "Bonjour", None).await;
        app.say(stopped, "1", None).await;
        app.say(stopped, "1985", None).await;
        app.say(stopped, "STOP", None).await;

        // Stopping writes what the service counted in its last second.
        app.stop().await;
        let store = Store::connect(&url).await.unwrap();
        let today = Utc::now().date_naive();
        let mut counted = BTreeMap::new();
        // Around midnight the conversations may span two days: summed by name.
        for sum in store
            .counters_between(today - Duration::days(1), today)
            .await
            .unwrap()
        {
            *counted.entry(sum.counter).or_insert(0) += sum.value;
        }
        let expected: BTreeMap<String, i64> = [
            ("codes|new|twilio|fr", 2),
            ("codes|returning|twilio|en", 1),
            ("funnel|language|reached", 4),
            ("funnel|language|answered", 4),
            ("funnel|birth_year|reached", 4),
            ("funnel|birth_year|refused", 1),
            ("funnel|birth_year|answered", 4),
            ("funnel|mother_birthplace|reached", 4),
            ("funnel|mother_birthplace|answered", 3),
            ("funnel|mother_birthplace|left_stopped", 1),
            ("funnel|first_name|reached", 3),
            ("funnel|first_name|answered", 3),
            ("funnel|birth_day|reached", 3),
            ("funnel|birth_day|answered", 3),
            ("funnel|last_name|reached", 3),
            ("funnel|last_name|answered", 3),
            ("funnel|confirm|reached", 3),
            ("funnel|confirm|answered", 3),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
        assert_eq!(counted, expected);
    })
    .await;
}

/// USSD feeds the same engine, one input per request: each counted once, a repeated
/// request not again.
#[tokio::test]
async fn a_ussd_session_is_counted_like_a_conversation() {
    for_each_database(|url| async move {
        let mut app = spawn_app(&url, &[("CHANNELS", "twilio,ussd")]).await;
        let mut inputs: Vec<&str> = Vec::new();
        let mut texts = vec![String::new()];
        for input in ["1"].into_iter().chain(ANSWERS).chain(["1"]) {
            inputs.push(input);
            texts.push(inputs.join("*"));
        }
        // The gateway repeats a request now and then.
        texts.insert(3, texts[2].clone());
        let mut last = String::new();
        for text in &texts {
            let body: String = form_urlencoded::Serializer::new(String::new())
                .extend_pairs([
                    ("sessionId", "ATUid_counters"),
                    ("serviceCode", "*384*123#"),
                    ("phoneNumber", "+243830000009"),
                    ("networkCode", "63902"),
                    ("text", text.as_str()),
                ])
                .finish();
            let response = app
                .client
                .post(format!("{}/ussd", app.address))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            last = response.text().await.unwrap();
        }
        assert!(last.starts_with("END "), "{last}");

        // Stopping writes what the service counted in its last second.
        app.stop().await;
        let store = Store::connect(&url).await.unwrap();
        let today = Utc::now().date_naive();
        let mut counted = BTreeMap::new();
        for sum in store
            .counters_between(today - Duration::days(1), today)
            .await
            .unwrap()
        {
            *counted.entry(sum.counter).or_insert(0) += sum.value;
        }
        let mut expected = BTreeMap::from([("codes|new|ussd|fr".to_owned(), 1)]);
        for stage in [
            "language",
            "birth_year",
            "mother_birthplace",
            "first_name",
            "birth_day",
            "last_name",
            "confirm",
        ] {
            expected.insert(format!("funnel|{stage}|reached"), 1);
            expected.insert(format!("funnel|{stage}|answered"), 1);
        }
        assert_eq!(counted, expected);
    })
    .await;
}
