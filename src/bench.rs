//! `ciu bench`: drives full conversations over HTTP against a running server, the way
//! Twilio would post them, and reports throughput, latency and errors (BENCHMARKS.md). With
//! `--floor` it first measures, with the same load, a bare axum handler that only parses
//! the Twilio form and returns a fixed TwiML: the most this machine could do. With
//! `--seed N` it instead fills the registry with synthetic registrations, for the
//! scale measurements of `bench/scale.sh`, and the staff console's daily counters of
//! the same 90 days.

use anyhow::Context;
use axum::http::header;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::SubsecRound;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::code::{derivation_fingerprint, CiuRequest, Salt};
use crate::config::PhoneStorage;
use crate::flow::extract::extract;
use crate::flow::Flow;
use crate::phone::{PhoneKey, PhoneNumber};
use crate::store::{SeedBatch, SeedOutcome, SeedRecord, Store};

pub mod console;
mod floor;
mod seed_counters;
mod ussd;

pub use floor::{floor_router, start_floor_server};
pub use ussd::{run_ussd_load, ussd_form, ussd_inputs};

/// What `ciu bench` was asked to do.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    /// The webhook address, e.g. `http://127.0.0.1:8000/whatsapp/webhook`.
    pub url: String,
    pub conversations: usize,
    pub in_flight: usize,
    /// Digits after `+243` that every phone of this run starts with, so that runs on
    /// one database do not continue each other's conversations.
    pub phone_prefix: String,
}

/// The answers of person `i` to the default flow: all different people (for `i` below
/// 26³), many of them sharing the letters that go into the code.
pub fn person(i: usize) -> [String; 5] {
    let letters = |mut n: usize| {
        let mut s = String::new();
        for _ in 0..3 {
            s.push((b'a' + (n % 26) as u8) as char);
            n /= 26;
        }
        s
    };
    [
        (1950 + i % 60).to_string(),
        ["Kinshasa", "Mbandaka", "Kisangani", "Bukavu"][i % 4].to_owned(),
        format!("Jean{}", letters(i)),
        (1 + i % 28).to_string(),
        format!("Kabila{}", letters(i / 3)),
    ]
}

/// The messages of one full conversation: greeting, language, the answers, confirmation.
pub fn conversation_messages(i: usize) -> Vec<String> {
    let mut messages = vec!["Bonjour".to_owned(), "1".to_owned()];
    messages.extend(person(i));
    messages.push("oui".to_owned());
    messages
}

/// The code in a TwiML reply, between the monospace marks.
pub fn code_in(twiml: &str) -> Option<&str> {
    let start = twiml.find("```")? + 3;
    let end = start + twiml[start..].find("```")?;
    Some(&twiml[start..end])
}

/// The form body Twilio posts for one WhatsApp message.
pub fn twilio_form(phone: &str, body: &str, message_sid: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("From", &format!("whatsapp:{phone}"))
        .append_pair("Body", body)
        .append_pair("NumMedia", "0")
        .append_pair("MessageSid", message_sid)
        .finish()
}

#[derive(Debug, Default)]
pub struct LoadReport {
    pub requests: usize,
    pub conversations_completed: usize,
    /// Non-200 answers, transport errors and conversations that ended without a code.
    pub errors: usize,
    /// The first few errors, for the operator.
    pub error_samples: Vec<String>,
    pub elapsed: Duration,
    /// Every request's latency, sorted.
    pub latencies: Vec<Duration>,
}

impl LoadReport {
    pub fn requests_per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    pub fn conversations_per_second(&self) -> f64 {
        self.conversations_completed as f64 / self.elapsed.as_secs_f64()
    }

    pub fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1]
    }

    pub fn summary(&self, label: &str) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        format!(
            "{label}: {} requests in {:.2} s = {:.0} requests/s, {:.0} conversations/s; latency p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms; errors {}",
            self.requests,
            self.elapsed.as_secs_f64(),
            self.requests_per_second(),
            self.conversations_per_second(),
            ms(self.percentile(50.0)),
            ms(self.percentile(95.0)),
            ms(self.percentile(99.0)),
            ms(self.latencies.last().copied().unwrap_or_default()),
            self.errors,
        )
    }
}

