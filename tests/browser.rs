//! The staff console (`/console`, src/console/) in a real browser: Debian's chromium,
//! headless, driven over WebDriver by chromedriver, against the real server on a fresh
//! database (SQLite always, PostgreSQL when `TEST_DATABASE_URL` is set). Scripted
//! conversations go through the Twilio webhook first; then a member of staff signs in,
//! reads the dashboard (checked against the database and against the script), the
//! flow, the export, uses the simulator, is refused a forged form, and signs out. No
//! page may show an answer or a phone number.
//!
//! Without chromedriver the test is skipped with a note (it fails when `CI=true`:
//! .ci/run installs Debian's chromium and chromium-driver). Screenshots of each page
//! go to target/console-screenshots/<backend>-<page>.png.

#[allow(dead_code)]
mod common;
#[allow(dead_code)]
#[path = "api/helpers.rs"]
mod helpers;

#[path = "browser/database.rs"]
mod database;
#[path = "browser/driver.rs"]
mod driver;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};

use database::Db;
use driver::Chromedriver;
use helpers::{spawn_app, TestApp};

const PASSWORD: &str = "Console-Test-Pass-2026";

/// The guide's answers (CUSTOMIZING_QUESTIONS.md): the flow view shows them as its
/// example, so they are not among the secrets below.
const GUIDE: [&str; 5] = ["1985", "Kinshasa", "Jean", "15", "Kabila"];
/// Another person, whose words appear in no flow, catalog or console text.
const ODETTE: [&str; 5] = ["1990", "Bolenge", "Odette", "7", "Bakajika"];
/// Odette again on another phone, with a slip of one letter in the family name: a new
/// code, paired with hers as a possible duplicate.
const ODETTE_SLIP: [&str; 5] = ["1990", "Bolenge", "Odette", "7", "Bakajiko"];

const PHONE_GUIDE: &str = "+243811000001";
const PHONE_ODETTE: &str = "+243811000002";
const PHONE_REFUSED: &str = "+243811000004";
const PHONE_SLIP: &str = "+243811000005";

