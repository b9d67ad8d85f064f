//! The staff console over HTTP (tests/browser.rs drives it in a real browser): who may
//! open it, its cookies and form tokens, sign-in tries slowed down, sessions kept in the
//! database (honoured by every instance), the CSV export's dates, page sizes.

use std::sync::Arc;

use crate::common::{
    create_postgres_database, drop_postgres_database, for_each_database, postgres_server,
};
use crate::helpers::{spawn_app, TestApp};

const PASSWORD: &str = "Console-Api-Test-2026";

/// A browser of the console: its own cookies, no automatic redirects.
struct Browser {
    client: reqwest::Client,
    address: String,
}

impl Browser {
    fn new(app: &TestApp) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            address: app.address.clone(),
        }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .unwrap()
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.address))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Opens the sign-in page and sends `password` with the form's token; returns the
    /// answer.
    async fn sign_in(&self, password: &str) -> reqwest::Response {
        let page = self.get("/console/connexion").await.text().await.unwrap();
        let token = hidden(&page, "csrf");
        self.post(
            "/console/connexion",
            &[("password", password), ("csrf", &token)],
        )
        .await
    }

    /// The session's form token, read from a signed-in page.
    async fn form_token(&self) -> String {
        let page = self.get("/console/export").await.text().await.unwrap();
        hidden(&page, "csrf")
    }
}

fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

/// The digests of the sessions the database keeps.
async fn session_digests(database_url: &str) -> Vec<Vec<u8>> {
    let sql = "SELECT token_digest FROM console_sessions";
    let rows: Vec<(Vec<u8>,)> = if database_url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(database_url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&pool).await.unwrap()
    } else {
        let pool = sqlx::PgPool::connect(database_url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&pool).await.unwrap()
    };
    rows.into_iter().map(|(digest,)| digest).collect()
}

/// The session token of a sign-in's answer.
fn session_token(signed_in: &reqwest::Response) -> String {
    let cookie = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("ciu_console="))
        .expect("a session cookie");
    cookie["ciu_console=".len()..]
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

fn location(response: &reqwest::Response) -> &str {
    response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

#[tokio::test]
async fn there_is_no_console_without_a_password() {
    for_each_database(|url| async move {
        let app = spawn_app(&url, &[]).await;
        let (status, _) = app.get("/console").await;
        assert_eq!(status, 404);
        let (status, _) = app.get("/console/connexion").await;
        assert_eq!(status, 404);
    })
    .await;
}

#[tokio::test]
async fn signing_in_out_and_forms_without_their_token() {
    for_each_database(|url| async move {
        let app = spawn_app(
            &url,
            &[
                ("CONSOLE_PASSWORD", PASSWORD),
                ("PUBLIC_BASE_URL", "https://ciu.example.cd"),
            ],
        )
        .await;
        let browser = Browser::new(&app);
        let first = browser.get("/console").await;
        assert_eq!(first.status(), 303);
        assert_eq!(location(&first), "/console/connexion");

        let wrong = browser.sign_in("console-api-test-2026").await;
        assert_eq!(wrong.status(), 401);
        assert!(wrong
            .text()
            .await
            .unwrap()
            .contains("Mot de passe incorrect."));
        let no_token = browser
            .post("/console/connexion", &[("password", PASSWORD)])
            .await;
        assert_eq!(
            no_token.status(),
            403,
            "a sign-in form must carry its token"
        );

        let right = browser.sign_in(PASSWORD).await;
        assert_eq!(right.status(), 303);
        assert_eq!(location(&right), "/console");
        let cookie = right
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|c| c.starts_with("ciu_console="))
            .expect("a session cookie");
        for attribute in [
            "HttpOnly",
            "SameSite=Strict",
            "Secure",
            "Path=/console",
            "Max-Age=28800",
        ] {
            assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
        }
        // Only a digest of the token is kept.
        let token = cookie["ciu_console=".len()..].split(';').next().unwrap();
        let kept = session_digests(&url).await;
        assert_eq!(kept.len(), 1);
        assert!(!kept[0].windows(token.len()).any(|w| w == token.as_bytes()));
        assert_ne!(hex::encode(&kept[0]), token);

        let dashboard = browser.get("/console").await;
        assert_eq!(dashboard.status(), 200);
        assert_eq!(dashboard.headers()["cache-control"], "no-store");
        assert!(dashboard.text().await.unwrap().contains("Tableau de bord"));

        let refused = browser
            .post("/console/deconnexion", &[("csrf", "forged")])
            .await;
        assert_eq!(refused.status(), 403);
        assert!(refused.text().await.unwrap().contains("Formulaire refusé"));
        assert_eq!(
            browser.get("/console").await.status(),
            200,
            "still signed in"
        );

        let token_field = browser.form_token().await;
        let out = browser
            .post("/console/deconnexion", &[("csrf", &token_field)])
            .await;
        assert_eq!(out.status(), 303);
        assert_eq!(location(&out), "/console/connexion");
        assert_eq!(browser.get("/console").await.status(), 303);
        assert!(
            session_digests(&url).await.is_empty(),
            "the session is erased"
        );
        // The old cookie, replayed, opens nothing.
        let replay = app
            .client
            .get(format!("{}/console", app.address))
            .header("cookie", format!("ciu_console={token}"))
            .send()
            .await
            .unwrap();
        assert!(replay.url().path().ends_with("/console/connexion"));
    })
    .await;
}

