//! Correctness under real traffic: load, redeliveries, simultaneous messages,
//! one person on two phones, forced code collisions.

use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use ciu::bench::person;

use crate::common::for_each_database;
use crate::helpers::{spawn_app, TestApp};

/// Runs `total` conversations with `in_flight` at once; returns the codes by person.
pub async fn load(
    app: &Arc<TestApp>,
    total: usize,
    in_flight: usize,
    prefix: &str,
) -> Vec<(usize, String, bool)> {
    let gate = Arc::new(Semaphore::new(in_flight));
    let mut tasks = JoinSet::new();
    for i in 0..total {
        let (app, gate) = (app.clone(), gate.clone());
        let phone = format!("+243{prefix}{i:05}");
        tasks.spawn(async move {
            let _permit = gate.acquire().await.unwrap();
            let answers = person(i);
            let refs: Vec<&str> = answers.iter().map(String::as_str).collect();
            let result = app.conversation(&phone, &refs).await;
            assert_eq!(result.status, 200, "{}", result.body);
            let code = result
                .code()
                .unwrap_or_else(|| panic!("no code: {}", result.body));
            (i, code, result.text().contains("déjà été généré"))
        });
    }
    let mut codes = Vec::new();
    while let Some(done) = tasks.join_next().await {
        codes.push(done.expect("a conversation failed"));
    }
    codes.sort();
    codes
}

#[tokio::test]
async fn five_hundred_conversations_fifty_in_flight_then_again() {
    for_each_database(|url| async move {
        let app = Arc::new(spawn_app(&url, &[]).await);
        let first = load(&app, 500, 50, "90").await;
        assert_eq!(first.len(), 500);
        assert!(first.iter().all(|(_, _, existing)| !existing));
        let distinct: std::collections::HashSet<_> = first.iter().map(|(_, c, _)| c).collect();
        assert_eq!(distinct.len(), 500, "two people never share a code");
        // The same people again, from other phones: the same codes, as existing.
        let second = load(&app, 500, 50, "91").await;
        for ((i, a, _), (j, b, existing)) in first.iter().zip(&second) {
            assert_eq!((i, a), (j, b));
            assert!(existing);
        }
        assert_eq!(app.codes_in_registry().await, 500);
    })
    .await;
}

#[tokio::test]
async fn a_redelivered_message_is_processed_once_even_concurrently() {
    for_each_database(|url| async move {
        let app = Arc::new(spawn_app(&url, &[]).await);
        let phone = "+243870000001";
        app.say(phone, "Bonjour", Some("SM-a")).await;
        let (a, b) = tokio::join!(
            app.say(phone, "1", Some("SM-b")),
            app.say(phone, "1", Some("SM-b"))
        );
        assert_eq!((a.status, b.status), (200, 200));
        assert_eq!(a.body, b.body, "the retry gets the same reply");
        assert!(a.text().contains("(1/5)"));
        // Had "1" been processed twice, it would have been refused as a year.
        let next = app.say(phone, "1985", Some("SM-c")).await;
        assert!(next.text().contains("(2/5)"), "{}", next.body);
        // A late retry of an older message also gets its original reply.
        let late = app.say(phone, "1", Some("SM-b")).await;
        assert_eq!(late.body, a.body);
    })
    .await;
}

#[tokio::test]
async fn two_messages_from_one_phone_at_once_are_serialized() {
    for_each_database(|url| async move {
        let app = Arc::new(spawn_app(&url, &[]).await);
        for n in 0..10 {
            let phone = format!("+24388000{n:04}");
            app.say(&phone, "Bonjour", None).await;
            app.say(&phone, "1", None).await;
            let (a, b) = tokio::join!(
                app.say(&phone, "1985", None),
                app.say(&phone, "Kinshasa", None)
            );
            assert_eq!((a.status, b.status), (200, 200));
            let asked_second = [&a, &b]
                .iter()
                .filter(|r| r.text().contains("(2/5)"))
                .count();
            assert_eq!(
                asked_second, 1,
                "one order or the other, never both lost:\n{}\n{}",
                a.body, b.body
            );
        }
    })
    .await;
}

#[tokio::test]
async fn one_person_from_two_phones_at_once_gets_one_record() {
    for_each_database(|url| async move {
        let app = Arc::new(spawn_app(&url, &[]).await);
        let answers = ["1990", "Matadi", "Marie", "3", "Tshisekedi"];
        for phone in ["+243890000001", "+243890000002"] {
            app.say(phone, "Bonjour", None).await;
            app.say(phone, "1", None).await;
            for a in answers {
                app.say(phone, a, None).await;
            }
        }
        let (a, b) = tokio::join!(
            app.say("+243890000001", "oui", None),
            app.say("+243890000002", "oui", None)
        );
        assert_eq!(a.code().unwrap(), b.code().unwrap());
        let existing = [&a, &b]
            .iter()
            .filter(|r| r.text().contains("déjà"))
            .count();
        assert_eq!(existing, 1);
        assert_eq!(app.codes_in_registry().await, 1);
    })
    .await;
}

