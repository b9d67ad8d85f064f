//! Faults under load ("nothing is lost"): the `ciu serve` binary killed with
//! SIGKILL in the middle of a load and restarted on the same database, and (opt-in,
//! `CIU_FAULT_TESTS=1`) a private PostgreSQL server stopped and started under load.
//!
//! The load is driven like Twilio drives it: a message that got no 200 is sent again,
//! later, with the same `MessageSid`. Whatever the fault, every code a client received
//! is in the registry, interrupted conversations continue where they were, and the
//! tables agree with each other.

#[path = "common/mod.rs"]
mod common;

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ciu::bench::{code_in, conversation_messages, twilio_form};
use sqlx::{PgPool, SqlitePool};

const SALT: &str = "Fault-test-salt-0123456789-xyz";

/// A `ciu serve` child process, killed when dropped.
struct Server {
    child: Child,
    webhook: String,
    base: String,
}

impl Server {
    fn start(database_url: &str, dir: &Path) -> Server {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_ciu"))
            .arg("serve")
            .current_dir(dir)
            .env("DATABASE_URL", database_url)
            .env("UIC_SALT", SALT)
            .env("HOST", "127.0.0.1")
            .env("PORT", "0")
            .env("LOG_JSON", "true")
            .env("LOG_LEVEL", "INFO")
            .env("RATE_LIMIT_PER_MINUTE", "0")
            .env("FLOW_PATH", root.join("flows/ciu.yaml"))
            .env("LOCALES_DIR", root.join("locales"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("ciu serve starts");
        let stdout = child.stdout.take().unwrap();
        let (address_tx, address_rx) = std::sync::mpsc::channel();
        // Reads the log to its end, so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.contains("listening") {
                    let value: serde_json::Value = serde_json::from_str(&line).unwrap();
                    let _ = address_tx.send(value["address"].as_str().unwrap().to_owned());
                }
            }
        });
        let address = address_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the server logs the address it listens on");
        Server {
            child,
            webhook: format!("http://{address}/whatsapp/webhook"),
            base: format!("http://{address}"),
        }
    }

    fn kill(&mut self) {
        // `Child::kill` is SIGKILL: no shutdown code runs.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Conversations still to do: (person, index of the next message to send).
type Queue = Arc<Mutex<VecDeque<(usize, usize)>>>;

#[derive(Default)]
struct Outcome {
    /// Person → the code the client received.
    delivered: HashMap<usize, String>,
    /// Conversations left half-way: (person, message that got no 200).
    interrupted: Vec<(usize, usize)>,
    /// Status of every failed request (0 for no HTTP answer at all).
    failures: Vec<u16>,
}

struct Load {
    http: reqwest::Client,
    phone_prefix: &'static str,
    /// Codes received so far, to strike in the middle of the load.
    codes_received: AtomicUsize,
}

impl Load {
    fn new(phone_prefix: &'static str) -> Load {
        Load {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
            phone_prefix,
            codes_received: AtomicUsize::new(0),
        }
    }

    fn phone(&self, person: usize) -> String {
        format!("+243{}{person:05}", self.phone_prefix)
    }

    /// Sends message `n` of `person`'s conversation. The id is the same on every
    /// attempt, as with Twilio's retries.
    async fn send(&self, url: &str, person: usize, n: usize) -> Result<String, u16> {
        let text = &conversation_messages(person)[n];
        let sid = format!("SM{}{person:05}{n:02}", self.phone_prefix);
        let response = self
            .http
            .post(url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(twilio_form(&self.phone(person), text, &sid))
            .send()
            .await
            .map_err(|_| 0u16)?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(|_| status)?;
        if status == 200 {
            Ok(body)
        } else {
            Err(status)
        }
    }

    /// Runs the queued conversations `in_flight` at a time. A worker whose request fails
    /// notes where its conversation stopped and quits: the server (or its database) is
    /// down, and the rest waits for the next run. With `retry_unavailable`, a 503 is
    /// first retried a few times, as Twilio does (after an outage, a pooled connection
    /// that broke with the database fails once).
    async fn run(
        self: &Arc<Self>,
        url: &str,
        queue: Queue,
        in_flight: usize,
        retry_unavailable: bool,
    ) -> Outcome {
        let outcome = Arc::new(Mutex::new(Outcome::default()));
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..in_flight {
            let (load, url, queue, outcome) =
                (self.clone(), url.to_owned(), queue.clone(), outcome.clone());
            workers.spawn(async move {
                loop {
                    let Some((person, from)) = queue.lock().unwrap().pop_front() else {
                        return;
                    };
                    let total = conversation_messages(person).len();
                    for n in from..total {
                        let mut answer = load.send(&url, person, n).await;
                        for _ in 0..5 {
                            if !(retry_unavailable && answer == Err(503)) {
                                break;
                            }
                            tokio::time::sleep(Duration::from_millis(200)).await;
                            answer = load.send(&url, person, n).await;
                        }
                        match answer {
                            Ok(reply) if n + 1 == total => {
                                let code = code_in(&reply)
                                    .unwrap_or_else(|| panic!("no code at the end: {reply}"));
                                load.codes_received.fetch_add(1, Ordering::Relaxed);
                                outcome
                                    .lock()
                                    .unwrap()
                                    .delivered
                                    .insert(person, code.to_owned());
                            }
                            Ok(_) => {}
                            Err(status) => {
                                let mut outcome = outcome.lock().unwrap();
                                outcome.interrupted.push((person, n));
                                outcome.failures.push(status);
                                return;
                            }
                        }
                    }
                }
            });
        }
        while let Some(done) = workers.join_next().await {
            done.expect("a load worker panicked");
        }
        Arc::into_inner(outcome).unwrap().into_inner().unwrap()
    }
}

fn queue_of(items: impl IntoIterator<Item = (usize, usize)>) -> Queue {
    Arc::new(Mutex::new(items.into_iter().collect()))
}

async fn strings(url: &str, sql: &str) -> Vec<String> {
    if url.starts_with("sqlite:") {
        let pool = SqlitePool::connect(url).await.unwrap();
        let rows = sqlx::query_scalar(sql).fetch_all(&pool).await.unwrap();
        pool.close().await;
        rows
    } else {
        let pool = PgPool::connect(url).await.unwrap();
        let rows = sqlx::query_scalar(sql).fetch_all(&pool).await.unwrap();
        pool.close().await;
        rows
    }
}

/// Every delivered code is in the registry, each person has exactly one record, and the
/// tables agree: every record has a code and a person key and its phone finished a
/// conversation; every processed message belongs to a phone with a saved session.
async fn check_registry(url: &str, delivered: &HashMap<usize, String>, people: usize) {
    let codes = strings(url, "SELECT uic_code FROM uic_records").await;
    assert_eq!(codes.len(), people, "one record per person");
    for (person, code) in delivered {
        assert!(
            codes.contains(code),
            "person {person} received {code}, which is not in the registry"
        );
    }
    let incomplete = strings(
        url,
        "SELECT uic_code FROM uic_records
         WHERE uic_code = '' OR person_key = '' OR phone_number NOT IN
             (SELECT phone_number FROM conversation_sessions WHERE current_step = 'finished')",
    )
    .await;
    assert!(
        incomplete.is_empty(),
        "half-written records: {incomplete:?}"
    );
    let orphans = strings(
        url,
        "SELECT message_id FROM processed_messages WHERE phone_number NOT IN
             (SELECT phone_number FROM conversation_sessions)",
    )
    .await;
    assert!(
        orphans.is_empty(),
        "messages without a session: {orphans:?}"
    );
}

/// Runs `people` conversations while `fault` strikes once `fault_after` codes were
/// delivered; `recover` then brings the service back and returns its webhook. Returns
/// what the clients saw, with every interrupted conversation resumed to its code.
async fn load_through_fault<F, R>(
    load: &Arc<Load>,
    url: &str,
    people: usize,
    fault_after: usize,
    fault: F,
    recover: R,
) -> (Outcome, HashMap<usize, String>)
where
    F: std::future::Future<Output = ()>,
    R: std::future::Future<Output = String>,
{
    let queue = queue_of((0..people).map(|person| (person, 0)));
    let strike = async {
        while load.codes_received.load(Ordering::Relaxed) < fault_after {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        fault.await;
    };
    let (before, _) = tokio::join!(load.run(url, queue.clone(), 16, false), strike);
    assert!(
        !before.interrupted.is_empty(),
        "the fault struck after the load ended: nothing was interrupted"
    );
    eprintln!(
        "{} conversations interrupted (HTTP status, 0 for none: {:?}); resuming them",
        before.interrupted.len(),
        before.failures
    );
    let url = recover.await;
    let mut rest: Vec<(usize, usize)> = before.interrupted.clone();
    rest.extend(queue.lock().unwrap().drain(..));
    let after = load.run(&url, queue_of(rest), 16, true).await;
    assert!(
        after.interrupted.is_empty(),
        "after recovery every conversation completes: {:?}",
        after.failures
    );
    let mut delivered = before.delivered.clone();
    delivered.extend(after.delivered);
    assert_eq!(
        delivered.len(),
        people,
        "every conversation ended with a code"
    );
    (before, delivered)
}

#[tokio::test]
async fn a_server_killed_under_load_loses_nothing() {
    common::for_each_database(|url| async move {
        let dir = tempfile::tempdir().unwrap();
        let people = 120;
        let load = Arc::new(Load::new("81"));
        let server = Arc::new(Mutex::new(Server::start(&url, dir.path())));
        let first_webhook = server.lock().unwrap().webhook.clone();
        let (before, delivered) = load_through_fault(
            &load,
            &first_webhook,
            people,
            people / 3,
            async { server.lock().unwrap().kill() },
            async {
                let restarted = Server::start(&url, dir.path());
                let webhook = restarted.webhook.clone();
                *server.lock().unwrap() = restarted;
                webhook
            },
        )
        .await;
        assert!(
            before.failures.iter().all(|&status| status == 0),
            "a killed server gives no answer, never an error status: {:?}",
            before.failures
        );
        for (person, code) in &before.delivered {
            assert_eq!(&delivered[person], code);
        }
        check_registry(&url, &delivered, people).await;
    })
    .await;
}

/// A PostgreSQL server of this test's own (the shared one is never stopped), run as the
/// `postgres` user when the test runs as root.
struct PrivatePostgres {
    dir: tempfile::TempDir,
    port: u16,
    server: Option<Child>,
}

impl PrivatePostgres {
    /// `None` when no PostgreSQL binaries are installed.
    fn create() -> Option<PrivatePostgres> {
        let bin = postgres_bin()?;
        let dir = tempfile::tempdir().unwrap();
        if let Some((uid, gid)) = postgres_user_if_root() {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).unwrap();
        }
        let status = as_postgres_user(Command::new(bin.join("initdb")))
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "-D"])
            .arg(dir.path().join("data"))
            .stdout(Stdio::null())
            .status()
            .expect("initdb runs");
        assert!(status.success(), "initdb failed");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut postgres = PrivatePostgres {
            dir,
            port,
            server: None,
        };
        postgres.start();
        Some(postgres)
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn start(&mut self) {
        let bin = postgres_bin().unwrap();
        let child = as_postgres_user(Command::new(bin.join("postgres")))
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args([
                "-p",
                &self.port.to_string(),
                "-c",
                "listen_addresses=127.0.0.1",
            ])
            .arg("-k")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("postgres starts");
        self.server = Some(child);
        for _ in 0..300 {
            let ready = Command::new(bin.join("pg_isready"))
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-q"])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the private PostgreSQL did not start");
    }

    /// Fast shutdown (SIGINT): open transactions are rolled back, clients disconnected.
    fn stop_fast(&mut self) {
        if let Some(mut child) = self.server.take() {
            let status = Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status()
                .unwrap();
            assert!(status.success());
            let _ = child.wait();
        }
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        if let Some(mut child) = self.server.take() {
            let _ = Command::new("kill")
                .args(["-QUIT", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }
}

/// The newest `/usr/lib/postgresql/<version>/bin`, or `PG_BIN_DIR`.
fn postgres_bin() -> Option<std::path::PathBuf> {
    if let Ok(dir) = std::env::var("PG_BIN_DIR") {
        return Some(dir.into());
    }
    let mut versions: Vec<_> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .collect();
    versions.sort();
    let bin = Path::new("/usr/lib/postgresql")
        .join(versions.last()?.to_string())
        .join("bin");
    bin.join("postgres").exists().then_some(bin)
}

/// PostgreSQL refuses to run as root: the uid and gid of `postgres` when we are root.
fn postgres_user_if_root() -> Option<(u32, u32)> {
    let id = |flag: &str, user: &str| -> Option<u32> {
        let out = Command::new("id").args([flag, user]).output().ok()?;
        String::from_utf8(out.stdout).ok()?.trim().parse().ok()
    };
    let me = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&me.stdout).trim() != "0" {
        return None;
    }
    Some((id("-u", "postgres")?, id("-g", "postgres")?))
}

fn as_postgres_user(mut command: Command) -> Command {
    if let Some((uid, gid)) = postgres_user_if_root() {
        use std::os::unix::process::CommandExt;
        command.uid(uid).gid(gid);
    }
    command
}

/// Slow and needs the PostgreSQL server binaries: runs with `CIU_FAULT_TESTS=1`.
#[tokio::test]
async fn postgres_stopped_and_started_under_load() {
    if std::env::var("CIU_FAULT_TESTS").as_deref() != Ok("1") {
        eprintln!("skipped: set CIU_FAULT_TESTS=1 to stop and start a private PostgreSQL");
        return;
    }
    let postgres = PrivatePostgres::create().expect("PostgreSQL server binaries are installed");
    let url = postgres.url();
    let postgres = Arc::new(Mutex::new(postgres));
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&url, dir.path());
    let http = reqwest::Client::new();
    let people = 120;
    let load = Arc::new(Load::new("82"));
    let (before, delivered) = load_through_fault(
        &load,
        &server.webhook,
        people,
        people / 3,
        async {
            let mut postgres = postgres.lock().unwrap();
            postgres.stop_fast();
        },
        async {
            // While the database is down: 503 so that Twilio retries, and health says so.
            let down = Load::new("83").send(&server.webhook, 0, 0).await;
            assert_eq!(down, Err(503));
            let health = http
                .get(format!("{}/health", server.base))
                .send()
                .await
                .unwrap();
            assert_eq!(health.status().as_u16(), 503);
            let health = health.text().await.unwrap();
            assert!(health.contains("\"database\":\"unavailable\""), "{health}");
            postgres.lock().unwrap().start();
            server.webhook.clone()
        },
    )
    .await;
    assert!(
        before
            .failures
            .iter()
            .all(|&status| status == 503 || status == 0),
        "a database outage gives 503 (or a dropped request), never another error: {:?}",
        before.failures
    );
    let (status, _) = {
        let r = http
            .get(format!("{}/health", server.base))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    };
    assert_eq!(status, 200, "health recovers with the database");
    check_registry(&url, &delivered, people).await;
}
