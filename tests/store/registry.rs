//! The CIU registry: one code per person, never one code for two people.

use chrono::Duration;
use ciu::code::MAX_CANDIDATES;
use ciu::store::Registered;
use std::collections::HashSet;
use std::sync::Arc;

use crate::harness::*;

#[tokio::test]
async fn a_known_person_gets_the_same_code_and_is_counted() {
    for_each_backend(|db| async move {
        let template = normal_template();
        let marie = person(&template, "MARIE", "1985");
        let first = register(&db.store, "phone-a", &marie).await;
        let Registered::New {
            code,
            collision_index: 0,
            ..
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
            ..
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

/// Registers `request` as issued by the derivation `fingerprint`, at `at`.
async fn register_under(
    store: &ciu::store::Store,
    phone: &str,
    request: &ciu::code::CiuRequest,
    fingerprint: &str,
    at: chrono::DateTime<chrono::Utc>,
) {
    let record = ciu::store::NewRecord {
        fingerprint: fingerprint.to_owned(),
        ..record(phone)
    };
    let mut tx = store.begin(&key(phone)).await.unwrap();
    tx.register(request, &record, at).await.unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn a_changed_derivation_needs_a_confirmation_made_after_the_latest_code() {
    use ciu::store::DerivationStatus::{Changed, Known, NoCodes};
    for_each_backend(|db| async move {
        let store = &db.store;
        let template = normal_template();
        let day = now() - Duration::days(10);
        assert_eq!(
            store.derivation_status("ciu", "fp-a").await.unwrap(),
            NoCodes
        );
        register_under(
            store,
            "phone-a",
            &person(&template, "MARIE", "1985"),
            "fp-a",
            day,
        )
        .await;
        assert_eq!(store.derivation_status("ciu", "fp-a").await.unwrap(), Known);
        let changed = Changed {
            previous: "fp-a".to_owned(),
        };
        assert_eq!(
            store.derivation_status("ciu", "fp-b").await.unwrap(),
            changed
        );
        // Confirmed: fp-b may issue codes, and does.
        store
            .accept_derivation("ciu", "fp-b", day + Duration::days(1))
            .await
            .unwrap();
        assert_eq!(store.derivation_status("ciu", "fp-b").await.unwrap(), Known);
        let later = day + Duration::days(2);
        register_under(
            store,
            "phone-b",
            &person(&template, "LUCIE", "1990"),
            "fp-b",
            later,
        )
        .await;
        assert_eq!(store.derivation_status("ciu", "fp-b").await.unwrap(), Known);
        // Going back to fp-a would change the codes fp-b issued since: confirm again.
        let back = Changed {
            previous: "fp-b".to_owned(),
        };
        assert_eq!(store.derivation_status("ciu", "fp-a").await.unwrap(), back);
        store
            .accept_derivation("ciu", "fp-a", day + Duration::days(3))
            .await
            .unwrap();
        assert_eq!(store.derivation_status("ciu", "fp-a").await.unwrap(), Known);
        // Other flows are on their own.
        assert_eq!(
            store.derivation_status("other", "fp-z").await.unwrap(),
            NoCodes
        );

        let history = store.codes_per_derivation("ciu").await.unwrap();
        let counts: Vec<(&str, i64)> = history
            .iter()
            .map(|h| (h.fingerprint.as_str(), h.codes))
            .collect();
        assert_eq!(counts, vec![("fp-a", 1), ("fp-b", 1)]);
        assert_eq!(history[1].first_code, later);
    })
    .await;
}
