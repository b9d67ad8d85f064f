//! What every store test needs: a fresh database per backend, direct SQL to check what
//! was written, and people to register.

use chrono::{DateTime, SubsecRound, Utc};
use ciu::code::{CiuRequest, CiuTemplate, Salt};
use ciu::flow::definition::HashAlphabet;
use ciu::phone::PhoneKey;
use ciu::seal::Sealer;
use ciu::store::{NewRecord, Registered, Store};
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Arc;

use crate::common;

pub struct TestDb {
    pub store: Store,
    pub url: String,
}

impl TestDb {
    /// Another connection pool to the same database, as a second process would have.
    pub async fn other_instance(&self) -> Store {
        Store::connect(&self.url).await.unwrap()
    }

    pub async fn raw(&self) -> Raw {
        if self.url.starts_with("sqlite:") {
            Raw::Sqlite(SqlitePool::connect(&self.url).await.unwrap())
        } else {
            Raw::Postgres(PgPool::connect(&self.url).await.unwrap())
        }
    }
}

/// Runs `test` on a fresh SQLite database, then on a fresh PostgreSQL database when
/// `TEST_DATABASE_URL` is set.
pub async fn for_each_backend<F, Fut>(test: F)
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
pub enum Raw {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Raw {
    pub async fn count(&self, sql: &str) -> i64 {
        match self {
            Raw::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
            Raw::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
        }
    }

    /// Runs any query and returns how many rows it gave.
    pub async fn row_count(&self, sql: &str) -> usize {
        match self {
            Raw::Sqlite(pool) => sqlx::query(sql).fetch_all(pool).await.unwrap().len(),
            Raw::Postgres(pool) => sqlx::query(sql).fetch_all(pool).await.unwrap().len(),
        }
    }

    /// Rows, over every column of every table, whose bytes contain `needle` as is or
    /// hex-encoded.
    pub async fn occurrences(&self, needle: &str) -> i64 {
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

/// The stored key of a phone, as the service would have computed it.
pub fn key(phone: &str) -> PhoneKey {
    PhoneKey::from_stored(phone)
}

pub const SALT: &str = "xY9kL2mN4pQ6rS8tU0vW1xY3";

pub fn test_sealer() -> Sealer {
    Sealer::new([42; 32])
}

pub fn now() -> DateTime<Utc> {
    // PostgreSQL keeps microseconds: compare like with like.
    Utc::now().trunc_subsecs(0)
}

pub fn normal_template() -> Arc<CiuTemplate> {
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
pub fn tiny_template() -> Arc<CiuTemplate> {
    Arc::new(CiuTemplate::new("{{ first_name }}-{{ hash }}", 1, HashAlphabet::Hex).unwrap())
}

pub fn person(template: &Arc<CiuTemplate>, first_name: &str, birth_year: &str) -> CiuRequest {
    let salt = Salt::new(SALT).unwrap();
    let answers = [("first_name", first_name), ("birth_year", birth_year)];
    let fragments = BTreeMap::from([
        ("first_name".to_owned(), first_name[..2].to_owned()),
        ("birth_year".to_owned(), birth_year[1..].to_owned()),
    ]);
    CiuRequest::new(&salt, template.clone(), "ciu", &answers, fragments)
}

pub fn record(phone: &str) -> NewRecord {
    NewRecord {
        phone_number: key(phone),
        flow_id: "ciu".to_owned(),
        flow_version: 1,
        fingerprint: "fp-1".to_owned(),
    }
}

pub async fn register(store: &Store, phone: &str, request: &CiuRequest) -> Registered {
    register_at(store, phone, request, now()).await
}

pub async fn register_at(
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

pub fn code_of(registration: &Registered) -> &str {
    match registration {
        Registered::New { code, .. } | Registered::Existing { code } => code,
        Registered::Exhausted => panic!("no code issued"),
    }
}

/// Two different people whose normal codes (candidate 0) are the same.
pub fn colliding_people(template: &Arc<CiuTemplate>) -> (CiuRequest, CiuRequest) {
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