/// What one worker saw.
#[derive(Default)]
struct WorkerTally {
    requests: usize,
    completed: usize,
    errors: usize,
    error_samples: Vec<String>,
    latencies: Vec<Duration>,
}

impl WorkerTally {
    fn error(&mut self, what: String) {
        self.errors += 1;
        if self.error_samples.len() < 5 {
            self.error_samples.push(what);
        }
    }
}

/// Runs `plan.conversations` conversations, `plan.in_flight` at a time, each on its own
/// phone. `expect_codes` is false for the floor, whose fixed reply carries no code.
pub async fn run_load(plan: &LoadPlan, expect_codes: bool) -> anyhow::Result<LoadReport> {
    drive_load(plan, Conversation::Twilio { expect_codes }).await
}

/// How one conversation of a load is sent.
#[derive(Clone, Copy)]
enum Conversation {
    /// Twilio WhatsApp messages; `expect_codes` as in [`run_load`].
    Twilio { expect_codes: bool },
    /// One Africa's Talking USSD session (src/bench/ussd.rs).
    Ussd,
}

/// Runs `plan.conversations` conversations of the given kind, `plan.in_flight` at a
/// time, and gathers what the workers saw.
async fn drive_load(plan: &LoadPlan, kind: Conversation) -> anyhow::Result<LoadReport> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(plan.in_flight)
        .timeout(Duration::from_secs(30))
        .tcp_nodelay(true)
        .build()
        .context("cannot build the HTTP client")?;
    // Message ids must be new even when a run repeats on the same database.
    let run_id = format!("{:08x}", rand::random::<u32>());
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..plan.in_flight.max(1) {
        let (client, next, plan, run_id) =
            (client.clone(), next.clone(), plan.clone(), run_id.clone());
        workers.spawn(async move {
            let mut tally = WorkerTally::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= plan.conversations {
                    return tally;
                }
                match kind {
                    Conversation::Twilio { expect_codes } => {
                        converse(&client, &plan, &run_id, i, expect_codes, &mut tally).await
                    }
                    Conversation::Ussd => {
                        ussd::session(&client, &plan, &run_id, i, &mut tally).await
                    }
                }
            }
        });
    }
    let mut report = LoadReport::default();
    while let Some(tally) = workers.join_next().await {
        let tally = tally.context("a load worker panicked")?;
        report.requests += tally.requests;
        report.conversations_completed += tally.completed;
        report.errors += tally.errors;
        report.error_samples.extend(tally.error_samples);
        report.latencies.extend(tally.latencies);
    }
    report.elapsed = started.elapsed();
    report.latencies.sort_unstable();
    report.error_samples.truncate(5);
    Ok(report)
}

async fn converse(
    client: &reqwest::Client,
    plan: &LoadPlan,
    run_id: &str,
    i: usize,
    expect_codes: bool,
    tally: &mut WorkerTally,
) {
    let phone = format!("+243{}{i:07}", plan.phone_prefix);
    let messages = conversation_messages(i);
    for (n, text) in messages.iter().enumerate() {
        let body = twilio_form(&phone, text, &format!("SM{run_id}{i:08}{n:02}"));
        let sent = Instant::now();
        let outcome = post_form(client, &plan.url, body).await;
        tally.latencies.push(sent.elapsed());
        tally.requests += 1;
        match outcome {
            Ok((200, reply)) => {
                let last = n + 1 == messages.len();
                if last && expect_codes && code_in(&reply).is_none() {
                    tally.error(format!("conversation {i} ended without a code: {reply}"));
                    return;
                }
                if last {
                    tally.completed += 1;
                }
            }
            Ok((status, reply)) => {
                tally.error(format!(
                    "conversation {i}, message {n}: HTTP {status}: {reply}"
                ));
                return;
            }
            Err(e) => {
                tally.error(format!("conversation {i}, message {n}: {e}"));
                return;
            }
        }
    }
}

async fn post_form(
    client: &reqwest::Client,
    url: &str,
    body: String,
) -> reqwest::Result<(u16, String)> {
    let response = client
        .post(url)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await?;
    let status = response.status().as_u16();
    Ok((status, response.text().await?))
}

/// Peak and current resident memory of a process, from `/proc/<pid>/status` (Linux).
pub fn resident_memory(pid: u32) -> Option<(String, String)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_owned())
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

