//! Conversation sessions and the periodic cleanup.

use chrono::Duration;
use ciu::store::Claim;

use crate::harness::*;

#[tokio::test]
async fn sessions_are_saved_replaced_and_deleted() {
    for_each_backend(|db| async move {
        let started = now() - Duration::minutes(5);
        let mut tx = db.store.begin(&key("phone-a")).await.unwrap();
        tx.save_session(
            "birth_year",
            "fr",
            b"one",
            started + Duration::minutes(15),
            started,
        )
        .await
        .unwrap();
        tx.save_session(
            "first_name",
            "fr",
            b"two",
            now() + Duration::minutes(15),
            now(),
        )
        .await
        .unwrap();
        let session = tx.load_session().await.unwrap().unwrap();
        assert_eq!(session.state.as_deref(), Some(&b"two"[..]));
        assert_eq!(session.updated_at, now());
        assert_eq!(session.expires_at, now() + Duration::minutes(15));
        tx.commit().await.unwrap();

        let raw = db.raw().await;
        assert_eq!(
            raw.row_count(
                "SELECT phone_number FROM conversation_sessions
                 WHERE current_step = 'first_name' AND created_at < updated_at"
            )
            .await,
            1
        );

        let mut tx = db.store.begin(&key("phone-a")).await.unwrap();
        tx.delete_session().await.unwrap();
        assert_eq!(tx.load_session().await.unwrap(), None);
        tx.commit().await.unwrap();
        assert_eq!(
            raw.count("SELECT COUNT(*) FROM conversation_sessions")
                .await,
            0
        );
    })
    .await;
}

#[tokio::test]
async fn cleanup_removes_only_what_is_expired() {
    for_each_backend(|db| async move {
        let now = now();
        for (phone, expires_at) in [
            ("expired", now - Duration::seconds(1)),
            ("long-expired", now - Duration::days(2)),
            ("active", now + Duration::minutes(10)),
        ] {
            let mut tx = db.store.begin(&key(phone)).await.unwrap();
            tx.save_session(
                "birth_year",
                "fr",
                b"sealed",
                expires_at,
                now - Duration::minutes(20),
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
        for (message_id, age) in [
            ("recent", Duration::hours(1)),
            ("two-days", Duration::days(2)),
            ("nine-days", Duration::days(9)),
        ] {
            let mut tx = db.store.begin(&key("active")).await.unwrap();
            tx.claim_message(message_id, now - age).await.unwrap();
            tx.record_reply(message_id, b"sealed reply").await.unwrap();
            tx.commit().await.unwrap();
        }
        assert_eq!(db.store.active_sessions(now).await.unwrap(), 1);

        assert_eq!(db.store.cleanup_expired(now).await.unwrap(), 2);
        assert_eq!(db.store.cleanup_expired(now).await.unwrap(), 0);

        let mut tx = db.store.begin(&key("active")).await.unwrap();
        assert!(tx.load_session().await.unwrap().is_some());
        // Still known (so still deduplicated), but the old reply is erased.
        assert_eq!(
            tx.claim_message("recent", now).await.unwrap(),
            Claim::Duplicate {
                reply: Some(b"sealed reply".to_vec())
            }
        );
        assert_eq!(
            tx.claim_message("two-days", now).await.unwrap(),
            Claim::Duplicate { reply: None }
        );
        assert_eq!(
            tx.claim_message("nine-days", now).await.unwrap(),
            Claim::New
        );
        drop(tx);

        // The just-expired conversation lost its answers but keeps its language for a
        // day (to say that it expired); the long-expired one is gone.
        let mut tx = db.store.begin(&key("expired")).await.unwrap();
        let stub = tx.load_session().await.unwrap().unwrap();
        assert_eq!((stub.state, stub.locale.as_str()), (None, "fr"));
        drop(tx);
        let raw = db.raw().await;
        assert_eq!(
            raw.count("SELECT COUNT(*) FROM conversation_sessions")
                .await,
            2
        );
        assert_eq!(
            raw.count("SELECT COUNT(*) FROM conversation_sessions WHERE state IS NOT NULL")
                .await,
            1
        );
        assert_eq!(db.store.active_sessions(now).await.unwrap(), 1);
    })
    .await;
}

#[tokio::test]
async fn finished_conversations_are_removed_when_they_expire() {
    for_each_backend(|db| async move {
        let now = now();
        let mut tx = db.store.begin(&key("done")).await.unwrap();
        tx.save_session("finished", "ln", b"sealed", now - Duration::seconds(1), now)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(db.store.active_sessions(now).await.unwrap(), 0);
        assert_eq!(db.store.cleanup_expired(now).await.unwrap(), 1);
        let mut tx = db.store.begin(&key("done")).await.unwrap();
        assert_eq!(tx.load_session().await.unwrap(), None);
    })
    .await;
}
