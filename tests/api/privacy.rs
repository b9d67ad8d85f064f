//! After real conversations, no answer is anywhere in the database or the logs, and the
//! phone number is not stored in clear (hashed by default).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use crate::common::for_each_database;
use crate::helpers::{spawn_app, TestApp};

const ANSWERS: [&str; 5] = ["1977", "Kikwit", "Zephirin", "21", "Mukendi"];
/// Full answers (as typed, normalized and in their canonical spelling: PH → F); the code
/// holds only fragments (KIKW, ZEF, MUKE).
const SECRETS: [&str; 7] = [
    "Kikwit", "KIKWIT", "Zephirin", "ZEPHIRIN", "ZEFIRIN", "Mukendi", "MUKENDI",
];
const PHONE: &str = "+243812345678";

/// Everything the database holds, as bytes: the SQLite files, or a pg_dump.
pub fn database_bytes(url: &str) -> Vec<u8> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        let mut bytes = Vec::new();
        for suffix in ["", "-wal", "-shm"] {
            if let Ok(b) = std::fs::read(format!("{path}{suffix}")) {
                bytes.extend(b);
            }
        }
        bytes
    } else {
        let out = Command::new("pg_dump")
            .arg("--data-only")
            .arg(url)
            .output()
            .expect("pg_dump runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }
}

pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

async fn converse(app: &TestApp) {
    let reply = app.conversation(PHONE, &ANSWERS).await;
    assert!(
        reply.code().unwrap().starts_with("977-KIKW-21-ZEF-MUKE-"),
        "{}",
        reply.body
    );
    // A conversation left half-way: its answers are in the (sealed) session only.
    app.say("+243812345679", "Bonjour", None).await;
    app.say("+243812345679", "1", None).await;
    app.say("+243812345679", "1977", None).await;
    app.say("+243812345679", "Kikwit", None).await;
}

#[tokio::test]
async fn no_answer_and_no_clear_phone_at_rest() {
    for_each_database(|url| async move {
        let app = Arc::new(spawn_app(&url, &[]).await);
        converse(&app).await;
        let bytes = database_bytes(&url);
        assert!(
            contains(&bytes, "977-KIKW-21-ZEF-MUKE-"),
            "the dump does contain the code"
        );
        for secret in SECRETS {
            assert!(!contains(&bytes, secret), "{secret} found in the database");
        }
        assert!(
            !contains(&bytes, PHONE) && !contains(&bytes, &PHONE[1..]),
            "phone stored in clear"
        );
    })
    .await;
}

/// The real binary, logging at DEBUG in JSON: answers never appear, phones only masked.
#[tokio::test]
async fn no_answer_in_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_ciu"))
        .arg("serve")
        .current_dir(dir.path())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("ciu.db").display()),
        )
        .env("UIC_SALT", crate::helpers::SALT)
        .env("PORT", "0")
        .env("LOG_LEVEL", "DEBUG")
        .env("LOG_JSON", "true")
        .env("FLOW_PATH", root.join("flows/ciu.yaml"))
        .env("LOCALES_DIR", root.join("locales"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let mut logs = Vec::new();
    let address = loop {
        let line = lines_rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("the server logs its address");
        logs.push(line.clone());
        if line.contains("listening") {
            let value: serde_json::Value = serde_json::from_str(&line).unwrap();
            break value["address"].as_str().unwrap().to_owned();
        }
    };
    let app = TestApp {
        address: format!("http://{address}"),
        database_url: String::new(),
        client: reqwest::Client::new(),
        _dir: tempfile::tempdir().unwrap(),
        server: None,
    };
    converse(&app).await;
    app.say(PHONE, "x".repeat(500).as_str(), Some("SM-log"))
        .await;
    // A redelivery, logged inside its request's span under the id nginx gave it.
    let from = format!("whatsapp:{PHONE}");
    app.post_form(
        &[
            ("From", from.as_str()),
            ("Body", "x"),
            ("MessageSid", "SM-log"),
        ],
        &[("X-Request-Id", "req-duplicate-42")],
    )
    .await;
    child.kill().unwrap();
    let _ = child.wait();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    // Until the reader thread reaches the end of the killed server's output.
    logs.extend(lines_rx.iter());
    let duplicate = logs
        .iter()
        .find(|line| line.contains("duplicate delivery"))
        .expect("the redelivery is logged");
    let duplicate: serde_json::Value = serde_json::from_str(duplicate).unwrap();
    assert_eq!(duplicate["span"]["id"], "req-duplicate-42", "{duplicate}");
    assert_eq!(duplicate["phone"], "+243*****5678", "{duplicate}");
    let all = format!("{}\n{stderr}", logs.join("\n"));
    assert!(
        all.contains("\"request\""),
        "request spans are logged: {all}"
    );
    for secret in SECRETS {
        assert!(!all.contains(secret), "{secret} in the logs:\n{all}");
    }
    assert!(
        !all.contains(&PHONE[1..]),
        "phone in clear in the logs:\n{all}"
    );
    assert!(!all.contains(crate::helpers::SALT), "salt in the logs");
}