/// CPU time a process has used so far (user + system, all threads), from
/// `/proc/<pid>/stat`. Per request, it compares two builds even on a busy machine.
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // Linux reports these in USER_HZ, 100 per second on every common configuration.
    Some(Duration::from_millis(ticks * 10))
}

/// The steps of the shipped flow (flows/ciu.yaml), whose answers the seeder makes up.
const SEED_STEPS: [&str; 5] = [
    "birth_year",
    "mother_birthplace",
    "first_name",
    "birth_day",
    "last_name",
];
const PLACES: [&str; 15] = [
    "Kinshasa",
    "Lubumbashi",
    "Mbuji-Mayi",
    "Kisangani",
    "Kananga",
    "Bukavu",
    "Goma",
    "Kikwit",
    "Matadi",
    "Mbandaka",
    "Tshikapa",
    "Kolwezi",
    "Likasi",
    "Uvira",
    "Bunia",
];
const FIRST_NAMES: [&str; 20] = [
    "Jean",
    "Marie",
    "Joseph",
    "Josephine",
    "Pierre",
    "Esther",
    "Patrick",
    "Grace",
    "Christelle",
    "Emmanuel",
    "Sarah",
    "Daniel",
    "Rachel",
    "Fiston",
    "Nadine",
    "Trésor",
    "Bienvenu",
    "Chantal",
    "Dieudonné",
    "Mamie",
];
const FAMILY_NAMES: [&str; 20] = [
    "Kabila",
    "Mbuyi",
    "Tshisekedi",
    "Lukaku",
    "Ilunga",
    "Kasongo",
    "Mutombo",
    "Ngoyi",
    "Kabongo",
    "Mwamba",
    "Banza",
    "Kalala",
    "Tshibangu",
    "Lumumba",
    "Makiese",
    "Nzuzi",
    "Mpiana",
    "Mukendi",
    "Kapinga",
    "Luboya",
];
/// Earlier people a slip may copy (the most recent ones: memory stays flat).
const SLIP_SOURCES: usize = 10_000;

/// What `ciu bench --seed` writes.
#[derive(Debug, Clone)]
pub struct SeedPlan {
    pub records: u64,
    /// Records per transaction.
    pub batch: usize,
    /// Every `slip_every`-th record is an earlier person with one answer mistyped.
    pub slip_every: u64,
}

#[derive(Debug, Default)]
pub struct SeedReport {
    pub outcome: SeedOutcome,
    /// Records made as a one-answer slip of an earlier one.
    pub slips: u64,
    /// Rows of daily counters written (day, counter, shard).
    pub counter_rows: u64,
    pub elapsed: Duration,
}

/// Made-up answers to the shipped flow: realistic values, names with random letters so
/// that codes are mostly distinct, and deliberate one-answer slips.
struct People {
    rng: StdRng,
    recent: Vec<Person>,
}

/// Answers to the shipped flow's steps, and the phone they come from.
type Person = ([String; 5], PhoneNumber);

impl People {
    fn letters(&mut self, count: usize) -> String {
        (0..count)
            .map(|_| (b'a' + self.rng.gen_range(0..26u8)) as char)
            .collect()
    }

    /// A new person and their phone.
    fn fresh(&mut self) -> Person {
        let answers = [
            self.rng.gen_range(1940..=2010).to_string(),
            PLACES[self.rng.gen_range(0..PLACES.len())].to_owned(),
            format!(
                "{}{}",
                FIRST_NAMES[self.rng.gen_range(0..FIRST_NAMES.len())],
                self.letters(2)
            ),
            self.rng.gen_range(1..=28).to_string(),
            format!(
                "{}{}",
                FAMILY_NAMES[self.rng.gen_range(0..FAMILY_NAMES.len())],
                self.letters(3)
            ),
        ];
        let phone = PhoneNumber::new(format!("+2439{:08}", self.rng.gen_range(0..100_000_000)));
        (answers, phone)
    }

