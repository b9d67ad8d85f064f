//! What the operators run: `ciu stats`, `ciu export` and the store methods behind them,
//! and the QR image table; on a fresh SQLite file, and on a fresh PostgreSQL database
//! when `TEST_DATABASE_URL` is set.

mod common;

use chrono::{DateTime, Duration, NaiveDate, SubsecRound, Utc};
use ciu::code::{CiuRequest, CiuTemplate, Salt};
use ciu::flow::definition::HashAlphabet;
use ciu::phone::PhoneKey;
use ciu::qr::{QrPublisher, QR_LIFETIME};
use ciu::store::{NewRecord, Store};
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;
use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Arc;

use common::for_each_database;

const SALT: &str = "Ops-test-salt-0123456789-xyz";
/// Stored in plain here, so a leak into an export would be seen.
const PHONES: [&str; 4] = [
    "+243810000001",
    "+243810000002",
    "+243810000003",
    "+243810000004",
];

fn now() -> DateTime<Utc> {
    // PostgreSQL keeps microseconds: compare like with like.
    Utc::now().trunc_subsecs(0)
}

fn person(first_name: &str, birth_year: &str) -> CiuRequest {
    let salt = Salt::new(SALT).unwrap();
    let template = Arc::new(
        CiuTemplate::new(
            "{{ birth_year }}-{{ first_name }}-{{ hash }}",
            5,
            HashAlphabet::Hex,
        )
        .unwrap(),
    );
    let answers = [("first_name", first_name), ("birth_year", birth_year)];
    let fragments = BTreeMap::from([
        ("first_name".to_owned(), first_name[..3].to_owned()),
        ("birth_year".to_owned(), birth_year[1..].to_owned()),
    ]);
    CiuRequest::new(&salt, template, "ciu", &answers, fragments)
}

async fn register_at(store: &Store, phone: &str, request: &CiuRequest, at: DateTime<Utc>) {
    let phone = PhoneKey::from_stored(phone);
    let record = NewRecord {
        phone_number: phone.clone(),
        flow_id: "ciu".to_owned(),
        flow_version: 1,
        fingerprint: "fp-1".to_owned(),
    };
    let mut tx = store.begin(&phone).await.unwrap();
    tx.register(request, &record, at).await.unwrap();
    tx.commit().await.unwrap();
}

/// Five codes for four phones over 40 days, one of them asked for twice; returns `now`.
async fn fill_registry(store: &Store) -> DateTime<Utc> {
    let now = now();
    let entries = [
        (PHONES[0], "JOSEPH", "1960", now),
        (PHONES[0], "MARIE", "1985", now),
        (PHONES[1], "LUCIE", "1990", now),
        (PHONES[2], "PAUL", "1975", now - Duration::days(2)),
        (PHONES[3], "ANNE", "1970", now - Duration::days(40)),
    ];
    for (phone, name, year, at) in entries {
        register_at(store, phone, &person(name, year), at).await;
    }
    // Marie asks again later: same code, request_count 2.
    register_at(store, PHONES[1], &person("MARIE", "1985"), now).await;
    now
}

async fn connected(url: &str) -> Store {
    let store = Store::connect(url).await.unwrap();
    store.migrate().await.unwrap();
    store
}

