//! The Meta WhatsApp Cloud API channel over HTTP: webhook JSON as Meta documents it, the
//! signature and the verification handshake, and replies delivered through the outbox
//! to a local stand-in for the Graph API (which can be told to fail).

use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::Json;
use serde_json::{json, Value};
use tokio::task::JoinSet;

use crate::common::for_each_database;
use crate::edited_flow::write_sixth_question_flow;
use crate::helpers::{spawn_app, TestApp};
use crate::meta_webhook::{
    button_reply, envelope, image, list_reply, notification, signature, text, APP_SECRET,
    PHONE_NUMBER_ID,
};
use crate::privacy::{contains, database_bytes};

const VERIFY_TOKEN: &str = "meta-verify-token-0123456789";
const ACCESS_TOKEN: &str = "EAAG-test-access-token";
const GUIDE: [&str; 5] = ["1985", "Kinshasa", "Jean", "15", "Kabila"];

// ---- the stand-in Graph API ----------------------------------------------------------

#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    path: String,
    authorization: Option<String>,
    pub(crate) body: Value,
    pub(crate) status: u16,
}

#[derive(Clone, Default)]
struct GraphState {
    requests: Arc<Mutex<Vec<Recorded>>>,
    /// Statuses for the next requests, in order; 200 once empty.
    script: Arc<Mutex<VecDeque<u16>>>,
}

pub(crate) struct StandIn {
    url: String,
    state: GraphState,
}

impl StandIn {
    pub(crate) async fn start() -> StandIn {
        let state = GraphState::default();
        let app = axum::Router::new()
            .fallback(answer_graph_call)
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        StandIn { url, state }
    }

    /// The next requests get these statuses (then 200 again).
    fn respond_with(&self, statuses: &[u16]) {
        self.state.script.lock().unwrap().extend(statuses);
    }

    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }

    /// Message bodies accepted for `to` (digits), in arrival order.
    fn delivered_to(&self, to: &str) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|r| r.status == 200 && r.body["to"] == to)
            .map(|r| r.body)
            .collect()
    }
}

async fn answer_graph_call(
    State(state): State<GraphState>,
    uri: Uri,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let status = state.script.lock().unwrap().pop_front().unwrap_or(200);
    let to = body["to"].clone();
    state.requests.lock().unwrap().push(Recorded {
        path: uri.path().to_owned(),
        authorization: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body,
        status,
    });
    let answer = if status == 200 {
        json!({ "messaging_product": "whatsapp", "contacts": [{ "input": to, "wa_id": to }], "messages": [{ "id": "wamid.sent" }] })
    } else {
        json!({ "error": { "message": "(#131000) Something went wrong", "type": "OAuthException", "code": 131000, "fbtrace_id": "AbC" } })
    };
    (StatusCode::from_u16(status).unwrap(), Json(answer))
}

// ---- the app with the Meta channel ----------------------------------------------------

pub(crate) async fn spawn_meta_app(url: &str, graph: &StandIn, extra: &[(&str, &str)]) -> TestApp {
    let mut overrides = vec![
        ("META_PHONE_NUMBER_ID", PHONE_NUMBER_ID),
        ("META_APP_SECRET", APP_SECRET),
        ("META_VERIFY_TOKEN", VERIFY_TOKEN),
        ("META_WHATSAPP_TOKEN", ACCESS_TOKEN),
        ("META_GRAPH_BASE_URL", graph.url.as_str()),
        ("META_RETRY_BASE_MS", "20"),
    ];
    overrides.extend_from_slice(extra);
    spawn_app(url, &overrides).await
}

/// Posts `body` to the Meta webhook with `signature` (none when `None`).
pub(crate) async fn post_meta(
    app: &TestApp,
    body: &[u8],
    signature: Option<&str>,
) -> (u16, String) {
    let mut request = app
        .client
        .post(format!("{}/whatsapp/meta", app.address))
        .header("Content-Type", "application/json")
        .body(body.to_vec());
    if let Some(signature) = signature {
        request = request.header("X-Hub-Signature-256", signature);
    }
    let response = request.send().await.unwrap();
    (
        response.status().as_u16(),
        response.text().await.unwrap_or_default(),
    )
}

