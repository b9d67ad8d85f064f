//! The deployment guide's own tests (`docs/fr/guide-de-deploiement.md`, 7.2 and 13),
//! over HTTP.

use crate::common::for_each_database;
use crate::helpers::spawn_app;

const GUIDE: [&str; 5] = ["1985", "Kinshasa", "Jean", "15", "Kabila"];

#[tokio::test]
async fn the_guides_curl_test_then_a_whole_conversation() {
    for_each_database(|url| async move {
        let app = spawn_app(&url, &[]).await;
        // curl -X POST .../whatsapp/webhook -d "From=whatsapp:+24399999999&Body=Test"
        let welcome = app
            .post_form(&[("From", "whatsapp:+24399999999"), ("Body", "Test")], &[])
            .await;
        assert_eq!(welcome.status, 200);
        assert!(welcome.body.starts_with("<?xml"), "{}", welcome.body);
        assert!(
            welcome.body.contains("<Response><Message>"),
            "{}",
            welcome.body
        );
        assert!(
            welcome.text().contains("Code Identificateur Unique"),
            "{}",
            welcome.body
        );

        let phone = "+24399999999";
        let question = app.say(phone, "1", None).await;
        assert!(question.text().contains("(1/5)"), "{}", question.body);
        for answer in GUIDE {
            app.say(phone, answer, None).await;
        }
        let result = app.say(phone, "oui", None).await;
        assert!(
            result.text().contains("Votre CIU a été généré"),
            "{}",
            result.body
        );
        let code = result.code().unwrap();
        assert!(code.starts_with("985-KINS-15-JEA-KABI-"), "{code}");

        // RESTART and the same answers: the existing code, "déjà généré".
        let restart = app.say(phone, "RESTART", None).await;
        assert!(restart.text().contains("(1/5)"), "{}", restart.body);
        for answer in GUIDE {
            app.say(phone, answer, None).await;
        }
        let again = app.say(phone, "1", None).await;
        assert!(again.text().contains("déjà été généré"), "{}", again.body);
        assert_eq!(again.code().unwrap(), code);

        // HELP works at any time.
        let help = app.say(phone, "HELP", None).await;
        assert!(help.text().contains("RECOMMENCER"), "{}", help.body);

        let (status, health) = app.get("/health").await;
        assert_eq!(status, 200);
        let health: serde_json::Value = serde_json::from_str(&health).unwrap();
        assert_eq!(health["status"], "healthy");
        assert_eq!(health["database"], "ok");
        assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
    })
    .await;
}

#[tokio::test]
async fn cleanup_needs_the_admin_token_and_reports_the_count() {
    for_each_database(|url| async move {
        let app = spawn_app(
            &url,
            &[
                ("ADMIN_TOKEN", "admin-token-0123456789abcdef"),
                ("SESSION_TIMEOUT_MINUTES", "1"),
            ],
        )
        .await;
        app.say("+243810000001", "Bonjour", None).await;
        let cleanup = |token: Option<&'static str>| {
            let mut request = app.client.post(format!("{}/whatsapp/cleanup", app.address));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            request.send()
        };
        assert_eq!(cleanup(None).await.unwrap().status(), 401);
        assert_eq!(cleanup(Some("wrong")).await.unwrap().status(), 401);
        let ok = cleanup(Some("admin-token-0123456789abcdef")).await.unwrap();
        assert_eq!(ok.status(), 200);
        let body: serde_json::Value = ok.json().await.unwrap();
        assert_eq!(body["status"], "success");
        assert_eq!(
            body["sessions_cleaned"], 0,
            "the session is not expired yet"
        );
    })
    .await;
}

#[tokio::test]
async fn metrics_count_what_happened() {
    for_each_database(|url| async move {
        let app = spawn_app(&url, &[]).await;
        app.conversation(
            "+243820000001",
            &["1985", "Kinshasa", "Jean", "15", "Kabila"],
        )
        .await;
        app.say("+243820000002", "Bonjour", None).await;
        app.say("+243820000002", "1", None).await;
        app.say("+243820000002", "85", None).await;
        let (status, text) = app.get("/metrics").await;
        assert_eq!(status, 200);
        for expected in [
            "ciu_conversations_completed_total 1",
            "ciu_codes_total{kind=\"new\"} 1",
            "ciu_validation_failures_total{step=\"birth_year\"} 1",
            "ciu_active_sessions 1",
            "ciu_webhook_duration_seconds_count{channel=\"twilio\"} 11",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
    })
    .await;
}

/// `ciu check` compares the derivation with the one that issued the stored codes, and
/// fails when they differ (`serve` would refuse to start).
#[tokio::test]
async fn check_fails_when_the_codes_would_change() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ciu.db").display());
    let app = spawn_app(&url, &[]).await;
    app.conversation("+243840000009", &GUIDE).await;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let check = |salt: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ciu"))
            .args(["check", "--flow"])
            .arg(root.join("flows/ciu.yaml"))
            .arg("--locales")
            .arg(root.join("locales"))
            .current_dir(dir.path())
            .env("UIC_SALT", salt)
            .env("DATABASE_URL", &url)
            .output()
            .unwrap();
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let (passed, same) = check(crate::helpers::SALT);
    assert!(passed, "{same}");
    assert!(same.contains("les codes ne changent pas"), "{same}");
    assert!(
        !same.contains(crate::helpers::SALT),
        "the salt is never printed"
    );
    let (passed, changed) = check("Another-salt-0123456789-abc");
    assert!(!passed, "{changed}");
    assert!(
        changed.contains("erreur") && changed.contains("AUTRE code"),
        "{changed}"
    );
    assert!(changed.contains("ciu derivation --accept"), "{changed}");
}
