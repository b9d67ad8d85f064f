//! The staff console's daily counters: added in each message's transaction (one upsert
//! at commit, on the phone's shard), read back summed over the shards.

use chrono::{Duration, NaiveDate};
use ciu::store::{shard_of, Claim, CounterSum, SeedCounter, Store};

use crate::harness::*;

fn sum(day: NaiveDate, counter: &str, value: i64) -> CounterSum {
    CounterSum {
        day,
        counter: counter.to_owned(),
        value,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn counts_are_written_with_the_message_and_add_up() {
    for_each_backend(|db| async move {
        let store = &db.store;
        let now = now();
        let (today, yesterday) = (now.date_naive(), (now - Duration::days(1)).date_naive());

        // The usual message: session and reply (one statement on PostgreSQL), and a
        // name given twice.
        let mut tx = store.begin(&key("phone-a")).await.unwrap();
        assert_eq!(tx.claim_message("SM1", now).await.unwrap(), Claim::New);
        tx.save_session("birth_year", "fr", b"sealed", now, now)
            .await
            .unwrap();
        tx.record_reply("SM1", b"reply").await.unwrap();
        tx.count(
            now,
            [
                "funnel|birth_year|reached",
                "codes|new|twilio|fr",
                "funnel|birth_year|reached",
            ],
        );
        tx.commit().await.unwrap();
        // Counts alone; a session alone (a message queued in the outbox); a reply alone.
        let mut tx = store.begin(&key("phone-a")).await.unwrap();
        tx.count(now, ["funnel|birth_year|reached"]);
        tx.commit().await.unwrap();
        let mut tx = store.begin(&key("phone-b")).await.unwrap();
        tx.save_session("first_name", "ln", b"sealed", now, now)
            .await
            .unwrap();
        tx.count(now, vec!["funnel|birth_year|reached".to_owned()]);
        tx.count(now - Duration::days(1), ["funnel|Zebra|reached"]);
        tx.commit().await.unwrap();
        let mut tx = store.begin(&key("phone-c")).await.unwrap();
        tx.claim_message("SM2", now).await.unwrap();
        tx.record_reply("SM2", b"reply").await.unwrap();
        tx.count(now, ["funnel|zebra|reached", "codes|new|twilio|fr"]);
        tx.commit().await.unwrap();
        // Not committed: not counted. Nothing counted: nothing written.
        let mut tx = store.begin(&key("phone-d")).await.unwrap();
        tx.count(now, ["funnel|birth_year|reached"]);
        drop(tx);
        let mut tx = store.begin(&key("phone-d")).await.unwrap();
        tx.count(now, Vec::<String>::new());
        tx.commit().await.unwrap();

        assert_eq!(
            store.counters_between(yesterday, today).await.unwrap(),
            [
                sum(yesterday, "funnel|Zebra|reached", 1),
                sum(today, "codes|new|twilio|fr", 2),
                sum(today, "funnel|birth_year|reached", 4),
                sum(today, "funnel|zebra|reached", 1),
            ]
        );
        assert_eq!(
            store.counters_between(today, today).await.unwrap().len(),
            3,
            "both bounds included, nothing outside"
        );
        assert!(store
            .counters_between(today + Duration::days(1), today + Duration::days(9))
            .await
            .unwrap()
            .is_empty());

        // One row per counter, day and shard: each phone on its own shard.
        let raw = db.raw().await;
        let (a, b) = (shard_of(&key("phone-a")), shard_of(&key("phone-b")));
        assert_ne!(a, b, "these two phones are on different shards");
        assert_eq!(
            raw.count(&format!(
                "SELECT CAST(value AS BIGINT) FROM daily_counters
                 WHERE counter = 'funnel|birth_year|reached' AND shard = {a}"
            ))
            .await,
            3
        );
        assert_eq!(
            raw.count(
                "SELECT COUNT(*) FROM daily_counters WHERE counter = 'funnel|birth_year|reached'"
            )
            .await,
            2
        );
        // `codes|new|twilio|fr` of phones a and c: one row when they share a shard.
        let c = shard_of(&key("phone-c"));
        let rows = if a == c { 5 } else { 6 };
        assert_eq!(raw.count("SELECT COUNT(*) FROM daily_counters").await, rows);
    })
    .await;
}

/// Messages of many people at once, on two instances: every count is kept, and the
/// locks taken in one order never deadlock (PostgreSQL).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_messages_lose_no_count() {
    for_each_backend(|db| async move {
        let other = db.other_instance().await;
        let stores = [db.store.clone(), other];
        let now = now();
        let names = ["funnel|a|reached", "funnel|b|reached", "codes|new|sms|fr"];
        let mut tasks = Vec::new();
        for person in 0..24 {
            let store = stores[person % 2].clone();
            tasks.push(tokio::spawn(async move {
                for message in 0..5 {
                    let mut tx = store.begin(&key(&format!("phone-{person}"))).await.unwrap();
                    tx.claim_message(&format!("SM-{person}-{message}"), now)
                        .await
                        .unwrap();
                    tx.record_reply(&format!("SM-{person}-{message}"), b"reply")
                        .await
                        .unwrap();
                    // Each message names them in another order.
                    let mut mine = names.to_vec();
                    mine.rotate_left((person + message) % names.len());
                    tx.count(now, mine);
                    tx.commit().await.unwrap();
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let today = now.date_naive();
        assert_eq!(
            db.store.counters_between(today, today).await.unwrap(),
            [
                sum(today, "codes|new|sms|fr", 120),
                sum(today, "funnel|a|reached", 120),
                sum(today, "funnel|b|reached", 120),
            ]
        );
        let raw = db.raw().await;
        let rows = raw
            .count("SELECT COUNT(*) FROM daily_counters WHERE counter = 'funnel|a|reached'")
            .await;
        assert!(
            (2..=16).contains(&rows),
            "24 people over the shards: {rows}"
        );
    })
    .await;
}

#[tokio::test]
async fn seeded_counters_add_to_those_there() {
    for_each_backend(|db| async move {
        let store: &Store = &db.store;
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let row = |counter: &str, shard: i16, value: i64| SeedCounter {
            day,
            counter: counter.to_owned(),
            shard,
            value,
        };
        let written = store
            .seed_counters(&[
                row("funnel|x|reached", 0, 5),
                row("funnel|x|reached", 15, 7),
                row("funnel|x|reached", 15, 1),
                row("codes|new|ussd|sw", 3, 2),
            ])
            .await
            .unwrap();
        assert_eq!(written, 3, "the same row twice is merged");
        store
            .seed_counters(&[row("codes|new|ussd|sw", 3, 10)])
            .await
            .unwrap();
        assert_eq!(store.seed_counters(&[]).await.unwrap(), 0);
        assert_eq!(
            store.counters_between(day, day).await.unwrap(),
            [
                sum(day, "codes|new|ussd|sw", 12),
                sum(day, "funnel|x|reached", 13)
            ]
        );
    })
    .await;
}
