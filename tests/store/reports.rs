//! What operators read (statistics, the SQL of `docs/fr/guide-de-deploiement.md`), and what
//! nobody can read: answers are never stored in clear.

use chrono::{DateTime, Duration, Utc};
use ciu::store::Store;

use crate::harness::*;

/// Three codes today (two from one phone), one two days ago, one 40 days ago, and a
/// conversation under way on a fifth phone; returns now and two days ago.
async fn five_codes_for_four_phones_and_a_session(store: &Store) -> (DateTime<Utc>, DateTime<Utc>) {
    let template = normal_template();
    let now = now();
    let two_days_ago = now - Duration::days(2);
    let long_ago = now - Duration::days(40);
    for (phone, first_name, birth_year, at) in [
        ("phone-a", "MARIE", "1985", now),
        ("phone-a", "JOSEPH", "1960", now),
        ("phone-b", "LUCIE", "1990", now),
        ("phone-c", "PAUL", "1975", two_days_ago),
        ("phone-d", "ANNE", "1970", long_ago),
    ] {
        register_at(store, phone, &person(&template, first_name, birth_year), at).await;
    }
    let mut tx = store.begin(&key("phone-e")).await.unwrap();
    tx.save_session(
        "first_name",
        "fr",
        b"sealed",
        now + Duration::minutes(15),
        now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (now, two_days_ago)
}

#[tokio::test]
async fn statistics_and_the_guides_queries() {
    for_each_backend(|db| async move {
        let (now, two_days_ago) = five_codes_for_four_phones_and_a_session(&db.store).await;
        let stats = db.store.stats(now).await.unwrap();
        assert_eq!(stats.total_codes, 5);
        assert_eq!(stats.unique_users, 4);
        assert_eq!(
            stats.per_day,
            vec![(now.date_naive(), 3), (two_days_ago.date_naive(), 1)]
        );

        let raw = db.raw().await;
        // docs/fr/guide-de-deploiement.md, 13.4, as written.
        assert_eq!(
            raw.row_count("SELECT uic_code, phone_number, created_at FROM uic_records;")
                .await,
            5
        );
        assert_eq!(raw.count("SELECT COUNT(*) FROM uic_records;").await, 5);
        assert_eq!(
            raw.row_count("SELECT phone_number, current_step FROM conversation_sessions;")
                .await,
            1
        );
        // docs/fr/guide-de-deploiement.md, 14.5.
        assert_eq!(
            raw.count("SELECT COUNT(*) as total_uics FROM uic_records;")
                .await,
            5
        );
        assert_eq!(
            raw.count("SELECT COUNT(DISTINCT phone_number) as unique_users FROM uic_records;")
                .await,
            4
        );
        if let Raw::Postgres(pool) = &raw {
            let per_day: Vec<(chrono::NaiveDate, i64)> = sqlx::query_as(
                "SELECT DATE(created_at) as date, COUNT(*) as count
FROM uic_records
WHERE created_at >= NOW() - INTERVAL '30 days'
GROUP BY DATE(created_at)
ORDER BY date DESC;",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            assert_eq!(per_day, stats.per_day);
        } else {
            // SQLite has no NOW()/INTERVAL; its own spelling of the same query.
            assert_eq!(
                raw.row_count(
                    "SELECT DATE(created_at) as date, COUNT(*) as count
FROM uic_records
WHERE created_at >= datetime('now', '-30 days')
GROUP BY DATE(created_at)
ORDER BY date DESC;"
                )
                .await,
                2
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_answer_is_stored_in_clear() {
    const FIRST_NAME: &str = "ZEBULONMARKER";
    const BIRTHPLACE: &str = "KISANGANIMARKER";
    for_each_backend(|db| async move {
        let sealer = test_sealer();
        let template = normal_template();
        let zebulon = person(&template, FIRST_NAME, "1985");
        let raw = db.raw().await;

        // The scan finds an answer stored in clear (so a zero below means something).
        let mut tx = db.store.begin(&key("control")).await.unwrap();
        let clear = format!("{{\"birthplace\":\"{BIRTHPLACE}\"}}");
        tx.save_session("first_name", "fr", clear.as_bytes(), now(), now())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(raw.occurrences(BIRTHPLACE).await, 1);
        let mut tx = db.store.begin(&key("control")).await.unwrap();
        tx.delete_session().await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(raw.occurrences(BIRTHPLACE).await, 0);

        // A conversation as the service runs it: sealed state, then a code, a sealed
        // reply, the session kept only as "finished".
        let state = serde_json::json!({
            "answers": [
                {"step_id": "first_name", "shown": "Zébulon-Marker", "normalized": FIRST_NAME},
                {"step_id": "birthplace", "shown": "Kisangani", "normalized": BIRTHPLACE},
            ]
        })
        .to_string();
        let expires_at = now() + Duration::minutes(15);
        let mut tx = db.store.begin(&key("phone-z")).await.unwrap();
        tx.claim_message("SM1", now()).await.unwrap();
        tx.save_session(
            "birthplace",
            "fr",
            &sealer.seal(state.as_bytes()),
            expires_at,
            now(),
        )
        .await
        .unwrap();
        tx.record_reply("SM1", &sealer.seal(state.as_bytes()))
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let mut tx = db.store.begin(&key("phone-z")).await.unwrap();
        tx.claim_message("SM2", now()).await.unwrap();
        let code = code_of(
            &tx.register(&zebulon, &record("phone-z"), now())
                .await
                .unwrap(),
        )
        .to_owned();
        let reply = format!("Votre CIU est {code}. Merci {FIRST_NAME} de {BIRTHPLACE}.");
        tx.record_reply("SM2", &sealer.seal(reply.as_bytes()))
            .await
            .unwrap();
        tx.save_session(
            "finished",
            "fr",
            &sealer.seal(b"{\"locale\":\"fr\"}"),
            expires_at,
            now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        register(&db.store, "phone-y", &zebulon).await;

        for answer in [FIRST_NAME, BIRTHPLACE] {
            assert_eq!(raw.occurrences(answer).await, 0, "{answer} stored in clear");
        }
        // The code (it holds only fragments of answers) is stored, as it must be.
        assert!(raw.occurrences(&code).await >= 1);
    })
    .await;
}
