//! The store against real databases: a fresh SQLite file per test, and also a fresh
//! PostgreSQL database per test when `TEST_DATABASE_URL` points at a server
//! (e.g. `postgres://postgres@127.0.0.1:5432/postgres`).

mod common;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use ciu::ciu::MAX_CANDIDATES;
use ciu::ciu::{CiuRequest, CiuTemplate, Salt};
use ciu::flow::definition::HashAlphabet;
use ciu::phone::PhoneKey;
use ciu::seal::Sealer;
use ciu::store::{Claim, NewRecord, Registered, Store, StoreError};
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;

// ---------------------------------------------------------------------------------
// Harness

struct TestDb {
    store: Store,
    url: String,
}

impl TestDb {
    /// Another connection pool to the same database, as a second process would have.
    async fn other_instance(&self) -> Store {
        Store::connect(&self.url).await.unwrap()
    }

    async fn raw(&self) -> Raw {
        if self.url.starts_with("sqlite:") {
            Raw::Sqlite(SqlitePool::connect(&self.url).await.unwrap())
        } else {
            Raw::Postgres(PgPool::connect(&self.url).await.unwrap())
        }
    }
}

/// Runs `test` on a fresh SQLite database, then on a fresh PostgreSQL database when
/// `TEST_DATABASE_URL` is set.
async fn for_each_backend<F, Fut>(test: F)
where
    F: Fn(TestDb) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let test = std::sync::Arc::new(test);
    common::for_each_database(move |url| {
        let test = test.clone();
        async move {
            let store = Store::connect(&url).await.unwrap();
            store.migrate().await.unwrap();
            let expected = if url.starts_with("sqlite") {
                "sqlite"
            } else {
                "postgresql"
            };
            assert_eq!(store.backend_name(), expected);
            test(TestDb { store, url }).await;
        }
    })
    .await;
}

/// Direct SQL access, to check what the store wrote.
enum Raw {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Raw {
    async fn count(&self, sql: &str) -> i64 {
        match self {
            Raw::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
            Raw::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
        }
    }

    /// Runs any query and returns how many rows it gave.
    async fn row_count(&self, sql: &str) -> usize {
        match self {
            Raw::Sqlite(pool) => sqlx::query(sql).fetch_all(pool).await.unwrap().len(),
            Raw::Postgres(pool) => sqlx::query(sql).fetch_all(pool).await.unwrap().len(),
        }
    }

