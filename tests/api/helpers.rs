//! `spawn_app`: the real server (same build path as production) on port 0 against a
//! fresh database, and a small Twilio-like client.

use std::collections::HashMap;
use std::path::Path;

use ciu::config::Settings;
use ciu::startup::Application;

pub const SALT: &str = "Api-test-salt-0123456789-xyz";

pub struct TestApp {
    pub address: String,
    pub database_url: String,
    pub client: reqwest::Client,
    /// Keeps the server's working directory alive as long as the app.
    pub _dir: tempfile::TempDir,
    /// The in-process server (none for a server run as a child process).
    pub server: Option<InProcessServer>,
}

pub struct InProcessServer {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// Extra environment for a test, on top of a development configuration.
pub type Overrides<'a> = &'a [(&'a str, &'a str)];

pub async fn spawn_app(database_url: &str, overrides: Overrides<'_>) -> TestApp {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let mut env: HashMap<String, String> = HashMap::from([
        ("DATABASE_URL".into(), database_url.to_owned()),
        ("UIC_SALT".into(), SALT.into()),
        ("PORT".into(), "0".into()),
        ("HOST".into(), "127.0.0.1".into()),
        (
            "FLOW_PATH".into(),
            root.join("flows/ciu.yaml").display().to_string(),
        ),
        (
            "LOCALES_DIR".into(),
            root.join("locales").display().to_string(),
        ),
        ("RATE_LIMIT_PER_MINUTE".into(), "0".into()),
    ]);
    for (k, v) in overrides {
        env.insert((*k).into(), (*v).into());
    }
    let settings = Settings::from_lookup(|name| env.get(name).cloned(), dir.path())
        .unwrap_or_else(|e| panic!("test settings: {e}"));
    let app = Application::build(settings).await.expect("the app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    TestApp {
        address,
        database_url: database_url.to_owned(),
        client: reqwest::Client::new(),
        _dir: dir,
        server: Some(InProcessServer { stop, task: server }),
    }
}

pub struct Reply {
    pub status: u16,
    pub body: String,
}

impl Reply {
    /// The text of every <Message>, unescaped.
    pub fn messages(&self) -> Vec<String> {
        self.body
            .split("<Message>")
            .skip(1)
            .map(|m| {
                m.split("</Message>")
                    .next()
                    .unwrap_or_default()
                    .replace("&apos;", "'")
                    .replace("&quot;", "\"")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&amp;", "&")
            })
            .collect()
    }

    pub fn text(&self) -> String {
        self.messages().join("\n")
    }

    /// The CIU in the reply (between the monospace marks).
    pub fn code(&self) -> Option<String> {
        let text = self.text();
        let start = text.find("```")? + 3;
        let end = start + text[start..].find("```")?;
        Some(text[start..end].to_owned())
    }
}

impl TestApp {
    /// Stops the server and its background workers, as SIGTERM would.
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            let _ = server.stop.send(());
            server.task.await.unwrap().unwrap();
        }
    }

    pub async fn post_form(&self, params: &[(&str, &str)], headers: &[(&str, &str)]) -> Reply {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        self.post_raw(body.into_bytes(), headers).await
    }

    pub async fn post_raw(&self, body: Vec<u8>, headers: &[(&str, &str)]) -> Reply {
        let mut request = self
            .client
            .post(format!("{}/whatsapp/webhook", self.address))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let response = request.send().await.expect("request sent");
        Reply {
            status: response.status().as_u16(),
            body: response.text().await.unwrap(),
        }
    }

    /// A WhatsApp message as Twilio would post it.
    pub async fn say(&self, phone: &str, body: &str, sid: Option<&str>) -> Reply {
        let from = format!("whatsapp:{phone}");
        let mut params = vec![("From", from.as_str()), ("Body", body), ("NumMedia", "0")];
        if let Some(sid) = sid {
            params.push(("MessageSid", sid));
        }
        self.post_form(&params, &[]).await
    }

    /// A whole French conversation from the first message to the result.
    pub async fn conversation(&self, phone: &str, answers: &[&str]) -> Reply {
        self.say(phone, "Bonjour", None).await;
        self.say(phone, "1", None).await;
        for answer in answers {
            let reply = self.say(phone, answer, None).await;
            assert_eq!(reply.status, 200, "{}", reply.body);
        }
        self.say(phone, "oui", None).await
    }

    /// How many codes the registry holds.
    pub async fn codes_in_registry(&self) -> i64 {
        let store = ciu::store::Store::connect(&self.database_url)
            .await
            .unwrap();
        store.stats(chrono::Utc::now()).await.unwrap().total_codes
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        let response = self
            .client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }
}