    /// An earlier person registering again from their phone with one answer changed.
    fn slip(&mut self) -> Option<Person> {
        if self.recent.is_empty() {
            return None;
        }
        let (mut answers, phone) = self.recent[self.rng.gen_range(0..self.recent.len())].clone();
        let step = self.rng.gen_range(0..answers.len());
        answers[step] = match step {
            0 | 3 => {
                let value: i64 = answers[step].parse().expect("a number made above");
                let (low, high) = if step == 0 { (1940, 2010) } else { (1, 28) };
                (if value < high { value + 1 } else { low }).to_string()
            }
            1 => {
                let at = PLACES.iter().position(|p| *p == answers[1]).unwrap_or(0);
                PLACES[(at + 1) % PLACES.len()].to_owned()
            }
            // A name's last letter mistyped (Kabilaxy for Kabilaxz). Never into an H: the
            // spelling rules drop a silent H, so …GG mistyped …GH would still be …G, the
            // same person, not a slip (flows/spelling.yaml).
            _ => {
                let mut name = answers[step].clone();
                let last = name.pop().expect("names end with random letters");
                name.push(match last {
                    'z' => 'a',
                    'g' => 'i',
                    _ => (last as u8 + 1) as char,
                });
                name
            }
        };
        Some((answers, phone))
    }

    fn remember(&mut self, person: &Person) {
        if self.recent.len() < SLIP_SOURCES {
            self.recent.push(person.clone());
        } else {
            let slot = self.rng.gen_range(0..SLIP_SOURCES);
            self.recent[slot] = person.clone();
        }
    }
}

/// The request registration would make from these raw answers: validated and
/// extracted by the flow's own rules (src/flow/engine/mod.rs).
fn seed_request(
    flow: &Flow,
    salt: &Salt,
    raw: &[String; 5],
    today: chrono::NaiveDate,
) -> anyhow::Result<CiuRequest> {
    let mut normalized = Vec::with_capacity(raw.len());
    for (step, answer) in flow.steps.iter().zip(raw) {
        let accepted = step.validator.check(answer, today).map_err(|_| {
            anyhow::anyhow!(
                "step {}: the seeder's answer is refused by this flow",
                step.def.id
            )
        })?;
        normalized.push(step.canonical(&accepted.normalized));
    }
    let answers: Vec<(&str, &str)> = flow
        .steps
        .iter()
        .zip(&normalized)
        .map(|(step, value)| (step.def.id.as_str(), value.as_str()))
        .collect();
    let fragments = flow
        .steps
        .iter()
        .zip(&normalized)
        .map(|(step, value)| (step.def.id.clone(), extract(&step.def.extract, value)))
        .collect();
    Ok(CiuRequest::new(
        salt,
        flow.template.clone(),
        &flow.def.id,
        &answers,
        fragments,
    ))
}

/// Makes the batches of `plan` on a thread of their own (the keyed hashes cost as much
/// as the writes), created over the last 90 days in order.
fn seed_batches(
    flow: Arc<Flow>,
    salt: Salt,
    plan: SeedPlan,
    batches: tokio::sync::mpsc::Sender<anyhow::Result<(Vec<SeedRecord>, u64)>>,
) {
    let now = chrono::Utc::now().trunc_subsecs(0);
    let start = now - chrono::Duration::days(90);
    let span = 90 * 86_400;
    let today = now.date_naive();
    let mut people = People {
        rng: StdRng::from_entropy(),
        recent: Vec::new(),
    };
    let mut i = 0;
    while i < plan.records {
        let (mut records, mut slips) = (Vec::with_capacity(plan.batch), 0);
        while records.len() < plan.batch && i < plan.records {
            let slip = (i % plan.slip_every == plan.slip_every - 1).then(|| people.slip());
            let person = match slip.flatten() {
                Some(person) => {
                    slips += 1;
                    person
                }
                None => people.fresh(),
            };
            people.remember(&person);
            let request = match seed_request(&flow, &salt, &person.0, today) {
                Ok(request) => request,
                Err(e) => {
                    let _ = batches.blocking_send(Err(e));
                    return;
                }
            };
            records.push(SeedRecord {
                request,
                // As src/service.rs stores a phone in the default `hashed` mode.
                phone_number: PhoneKey::of(&person.1, PhoneStorage::Hashed, &salt),
                created_at: start + chrono::Duration::seconds((span * i / plan.records) as i64),
            });
            i += 1;
        }
        if batches.blocking_send(Ok((records, slips))).is_err() {
            return;
        }
    }
}