#[tokio::test]
async fn a_new_password_ends_every_session() {
    for_each_database(|url| async move {
        let before = spawn_app(&url, &[("CONSOLE_PASSWORD", PASSWORD)]).await;
        let signed_in = Browser::new(&before).sign_in(PASSWORD).await;
        assert_eq!(signed_in.status(), 303);
        let token = session_token(&signed_in);
        let open = |app: &TestApp| {
            let request = app
                .client
                .get(format!("{}/console", app.address))
                .header("cookie", format!("ciu_console={token}"));
            async move { request.send().await.unwrap().url().path().to_owned() }
        };
        assert_eq!(open(&before).await, "/console");

        // The deployer changes the password and restarts: the old session opens nothing.
        let changed = spawn_app(&url, &[("CONSOLE_PASSWORD", "Another-Password-2026")]).await;
        assert_eq!(open(&changed).await, "/console/connexion");
        // With the password it was opened under, it is still there.
        let same = spawn_app(&url, &[("CONSOLE_PASSWORD", PASSWORD)]).await;
        assert_eq!(open(&same).await, "/console");
    })
    .await;
}

#[tokio::test]
async fn a_form_from_another_site_spends_no_sign_in_try() {
    for_each_database(|url| async move {
        let app = spawn_app(&url, &[("CONSOLE_PASSWORD", PASSWORD)]).await;
        // Another site's page posts to the console: its browser sends no SameSite
        // cookie, so no form token matches. Refused (403) without counting as a try.
        for _ in 0..10 {
            let foreign = app
                .client
                .post(format!("{}/console/connexion", app.address))
                .form(&[("password", "devine"), ("csrf", "0123456789abcdef")])
                .send()
                .await
                .unwrap();
            assert_eq!(foreign.status(), 403);
        }
        let browser = Browser::new(&app);
        assert_eq!(browser.sign_in(PASSWORD).await.status(), 303);
    })
    .await;
}

#[tokio::test]
async fn sign_in_tries_are_slowed_down_per_address() {
    for_each_database(|url| async move {
        let app = spawn_app(&url, &[("CONSOLE_PASSWORD", PASSWORD)]).await;
        let browser = Browser::new(&app);
        let mut statuses = Vec::new();
        for _ in 0..6 {
            statuses.push(browser.sign_in("devine").await.status().as_u16());
        }
        assert_eq!(statuses, [401, 401, 401, 401, 401, 429]);
        // Even the right password waits now.
        let right = browser.sign_in(PASSWORD).await;
        assert_eq!(right.status(), 429);
        assert!(right
            .text()
            .await
            .unwrap()
            .contains("essais depuis cette adresse"));
        // Another address (nginx's X-Real-IP, trusted from this machine only) may try.
        let page = browser
            .get("/console/connexion")
            .await
            .text()
            .await
            .unwrap();
        let other = browser
            .client
            .post(format!("{}/console/connexion", app.address))
            .header("x-real-ip", "198.51.100.20")
            .form(&[("password", PASSWORD), ("csrf", &hidden(&page, "csrf"))])
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), 303);
    })
    .await;
}