#[tokio::test]
async fn a_code_collision_never_merges_two_people() {
    for_each_database(|url| async move {
        // A 1-character hash: 16 possible codes for people who share the code letters.
        let flow_dir = tempfile::tempdir().unwrap();
        let flow = crate::edited_flow::shipped_flow_text().replace(
            "hash: { length: 5, alphabet: hex }",
            "hash: { length: 1, alphabet: hex }",
        );
        let flow_path = flow_dir.path().join("ciu.yaml");
        std::fs::write(&flow_path, flow).unwrap();
        let app = Arc::new(spawn_app(&url, &[("FLOW_PATH", flow_path.to_str().unwrap())]).await);
        let mut codes = Vec::new();
        for (i, first_name) in [
            "Jean",
            "Jeanne",
            "Jeannot",
            "Jeanine",
            "Jeancy",
            "Jeanpaul",
            "Jeanmarie",
            "Jeanbosco",
            "Jeanluc",
            "Jeanlouis",
        ]
        .iter()
        .enumerate()
        {
            let reply = app
                .conversation(
                    &format!("+24389100{i:04}"),
                    &["1985", "Kinshasa", first_name, "15", "Kabila"],
                )
                .await;
            let code = reply.code().unwrap_or_else(|| panic!("{}", reply.body));
            assert!(code.starts_with("985-KINS-15-JEA-KABI-"), "{code}");
            assert!(reply.text().contains("généré"), "{}", reply.body);
            assert!(
                !reply.text().contains("déjà"),
                "a different person is never 'already generated': {}",
                reply.body
            );
            codes.push(code);
        }
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), codes.len(), "{codes:?}");
        let (_, metrics) = app.get("/metrics").await;
        let collisions: u64 = metrics
            .lines()
            .find_map(|l| l.strip_prefix("ciu_code_collisions_total "))
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            collisions >= 1,
            "these answers were chosen to collide at least once"
        );
        // The first person asking again still gets their own code.
        let again = app
            .conversation(
                "+243891009999",
                &["1985", "Kinshasa", "Jean", "15", "Kabila"],
            )
            .await;
        assert_eq!(again.code().unwrap(), codes[0]);
    })
    .await;
}

#[tokio::test]
async fn every_message_delivered_twice_at_once_is_processed_once() {
    for_each_database(|url| async move {
        let app = Arc::new(spawn_app(&url, &[]).await);
        let people = 40;
        let gate = Arc::new(Semaphore::new(10));
        let mut tasks = JoinSet::new();
        for i in 0..people {
            let (app, gate) = (app.clone(), gate.clone());
            tasks.spawn(async move {
                let _permit = gate.acquire().await.unwrap();
                let phone = format!("+24396{i:05}");
                let mut last = String::new();
                for (k, text) in ciu::bench::conversation_messages(i).iter().enumerate() {
                    let sid = format!("SM-twice-{i}-{k}");
                    let (a, b) = tokio::join!(
                        app.say(&phone, text, Some(&sid)),
                        app.say(&phone, text, Some(&sid))
                    );
                    assert_eq!((a.status, b.status), (200, 200), "{}\n{}", a.body, b.body);
                    assert_eq!(a.body, b.body, "the second delivery gets the same reply");
                    last = a.body;
                }
                ciu::bench::code_in(&last)
                    .unwrap_or_else(|| panic!("no code: {last}"))
                    .to_owned()
            });
        }
        let mut codes = std::collections::HashSet::new();
        while let Some(code) = tasks.join_next().await {
            codes.insert(code.expect("a conversation failed"));
        }
        assert_eq!(codes.len(), people, "each person got their own code");
        let stats = ciu::store::Store::connect(&app.database_url)
            .await
            .unwrap()
            .stats(chrono::Utc::now())
            .await
            .unwrap();
        assert_eq!(stats.total_codes, people as i64, "one record per person");
        let (_, metrics) = app.get("/metrics").await;
        let duplicates = metrics
            .lines()
            .find_map(|l| l.strip_prefix("ciu_duplicate_deliveries_total{channel=\"twilio\"} "))
            .unwrap_or_else(|| panic!("{metrics}"));
        assert_eq!(
            duplicates,
            (people * 8).to_string(),
            "every message once more"
        );
    })
    .await;
}
