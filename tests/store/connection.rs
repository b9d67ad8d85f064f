//! Connecting and migrating: what is refused, what is reported unavailable.

use ciu::store::{Store, StoreError};

use crate::harness::*;

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
    // The operator reads French (`ciu migrate`, `ciu serve` at startup).
    assert!(
        refused
            .to_string()
            .starts_with("base de données injoignable"),
        "{refused}"
    );

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
    assert!(
        unsupported
            .to_string()
            .contains("DATABASE_URL non reconnue"),
        "{unsupported}"
    );
}
