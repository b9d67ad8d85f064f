//! Possible duplicates: records that agree on every answer but one are paired at
//! registration, by index, and read back as codes only.

use ciu::code::{CiuRequest, Salt};
use ciu::store::{DuplicateCursor, Registered};
use std::collections::BTreeMap;

use crate::harness::*;

fn five_answers(last_name: &str, first_name: &str) -> CiuRequest {
    let salt = Salt::new(SALT).unwrap();
    let answers = [
        ("birth_year", "1985"),
        ("mother_birthplace", "KINSHASA"),
        ("first_name", first_name),
        ("birth_day", "15"),
        ("last_name", last_name),
    ];
    let fragments = BTreeMap::from([
        ("birth_year".to_owned(), "985".to_owned()),
        ("first_name".to_owned(), first_name[..2].to_owned()),
    ]);
    CiuRequest::new(&salt, normal_template(), "ciu", &answers, fragments)
}

#[tokio::test]
async fn a_one_answer_slip_is_paired_with_the_first_record_and_nothing_else() {
    for_each_backend(|db| async move {
        let base = code_of(&register(&db.store, "phone-a", &five_answers("KABILA", "JEAN")).await)
            .to_owned();
        // Another person entirely, then the slip (Kabika for Kabila), then a record two
        // answers away from the base.
        register(&db.store, "phone-b", &five_answers("MUKENDI", "MARIE")).await;
        let slip = register(&db.store, "phone-c", &five_answers("KABIKA", "JEAN")).await;
        let Registered::New {
            code: slip_code,
            possible_duplicates: 1,
            ..
        } = &slip
        else {
            panic!("the slip must find exactly one earlier record: {slip:?}");
        };
        let far = register(&db.store, "phone-d", &five_answers("KABIKA", "JEANNE")).await;
        // Two away from the base, one away from the slip (the first name).
        assert!(
            matches!(
                far,
                Registered::New {
                    possible_duplicates: 1,
                    ..
                }
            ),
            "{far:?}"
        );
        // The same person again is no new pair.
        let again = register(&db.store, "phone-e", &five_answers("KABILA", "JEAN")).await;
        assert!(matches!(again, Registered::Existing { .. }));

        let pairs = db
            .store
            .duplicates_page(&DuplicateCursor::default(), 10)
            .await
            .unwrap();
        let shown: Vec<(&str, &str, &str)> = pairs
            .iter()
            .map(|p| {
                (
                    p.code_a.as_str(),
                    p.code_b.as_str(),
                    p.differing_step.as_str(),
                )
            })
            .collect();
        let far_code = code_of(&far).to_owned();
        assert_eq!(
            shown,
            vec![
                (base.as_str(), slip_code.as_str(), "last_name"),
                (slip_code.as_str(), far_code.as_str(), "first_name"),
            ]
        );
        assert_eq!(db.store.possible_duplicate_count().await.unwrap(), 2);
        // Paging goes on after the last pair and ends.
        let last = pairs.last().unwrap();
        let cursor = DuplicateCursor {
            record_a: last.record_a,
            record_b: last.record_b,
            differing_step: last.differing_step.clone(),
        };
        assert!(db
            .store
            .duplicates_page(&cursor, 10)
            .await
            .unwrap()
            .is_empty());
        let raw = db.raw().await;
        assert_eq!(raw.count("SELECT COUNT(*) FROM uic_near_keys").await, 4 * 5);
    })
    .await;
}
