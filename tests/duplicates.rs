//! `ciu duplicates` and `ciu bench --seed`: the possible-duplicates report read through
//! the real binary, on SQLite and, when `TEST_DATABASE_URL` is set, PostgreSQL.

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use ciu::bench::{seed_registry, SeedPlan};
use ciu::code::{CiuRequest, CiuTemplate, Salt};
use ciu::flow::definition::HashAlphabet;
use ciu::store::{NewRecord, Store};
use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Arc;

use common::for_each_database;

const SALT: &str = "Dup-test-salt-0123456789-xyz";

fn request(first_name: &str, last_name: &str, birth_year: &str) -> CiuRequest {
    let salt = Salt::new(SALT).unwrap();
    let template = Arc::new(
        CiuTemplate::new(
            "{{ birth_year }}-{{ first_name }}-{{ hash }}",
            5,
            HashAlphabet::Hex,
        )
        .unwrap(),
    );
    let answers = [
        ("birth_year", birth_year),
        ("first_name", first_name),
        ("last_name", last_name),
    ];
    let fragments = BTreeMap::from([
        ("first_name".to_owned(), first_name[..3].to_owned()),
        ("birth_year".to_owned(), birth_year[1..].to_owned()),
    ]);
    CiuRequest::new(&salt, template, "ciu", &answers, fragments)
}

/// Registers through the store and returns the record's id and code.
async fn register(store: &Store, phone: &str, request: &CiuRequest, at: DateTime<Utc>) -> String {
    let key = ciu::phone::PhoneKey::from_stored(phone);
    let record = NewRecord {
        phone_number: key.clone(),
        flow_id: "ciu".to_owned(),
        flow_version: 1,
        fingerprint: "fp-1".to_owned(),
    };
    let mut tx = store.begin(&key).await.unwrap();
    let registration = tx.register(request, &record, at).await.unwrap();
    tx.commit().await.unwrap();
    match registration {
        ciu::store::Registered::New { code, .. } => code,
        other => panic!("expected a new code, got {other:?}"),
    }
}

/// One number from the test database, whichever backend it is.
async fn count(url: &str, sql: &str) -> i64 {
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap()
    } else {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap()
    }
}

/// The real binary, configured by environment only, in an empty directory (no .env).
fn ciu(url: &str, dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ciu"))
        .args(args)
        .current_dir(dir)
        .env("DATABASE_URL", url)
        .env("UIC_SALT", SALT)
        .output()
        .unwrap()
}

