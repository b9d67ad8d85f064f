//! SQLite's single writer: no one waits behind a message that gave up, the log stays bounded.

use chrono::Duration;

use crate::harness::*;

/// A message that gave up waiting for the writer (its client hung up) must not make
/// the next ones wait for it: each lone message is committed at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_that_stops_waiting_for_the_writer_delays_no_one() {
    for_each_backend(|db| async move {
        let holder = db.store.begin(&key("phone-a")).await.unwrap();
        let store = db.store.clone();
        let gave_up = tokio::spawn(async move {
            let _never = store.begin(&key("phone-b")).await;
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        gave_up.abort();
        let _ = gave_up.await;
        holder.commit().await.unwrap();

        let started = std::time::Instant::now();
        for i in 0..5 {
            let mut tx = db.store.begin(&key("phone-c")).await.unwrap();
            tx.claim_message(&format!("message-{i}"), now())
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        let elapsed = started.elapsed();
        assert!(
            elapsed < std::time::Duration::from_millis(150),
            "5 lone messages took {elapsed:?}"
        );
        let raw = db.raw().await;
        assert_eq!(
            raw.count("SELECT COUNT(*) FROM processed_messages").await,
            5
        );
    })
    .await;
}

/// SQLite's write-ahead log is copied into the database file beside the writer: under
/// sustained writing it must still start over, not grow for as long as the load lasts.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_sqlite_log_stays_bounded_under_sustained_writes() {
    for_each_backend(|db| async move {
        let Some(path) = db
            .url
            .strip_prefix("sqlite://")
            .map(std::path::PathBuf::from)
        else {
            return; // PostgreSQL manages its own log
        };
        let wal = path.with_extension("db-wal");
        // About 200 MB through the log: six times the size past which the writer
        // checkpoints itself. How far past it the log goes depends on how busy the
        // machine is; without checkpoints it would hold all of it.
        let state = vec![7u8; 16 * 1024];
        let tasks: Vec<_> = (0..8)
            .map(|writer| {
                let (store, state, wal) = (db.store.clone(), state.clone(), wal.clone());
                tokio::spawn(async move {
                    let mut largest_log = 0;
                    for i in 0..1500 {
                        let mut tx = store
                            .begin(&key(&format!("phone-{writer}-{i}")))
                            .await
                            .unwrap();
                        let expires = now() + Duration::minutes(15);
                        tx.save_session("step", "fr", &state, expires, now())
                            .await
                            .unwrap();
                        tx.commit().await.unwrap();
                        let size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
                        largest_log = largest_log.max(size);
                    }
                    largest_log
                })
            })
            .collect();
        let mut largest_log = 0;
        for task in tasks {
            largest_log = largest_log.max(task.await.unwrap());
        }
        assert!(
            largest_log < 100 * 1024 * 1024,
            "the log grew to {} MB",
            largest_log / 1024 / 1024
        );
        let raw = db.raw().await;
        assert_eq!(
            raw.count("SELECT COUNT(*) FROM conversation_sessions")
                .await,
            12000
        );
        // The database file itself holds most of it, not only the log.
        let file = std::fs::metadata(&path).unwrap().len();
        let log = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        assert!(
            file > 128 * 1024 * 1024,
            "database file {file} B, log {log} B"
        );
    })
    .await;
}
