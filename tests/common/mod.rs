//! Shared by the integration suites: a fresh database per test, on SQLite always and on
//! PostgreSQL when `TEST_DATABASE_URL` is set (CI sets it).

use sqlx::{Connection, PgConnection};
use std::future::Future;

/// Runs `test` with the URL of a fresh SQLite database, then of a fresh PostgreSQL
/// database when `TEST_DATABASE_URL` is set. Each PostgreSQL test has its own database,
/// dropped even when the test fails, so tests run in parallel.
pub async fn for_each_database<F, Fut>(test: F)
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ciu.db").display());
    test(url).await;
    // Only now: the test may not have kept anything that keeps the directory alive.
    drop(dir);

    let Some(server_url) = postgres_server() else {
        return;
    };
    let (name, url) = create_postgres_database(&server_url).await;
    let outcome = tokio::spawn(test(url)).await;
    drop_postgres_database(&server_url, &name).await;
    if let Err(failure) = outcome {
        std::panic::resume_unwind(failure.into_panic());
    }
}

pub fn postgres_server() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// Creates `ciu_test_<random>` on the server; returns its name and URL.
pub async fn create_postgres_database(server_url: &str) -> (String, String) {
    let name = format!("ciu_test_{}", hex::encode(rand::random::<[u8; 8]>()));
    let mut admin = PgConnection::connect(server_url).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let mut url = url::Url::parse(server_url).unwrap();
    url.set_path(&format!("/{name}"));
    (name, url.to_string())
}

pub async fn drop_postgres_database(server_url: &str, name: &str) {
    if let Ok(mut admin) = PgConnection::connect(server_url).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut admin)
            .await;
    }
}