/// The real binary, configured by environment only, in an empty directory (no .env).
fn ciu(url: &str, args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_ciu"))
        .args(args)
        .current_dir(dir.path())
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
async fn export_pages_through_the_whole_registry_in_creation_order() {
    for_each_database(|url| async move {
        let store = connected(&url).await;
        assert!(store.export_page(0, 10).await.unwrap().is_empty());
        let now = fill_registry(&store).await;
        let first = store.export_page(0, 3).await.unwrap();
        let rest = store.export_page(first[2].id, 3).await.unwrap();
        assert_eq!((first.len(), rest.len()), (3, 2));
        assert!(store.export_page(rest[1].id, 3).await.unwrap().is_empty());
        let all: Vec<_> = first.iter().chain(&rest).collect();
        assert!(all.windows(2).all(|w| w[0].id < w[1].id));
        assert!(all[0].uic_code.starts_with("960-JOS-"), "{:?}", all[0]);
        let marie = all
            .iter()
            .find(|r| r.uic_code.starts_with("985-MAR-"))
            .unwrap();
        assert_eq!(marie.request_count, 2);
        assert_eq!((marie.created_at, marie.last_requested_at), (now, now));
        assert_eq!((marie.flow_id.as_str(), marie.flow_version), ("ciu", 1));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_command_writes_codes_and_no_personal_data() {
    for_each_database(|url| async move {
        let store = connected(&url).await;
        fill_registry(&store).await;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ciu.csv");
        let output = ciu(
            &url,
            &[
                "export",
                "--format",
                "csv",
                "--output",
                path.to_str().unwrap(),
            ],
        );
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(String::from_utf8_lossy(&output.stderr).contains("5 CIU exportés"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(
                mode & 0o777,
                0o600,
                "the export is readable by its owner only"
            );
        }
        let csv = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[0],
            "uic_code,created_at,last_requested_at,request_count,flow_id,flow_version"
        );
        assert_eq!(lines.len(), 6, "{csv}");
        let marie = lines.iter().find(|l| l.starts_with("985-MAR-")).unwrap();
        let fields: Vec<&str> = marie.split(',').collect();
        assert_eq!(fields.len(), 6);
        assert!(
            fields[1].ends_with('Z') && fields[1].contains('T'),
            "{marie}"
        );
        assert_eq!(&fields[3..], ["2", "ciu", "1"]);

        // Standard output gives the same document.
        assert_eq!(stdout_of(&ciu(&url, &["export"])), csv);

        // Neither the phone numbers nor the person keys leave the database.
        for phone in PHONES {
            assert!(!csv.contains(&phone[1..]), "{phone} exported");
        }
        for key in person_keys(&url).await {
            assert!(!csv.contains(&key), "a person key was exported");
        }
    })
    .await;
}

async fn person_keys(url: &str) -> Vec<String> {
    let sql = "SELECT person_key FROM uic_records";
    if url.starts_with("sqlite:") {
        let pool = SqlitePool::connect(url).await.unwrap();
        sqlx::query_scalar(sql).fetch_all(&pool).await.unwrap()
    } else {
        let pool = PgPool::connect(url).await.unwrap();
        sqlx::query_scalar(sql).fetch_all(&pool).await.unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stats_command_counts_codes_days_and_phones() {
    for_each_database(|url| async move {
        let store = connected(&url).await;
        let now = fill_registry(&store).await;
        let json: serde_json::Value =
            serde_json::from_str(&stdout_of(&ciu(&url, &["stats", "--json"]))).unwrap();
        let today = now.date_naive().to_string();
        let two_days_ago = (now - Duration::days(2)).date_naive().to_string();
        assert_eq!(
            json,
            serde_json::json!({
                "total_uics": 5,
                "unique_users": 4,
                "per_day": [
                    {"date": today, "count": 3},
                    {"date": two_days_ago, "count": 1},
                ],
                // Registered through the store directly: no channel recorded.
                "per_channel": [{"channel": null, "count": 5}],
            })
        );
        let text = stdout_of(&ciu(&url, &["stats"]));
        assert!(text.contains("Nombre total de CIU générés : 5"), "{text}");
        assert!(
            text.contains("Utilisateurs uniques (numéros de téléphone) : 4"),
            "{text}"
        );
        assert!(text.contains(&format!("  {today} : 3")), "{text}");
    })
    .await;
}

/// The monthly queries of docs/fr/guide-de-deploiement.md, run as written on
/// PostgreSQL, give the numbers `ciu stats` prints.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ciu_stats_equals_the_guides_sql_on_postgresql() {
    let Some(server) = common::postgres_server() else {
        eprintln!("TEST_DATABASE_URL not set: the guide's PostgreSQL queries were not run");
        return;
    };
    let (name, url) = common::create_postgres_database(&server).await;
    let outcome = tokio::spawn(async move {
        let store = connected(&url).await;
        fill_registry(&store).await;
        let json: serde_json::Value =
            serde_json::from_str(&stdout_of(&ciu(&url, &["stats", "--json"]))).unwrap();

        let pool = PgPool::connect(&url).await.unwrap();
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) as total_uics FROM uic_records;")
            .fetch_one(&pool)
            .await
            .unwrap();
        let per_day: Vec<(NaiveDate, i64)> = sqlx::query_as(
            "SELECT DATE(created_at) as date, COUNT(*) as count
FROM uic_records
WHERE created_at >= NOW() - INTERVAL '30 days'
GROUP BY DATE(created_at)
ORDER BY date DESC;",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        let unique: i64 = sqlx::query_scalar(
            "SELECT COUNT(DISTINCT phone_number) as unique_users FROM uic_records;",
        )
        .fetch_one(&pool)
        .await
        .unwrap();

        assert_eq!(json["total_uics"], total);
        assert_eq!(json["unique_users"], unique);
        let printed: Vec<(String, i64)> = json["per_day"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["date"].as_str().unwrap().to_owned(),
                    d["count"].as_i64().unwrap(),
                )
            })
            .collect();
        let guide: Vec<(String, i64)> = per_day
            .into_iter()
            .map(|(day, count)| (day.to_string(), count))
            .collect();
        assert_eq!(printed, guide);
        assert_eq!((total, unique, guide.len()), (5, 4, 2));
    })
    .await;
    common::drop_postgres_database(&server, &name).await;
    if let Err(failure) = outcome {
        std::panic::resume_unwind(failure.into_panic());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qr_images_expire_and_are_cleaned_up() {
    for_each_database(|url| async move {
        let store = connected(&url).await;
        let salt = Salt::new(SALT).unwrap();
        let qr = QrPublisher::new(store.clone(), &salt, "https://votre-domaine.cd/");
        let now = now();
        let link = qr.publish("985-KINS-15-JEA-KABI-A3F9D", now).await.unwrap();
        let token = link
            .strip_prefix("https://votre-domaine.cd/qr/")
            .expect("the public base, then /qr/");
        assert_eq!(token.len(), 32);
        assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
        let other = qr.publish("985-KINS-15-JEA-KABI-A3F9D", now).await.unwrap();
        assert_ne!(link, other, "every image has its own token");

        let png = qr.image(token, now).await.unwrap().expect("published");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let last_moment = now + QR_LIFETIME;
        assert!(qr.image(token, last_moment).await.unwrap().is_some());
        let after = last_moment + Duration::seconds(1);
        assert!(qr.image(token, after).await.unwrap().is_none());
        assert!(qr.image("not-a-token", now).await.unwrap().is_none());
        assert!(qr.image(&"0".repeat(32), now).await.unwrap().is_none());

        // The sealed code is not readable in the table, and cleanup erases it.
        let sealed = store.qr_code(token, now).await.unwrap().unwrap();
        assert!(!sealed.windows(4).any(|w| w == b"KINS"));
        store.cleanup_expired(after).await.unwrap();
        assert!(store.qr_code(token, now).await.unwrap().is_none());
    })
    .await;
}
