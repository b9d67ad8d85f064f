//! `ciu simulate`: the real engine in a terminal, with an in-memory registry, so staff
//! can try a flow change before going live. Scripts (one message per line) make
//! transcripts for tests.
//!
//! Script lines: a message to send, or a directive:
//! `# comment`, `!wait MINUTES` (advance the clock), `!media` (an image without text),
//! `!empty` (a message with no text), `!phone NAME` (switch to another phone; the
//! registry is shared). Blank lines are ignored.
//! `!ussd` switches to USSD screens (src/channels/ussd/): messages in their short form,
//! each reply one `CON `/`END ` screen; `!dial` then opens a new USSD session (the
//! first, empty request: where the conversation was, or the welcome).
//!
//! Transcript: `> message`, then each reply's lines as `< line` (`<` alone for a blank
//! line inside a reply), and an empty line after each reply.

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;

use crate::channels::ussd::{render_screen, Next};
use crate::code::{CiuRequest, Salt};
use crate::flow::{Engine, Flow, Inbound, Registration, Session, Turn};

/// Fixed salt for trying flows without configuration. Codes made with it are not valid
/// for production, and every transcript says so.
pub const DEVELOPMENT_SALT: &str = "DEVELOPMENT-salt-not-for-production-1";

/// Person key → code, and code → person key: the registry of `simulate`.
#[derive(Default)]
pub struct MemoryRegistry {
    by_person: HashMap<String, String>,
    by_code: HashMap<String, String>,
}

impl MemoryRegistry {
    pub fn register(&mut self, request: &CiuRequest) -> Registration {
        if let Some(code) = self.by_person.get(&request.person_key) {
            return Registration::Existing(code.clone());
        }
        for (_, code) in request.candidates() {
            if !self.by_code.contains_key(&code) {
                self.by_code
                    .insert(code.clone(), request.person_key.clone());
                self.by_person
                    .insert(request.person_key.clone(), code.clone());
                return Registration::New(code);
            }
        }
        Registration::Unavailable
    }
}

/// A conversation bench: sessions per phone, a shared registry, a clock.
pub struct Simulator<'a> {
    engine: Engine<'a>,
    /// Replies as USSD screens (`!ussd`).
    ussd: bool,
    sessions: HashMap<String, Session>,
    pub registry: MemoryRegistry,
    pub now: DateTime<Utc>,
}

impl<'a> Simulator<'a> {
    pub fn new(flow: &'a Flow, salt: &'a Salt, now: DateTime<Utc>) -> Self {
        Simulator {
            engine: Engine::new(flow, salt),
            ussd: false,
            sessions: HashMap::new(),
            registry: MemoryRegistry::default(),
            now,
        }
    }

    /// Sends one message from `phone` and returns the replies as plain text.
    pub fn send(&mut self, phone: &str, text: &str, media_count: u32) -> Vec<String> {
        let session = self.sessions.remove(phone);
        let turn: Turn = self
            .engine
            .handle(session, &Inbound { text, media_count }, self.now);
        self.finish(phone, turn)
    }

    /// A new USSD session of `phone` (its first, empty request).
    pub fn dial(&mut self, phone: &str) -> Vec<String> {
        let session = self.sessions.remove(phone);
        let turn = self.engine.resume(session, self.now);
        self.finish(phone, turn)
    }

    fn finish(&mut self, phone: &str, mut turn: Turn) -> Vec<String> {
        if let Some(request) = turn.registration.take() {
            let registration = self.registry.register(&request);
            self.engine.deliver(&mut turn, &registration);
        }
        let next = if turn.session.phase.is_active() {
            Next::Continue
        } else {
            Next::End
        };
        self.sessions.insert(phone.to_owned(), turn.session);
        if self.ussd {
            return vec![render_screen(&turn.replies, next)];
        }
        turn.replies.iter().map(|r| r.plain_text()).collect()
    }

    /// Runs a script and returns the transcript: `> message` then `< reply` lines.
    pub fn run_script(&mut self, script: &str) -> String {
        let mut phone = String::from("+243000000001");
        let mut transcript = String::new();
        for line in script.lines() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            if line.trim_start().starts_with('#') {
                transcript.push_str(line);
                transcript.push('\n');
                continue;
            }
            let (text, media) = if let Some(minutes) = line.strip_prefix("!wait ") {
                let minutes: i64 = minutes.trim().parse().unwrap_or(0);
                self.now += Duration::minutes(minutes);
                transcript.push_str(&format!("{line}\n"));
                continue;
            } else if let Some(name) = line.strip_prefix("!phone ") {
                phone = name.trim().to_owned();
                transcript.push_str(&format!("{line}\n"));
                continue;
            } else if line == "!ussd" {
                self.ussd = true;
                self.engine = Engine::new(self.engine.flow, self.engine.salt).for_ussd();
                transcript.push_str(&format!("{line}\n"));
                continue;
            } else if line == "!dial" {
                transcript.push_str(&format!("{line}\n"));
                let screens = self.dial(&phone);
                push_replies(&mut transcript, &screens);
                self.now += Duration::seconds(20);
                continue;
            } else if line == "!media" {
                ("", 1)
            } else if line == "!empty" {
                ("", 0)
            } else {
                (line, 0)
            };
            transcript.push_str(&format!("> {line}\n"));
            let replies = self.send(&phone, text, media);
            push_replies(&mut transcript, &replies);
            self.now += Duration::seconds(20);
        }
        transcript
    }
}

/// Each reply's lines as `< line` (`<` alone for a blank line), then an empty line.
fn push_replies(transcript: &mut String, replies: &[String]) {
    for reply in replies {
        for reply_line in reply.lines() {
            if reply_line.is_empty() {
                transcript.push_str("<\n");
            } else {
                transcript.push_str(&format!("< {reply_line}\n"));
            }
        }
        transcript.push('\n');
    }
}