/// Fills the registry with `plan.records` synthetic registrations of the shipped flow
/// (rows already there are kept); `progress` is called after each batch with the
/// records written so far.
pub async fn seed_registry(
    store: &Store,
    flow: Arc<Flow>,
    salt: Salt,
    plan: &SeedPlan,
    mut progress: impl FnMut(u64, Duration),
) -> anyhow::Result<SeedReport> {
    let steps: Vec<String> = flow.step_ids().iter().map(|s| s.to_string()).collect();
    anyhow::ensure!(
        steps == SEED_STEPS,
        "--seed makes answers for the shipped flow (flows/ciu.yaml): steps {SEED_STEPS:?}, not {steps:?}"
    );
    let fingerprint = derivation_fingerprint(&salt, &flow.derivation);
    let (flow_id, flow_version) = (flow.def.id.clone(), i64::from(flow.def.version));
    let (sender, mut receiver) = tokio::sync::mpsc::channel(2);
    let maker = {
        let (flow, plan) = (flow.clone(), plan.clone());
        tokio::task::spawn_blocking(move || seed_batches(flow, salt, plan, sender))
    };
    let started = Instant::now();
    let mut report = SeedReport::default();
    let mut done = 0;
    while let Some(batch) = receiver.recv().await {
        let (records, slips) = batch?;
        done += records.len() as u64;
        let batch = SeedBatch {
            flow_id: &flow_id,
            flow_version,
            fingerprint: &fingerprint,
            steps: &steps,
            records,
        };
        report.outcome += store.seed_batch(&batch).await?;
        report.slips += slips;
        progress(done, started.elapsed());
    }
    maker.await?;
    let now = chrono::Utc::now();
    let rows = seed_counters::counter_rows(&flow, plan.records, now, &mut StdRng::from_entropy());
    report.counter_rows = store.add_counters(&rows).await?;
    store.refresh_statistics().await?;
    report.elapsed = started.elapsed();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let report = LoadReport {
            latencies: (1..=100).map(Duration::from_millis).collect(),
            ..LoadReport::default()
        };
        assert_eq!(report.percentile(50.0), Duration::from_millis(50));
        assert_eq!(report.percentile(99.0), Duration::from_millis(99));
        assert_eq!(report.percentile(100.0), Duration::from_millis(100));
    }

    #[test]
    fn the_form_parses_back() {
        let form = twilio_form("+243990000001", "Jean-Noël & fils", "SM1");
        let (inbound, _) = crate::channels::twilio::parse_form(form.as_bytes()).unwrap();
        assert_eq!(inbound.from, "whatsapp:+243990000001");
        assert_eq!(inbound.body, "Jean-Noël & fils");
        assert_eq!(inbound.message_sid.as_deref(), Some("SM1"));
    }

    #[test]
    fn seeded_counters_cover_90_days_and_every_stage() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let flow = crate::flow::load(&root.join("flows/ciu.yaml"), &root.join("locales"))
            .unwrap()
            .flow;
        let now = chrono::Utc::now();
        let rows = seed_counters::counter_rows(&flow, 9000, now, &mut StdRng::seed_from_u64(7));
        let days: std::collections::BTreeSet<_> = rows.iter().map(|r| r.day).collect();
        assert!((90..=91).contains(&days.len()), "{}", days.len());
        assert!(days.iter().all(|d| *d <= now.date_naive()));
        let new: i64 = rows
            .iter()
            .filter(|r| r.counter.starts_with("codes|new|"))
            .map(|r| r.value)
            .sum();
        assert_eq!(new, 9000, "one new code per record");
        let names: std::collections::BTreeSet<_> = rows.iter().map(|r| &r.counter).collect();
        for stage in crate::flow::funnel::stages(&flow) {
            assert!(names.contains(&crate::flow::funnel::counter(&stage, "reached")));
        }
        for channel in ["twilio", "meta", "sms", "ussd"] {
            for locale in ["fr", "ln", "sw", "en"] {
                assert!(names.contains(&format!("codes|returning|{channel}|{locale}")));
            }
        }
        assert!(rows
            .iter()
            .all(|r| (0..16).contains(&r.shard) && r.value > 0));
        // 70 counters a day, on up to 16 shards each.
        assert_eq!(names.len(), 70);
    }

    #[test]
    fn people_are_distinct() {
        let people: std::collections::HashSet<_> = (0..2000).map(person).collect();
        assert_eq!(people.len(), 2000);
    }
}
