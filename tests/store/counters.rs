//! The staff console's daily counters: added up in memory by each process, written
//! together (src/service/counters.rs), read back summed over the shards.

use chrono::{Duration, NaiveDate};
use ciu::service::DailyCounters;
use ciu::store::{CounterAddition, CounterSum, Store};

use crate::harness::*;

fn sum(day: NaiveDate, counter: &str, value: i64) -> CounterSum {
    CounterSum {
        day,
        counter: counter.to_owned(),
        value,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn counts_are_added_up_in_memory_and_written_together() {
    for_each_backend(|db| async move {
        let store = &db.store;
        let now = now();
        let (today, yesterday) = (now.date_naive(), (now - Duration::days(1)).date_naive());
        let counters = DailyCounters::default();
        let names = |list: &[&str]| list.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        counters.add(
            now,
            names(&[
                "funnel|birth_year|reached",
                "codes|new|twilio|fr",
                "funnel|birth_year|reached",
            ]),
        );
        counters.add(now - Duration::days(1), names(&["funnel|Zebra|reached"]));
        assert!(
            store
                .counters_between(yesterday, today)
                .await
                .unwrap()
                .is_empty(),
            "not yet written"
        );
        counters.flush(store).await.unwrap();
        counters.add(
            now,
            names(&["funnel|birth_year|reached", "funnel|zebra|reached"]),
        );
        counters.flush(store).await.unwrap();
        // Nothing counted: nothing written.
        counters.flush(store).await.unwrap();
        assert_eq!(
            store.counters_between(yesterday, today).await.unwrap(),
            [
                sum(yesterday, "funnel|Zebra|reached", 1),
                sum(today, "codes|new|twilio|fr", 1),
                sum(today, "funnel|birth_year|reached", 3),
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
        // One process adds to one row per counter and day (its shard).
        let raw = db.raw().await;
        assert_eq!(
            raw.count(
                "SELECT COUNT(*) FROM daily_counters WHERE counter = 'funnel|birth_year|reached'"
            )
            .await,
            1
        );
    })
    .await;
}

/// Many processes counting at once on one database (PostgreSQL: two instances): every
/// count is kept, and rows locked in one order never deadlock.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn processes_writing_at_once_lose_no_count() {
    for_each_backend(|db| async move {
        let other = db.other_instance().await;
        let stores = [db.store.clone(), other];
        let now = now();
        let names = ["funnel|a|reached", "funnel|b|reached", "codes|new|sms|fr"];
        let mut tasks = Vec::new();
        for process in 0..12 {
            let store = stores[process % 2].clone();
            tasks.push(tokio::spawn(async move {
                let counters = DailyCounters::default();
                for round in 0..10 {
                    let mut mine: Vec<String> = names.iter().map(|n| n.to_string()).collect();
                    mine.rotate_left((process + round) % names.len());
                    counters.add(now, mine);
                    counters.flush(&store).await.unwrap();
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
    })
    .await;
}

#[tokio::test]
async fn added_rows_add_to_those_there() {
    for_each_backend(|db| async move {
        let store: &Store = &db.store;
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let row = |counter: &str, shard: i16, value: i64| CounterAddition {
            day,
            counter: counter.to_owned(),
            shard,
            value,
        };
        let written = store
            .add_counters(&[
                row("funnel|x|reached", 0, 5),
                row("funnel|x|reached", 15, 7),
                row("funnel|x|reached", 15, 1),
                row("codes|new|ussd|sw", 3, 2),
            ])
            .await
            .unwrap();
        assert_eq!(written, 3, "the same row twice is merged");
        store
            .add_counters(&[row("codes|new|ussd|sw", 3, 10)])
            .await
            .unwrap();
        assert_eq!(store.add_counters(&[]).await.unwrap(), 0);
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
