//! USSD sessions (src/store/ussd.rs): the count of inputs fed and the sealed last
//! screen, kept further along only, bound to one phone, erased by the cleanup.

use chrono::Duration;

use crate::harness::*;

#[tokio::test]
async fn ussd_sessions_only_move_forward_and_are_cleaned_up() {
    for_each_backend(|db| async move {
        let store = &db.store;
        assert_eq!(store.ussd_session("ATUid_1").await.unwrap(), None);
        store
            .save_ussd_session("ATUid_1", &key("phone-a"), 1, b"screen-1", now())
            .await
            .unwrap();
        store
            .save_ussd_session("ATUid_1", &key("phone-a"), 3, b"screen-3", now())
            .await
            .unwrap();
        // An answer computed alongside, finishing later with fewer inputs: kept out.
        store
            .save_ussd_session("ATUid_1", &key("phone-a"), 2, b"screen-2", now())
            .await
            .unwrap();
        // Another phone cannot take the session over.
        store
            .save_ussd_session("ATUid_1", &key("phone-b"), 9, b"screen-b", now())
            .await
            .unwrap();
        let row = store.ussd_session("ATUid_1").await.unwrap().unwrap();
        assert_eq!(row.phone, key("phone-a"));
        assert_eq!(row.inputs_fed, 3);
        assert_eq!(row.screen, b"screen-3");

        store
            .save_ussd_session(
                "ATUid_2",
                &key("phone-a"),
                0,
                b"new",
                now() + Duration::hours(30),
            )
            .await
            .unwrap();
        store
            .cleanup_expired(now() + Duration::hours(25))
            .await
            .unwrap();
        assert_eq!(store.ussd_session("ATUid_1").await.unwrap(), None);
        assert!(store.ussd_session("ATUid_2").await.unwrap().is_some());
    })
    .await;
}