pub(crate) async fn deliver(app: &TestApp, notification: &Value) -> u16 {
    let body = notification.to_string().into_bytes();
    post_meta(app, &body, Some(&signature(&body))).await.0
}

/// The value of a metric line (name with its labels), 0 when absent.
pub(crate) async fn metric(app: &TestApp, series: &str) -> f64 {
    let (_, text) = app.get("/metrics").await;
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |value| value.trim().parse().unwrap())
}

/// Waits until the outbox is empty: every queued reply delivered or dropped.
pub(crate) async fn settle(app: &TestApp) {
    settle_within(app, Duration::from_secs(20)).await
}

async fn settle_within(app: &TestApp, limit: Duration) {
    let deadline = tokio::time::Instant::now() + limit;
    while metric(app, "ciu_outbox_pending").await > 0.0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the outbox did not empty"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// What a person sees of a sent message: its text, and its kind (text, button, list).
fn shown(message: &Value) -> (String, &str) {
    match message["type"].as_str() {
        Some("text") => (message["text"]["body"].as_str().unwrap().to_owned(), "text"),
        Some("interactive") => (
            message["interactive"]["body"]["text"]
                .as_str()
                .unwrap()
                .to_owned(),
            message["interactive"]["type"].as_str().unwrap(),
        ),
        other => panic!("unexpected message type {other:?}: {message}"),
    }
}

/// `(id, title)` of a message's buttons or list rows.
fn choices(message: &Value) -> Vec<(String, String)> {
    let interactive = &message["interactive"];
    let items: Vec<Value> = match interactive["type"].as_str() {
        Some("button") => interactive["action"]["buttons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["reply"].clone())
            .collect(),
        Some("list") => interactive["action"]["sections"][0]["rows"]
            .as_array()
            .unwrap()
            .clone(),
        _ => Vec::new(),
    };
    items
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap().to_owned(),
                i["title"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn code_in(text: &str) -> Option<String> {
    let start = text.find("```")? + 3;
    let end = start + text[start..].find("```")?;
    Some(text[start..end].to_owned())
}

/// One person writing to the bot over Meta; each call returns what the bot sent back.
struct Chat<'a> {
    app: &'a TestApp,
    graph: &'a StandIn,
    from: String,
    sent: usize,
    seen: usize,
}

impl<'a> Chat<'a> {
    fn new(app: &'a TestApp, graph: &'a StandIn, from: &str) -> Self {
        Chat {
            app,
            graph,
            from: from.to_owned(),
            sent: 0,
            seen: graph.delivered_to(from).len(),
        }
    }

    fn wamid(&mut self) -> String {
        self.sent += 1;
        format!("wamid.{}.{}", self.from, self.sent)
    }

    async fn send(&mut self, message: Value) -> Vec<Value> {
        assert_eq!(deliver(self.app, &notification(vec![message])).await, 200);
        settle(self.app).await;
        let delivered = self.graph.delivered_to(&self.from);
        let new = delivered[self.seen..].to_vec();
        self.seen = delivered.len();
        assert!(!new.is_empty(), "no reply was sent");
        new
    }

    async fn text(&mut self, body: &str) -> Vec<Value> {
        let message = text(&self.from.clone(), &self.wamid(), body);
        self.send(message).await
    }

    async fn tap_button(&mut self, id: &str) -> Vec<Value> {
        let message = button_reply(&self.from.clone(), &self.wamid(), id);
        self.send(message).await
    }

    async fn tap_row(&mut self, id: &str) -> Vec<Value> {
        let message = list_reply(&self.from.clone(), &self.wamid(), id);
        self.send(message).await
    }
}

/// The overrides that point the server at the flow with a sixth question, written
/// under `dir`.
fn sixth_question_flow(dir: &Path) -> [(String, String); 2] {
    let written = write_sixth_question_flow(dir);
    [
        ("FLOW_PATH".to_owned(), written.flow.display().to_string()),
        (
            "LOCALES_DIR".to_owned(),
            written.locales.display().to_string(),
        ),
    ]
}

// ---- the tests ------------------------------------------------------------------------

#[tokio::test]
async fn a_whole_conversation_over_meta_gives_the_same_code_as_twilio() {
    for_each_database(|url| async move {
        let graph = StandIn::start().await;
        let app = spawn_meta_app(&url, &graph, &[]).await;
        let mut chat = Chat::new(&app, &graph, "243991234567");

        let welcome = chat.text("Bonjour").await;
        assert_eq!(welcome.len(), 1);
        let (body, kind) = shown(&welcome[0]);
        assert_eq!(kind, "list", "{}", welcome[0]);
        assert!(body.contains("Code Identificateur Unique"), "{body}");
        assert_eq!(
            choices(&welcome[0]),
            [
                ("fr".to_owned(), "Français".to_owned()),
                ("ln".to_owned(), "Lingala".to_owned()),
                ("sw".to_owned(), "Kiswahili".to_owned()),
                ("en".to_owned(), "English".to_owned()),
            ]
        );
        assert_eq!(welcome[0]["interactive"]["action"]["button"], "Choisir");
        let call = &graph.requests()[0];
        assert_eq!(call.path, format!("/v21.0/{PHONE_NUMBER_ID}/messages"));
        assert_eq!(
            call.authorization.as_deref(),
            Some(format!("Bearer {ACCESS_TOKEN}").as_str())
        );
        assert_eq!(call.body["messaging_product"], "whatsapp");
        assert_eq!(call.body["recipient_type"], "individual");

        // A tapped list row advances.
        let question = chat.tap_row("fr").await;
        let (text, kind) = shown(&question[0]);
        assert_eq!(kind, "text");
        assert!(text.contains("(1/5)"), "{text}");

        let mut last = Vec::new();
        for answer in GUIDE {
            last = chat.text(answer).await;
        }
        // The confirmation arrives as two reply buttons; tapping "yes" completes.
        let (summary, kind) = shown(&last[0]);
        assert_eq!(kind, "button", "{}", last[0]);
        assert!(summary.contains("Kabila"), "{summary}");
        assert_eq!(
            choices(&last[0]),
            [
                ("yes".to_owned(), "Oui".to_owned()),
                ("no".to_owned(), "Non".to_owned())
            ]
        );
        let result = chat.tap_button("yes").await;
        let (text, _) = shown(&result[0]);
        assert!(text.contains("Votre CIU a été généré"), "{text}");
        let code = code_in(&text).unwrap();
        assert!(code.starts_with("985-KINS-15-JEA-KABI-"), "{code}");

        // The same answers over Twilio (same salt): the same code, already issued.
        let twilio = app.conversation("+243997654321", &GUIDE).await;
        assert!(twilio.text().contains("déjà été généré"), "{}", twilio.body);
        assert_eq!(twilio.code().unwrap(), code);

        assert_eq!(
            metric(&app, "ciu_replies_sent_total{channel=\"meta\"}").await,
            8.0
        );
        assert_eq!(
            metric(&app, "ciu_webhook_duration_seconds_count{channel=\"meta\"}").await,
            8.0
        );
    })
    .await;
}

/// Choices answered by button id, by number and by label, in the language menu, a
/// choice question, the confirmation and the correction menu.
#[tokio::test]
async fn choices_work_by_button_id_number_and_label() {
    for_each_database(|url| async move {
        let dir = tempfile::tempdir().unwrap();
        let [flow, locales] = sixth_question_flow(dir.path());
        let graph = StandIn::start().await;
        let app = spawn_meta_app(
            &url,
            &graph,
            &[(&flow.0, &flow.1), (&locales.0, &locales.1)],
        )
        .await;

        // Lingala, all by tapping: list row, buttons, correction list.
        let mut chat = Chat::new(&app, &graph, "243810000001");
        chat.text("Mbote").await;
        let set = chat.tap_row("ln").await;
        assert!(
            shown(&set[0]).0.contains("Tokokoba na Lingala"),
            "{}",
            set[0]
        );
        let mut question = Vec::new();
        for answer in GUIDE {
            question = chat.text(answer).await;
        }
        let (text, kind) = shown(&question[0]);
        assert!(text.contains("(6/6) Ozali mobali to mwasi?"), "{text}");
        assert_eq!(kind, "button");
        assert_eq!(
            choices(&question[0]),
            [
                ("H".to_owned(), "Mobali".to_owned()),
                ("F".to_owned(), "Mwasi".to_owned())
            ]
        );
        let summary = chat.tap_button("F").await;
        assert_eq!(shown(&summary[0]).1, "button");
        assert!(
            shown(&summary[0]).0.contains("Lolenge: Mwasi"),
            "{}",
            summary[0]
        );
        let which = chat.tap_button("no").await;
        assert_eq!(shown(&which[0]).1, "list", "{}", which[0]);
        assert_eq!(which[0]["interactive"]["action"]["button"], "Pona");
        assert_eq!(choices(&which[0]).len(), 6);
        assert_eq!(choices(&which[0])[1].0, "2");
        let again = chat.tap_row("2").await;
        assert!(shown(&again[0]).0.contains("(2/6)"), "{}", again[0]);
        let summary = chat.text("Kisangani").await;
        assert!(shown(&summary[0]).0.contains("Kisangani"), "{}", summary[0]);
        let result = chat.tap_button("yes").await;
        let lingala_code = code_in(&shown(&result[0]).0).unwrap();
        assert!(
            lingala_code.starts_with("985-KISA-15-JEA-KABI-F-"),
            "{lingala_code}"
        );

        // French, all typed as numbers (a list also accepts its row number).
        let mut chat = Chat::new(&app, &graph, "243810000002");
        chat.text("Bonjour").await;
        chat.text("1").await;
        for answer in GUIDE {
            chat.text(answer).await;
        }
        chat.text("2").await;
        let which = chat.text("2").await;
        assert_eq!(shown(&which[0]).1, "list");
        assert!(
            choices(&which[0]).contains(&("2".to_owned(), "Lieu de naissance (mère)".to_owned())),
            "{}",
            which[0]
        );
        chat.text("2").await;
        chat.text("Kisangani").await;
        let result = chat.text("1").await;
        let french_code = code_in(&shown(&result[0]).0).unwrap();
        assert_eq!(french_code, lingala_code, "same answers, same person");

        // English, all by label.
        let mut chat = Chat::new(&app, &graph, "243810000003");
        chat.text("Hello").await;
        let set = chat.text("English").await;
        assert!(shown(&set[0]).0.contains("English"), "{}", set[0]);
        for answer in ["1990", "Goma", "Amani", "3", "Bahati"] {
            chat.text(answer).await;
        }
        let summary = chat.text("woman").await;
        assert!(
            shown(&summary[0]).0.contains("Sex: Woman"),
            "{}",
            summary[0]
        );
        let result = chat.text("Yes").await;
        let english_code = code_in(&shown(&result[0]).0).unwrap();
        assert!(
            english_code.starts_with("990-GOMA-03-AMA-BAHA-F-"),
            "{english_code}"
        );
    })
    .await;
}

#[tokio::test]
async fn bad_or_missing_signatures_are_refused_and_nothing_is_sent() {
    for_each_database(|url| async move {
        let graph = StandIn::start().await;
        let app = spawn_meta_app(&url, &graph, &[]).await;
        let from = "243820000001";
        let body = notification(vec![text(from, "wamid.sig.1", "Bonjour")])
            .to_string()
            .into_bytes();
        let good = signature(&body);

        let (status, _) = post_meta(&app, &body, None).await;
        assert_eq!(status, 403);
        let other_body = notification(vec![text(from, "wamid.sig.1", "Bonsoir")])
            .to_string()
            .into_bytes();
        let (status, answer) = post_meta(&app, &other_body, Some(&good)).await;
        assert_eq!(status, 403);
        assert!(
            !answer.contains(&good[7..]),
            "never echo the expected signature"
        );
        let (status, _) = post_meta(&app, &body, Some("sha256=00ff")).await;
        assert_eq!(status, 403);
        let (status, _) = post_meta(&app, &body, Some(&good[7..])).await;
        assert_eq!(status, 403, "the sha256= prefix is part of the header");

        settle(&app).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(graph.requests().is_empty(), "{:?}", graph.requests());

        // Nothing was processed: the first accepted message is still a first contact,
        // and its id was not recorded as seen.
        let (status, _) = post_meta(&app, &body, Some(&good)).await;
        assert_eq!(status, 200);
        settle(&app).await;
        let welcome = graph.delivered_to(from);
        assert_eq!(welcome.len(), 1);
        assert!(shown(&welcome[0]).0.contains("Code Identificateur Unique"));
    })
    .await;
}

#[tokio::test]
async fn malformed_json_is_400() {
    for_each_database(|url| async move {
        let graph = StandIn::start().await;
        let app = spawn_meta_app(&url, &graph, &[]).await;
        for body in [&b"{not json"[..], b"{\"entry\": 3}"] {
            let (status, answer) = post_meta(&app, body, Some(&signature(body))).await;
            assert_eq!(status, 400, "{answer}");
        }
    })
    .await;
}

#[tokio::test]
async fn the_verification_handshake_echoes_the_challenge_for_our_token_only() {
    for_each_database(|url| async move {
        let graph = StandIn::start().await;
        let app = spawn_meta_app(&url, &graph, &[]).await;
        let handshake = |token: &str| {
            app.client
                .get(format!("{}/whatsapp/meta", app.address))
                .query(&[
                    ("hub.mode", "subscribe"),
                    ("hub.verify_token", token),
                    ("hub.challenge", "1158201444"),
                ])
                .send()
        };
        let good = handshake(VERIFY_TOKEN).await.unwrap();
        assert_eq!(good.status(), 200);
        assert!(good.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"));
        assert_eq!(good.text().await.unwrap(), "1158201444");

        let bad = handshake("not-the-token").await.unwrap();
        assert_eq!(bad.status(), 403);
        assert!(!bad.text().await.unwrap().contains("1158201444"));
        let (status, _) = app
            .get("/whatsapp/meta?hub.verify_token=meta-verify-token-0123456789&hub.challenge=1")
            .await;
        assert_eq!(status, 403, "hub.mode=subscribe is required");
    })
    .await;
}

#[tokio::test]
async fn a_duplicate_delivery_sends_one_reply_even_concurrently() {
    for_each_database(|url| async move {
        let graph = StandIn::start().await;
        let app = Arc::new(spawn_meta_app(&url, &graph, &[]).await);
        let from = "243830000001";
        let first = notification(vec![text(from, "wamid.dup.1", "Bonjour")]);
        assert_eq!(deliver(&app, &first).await, 200);
        assert_eq!(deliver(&app, &first).await, 200);
        settle(&app).await;
        assert_eq!(graph.delivered_to(from).len(), 1);

        let second = notification(vec![list_reply(from, "wamid.dup.2", "fr")]);
        let mut deliveries = JoinSet::new();
        for _ in 0..8 {
            let (app, second) = (app.clone(), second.clone());
            deliveries.spawn(async move { deliver(&app, &second).await });
        }
        while let Some(status) = deliveries.join_next().await {
            assert_eq!(status.unwrap(), 200);
        }
        settle(&app).await;
        let sent = graph.delivered_to(from);
        assert_eq!(sent.len(), 2, "{sent:?}");
        assert!(shown(&sent[1]).0.contains("(1/5)"));
        assert_eq!(
            metric(&app, "ciu_duplicate_deliveries_total{channel=\"meta\"}").await,
            8.0
        );
    })
    .await;
}

#[tokio::test]
async fn failed_sends_are_retried_and_delivered_once_and_refused_ones_dropped() {
    for_each_database(|url| async move {
        let graph = StandIn::start().await;
        let app = spawn_meta_app(&url, &graph, &[]).await;
        let from = "243840000001";
        graph.respond_with(&[500, 429]);
        let mut chat = Chat::new(&app, &graph, from);
        let welcome = chat.text("Bonjour").await;
        assert_eq!(welcome.len(), 1, "delivered exactly once");
        let attempts: Vec<u16> = graph.requests().iter().map(|r| r.status).collect();
        assert_eq!(attempts, [500, 429, 200]);
        assert!(graph
            .requests()
            .iter()
            .all(|r| r.body == graph.requests()[0].body));
        assert_eq!(
            metric(&app, "ciu_reply_send_retries_total{channel=\"meta\"}").await,
            2.0
        );

        // Meta refuses the next one for good (4xx): dropped, not retried, counted.
        graph.respond_with(&[400]);
        assert_eq!(
            deliver(&app, &notification(vec![text(from, "wamid.refused", "1")])).await,
            200
        );
        settle(&app).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let attempts: Vec<u16> = graph.requests().iter().map(|r| r.status).collect();
        assert_eq!(attempts, [500, 429, 200, 400]);
        assert_eq!(
            metric(
                &app,
                "ciu_reply_send_failures_total{channel=\"meta\",reason=\"rejected\"}"
            )
            .await,
            1.0
        );
        assert_eq!(
            metric(&app, "ciu_replies_sent_total{channel=\"meta\"}").await,
            1.0
        );
    })
    .await;
}

/// A reply queued by a server that cannot reach Meta stays in the database, sealed, and
/// is delivered by another server process (or the same one after a restart).
#[tokio::test]
async fn a_queued_reply_survives_and_is_sent_by_another_process() {
    for_each_database(|url| async move {
        let unreachable = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}", listener.local_addr().unwrap())
        };
        let dead = StandIn {
            url: unreachable,
            state: GraphState::default(),
        };
        let mut first = spawn_meta_app(&url, &dead, &[("META_RETRY_BASE_MS", "500")]).await;
        let from = "243850000001";
        for (i, body) in ["Bonjour", "1", "1985", "Kinshasa", "Jean", "15", "Kabila"]
            .iter()
            .enumerate()
        {
            let message = text(from, &format!("wamid.q.{i}"), body);
            assert_eq!(deliver(&first, &notification(vec![message])).await, 200);
        }
        assert_eq!(metric(&first, "ciu_outbox_pending").await, 7.0);
        let bytes = database_bytes(&url);
        for secret in ["Kabila", "KABILA", "Kinshasa", from] {
            assert!(!contains(&bytes, secret), "{secret} in clear in the outbox");
        }

        // The first server stops (its worker with it); the second one sends everything.
        first.stop().await;
        let graph = StandIn::start().await;
        let second = spawn_meta_app(&url, &graph, &[]).await;
        settle_within(&second, Duration::from_secs(60)).await;
        let sent = graph.delivered_to(from);
        assert_eq!(sent.len(), 7, "{sent:?}");
        assert!(shown(&sent[0]).0.contains("Code Identificateur Unique"));
        assert!(shown(&sent[2]).0.contains("(2/5)"), "in order: {sent:?}");
        assert_eq!(shown(&sent[6]).1, "button", "the confirmation, last");
    })
    .await;
}

#[tokio::test]
async fn two_servers_send_each_reply_once() {
    for_each_database(|url| async move {
        let graph = StandIn::start().await;
        let first = Arc::new(spawn_meta_app(&url, &graph, &[]).await);
        let second = Arc::new(spawn_meta_app(&url, &graph, &[]).await);
        let mut deliveries = JoinSet::new();
        for i in 0..30 {
            let app = if i % 2 == 0 {
                first.clone()
            } else {
                second.clone()
            };
            deliveries.spawn(async move {
                let from = format!("2438600{i:05}");
                let message = text(&from, &format!("wamid.two.{i}"), "Bonjour");
                deliver(&app, &notification(vec![message])).await
            });
        }
        while let Some(status) = deliveries.join_next().await {
            assert_eq!(status.unwrap(), 200);
        }
        settle(&first).await;
        let requests = graph.requests();
        assert_eq!(requests.len(), 30);
        let mut recipients: Vec<String> = requests
            .iter()
            .map(|r| r.body["to"].as_str().unwrap().to_owned())
            .collect();
        recipients.sort();
        recipients.dedup();
        assert_eq!(recipients.len(), 30, "each reply sent once");
    })
    .await;
}

#[tokio::test]
async fn statuses_images_and_batches() {
    for_each_database(|url| async move {
        let graph = StandIn::start().await;
        let app = spawn_meta_app(&url, &graph, &[]).await;

        // Delivery receipts only: accepted, nothing to answer.
        let statuses = envelope(json!({
            "statuses": [{ "id": "wamid.out", "status": "delivered", "timestamp": "1739321024", "recipient_id": "243870000001",
                           "conversation": { "id": "c1", "origin": { "type": "service" } },
                           "pricing": { "billable": false, "pricing_model": "PMP", "category": "service" } }]
        }));
        assert_eq!(deliver(&app, &statuses).await, 200);
        settle(&app).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(graph.requests().is_empty());

        // Two messages in one delivery: both processed, in order.
        let from = "243870000002";
        let batch = notification(vec![
            text(from, "wamid.batch.1", "Bonjour"),
            list_reply(from, "wamid.batch.2", "fr"),
        ]);
        assert_eq!(deliver(&app, &batch).await, 200);
        settle(&app).await;
        let sent = graph.delivered_to(from);
        assert_eq!(sent.len(), 2, "{sent:?}");
        assert!(shown(&sent[0]).0.contains("Code Identificateur Unique"));
        assert!(shown(&sent[1]).0.contains("(1/5)"));

        // An image: the polite re-prompt, the question again.
        let mut chat = Chat::new(&app, &graph, from);
        chat.sent = 2;
        let reprompt = chat.send(image(from, "wamid.image")).await;
        let (text, _) = shown(&reprompt[0]);
        assert!(text.contains("Je ne peux pas lire les images"), "{text}");
        assert!(text.contains("(1/5)"), "{text}");
    })
    .await;
}

#[tokio::test]
async fn routes_exist_only_for_enabled_channels() {
    for_each_database(|url| async move {
        let twilio_only = spawn_app(&url, &[]).await;
        let (status, _) = twilio_only.get("/whatsapp/meta").await;
        assert_eq!(status, 404);

        let graph = StandIn::start().await;
        let meta_only = spawn_meta_app(&url, &graph, &[("CHANNELS", "meta")]).await;
        let reply = meta_only.say("+243880000001", "Bonjour", None).await;
        assert_eq!(reply.status, 404, "no Twilio route");
        let (status, _) = meta_only.get("/health").await;
        assert_eq!(status, 200);
    })
    .await;
}

#[tokio::test]
async fn the_code_is_followed_by_its_qr_image() {
    for_each_database(|url| async move {
        let graph = StandIn::start().await;
        let public = "https://whatsapp.example.cd";
        let app = spawn_meta_app(
            &url,
            &graph,
            &[("ENABLE_QR_CODE", "true"), ("PUBLIC_BASE_URL", public)],
        )
        .await;
        let mut chat = Chat::new(&app, &graph, "243991230000");
        chat.text("Bonjour").await;
        chat.tap_row("fr").await;
        for answer in GUIDE {
            chat.text(answer).await;
        }
        let result = chat.tap_button("yes").await;
        assert_eq!(result.len(), 2, "the code, then its image: {result:?}");
        let code = code_in(&shown(&result[0]).0).unwrap();
        assert_eq!(result[1]["type"], "image");
        let link = result[1]["image"]["link"].as_str().unwrap();
        let path = link.strip_prefix(public).expect("a public link");
        let png = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(crate::qr::decode_qr(&png), code);
    })
    .await;
}
