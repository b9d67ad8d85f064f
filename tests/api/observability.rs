//! What operators watch: every response names its request (`X-Request-Id`, also in the
//! logs), and after a small load the Prometheus counters say exactly what happened.

use std::collections::HashMap;
use std::sync::Arc;

use crate::common::for_each_database;
use crate::helpers::{spawn_app, TestApp};

const PEOPLE: [[&str; 5]; 6] = [
    ["1985", "Kinshasa", "Jean", "15", "Kabila"],
    ["1990", "Lubumbashi", "Marie", "3", "Mbuyi"],
    ["1978", "Kisangani", "Paul", "21", "Tshisekedi"],
    ["2001", "Goma", "Esther", "9", "Kasongo"],
    ["1965", "Matadi", "Joseph", "30", "Lukusa"],
    ["1999", "Bukavu", "Grace", "1", "Ilunga"],
];

/// `name{labels} value` lines of the Prometheus text, by `name{labels}`.
async fn metrics(app: &TestApp) -> HashMap<String, f64> {
    let (status, text) = app.get("/metrics").await;
    assert_eq!(status, 200);
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (key, value) = line.rsplit_once(' ')?;
            Some((key.to_owned(), value.parse().ok()?))
        })
        .collect()
}

async fn say_all(app: &TestApp, phone: &str, messages: &[&str]) {
    for message in messages {
        let reply = app.say(phone, message, None).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
}

#[tokio::test]
async fn counters_match_the_load() {
    for_each_database(|url| async move {
        let app = Arc::new(spawn_app(&url, &[]).await);
        // Six new people at once, each 8 messages (greeting, language, 5 answers, "oui").
        let mut firsts = tokio::task::JoinSet::new();
        for (i, answers) in PEOPLE.iter().enumerate() {
            let app = app.clone();
            firsts.spawn(async move {
                let reply = app.conversation(&format!("+24384000000{i}"), answers).await;
                assert!(reply.text().contains("a été généré"), "{}", reply.body);
            });
        }
        while let Some(done) = firsts.join_next().await {
            done.unwrap();
        }
        // Two of them again from other phones: their existing codes (8 messages each).
        for (i, answers) in PEOPLE[..2].iter().enumerate() {
            let reply = app.conversation(&format!("+24385000000{i}"), answers).await;
            assert!(reply.text().contains("déjà été généré"), "{}", reply.body);
        }
        // Someone who gets the year wrong twice and the day once, then a code (11).
        say_all(
            &app,
            "+243860000001",
            &[
                "Bonjour", "1", "85", "2090", "1988", "Kikwit", "Sarah", "32", "12", "Banza", "oui",
            ],
        )
        .await;
        // Someone who gives a one-letter place, then stops (5).
        say_all(
            &app,
            "+243860000002",
            &["Bonjour", "1", "1970", "K", "STOP"],
        )
        .await;

        let m = metrics(&app).await;
        let value = |key: &str| m.get(key).copied().unwrap_or(0.0);
        let messages = 6.0 * 8.0 + 2.0 * 8.0 + 11.0 + 5.0;
        for (key, expected) in [
            ("ciu_messages_total{channel=\"twilio\"}", messages),
            (
                "ciu_webhook_duration_seconds_count{channel=\"twilio\"}",
                messages,
            ),
            ("ciu_conversations_started_total", 10.0),
            ("ciu_conversations_completed_total", 9.0),
            ("ciu_codes_total{kind=\"new\"}", 7.0),
            ("ciu_codes_total{kind=\"existing\"}", 2.0),
            ("ciu_validation_failures_total{step=\"birth_year\"}", 2.0),
            (
                "ciu_validation_failures_total{step=\"mother_birthplace\"}",
                1.0,
            ),
            ("ciu_validation_failures_total{step=\"first_name\"}", 0.0),
            ("ciu_validation_failures_total{step=\"birth_day\"}", 1.0),
            ("ciu_validation_failures_total{step=\"last_name\"}", 0.0),
            (
                "ciu_conversations_ended_early_total{reason=\"stopped\"}",
                1.0,
            ),
            ("ciu_code_collisions_total", 0.0),
            ("ciu_active_sessions", 0.0),
        ] {
            assert_eq!(value(key), expected, "{key}");
        }
    })
    .await;
}

#[tokio::test]
async fn every_response_names_its_request() {
    for_each_database(|url| async move {
        let app = spawn_app(&url, &[]).await;
        let id_of = |response: &reqwest::Response| {
            response.headers()["x-request-id"]
                .to_str()
                .unwrap()
                .to_owned()
        };
        let health = |id: Option<&'static str>| {
            let mut request = app.client.get(format!("{}/health", app.address));
            if let Some(id) = id {
                request = request.header("X-Request-Id", id);
            }
            request.send()
        };
        let first = id_of(&health(None).await.unwrap());
        let second = id_of(&health(None).await.unwrap());
        assert_eq!(first.len(), 32);
        assert!(first.bytes().all(|b| b.is_ascii_hexdigit()), "{first}");
        assert_ne!(first, second);
        // nginx's id is kept; anything that could forge a log line is replaced.
        let nginx = "4f1c9e0a2b3d4e5f60718293a4b5c6d7";
        assert_eq!(id_of(&health(Some(nginx)).await.unwrap()), nginx);
        let forged = id_of(&health(Some("a\" b")).await.unwrap());
        assert_ne!(forged, "a\" b");
        assert_eq!(forged.len(), 32);
        // Webhook replies and errors carry one too.
        let response = app
            .client
            .post(format!("{}/whatsapp/webhook", app.address))
            .body("%ZZ")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        assert_eq!(id_of(&response).len(), 32);
    })
    .await;
}

/// On PostgreSQL, `serve` says at start when the server's autovacuum is off (the
/// registry's statistics would go stale), and only then.
#[tokio::test]
async fn serve_warns_when_postgresql_never_analyzes() {
    let Some(server) = crate::common::postgres_server() else {
        return;
    };
    let (name, url) = crate::common::create_postgres_database(&server).await;
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let setting: String = sqlx::query_scalar("SHOW autovacuum")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    let dir = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ciu"))
        .arg("serve")
        .current_dir(dir.path())
        .env("DATABASE_URL", &url)
        .env("UIC_SALT", crate::helpers::SALT)
        .env("PORT", "0")
        .env("FLOW_PATH", root.join("flows/ciu.yaml"))
        .env("LOCALES_DIR", root.join("locales"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let logs = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut logs = String::new();
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            logs.push_str(&line);
            logs.push('\n');
            if line.contains("listening") {
                break;
            }
        }
        logs
    })
    .await
    .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    crate::common::drop_postgres_database(&server, &name).await;
    assert!(logs.contains("listening"), "{logs}");
    assert_eq!(
        logs.contains("autovacuum est désactivé"),
        setting == "off",
        "autovacuum = {setting}: {logs}"
    );
}