#[tokio::test]
async fn the_export_keeps_the_codes_of_the_days_asked() {
    for_each_database(|url| async move {
        let app = spawn_app(&url, &[("CONSOLE_PASSWORD", PASSWORD)]).await;
        for (phone, name) in [("+243811110001", "Mwamba"), ("+243811110002", "Ngoyi")] {
            let reply = app
                .conversation(phone, &["1990", "Goma", "Odette", "3", name])
                .await;
            assert!(reply.code().is_some(), "{}", reply.body);
        }
        let browser = Browser::new(&app);
        assert_eq!(browser.sign_in(PASSWORD).await.status(), 303);
        let today = chrono::Utc::now().date_naive();
        let csv = |from: String, to: String| {
            let browser = &browser;
            async move {
                let response = browser
                    .get(&format!("/console/export.csv?du={from}&au={to}"))
                    .await;
                let status = response.status().as_u16();
                let disposition = response
                    .headers()
                    .get("content-disposition")
                    .map(|v| v.to_str().unwrap().to_owned());
                (status, disposition, response.text().await.unwrap())
            }
        };
        let (status, disposition, body) = csv(today.to_string(), today.to_string()).await;
        assert_eq!(status, 200);
        assert!(disposition
            .unwrap()
            .contains(&format!("registre-ciu-{today}-{today}.csv")));
        let lines: Vec<&str> = body.lines().collect();
        assert_eq!(
            lines[0],
            "uic_code,created_at,last_requested_at,request_count,flow_id,flow_version"
        );
        assert_eq!(lines.len(), 3, "{body}");
        assert!(!body.contains("Mwamba") && !body.contains("243811110001"));
        let yesterday = today - chrono::Duration::days(1);
        let (_, _, body) = csv(String::new(), yesterday.to_string()).await;
        assert_eq!(
            body.lines().count(),
            1,
            "only the header before today: {body}"
        );
        let (_, _, body) = csv(String::new(), String::new()).await;
        assert_eq!(body.lines().count(), 3);
        // Typed by hand, day first (a browser without a calendar): the same file.
        let french = today.format("%d/%m/%Y").to_string();
        let (status, disposition, by_hand) = csv(french.clone(), french).await;
        assert_eq!(status, 200);
        assert!(disposition
            .unwrap()
            .contains(&format!("registre-ciu-{today}-{today}.csv")));
        assert_eq!(by_hand.lines().count(), 3);
        let (status, _, body) = csv("2026-13-01".into(), String::new()).await;
        assert_eq!(status, 400);
        assert!(body.contains("Date invalide"));
    })
    .await;
}

#[tokio::test]
async fn pages_stay_small_and_hold_no_answer() {
    for_each_database(|url| async move {
        let app = spawn_app(&url, &[("CONSOLE_PASSWORD", PASSWORD)]).await;
        app.conversation("+243811120001", &["1990", "Goma", "Odette", "3", "Kalonji"])
            .await;
        let browser = Browser::new(&app);
        assert_eq!(browser.sign_in(PASSWORD).await.status(), 303);
        for path in [
            "/console",
            "/console?jours=90",
            "/console/flux",
            "/console/simulateur",
            "/console/export",
        ] {
            let response = browser.get(path).await;
            assert_eq!(response.status(), 200, "{path}");
            let page = response.text().await.unwrap();
            assert!(page.len() < 150 * 1024, "{path}: {} bytes", page.len());
            for secret in [
                "Kalonji",
                "KALONJI",
                "Odette",
                "ODETTE",
                "243811120001",
                "811120001",
            ] {
                assert!(!page.contains(secret), "{path} shows {secret}");
            }
        }
        // The simulator after a whole conversation, with its transcript.
        let token = browser.form_token().await;
        let mut history = String::new();
        let mut page = String::new();
        for message in [
            "Bonjour", "1", "1985", "Kinshasa", "Jean", "15", "Kabila", "OUI",
        ] {
            let response = browser
                .post(
                    "/console/simulateur",
                    &[
                        ("csrf", token.as_str()),
                        ("historique", history.as_str()),
                        ("message", message),
                    ],
                )
                .await;
            assert_eq!(response.status(), 200);
            page = response.text().await.unwrap();
            history = hidden(&page, "historique").replace("&#x2f;", "/");
        }
        assert!(page.contains("985-KINS-15-JEA-KABI-"));
        assert!(page.len() < 150 * 1024, "simulator: {} bytes", page.len());
        assert_eq!(
            app.codes_in_registry().await,
            1,
            "the simulator writes nothing"
        );
    })
    .await;
}