fn stdout_of(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_lists_pairs_of_codes_in_order_and_nothing_else() {
    for_each_database(|url| async move {
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        // No pair yet: a header only, and the table says so in French.
        assert_eq!(
            stdout_of(&ciu(&url, dir.path(), &["duplicates", "--format", "csv"])),
            "code_a,code_b,differing_step,created_a,created_b\n"
        );
        let table = stdout_of(&ciu(&url, dir.path(), &["duplicates"]));
        assert!(table.contains("Aucun doublon possible."), "{table}");

        let day = Utc.with_ymd_and_hms(2026, 11, 1, 8, 30, 0).unwrap();
        let people = [
            ("+243810000001", request("JEAN", "KABILA", "1985"), day),
            (
                "+243810000002",
                request("JEAN", "KABIKA", "1985"),
                day + Duration::days(1),
            ),
            (
                "+243810000003",
                request("JEAN", "KABILA", "1986"),
                day + Duration::days(2),
            ),
            (
                "+243810000004",
                request("PAUL", "MBUYI", "1970"),
                day + Duration::days(3),
            ),
        ];
        let mut codes = Vec::new();
        for (phone, person, at) in &people {
            codes.push(register(&store, phone, person, *at).await);
        }
        // Registration itself paired the slip (KABIKA) and the other year with the first
        // record, through the near-key index; PAUL MBUYI agrees with no one.
        let csv = stdout_of(&ciu(&url, dir.path(), &["duplicates", "--format", "csv"]));
        assert_eq!(
            csv,
            format!(
                "code_a,code_b,differing_step,created_a,created_b\n\
                 {a},{b},last_name,2026-11-01T08:30:00Z,2026-11-02T08:30:00Z\n\
                 {a},{c},birth_year,2026-11-01T08:30:00Z,2026-11-03T08:30:00Z\n",
                a = codes[0],
                b = codes[1],
                c = codes[2],
            )
        );
        assert!(!csv.contains("+243") && !csv.contains("KABILA"), "{csv}");

        // The same report in a file only its owner can read.
        let path = dir.path().join("doublons.csv");
        let output = ciu(
            &url,
            dir.path(),
            &[
                "duplicates",
                "--format",
                "csv",
                "--output",
                path.to_str().unwrap(),
            ],
        );
        assert!(String::from_utf8_lossy(&output.stderr).contains("2 paires"));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), csv);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }

        let table = stdout_of(&ciu(&url, dir.path(), &["duplicates"]));
        assert!(table.starts_with("Doublons possibles"), "{table}");
        assert!(table.contains("Réponse différente"), "{table}");
        assert!(table.contains(&codes[2]), "{table}");
        assert!(
            table.contains("2 paire(s) de doublons possibles."),
            "{table}"
        );
        assert!(!table.contains(&codes[3]), "{table}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeding_writes_records_near_keys_and_the_slips_as_pairs() {
    for_each_database(|url| async move {
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let flow = ciu::flow::load(&root.join("flows/ciu.yaml"), &root.join("locales"))
            .unwrap()
            .flow;
        let plan = SeedPlan {
            records: 1500,
            batch: 400,
            slip_every: 100,
        };
        let mut calls = Vec::new();
        let report = seed_registry(
            &store,
            Arc::new(flow),
            Salt::new(SALT).unwrap(),
            &plan,
            |done, _| calls.push(done),
        )
        .await
        .unwrap();
        assert_eq!(calls, [400, 800, 1200, 1500]);
        assert_eq!(report.outcome.inserted, 1500);
        assert_eq!(report.slips, 15);
        // Each slip shares the near key of its differing step with the person it
        // copies; a slip of a slip also pairs with the first one.
        assert!(report.outcome.pairs >= 15, "{report:?}");
        assert!(report.outcome.pairs <= 30, "{report:?}");
        if url.starts_with("postgres") {
            // Analyzed at the end, as a bulk load must be: PostgreSQL's planner knows
            // the near keys' table (reltuples stays -1 until a table is analyzed).
            assert_eq!(
                count(
                    &url,
                    "SELECT CAST(reltuples AS BIGINT) FROM pg_class WHERE relname = 'uic_near_keys'"
                )
                .await,
                7500
            );
        }

        // More through the binary: the rows already there are kept, ids continue.
        let dir = tempfile::tempdir().unwrap();
        let flow_path = root.join("flows/ciu.yaml");
        let locales = root.join("locales");
        let output = ciu(
            &url,
            dir.path(),
            &[
                "bench",
                "--seed",
                "500",
                "--flow",
                flow_path.to_str().unwrap(),
                "--locales",
                locales.to_str().unwrap(),
            ],
        );
        let printed = stdout_of(&output);
        assert!(
            printed.contains("500 records written (5 slips)"),
            "{printed}"
        );
        assert_eq!(count(&url, "SELECT COUNT(*) FROM uic_records").await, 2000);
        // The console's counters of the same 90 days: one new code per record.
        assert!(printed.contains("rows of daily counters"), "{printed}");
        let today = chrono::Utc::now().date_naive();
        let counters = store
            .counters_between(today - chrono::Duration::days(91), today)
            .await
            .unwrap();
        let new_codes: i64 = counters
            .iter()
            .filter(|c| c.counter.starts_with("codes|new|"))
            .map(|c| c.value)
            .sum();
        assert_eq!(new_codes, 2000);
        assert!(counters
            .iter()
            .any(|c| c.counter == "funnel|confirm|answered"));
        assert_eq!(
            count(&url, "SELECT CAST(MAX(id) AS BIGINT) FROM uic_records").await,
            2000
        );
        assert_eq!(
            count(&url, "SELECT COUNT(*) FROM uic_near_keys").await,
            10_000
        );
        assert_eq!(
            count(
                &url,
                "SELECT COUNT(*) FROM (SELECT record_id FROM uic_near_keys
                 GROUP BY record_id HAVING COUNT(*) = 5) AS five"
            )
            .await,
            2000
        );
        let pairs = count(&url, "SELECT COUNT(*) FROM possible_duplicates").await;
        assert!((20..=40).contains(&pairs), "{pairs}");
        // Every pair joins an earlier record to a later one that differ in one answer
        // (so their codes differ), and the report lists each once.
        assert_eq!(
            count(
                &url,
                "SELECT COUNT(*) FROM possible_duplicates d
                 JOIN uic_records a ON a.id = d.record_a JOIN uic_records b ON b.id = d.record_b
                 WHERE d.record_a < d.record_b AND a.uic_code <> b.uic_code"
            )
            .await,
            pairs
        );
        assert_eq!(store.possible_duplicate_count().await.unwrap(), pairs);
        let csv = stdout_of(&ciu(&url, dir.path(), &["duplicates", "--format", "csv"]));
        assert_eq!(csv.lines().count() as i64, pairs + 1);
        assert_eq!(
            count(&url, "SELECT COUNT(*) FROM derivation_fingerprints").await,
            1
        );
    })
    .await;
}