/// What no console page may contain (compared without case): the words typed that no
/// flow text holds, and every phone number used (without its `+`).
const SECRETS: [&str; 8] = [
    "Bolenge",
    "Odette",
    "Bakajika",
    "Bakajiko",
    "243811000001",
    "243811000002",
    "243811000004",
    "243811000005",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_in_a_browser_on_sqlite() {
    let Some(driver) = Chromedriver::start_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ciu.db").display());
    within_a_minute(scenario(&driver, "sqlite", &url)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_in_a_browser_on_postgres() {
    let Some(server_url) = common::postgres_server() else {
        eprintln!("skipped on PostgreSQL: TEST_DATABASE_URL is not set");
        return;
    };
    let Some(driver) = Chromedriver::start_or_skip() else {
        return;
    };
    let (name, url) = common::create_postgres_database(&server_url).await;
    let outcome = tokio::spawn(async move {
        within_a_minute(scenario(&driver, "postgres", &url)).await;
    })
    .await;
    common::drop_postgres_database(&server_url, &name).await;
    if let Err(failure) = outcome {
        std::panic::resume_unwind(failure.into_panic());
    }
}

async fn within_a_minute(scenario: impl std::future::Future<Output = ()>) {
    if tokio::time::timeout(Duration::from_secs(60), scenario)
        .await
        .is_err()
    {
        panic!("the browser scenario took more than a minute");
    }
}

/// The codes the scripted conversations were given.
struct Script {
    guide: String,
    odette: String,
    slip: String,
}

/// Conversations through the Twilio webhook, as people would have them.
async fn run_the_script(app: &TestApp) -> Script {
    // Two people complete the conversation.
    let guide = app.conversation(PHONE_GUIDE, &GUIDE).await;
    let guide = guide
        .code()
        .unwrap_or_else(|| panic!("no code: {}", guide.body));
    assert!(guide.starts_with("985-KINS-15-JEA-KABI-"), "{guide}");
    let odette = app.conversation(PHONE_ODETTE, &ODETTE).await;
    let odette = odette
        .code()
        .unwrap_or_else(|| panic!("no code: {}", odette.body));
    // Odette comes back with the same answers: her code again, not a new one.
    // Her language is remembered: no menu this time.
    let welcome = app.say(PHONE_ODETTE, "Bonjour", None).await;
    assert!(welcome.text().contains("(1/5)"), "{}", welcome.body);
    for answer in ODETTE {
        app.say(PHONE_ODETTE, answer, None).await;
    }
    let again = app.say(PHONE_ODETTE, "oui", None).await;
    assert!(again.text().contains("déjà été généré"), "{}", again.body);
    assert_eq!(again.code().as_deref(), Some(odette.as_str()));
    // Someone gives a year refused, then stops.
    app.say(PHONE_REFUSED, "Bonjour", None).await;
    app.say(PHONE_REFUSED, "1", None).await;
    let refused = app.say(PHONE_REFUSED, "3000", None).await;
    assert_eq!(refused.status, 200);
    assert!(refused.code().is_none(), "{}", refused.body);
    let stopped = app.say(PHONE_REFUSED, "STOP", None).await;
    assert_eq!(stopped.status, 200, "{}", stopped.body);
    // A slip of one letter: another code, a possible duplicate of Odette's.
    let slip = app.conversation(PHONE_SLIP, &ODETTE_SLIP).await;
    let slip = slip
        .code()
        .unwrap_or_else(|| panic!("no code: {}", slip.body));
    assert_ne!(slip, odette);
    Script {
        guide,
        odette,
        slip,
    }
}

async fn scenario(driver: &Chromedriver, backend: &str, url: &str) {
    let started = Instant::now();
    let mut app = spawn_app(url, &[("CONSOLE_PASSWORD", PASSWORD)]).await;
    let script = run_the_script(&app).await;
    let db = Db::connect(url).await;
    let browser = driver.browser().await;
    let mut page = Page {
        browser: &browser,
        base: app.address.clone(),
        backend: backend.to_owned(),
        shots: screenshot_dir(),
        sources: Vec::new(),
    };
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // Signing in: /console sends to the sign-in page; a wrong password is refused.
    page.goto("/console").await;
    assert_eq!(page.path().await, "/console/connexion");
    assert_eq!(page.attr("html", "lang").await.as_deref(), Some("fr"));
    page.find("#password").await;
    assert!(page.find_all("#login-problem").await.is_empty());
    page.screenshot("sign-in").await;
    page.sign_in("not-the-password").await;
    assert_eq!(page.status().await, 401);
    assert_eq!(page.path().await, "/console/connexion");
    let problem = page.text("#login-problem").await;
    assert!(!problem.is_empty());
    page.screenshot("sign-in-refused").await;
    assert_eq!(db.count("SELECT COUNT(*) FROM console_sessions").await, 0);
    page.sign_in(PASSWORD).await;
    assert_eq!(page.path().await, "/console");
    assert!(page.find_all("#login-problem").await.is_empty());
    page.find("#fig-codes").await;
    assert_eq!(db.count("SELECT COUNT(*) FROM console_sessions").await, 1);

    // The session cookie: not for scripts, not sent from other sites.
    let session = browser.get_named_cookie("ciu_console").await.unwrap();
    assert_eq!(session.http_only(), Some(true), "{session}");
    assert_eq!(
        session.same_site(),
        Some(cookie::SameSite::Strict),
        "{session}"
    );
    let session_header = format!("ciu_console={}", session.value());

    // The dashboard's figures: what the database holds, and what the script implies.
    let counters = db.counters().await;
    let sum = |prefix: &str| -> i64 {
        counters
            .iter()
            .filter(|(name, _)| name.starts_with(prefix))
            .map(|(_, value)| value)
            .sum()
    };
    let codes = db.count("SELECT COUNT(*) FROM uic_records").await;
    let pairs = db.count("SELECT COUNT(*) FROM possible_duplicates").await;
    assert_eq!(
        (codes, sum("codes|new|"), sum("codes|returning|"), pairs),
        (3, 3, 1, 1)
    );
    for days in ["30", "90"] {
        page.goto(&format!("/console?jours={days}")).await;
        assert_eq!(
            page.attr(&format!("#period-{days}"), "aria-current")
                .await
                .as_deref(),
            Some("true")
        );
        assert_eq!(page.number("#fig-codes").await, codes);
        assert_eq!(page.number("#fig-new").await, sum("codes|new|"));
        assert_eq!(page.number("#fig-returning").await, sum("codes|returning|"));
        assert_eq!(page.number("#fig-duplicates").await, pairs);
        assert_eq!(page.number("#fig-collisions").await, 0);
        // The pair is listed by its two codes.
        let listed = page.text("#duplicates-table").await;
        assert!(
            listed.contains(&script.odette) && listed.contains(&script.slip),
            "{listed}"
        );
        check_funnel(&page, &counters).await;
        // The chart is drawn: an SVG image with a size.
        let chart = page.find("#codes svg[role=img]").await;
        let (_, _, width, height) = chart.rectangle().await.unwrap();
        assert!(width > 300.0 && height > 100.0, "{width}×{height}");
        page.record_source().await;
        if days == "30" {
            page.screenshot("dashboard").await;
        } else {
            page.screenshot("dashboard-90").await;
        }
    }

    // The flow as staff read it.
    page.goto("/console/flux").await;
    assert_eq!(page.path().await, "/console/flux");
    assert!(!page.text("h1").await.is_empty());
    page.record_source().await;
    page.screenshot("flow").await;

    // The export page, and its CSV downloaded with the session: one row per code.
    page.goto("/console/export").await;
    assert!(!page.text("h1").await.is_empty());
    page.find("#download").await;
    page.record_source().await;
    page.screenshot("export").await;
    let csv = http
        .get(format!("{}/console/export.csv", app.address))
        .header("Cookie", &session_header)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    let content_type = csv.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let csv = csv.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(ciu::reports::CSV_COLUMNS.join(",").as_str())
    );
    assert!(csv.starts_with("uic_code,created_at,"), "{csv}");
    let exported: BTreeSet<&str> = lines.map(|l| l.split(',').next().unwrap()).collect();
    let given = BTreeSet::from([
        script.guide.as_str(),
        script.odette.as_str(),
        script.slip.as_str(),
    ]);
    assert_eq!(exported, given, "{csv}");
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert_no_secret("the CSV export", &csv);

    // The simulator: the guide's conversation gives the guide's code, written nowhere.
    let counters_before = db.counters().await;
    page.goto("/console/simulateur").await;
    assert!(!page.text("#dev-salt").await.is_empty());
    let typed = [
        "Bonjour", "1", "1985", "Kinshasa", "Jean", "15", "Kabila", "OUI",
    ];
    for (n, message) in typed.iter().enumerate() {
        let field = page.find("#message").await;
        field.send_keys(message).await.unwrap();
        page.click_for_a_new_page("#send").await;
        assert_eq!(page.find_all(".msg.in").await.len(), n + 1);
    }
    assert_eq!(page.path().await, "/console/simulateur");
    assert_eq!(page.find_all(".msg.in").await.len(), typed.len());
    let replies = page.find_all(".msg.out").await;
    let last = replies
        .last()
        .expect("the bot answered")
        .text()
        .await
        .unwrap();
    assert!(last.contains("985-KINS-15-JEA-KABI-"), "{last}");
    page.find("#dev-salt").await;
    page.record_source().await;
    page.screenshot("simulator").await;
    assert_eq!(db.count("SELECT COUNT(*) FROM uic_records").await, codes);
    assert_eq!(db.counters().await, counters_before);

    // A form not from this console: refused, and the session stays.
    page.goto("/console").await;
    page.mark_the_page().await;
    browser
        .execute(
            "const form = document.createElement('form');
             form.method = 'post';
             form.action = '/console/deconnexion';
             const field = document.createElement('input');
             field.type = 'hidden';
             field.name = 'csrf';
             field.value = 'not-this-sessions-token';
             form.appendChild(field);
             document.body.appendChild(form);
             form.submit();",
            vec![],
        )
        .await
        .unwrap();
    page.wait_for_a_new_page().await;
    assert_eq!(page.path().await, "/console/deconnexion");
    assert_eq!(page.status().await, 403);
    assert_eq!(page.text("h1").await, "Formulaire refusé");
    page.find("#logout").await;
    page.record_source().await;
    page.screenshot("csrf-refused").await;
    assert_eq!(db.count("SELECT COUNT(*) FROM console_sessions").await, 1);
    page.goto("/console").await;
    assert_eq!(page.path().await, "/console");
    page.find("#fig-codes").await;
    // The same without a browser: with the session but no form token, 403.
    for (path, body) in [
        ("/console/deconnexion", ""),
        ("/console/simulateur", "message=Bonjour"),
        (
            "/console/deconnexion",
            "csrf=0123456789abcdef0123456789abcdef",
        ),
    ] {
        let response = http
            .post(format!("{}{path}", app.address))
            .header("Cookie", &session_header)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "POST {path} {body:?}");
    }
    assert_eq!(db.count("SELECT COUNT(*) FROM console_sessions").await, 1);

    // No page shows an answer or a number.
    for (path, source) in &page.sources {
        assert_no_secret(path, source);
    }

    // Signing out: back to the sign-in page, the session erased.
    page.click_for_a_new_page("#logout").await;
    assert_eq!(page.path().await, "/console/connexion");
    page.find("#password").await;
    assert_eq!(db.count("SELECT COUNT(*) FROM console_sessions").await, 0);
    page.goto("/console").await;
    assert_eq!(page.path().await, "/console/connexion");
    let old_cookie = http
        .get(format!("{}/console", app.address))
        .header("Cookie", &session_header)
        .send()
        .await
        .unwrap();
    assert_eq!(old_cookie.status(), 303);
    assert_eq!(old_cookie.headers()["location"], "/console/connexion");

    browser.clone().close().await.unwrap();
    db.close().await;
    app.stop().await;
    eprintln!(
        "console in a browser on {backend}: {:.1} s, screenshots in {}",
        started.elapsed().as_secs_f64(),
        page.shots.display()
    );
}

/// The funnel table, row by row: the database's counters, and what the script implies:
/// four language menus (Odette's language is remembered when she comes back), five
/// conversations at the first question, four completed, one year refused then STOP.
async fn check_funnel(page: &Page<'_>, counters: &std::collections::BTreeMap<String, i64>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let flow = ciu::flow::load(&root.join("flows/ciu.yaml"), &root.join("locales"))
        .unwrap_or_else(|_| panic!("the default flow loads"))
        .flow;
    let stages = ciu::flow::funnel::stages(&flow);
    let rows: Vec<Vec<String>> = serde_json::from_value(
        page.browser
            .execute(
                "return Array.from(document.querySelectorAll('#funnel-table tbody tr'))
                   .map(tr => Array.from(tr.querySelectorAll('th, td')).map(c => c.textContent.trim()));",
                vec![],
            )
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(rows.len(), stages.len(), "{rows:?}");
    let measures = [
        "reached",
        "answered",
        "refused",
        "left_expired",
        "left_stopped",
        "left_attempts",
    ];
    for (stage, row) in stages.iter().zip(&rows) {
        let shown: Vec<i64> = row[1..7].iter().map(|c| c.parse().unwrap()).collect();
        let stored: Vec<i64> = measures
            .iter()
            .map(|m| {
                counters
                    .get(&format!("funnel|{stage}|{m}"))
                    .copied()
                    .unwrap_or(0)
            })
            .collect();
        assert_eq!(shown, stored, "stage {stage}: {row:?}");
        let implied = match stage.as_str() {
            "language" => [4, 4, 0, 0, 0, 0],
            "birth_year" => [5, 4, 1, 0, 1, 0],
            _ => [4, 4, 0, 0, 0, 0],
        };
        assert_eq!(shown, implied, "stage {stage}: {row:?}");
        // French: a decimal comma and a no-break space before %.
        let drop_off = if stage == "birth_year" {
            "20,0\u{a0}%"
        } else {
            "0,0\u{a0}%"
        };
        assert_eq!(row[7], drop_off, "stage {stage}: {row:?}");
    }
}

fn assert_no_secret(what: &str, text: &str) {
    let text = text.to_lowercase();
    for secret in SECRETS {
        assert!(
            !text.contains(&secret.to_lowercase()),
            "{what} shows {secret:?}, typed in a conversation"
        );
    }
}

fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("console-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The browser, on the console.
struct Page<'a> {
    browser: &'a Client,
    base: String,
    backend: String,
    shots: PathBuf,
    /// Each page's source, by path, to look for answers.
    sources: Vec<(String, String)>,
}

impl Page<'_> {
    async fn goto(&self, path: &str) {
        self.browser
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    }

    async fn path(&self) -> String {
        self.browser.current_url().await.unwrap().path().to_owned()
    }

    /// Marks the document shown, so that its replacement can be told apart.
    async fn mark_the_page(&self) {
        self.browser
            .execute("document.documentElement.dataset.seen = '1';", vec![])
            .await
            .unwrap();
    }

    /// Waits until a new document (not the marked one) is loaded.
    async fn wait_for_a_new_page(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            // While the old page unloads the script may fail: try again.
            let loaded = self
                .browser
                .execute(
                    "return document.documentElement.dataset.seen === undefined
                        && document.readyState === 'complete';",
                    vec![],
                )
                .await
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            if loaded {
                return;
            }
            assert!(Instant::now() < deadline, "no new page after 10 s");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Clicks a button that sends a form, and waits for the page answered.
    async fn click_for_a_new_page(&self, css: &str) {
        self.mark_the_page().await;
        self.find(css).await.click().await.unwrap();
        self.wait_for_a_new_page().await;
    }

    /// The HTTP status of the page shown (Navigation Timing).
    async fn status(&self) -> u16 {
        let status = self
            .browser
            .execute(
                "return performance.getEntriesByType('navigation')[0].responseStatus;",
                vec![],
            )
            .await
            .unwrap();
        status.as_u64().expect("a status") as u16
    }

    async fn find(&self, css: &str) -> fantoccini::elements::Element {
        let found = self
            .browser
            .wait()
            .at_most(Duration::from_secs(5))
            .for_element(Locator::Css(css))
            .await;
        match found {
            Ok(element) => element,
            Err(e) => panic!("no {css} on {}: {e}", self.path().await),
        }
    }

    async fn find_all(&self, css: &str) -> Vec<fantoccini::elements::Element> {
        self.browser.find_all(Locator::Css(css)).await.unwrap()
    }

    async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap().trim().to_owned()
    }

    async fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.find(css).await.attr(name).await.unwrap()
    }

    async fn number(&self, css: &str) -> i64 {
        let text = self.text(css).await;
        text.parse()
            .unwrap_or_else(|_| panic!("{css} is not a number: {text:?}"))
    }

    async fn sign_in(&self, password: &str) {
        let field = self.find("#password").await;
        field.clear().await.unwrap();
        field.send_keys(password).await.unwrap();
        self.click_for_a_new_page("#login").await;
    }

    async fn record_source(&mut self) {
        let path = self.browser.current_url().await.unwrap();
        let source = self.browser.source().await.unwrap();
        self.sources.push((path.to_string(), source));
    }

    /// The whole page as a PNG (the window made as tall as the page and its frame).
    async fn screenshot(&self, name: &str) {
        let height = self
            .browser
            .execute(
                "return document.documentElement.scrollHeight + window.outerHeight - window.innerHeight;",
                vec![],
            )
            .await
            .unwrap()
            .as_f64()
            .unwrap_or(1600.0);
        let height = (height.ceil() as u32).clamp(1600, 8000);
        self.browser.set_window_size(1280, height).await.unwrap();
        let png = self.browser.screenshot().await.unwrap();
        let file = self.shots.join(format!("{}-{name}.png", self.backend));
        std::fs::write(&file, png).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        self.browser.set_window_size(1280, 1600).await.unwrap();
    }
}
