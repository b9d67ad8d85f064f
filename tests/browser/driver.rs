//! Debian's chromium, headless, driven over WebDriver: `chromedriver` started on a free
//! port by the test and killed with everything it started when the test ends, also on
//! a panic.

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};

const CHROMIUM: &str = "/usr/bin/chromium";
const INSTALL: &str = "apt-get install chromium chromium-driver";

/// A running `chromedriver`. Dropping it kills its process group: chromedriver and the
/// browsers it launched.
pub struct Chromedriver {
    child: Child,
    port: u16,
    /// The browser's profile, removed after the browser.
    profile: tempfile::TempDir,
}

impl Chromedriver {
    /// Starts chromedriver, or says why the test cannot run: `None` (with a note on
    /// stderr) on a developer's machine without the browser, a panic in CI (`CI=true`),
    /// where .ci/run installs it.
    pub fn start_or_skip() -> Option<Chromedriver> {
        let driver = find_in_path("chromedriver");
        let missing = match &driver {
            None => Some("chromedriver is not installed"),
            Some(_) if !Path::new(CHROMIUM).exists() => Some("/usr/bin/chromium is not installed"),
            Some(_) => None,
        };
        if let Some(missing) = missing {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{missing}: the browser test must run in CI ({INSTALL}, as .ci/run does)");
            }
            // Straight to stderr, past the test harness's capture: a developer sees it.
            let _ = writeln!(
                std::io::stderr().lock(),
                "skipped: install chromium chromium-driver to run the console's browser test ({missing})"
            );
            return None;
        }
        let port = free_port();
        let mut command = Command::new(driver.expect("found"));
        command
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Its own process group, so that the browsers it starts end with it.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command.spawn().expect("chromedriver starts");
        Some(Chromedriver {
            child,
            port,
            profile: tempfile::tempdir().unwrap(),
        })
    }

    /// A new headless browser session, in French.
    pub async fn browser(&self) -> Client {
        let url = format!("http://127.0.0.1:{}", self.port);
        let capabilities = serde_json::json!({
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--window-size=1280,1600",
                    "--lang=fr-FR",
                    format!("--user-data-dir={}", self.profile.path().display()),
                ],
                "prefs": { "intl.accept_languages": "fr-FR,fr" },
            }
        });
        let capabilities = match capabilities {
            serde_json::Value::Object(map) => map,
            _ => unreachable!(),
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        // chromedriver takes a moment to listen.
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            match ClientBuilder::new(connector.clone())
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => return client,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("no browser session from chromedriver on {url}: {e}"),
            }
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // The whole group: chromedriver and the chromium it launched.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find_in_path(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
