//! A message's transaction: redeliveries, one phone at a time, all or nothing.

use chrono::Duration;
use ciu::channels::ChannelId;
use ciu::store::{Claim, Store};

use crate::harness::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_redelivered_message_gets_the_first_reply() {
    for_each_backend(|db| async move {
        let sealer = test_sealer();
        let mut tx = db.store.begin(&key("phone-a")).await.unwrap();
        assert_eq!(tx.claim_message("SM1", now()).await.unwrap(), Claim::New);
        tx.record_reply("SM1", &sealer.seal(b"first reply"))
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let mut tx = db.store.begin(&key("phone-a")).await.unwrap();
        let Claim::Duplicate { reply: Some(reply) } = tx.claim_message("SM1", now()).await.unwrap()
        else {
            panic!("expected a duplicate with its reply");
        };
        assert_eq!(sealer.open(&reply).unwrap(), b"first reply");
        drop(tx);

        // Delivered twice at the same instant, to two instances: processed once.
        let other = db.other_instance().await;
        let tasks: Vec<_> = [db.store.clone(), other]
            .into_iter()
            .enumerate()
            .map(|(n, store)| {
                tokio::spawn(async move {
                    let mut tx = store.begin(&key("phone-b")).await.unwrap();
                    let claim = tx.claim_message("wamid.2", now()).await.unwrap();
                    if claim == Claim::New {
                        let reply = format!("reply of task {n}");
                        tx.record_reply("wamid.2", &test_sealer().seal(reply.as_bytes()))
                            .await
                            .unwrap();
                    }
                    tx.commit().await.unwrap();
                    (n, claim)
                })
            })
            .collect();
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.unwrap());
        }
        let (first, _) = outcomes.iter().find(|(_, c)| *c == Claim::New).unwrap();
        let duplicate = outcomes.iter().find(|(_, c)| *c != Claim::New).unwrap();
        let Claim::Duplicate { reply: Some(reply) } = &duplicate.1 else {
            panic!("expected a duplicate with its reply, got {outcomes:?}");
        };
        assert_eq!(
            sealer.open(reply).unwrap(),
            format!("reply of task {first}").as_bytes()
        );

        // A message processed without a reply (nothing was sent) is still a duplicate.
        let mut tx = db.store.begin(&key("phone-c")).await.unwrap();
        assert_eq!(tx.claim_message("SM3", now()).await.unwrap(), Claim::New);
        tx.commit().await.unwrap();
        let mut tx = db.store.begin(&key("phone-c")).await.unwrap();
        assert_eq!(
            tx.claim_message("SM3", now()).await.unwrap(),
            Claim::Duplicate { reply: None }
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn transactions_for_one_phone_run_one_at_a_time() {
    for_each_backend(|db| async move {
        let other = db.other_instance().await;
        let stores = [db.store.clone(), db.store.clone(), other];
        let tasks: Vec<_> = stores
            .into_iter()
            .map(|store| tokio::spawn(increment_counter(store, "phone-a")))
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(read_counter(&db.store, "phone-a").await, 3);
    })
    .await;
}

/// PostgreSQL: a step of a conversation commits without waiting for the disk; a
/// transaction that issues a code or queues a message waits (nothing a person was
/// given can be lost).
#[tokio::test]
async fn only_codes_and_queued_messages_wait_for_the_disk_on_postgresql() {
    for_each_backend(|db| async move {
        let mut step = db.store.begin(&key("phone-a")).await.unwrap();
        let Some(waits) = step.commit_waits_for_disk().await.unwrap() else {
            return; // SQLite: every commit is alike
        };
        assert!(!waits, "a conversation step waits for the disk");
        step.commit().await.unwrap();

        let mut code = db.store.begin(&key("phone-a")).await.unwrap();
        let template = normal_template();
        code.register(
            &person(&template, "MARIE", "1985"),
            &record("phone-a"),
            now(),
        )
        .await
        .unwrap();
        assert_eq!(code.commit_waits_for_disk().await.unwrap(), Some(true));
        code.commit().await.unwrap();

        let mut queued = db.store.begin(&key("phone-b")).await.unwrap();
        queued
            .enqueue_outbound(ChannelId::Meta, b"sealed phone", b"sealed body", now())
            .await
            .unwrap();
        assert_eq!(queued.commit_waits_for_disk().await.unwrap(), Some(true));
        queued.commit().await.unwrap();
    })
    .await;
}

/// On SQLite, messages that queue for the writer share one transaction (group commit):
/// each must still be committed before its caller goes on (a reply never leaves before
/// its message is stored), and a message that fails is undone alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn messages_written_together_are_each_committed_or_undone_alone() {
    for_each_backend(|db| async move {
        let raw = std::sync::Arc::new(db.raw().await);
        let tasks: Vec<_> = (0..40)
            .map(|i| {
                let (store, raw) = (db.store.clone(), raw.clone());
                tokio::spawn(async move {
                    let phone = format!("phone-{i}");
                    let mut tx = store.begin(&key(&phone)).await.unwrap();
                    assert_eq!(
                        tx.claim_message(&format!("message-{i}"), now()).await.unwrap(),
                        Claim::New
                    );
                    // Hold the writer a little, so that the others queue behind.
                    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                    tx.save_session("step", "fr", b"sealed", now() + Duration::minutes(15), now())
                        .await
                        .unwrap();
                    if i % 5 == 0 {
                        drop(tx); // fails: nothing of this message may remain
                        return;
                    }
                    tx.commit().await.unwrap();
                    // Committed means visible to any other connection, at once.
                    let visible = raw
                        .count(&format!(
                            "SELECT COUNT(*) FROM conversation_sessions WHERE phone_number = '{phone}'"
                        ))
                        .await;
                    assert_eq!(visible, 1, "{phone} returned before being committed");
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(raw.count("SELECT COUNT(*) FROM conversation_sessions").await, 32);
        assert_eq!(raw.count("SELECT COUNT(*) FROM processed_messages").await, 32);
        let undone = raw
            .count(
                "SELECT COUNT(*) FROM processed_messages
                 WHERE message_id IN ('message-0', 'message-5', 'message-35')",
            )
            .await;
        assert_eq!(undone, 0);
        // The writer is free and in a clean state: the next message is stored.
        let mut tx = db.store.begin(&key("phone-late")).await.unwrap();
        tx.claim_message("message-late", now()).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(raw.count("SELECT COUNT(*) FROM processed_messages").await, 33);
    })
    .await;
}

/// Read-modify-write of a counter in the sealed session state, slow enough for
/// concurrent calls to overlap if they were not serialized.
async fn increment_counter(store: Store, phone: &'static str) {
    let sealer = test_sealer();
    let mut tx = store.begin(&key(phone)).await.unwrap();
    let counter = match tx.load_session().await.unwrap() {
        Some(session) => {
            let state: serde_json::Value =
                serde_json::from_slice(&sealer.open(session.state.as_deref().unwrap()).unwrap())
                    .unwrap();
            state["counter"].as_i64().unwrap()
        }
        None => 0,
    };
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let state = serde_json::json!({ "counter": counter + 1 }).to_string();
    let expires_at = now() + Duration::minutes(15);
    tx.save_session(
        "counting",
        "fr",
        &sealer.seal(state.as_bytes()),
        expires_at,
        now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn read_counter(store: &Store, phone: &str) -> i64 {
    let mut tx = store.begin(&key(phone)).await.unwrap();
    let session = tx.load_session().await.unwrap().unwrap();
    let state: serde_json::Value = serde_json::from_slice(
        &test_sealer()
            .open(session.state.as_deref().unwrap())
            .unwrap(),
    )
    .unwrap();
    state["counter"].as_i64().unwrap()
}

#[tokio::test]
async fn an_uncommitted_transaction_leaves_nothing_behind() {
    for_each_backend(|db| async move {
        let template = normal_template();
        let mut tx = db.store.begin(&key("phone-a")).await.unwrap();
        assert_eq!(tx.claim_message("SM1", now()).await.unwrap(), Claim::New);
        tx.save_session(
            "first_name",
            "fr",
            b"sealed",
            now() + Duration::minutes(15),
            now(),
        )
        .await
        .unwrap();
        tx.register(
            &person(&template, "MARIE", "1985"),
            &record("phone-a"),
            now(),
        )
        .await
        .unwrap();
        drop(tx);

        let mut tx = db.store.begin(&key("phone-a")).await.unwrap();
        assert_eq!(tx.load_session().await.unwrap(), None);
        assert_eq!(tx.claim_message("SM1", now()).await.unwrap(), Claim::New);
        tx.commit().await.unwrap();
        let raw = db.raw().await;
        assert_eq!(raw.count("SELECT COUNT(*) FROM uic_records").await, 0);
    })
    .await;
}