#[tokio::test]
async fn a_session_opened_on_one_instance_is_honoured_by_the_other() {
    let Some(server) = postgres_server() else {
        return;
    };
    let (name, url) = create_postgres_database(&server).await;
    let outcome = tokio::spawn(async move {
        let overrides = [("CONSOLE_PASSWORD", PASSWORD)];
        let first = Arc::new(spawn_app(&url, &overrides).await);
        let second = Arc::new(spawn_app(&url, &overrides).await);
        let on_first = Browser::new(&first);
        assert_eq!(on_first.sign_in(PASSWORD).await.status(), 303);
        let token = on_first.form_token().await;
        // Cookies do not depend on the port: the same browser, behind a load
        // balancer, now reaches the other instance.
        let on_second = Browser {
            client: on_first.client.clone(),
            address: second.address.clone(),
        };
        assert_eq!(on_second.get("/console").await.status(), 200);
        assert_eq!(
            on_second.form_token().await,
            token,
            "one form token for the session"
        );
        let out = on_second
            .post("/console/deconnexion", &[("csrf", &token)])
            .await;
        assert_eq!(out.status(), 303);
        assert_eq!(
            on_first.get("/console").await.status(),
            303,
            "signed out everywhere"
        );
    })
    .await;
    drop_postgres_database(&server, &name).await;
    if let Err(failure) = outcome {
        std::panic::resume_unwind(failure.into_panic());
    }
}

/// The code at the end of a simulator page.
fn simulated_code(page: &str) -> String {
    let start = page
        .rfind("985-KINS-15-JEA-KABI-")
        .unwrap_or_else(|| panic!("no code in the simulator: {page}"));
    page[start..start + "985-KINS-15-JEA-KABI-00000".len()].to_owned()
}

#[tokio::test]
async fn the_simulator_uses_the_services_salt_only_when_it_is_a_development_one() {
    let guide = ["1985", "Kinshasa", "Jean", "15", "Kabila"];
    // Without UIC_SALT (development): the installation's .ciu-dev-salt, which serve,
    // `ciu simulate` and the console share. With UIC_SALT: never that one.
    for (uic_salt, same_as_service) in [("", true), (crate::helpers::SALT, false)] {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("ciu.db").display());
        let app = spawn_app(
            &url,
            &[("CONSOLE_PASSWORD", PASSWORD), ("UIC_SALT", uic_salt)],
        )
        .await;
        let issued = app.conversation("+243811110009", &guide).await;
        let issued = issued.code().unwrap_or_else(|| panic!("{}", issued.body));

        let browser = Browser::new(&app);
        assert_eq!(browser.sign_in(PASSWORD).await.status(), 303);
        let token = browser.form_token().await;
        let history = ["Bonjour", "1"]
            .iter()
            .chain(guide.iter())
            .copied()
            .collect::<Vec<_>>()
            .join("\n");
        let page = browser
            .post(
                "/console/simulateur",
                &[
                    ("csrf", &token),
                    ("historique", &history),
                    ("message", "oui"),
                ],
            )
            .await
            .text()
            .await
            .unwrap();
        let simulated = simulated_code(&page);
        assert_eq!(
            simulated == issued,
            same_as_service,
            "{simulated} / {issued}"
        );
        assert_eq!(page.contains(".ciu-dev-salt"), same_as_service);
        assert_eq!(
            app.codes_in_registry().await,
            1,
            "the simulator wrote nothing"
        );
    }
}