    /// Rows, over every column of every table, whose bytes contain `needle` as is or
    /// hex-encoded.
    async fn occurrences(&self, needle: &str) -> i64 {
        let needles = [needle.to_owned(), hex::encode(needle)];
        let mut found = 0;
        match self {
            Raw::Sqlite(pool) => {
                let tables: Vec<String> =
                    sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
                        .fetch_all(pool)
                        .await
                        .unwrap();
                assert!(tables.len() >= 5, "{tables:?}");
                for table in tables {
                    let columns: Vec<String> =
                        sqlx::query_scalar("SELECT name FROM pragma_table_info($1)")
                            .bind(&table)
                            .fetch_all(pool)
                            .await
                            .unwrap();
                    for column in columns {
                        for needle in &needles {
                            let hits: i64 = sqlx::query_scalar(&format!(
                                "SELECT COUNT(*) FROM \"{table}\"
                                 WHERE instr(CAST(\"{column}\" AS BLOB), CAST($1 AS BLOB)) > 0"
                            ))
                            .bind(needle)
                            .fetch_one(pool)
                            .await
                            .unwrap();
                            found += hits;
                        }
                    }
                }
            }
            Raw::Postgres(pool) => {
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'",
                )
                .fetch_all(pool)
                .await
                .unwrap();
                assert!(tables.len() >= 5, "{tables:?}");
                for table in tables {
                    // A row as text shows every column, bytea as hex.
                    for needle in &needles {
                        let hits: i64 = sqlx::query_scalar(&format!(
                            "SELECT COUNT(*) FROM \"{table}\" AS t WHERE strpos(t::text, $1) > 0"
                        ))
                        .bind(needle)
                        .fetch_one(pool)
                        .await
                        .unwrap();
                        found += hits;
                    }
                }
            }
        }
        found
    }
}

// ---------------------------------------------------------------------------------

/// The stored key of a phone, as the service would have computed it.
fn key(phone: &str) -> PhoneKey {
    PhoneKey::from_stored(phone)
}
// Test data

const SALT: &str = "xY9kL2mN4pQ6rS8tU0vW1xY3";

fn test_sealer() -> Sealer {
    Sealer::new([42; 32])
}

fn now() -> DateTime<Utc> {
    // PostgreSQL keeps microseconds: compare like with like.
    Utc::now().trunc_subsecs(0)
}

fn normal_template() -> Arc<CiuTemplate> {
    Arc::new(
        CiuTemplate::new(
            "{{ birth_year }}-{{ first_name }}-{{ hash }}",
            5,
            HashAlphabet::Hex,
        )
        .unwrap(),
    )
}

/// One hex symbol of hash: at most 16 codes per name prefix, so collisions are easy.
fn tiny_template() -> Arc<CiuTemplate> {
    Arc::new(CiuTemplate::new("{{ first_name }}-{{ hash }}", 1, HashAlphabet::Hex).unwrap())
}

fn person(template: &Arc<CiuTemplate>, first_name: &str, birth_year: &str) -> CiuRequest {
    let salt = Salt::new(SALT).unwrap();
    let answers = [("first_name", first_name), ("birth_year", birth_year)];
    let fragments = BTreeMap::from([
        ("first_name".to_owned(), first_name[..2].to_owned()),
        ("birth_year".to_owned(), birth_year[1..].to_owned()),
    ]);
    CiuRequest::new(&salt, template.clone(), "ciu", &answers, fragments)
}

fn record(phone: &str) -> NewRecord {
    NewRecord {
        phone_number: key(phone),
        flow_id: "ciu".to_owned(),
        flow_version: 1,
        fingerprint: "fp-1".to_owned(),
    }
}

async fn register(store: &Store, phone: &str, request: &CiuRequest) -> Registered {
    register_at(store, phone, request, now()).await
}

async fn register_at(
    store: &Store,
    phone: &str,
    request: &CiuRequest,
    at: DateTime<Utc>,
) -> Registered {
    let mut tx = store.begin(&key(phone)).await.unwrap();
    let registration = tx.register(request, &record(phone), at).await.unwrap();
    tx.commit().await.unwrap();
    registration
}

fn code_of(registration: &Registered) -> &str {
    match registration {
        Registered::New { code, .. } | Registered::Existing { code } => code,
        Registered::Exhausted => panic!("no code issued"),
    }
}

/// Two different people whose normal codes (candidate 0) are the same.
fn colliding_people(template: &Arc<CiuTemplate>) -> (CiuRequest, CiuRequest) {
    let mut by_code: HashMap<String, CiuRequest> = HashMap::new();
    for year in 1950..2020 {
        let candidate = person(template, "MARIE", &year.to_string());
        match by_code.remove(&candidate.candidate(0)) {
            Some(first) => return (first, candidate),
            None => {
                by_code.insert(candidate.candidate(0), candidate);
            }
        }
    }
    unreachable!("16 possible codes: a collision comes within 17 people")
}

// ---------------------------------------------------------------------------------
// Tests

#[tokio::test]
async fn migrating_twice_is_harmless_and_health_works() {
    for_each_backend(|db| async move {
        db.store.migrate().await.unwrap();
        db.store.health().await.unwrap();
        db.other_instance().await.migrate().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_known_person_gets_the_same_code_and_is_counted() {
    for_each_backend(|db| async move {
        let template = normal_template();
        let marie = person(&template, "MARIE", "1985");
        let first = register(&db.store, "phone-a", &marie).await;
        let Registered::New {
            code,
            collision_index: 0,
        } = &first
        else {
            panic!("expected a new code, got {first:?}");
        };
        assert_eq!(code, &marie.candidate(0));
        assert!(code.starts_with("985-MA-"));

        let again = register(&db.store, "phone-a", &marie).await;
        assert_eq!(again, Registered::Existing { code: code.clone() });

        let raw = db.raw().await;
        assert_eq!(raw.count("SELECT COUNT(*) FROM uic_records").await, 1);
        assert_eq!(
            raw.count("SELECT CAST(request_count AS BIGINT) FROM uic_records")
                .await,
            2
        );
        assert_eq!(raw.count("SELECT COUNT(*) FROM ciu_collisions").await, 0);
    })
    .await;
}

#[tokio::test]
async fn a_collision_gives_the_second_person_another_code_and_is_recorded() {
    for_each_backend(|db| async move {
        let template = tiny_template();
        let (first, second) = colliding_people(&template);
        assert_ne!(first.person_key, second.person_key);
        assert_eq!(first.candidate(0), second.candidate(0));

        let first_code = code_of(&register(&db.store, "phone-a", &first).await).to_owned();
        let registration = register(&db.store, "phone-b", &second).await;
        let Registered::New {
            code: second_code,
            collision_index,
        } = &registration
        else {
            panic!("expected a new code, got {registration:?}");
        };
        assert_ne!(&first_code, second_code);
        assert!(*collision_index > 0);
        assert_eq!(second_code, &second.candidate(*collision_index));

        // Both keep their own code afterwards.
        assert_eq!(
            register(&db.store, "phone-b", &second).await,
            Registered::Existing {
                code: second_code.clone()
            }
        );
        assert_eq!(
            code_of(&register(&db.store, "phone-a", &first).await),
            first_code
        );

        let raw = db.raw().await;
        assert_eq!(
            raw.count("SELECT COUNT(DISTINCT person_key) FROM uic_records")
                .await,
            2
        );
        assert_eq!(raw.count("SELECT COUNT(*) FROM ciu_collisions").await, 1);
        assert_eq!(
            raw.count("SELECT CAST(collision_index AS BIGINT) FROM ciu_collisions")
                .await,
            i64::from(*collision_index)
        );
    })
    .await;
}

#[tokio::test]
async fn when_every_candidate_is_taken_no_code_is_shared() {
    for_each_backend(|db| async move {
        let template = tiny_template();
        let mut issued: HashSet<String> = HashSet::new();
        let mut exhausted = 0;
        // "MA-0" .. "MA-F": 16 codes in all for people named MA...
        for year in 1900..2000 {
            let request = person(&template, "MARIE", &year.to_string());
            match register(&db.store, "phone", &request).await {
                Registered::New { code, .. } => {
                    assert!(issued.insert(code), "a code was issued twice");
                }
                Registered::Exhausted => {
                    // Refused only when every candidate really belongs to someone else.
                    assert!((0..MAX_CANDIDATES).all(|n| issued.contains(&request.candidate(n))));
                    exhausted += 1;
                }
                Registered::Existing { .. } => panic!("every person is new"),
            }
        }
        assert_eq!(issued.len(), 16);
        assert_eq!(exhausted, 100 - 16);
        let raw = db.raw().await;
        assert_eq!(raw.count("SELECT COUNT(*) FROM uic_records").await, 16);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_person_from_two_phones_at_once_gets_one_record() {
    for_each_backend(|db| async move {
        let template = normal_template();
        let other = db.other_instance().await;

        // The first transaction inserts and waits before committing, so the second
        // one runs into the uncommitted row (PostgreSQL) or the write lock (SQLite).
        let (inserted, go) = tokio::sync::oneshot::channel();
        let first_store = db.store.clone();
        let first_template = template.clone();
        let first = tokio::spawn(async move {
            let marie = person(&first_template, "MARIE", "1985");
            let mut tx = first_store.begin(&key("phone-a")).await.unwrap();
            let registration = tx
                .register(&marie, &record("phone-a"), now())
                .await
                .unwrap();
            inserted.send(()).unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            tx.commit().await.unwrap();
            registration
        });
        let second_store = other.clone();
        let second_template = template.clone();
        let second = tokio::spawn(async move {
            go.await.unwrap();
            let marie = person(&second_template, "MARIE", "1985");
            register(&second_store, "phone-b", &marie).await
        });
        let first = first.await.unwrap();
        let second = second.await.unwrap();
        assert!(matches!(first, Registered::New { .. }), "{first:?}");
        assert_eq!(
            second,
            Registered::Existing {
                code: code_of(&first).to_owned()
            }
        );

        // And a burst from eight phones, nobody waiting for anybody.
        let lucie = Arc::new(person(&template, "LUCIE", "1990"));
        let tasks: Vec<_> = (0..8)
            .map(|n| {
                let store = if n % 2 == 0 {
                    db.store.clone()
                } else {
                    other.clone()
                };
                let lucie = lucie.clone();
                tokio::spawn(async move { register(&store, &format!("phone-{n}"), &lucie).await })
            })
            .collect();
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.unwrap());
        }
        let new = results
            .iter()
            .filter(|r| matches!(r, Registered::New { .. }))
            .count();
        assert_eq!(new, 1, "{results:?}");
        let codes: HashSet<&str> = results.iter().map(code_of).collect();
        assert_eq!(codes.len(), 1);

        let raw = db.raw().await;
        assert_eq!(raw.count("SELECT COUNT(*) FROM uic_records").await, 2);
        assert_eq!(
            raw.count("SELECT CAST(SUM(request_count) AS BIGINT) FROM uic_records")
                .await,
            2 + 8
        );
    })
    .await;
}

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
            .enqueue_outbound("meta", b"sealed phone", b"sealed body", now())
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

#[tokio::test]
async fn fingerprints_of_issued_codes_are_remembered() {
    for_each_backend(|db| async move {
        assert!(db
            .store
            .issued_fingerprints("ciu")
            .await
            .unwrap()
            .is_empty());
        let template = normal_template();
        let earlier = now() - Duration::days(3);
        register_at(
            &db.store,
            "phone-a",
            &person(&template, "MARIE", "1985"),
            earlier,
        )
        .await;
        register_at(
            &db.store,
            "phone-b",
            &person(&template, "LUCIE", "1990"),
            earlier,
        )
        .await;
        assert_eq!(
            db.store.issued_fingerprints("ciu").await.unwrap(),
            vec!["fp-1"]
        );

        assert_eq!(
            db.store.latest_fingerprint("ciu").await.unwrap().as_deref(),
            Some("fp-1")
        );
        assert_eq!(
            db.store.latest_fingerprint("other-flow").await.unwrap(),
            None
        );
    })
    .await;
}

#[tokio::test]
async fn statistics_and_the_guides_queries() {
    for_each_backend(|db| async move {
        let template = normal_template();
        let now = now();
        register_at(
            &db.store,
            "phone-a",
            &person(&template, "MARIE", "1985"),
            now,
        )
        .await;
        register_at(
            &db.store,
            "phone-a",
            &person(&template, "JOSEPH", "1960"),
            now,
        )
        .await;
        register_at(
            &db.store,
            "phone-b",
            &person(&template, "LUCIE", "1990"),
            now,
        )
        .await;
        let two_days_ago = now - Duration::days(2);
        register_at(
            &db.store,
            "phone-c",
            &person(&template, "PAUL", "1975"),
            two_days_ago,
        )
        .await;
        let long_ago = now - Duration::days(40);
        register_at(
            &db.store,
            "phone-d",
            &person(&template, "ANNE", "1970"),
            long_ago,
        )
        .await;
        let mut tx = db.store.begin(&key("phone-e")).await.unwrap();
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

#[tokio::test]
async fn an_in_memory_sqlite_database_is_refused_with_the_reason() {
    // It would forget every code at the next restart.
    for url in ["sqlite::memory:", "sqlite://ciu.db?mode=memory"] {
        let refused = Store::connect(url).await.err().unwrap();
        assert!(matches!(refused, StoreError::InMemoryUnsupported), "{url}");
        assert!(refused.to_string().contains("sqlite://ciu.db"), "{refused}");
    }
}

#[tokio::test]
async fn an_unreachable_database_is_reported_unavailable() {
    let refused = Store::connect("postgres://postgres@127.0.0.1:1/ciu")
        .await
        .err()
        .unwrap();
    assert!(refused.is_unavailable(), "{refused}");

    let unopenable = Store::connect("sqlite:///nonexistent-directory/ciu.db")
        .await
        .err()
        .unwrap();
    assert!(unopenable.is_unavailable(), "{unopenable}");

    let unsupported = Store::connect("mysql://root:secret-password@localhost/ciu")
        .await
        .err()
        .unwrap();
    assert!(matches!(unsupported, StoreError::UnsupportedUrl));
    assert!(!unsupported.is_unavailable());
    assert!(!unsupported.to_string().contains("secret-password"));
}

// ---------------------------------------------------------------------------------
// Outbox

#[tokio::test]
async fn the_outbox_sends_each_persons_messages_one_at_a_time_in_order() {
    for_each_backend(|db| async move {
        let now = Utc::now().trunc_subsecs(3);
        let store = &db.store;
        let mut tx = store.begin(&key("h:alice")).await.unwrap();
        for payload in [b"a1", b"a2", b"a3"] {
            tx.enqueue_outbound("meta", b"sealed-phone", payload, now)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        let mut tx = store.begin(&key("h:bob")).await.unwrap();
        tx.enqueue_outbound("meta", b"sealed-phone", b"b1", now)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        // Not committed: never sent.
        let mut tx = store.begin(&key("h:carol")).await.unwrap();
        tx.enqueue_outbound("meta", b"sealed-phone", b"c1", now)
            .await
            .unwrap();
        drop(tx);
        assert_eq!(store.outbox_pending().await.unwrap(), 4);

        let lease = now + Duration::seconds(60);
        let payloads = |rows: &[ciu::store::OutboundRow]| -> Vec<Vec<u8>> {
            rows.iter().map(|r| r.payload.clone()).collect()
        };
        // The oldest of each person only; another claimer (a second process) gets
        // nothing while the lease runs.
        let claimed = store.claim_outbound("meta", now, lease, 10).await.unwrap();
        assert_eq!(payloads(&claimed), [b"a1".to_vec(), b"b1".to_vec()]);
        assert_eq!(claimed[0].attempts, 0);
        assert_eq!(claimed[0].created_at, now);
        let other = db.other_instance().await;
        assert!(other
            .claim_outbound("meta", now, lease, 10)
            .await
            .unwrap()
            .is_empty());
        assert!(store
            .claim_outbound("whatsapp", now, lease, 10)
            .await
            .unwrap()
            .is_empty());

        // a1 failed: a2 and a3 wait for it.
        let retry_at = now + Duration::seconds(2);
        store
            .retry_outbound_later(claimed[0].id, 1, retry_at, "HTTP 500")
            .await
            .unwrap();
        store.delete_outbound(claimed[1].id).await.unwrap();
        assert_eq!(
            store.next_outbound_due("meta").await.unwrap(),
            Some(retry_at)
        );
        assert!(store
            .claim_outbound("meta", now, lease, 10)
            .await
            .unwrap()
            .is_empty());
        let again = other
            .claim_outbound("meta", retry_at, retry_at + Duration::seconds(60), 10)
            .await
            .unwrap();
        assert_eq!(payloads(&again), [b"a1".to_vec()]);
        assert_eq!(again[0].attempts, 1);

        // A lease that runs out (the sender died) makes the row claimable again.
        let later = retry_at + Duration::seconds(61);
        let reclaimed = store
            .claim_outbound("meta", later, later, 10)
            .await
            .unwrap();
        assert_eq!(payloads(&reclaimed), [b"a1".to_vec()]);
        store.delete_outbound(reclaimed[0].id).await.unwrap();
        let next = store.claim_outbound("meta", later, later, 1).await.unwrap();
        assert_eq!(payloads(&next), [b"a2".to_vec()]);
        assert_eq!(store.outbox_pending().await.unwrap(), 2);
    })
    .await;
}
