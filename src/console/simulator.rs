//! /console/simulateur: chat with the loaded flow in the page, through the engine of
//! `ciu simulate` (src/simulate.rs) with its in-memory registry and the development
//! salt: nothing is written anywhere. Works without JavaScript: the messages typed so
//! far travel in the form and the conversation is replayed on each send, so the page
//! shows exactly the transcript `ciu simulate` prints for the same lines.

use axum::extract::{Form, State};
use axum::response::Response;
use chrono::Utc;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::Staff;
use crate::code::Salt;
use crate::http::AppState;
use crate::simulate::Simulator;

/// A longer conversation is refused: the replay stays instant and the form small.
const MAX_MESSAGES: usize = 80;
const MAX_HISTORY_BYTES: usize = 16 * 1024;

#[derive(Deserialize)]
pub struct SendForm {
    #[serde(default)]
    csrf: String,
    /// The messages sent before, one per line.
    #[serde(default)]
    historique: String,
    #[serde(default)]
    message: String,
}

/// One bubble of the chat.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Bubble {
    pub from_person: bool,
    /// The text as WhatsApp shows it: a ```monospace``` span (the code, written so by
    /// src/flow/engine/mod.rs) loses its backticks and is shown in a fixed font.
    pub parts: Vec<BubblePart>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct BubblePart {
    pub text: String,
    pub monospace: bool,
}

impl Bubble {
    fn new(from_person: bool, text: String) -> Self {
        let parts = if from_person {
            vec![BubblePart {
                text,
                monospace: false,
            }]
        } else {
            whatsapp_parts(&text)
        };
        Bubble { from_person, parts }
    }
}

/// Splits on ``` pairs; an unpaired ``` stays as typed, as WhatsApp leaves it.
fn whatsapp_parts(text: &str) -> Vec<BubblePart> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("```") {
        let Some(length) = rest[open + 3..].find("```") else {
            break;
        };
        if open > 0 {
            parts.push(BubblePart {
                text: rest[..open].to_owned(),
                monospace: false,
            });
        }
        parts.push(BubblePart {
            text: rest[open + 3..open + 3 + length].to_owned(),
            monospace: true,
        });
        rest = &rest[open + 6 + length..];
    }
    if !rest.is_empty() {
        parts.push(BubblePart {
            text: rest.to_owned(),
            monospace: false,
        });
    }
    parts
}

/// GET: an empty conversation.
pub async fn page(State(state): State<AppState>, staff: Staff) -> Response {
    render(&state, &staff, Vec::new(), false)
}

/// POST: one more message.
pub async fn send(
    State(state): State<AppState>,
    staff: Staff,
    Form(form): Form<SendForm>,
) -> Response {
    let console = state
        .console
        .as_ref()
        .expect("the console's routes exist only with it");
    if !staff.form_is_ours(&form.csrf) {
        return console.form_refused(&staff);
    }
    let mut messages: Vec<String> = form
        .historique
        .lines()
        .map(str::to_owned)
        .filter(|m| !m.trim().is_empty())
        .collect();
    // One message is one line, as `ciu simulate` reads them.
    let message = form
        .message
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if !message.is_empty() {
        messages.push(message);
    }
    let too_long = messages.len() > MAX_MESSAGES
        || messages.iter().map(|m| m.len() + 1).sum::<usize>() > MAX_HISTORY_BYTES;
    if too_long {
        return render(&state, &staff, Vec::new(), true);
    }
    render(&state, &staff, messages, false)
}

fn render(state: &AppState, staff: &Staff, messages: Vec<String>, too_long: bool) -> Response {
    let console = state
        .console
        .as_ref()
        .expect("the console's routes exist only with it");
    let transcript = replay(&state.bot.flow, &console.simulation.salt, &messages);
    console.pages.render(
        "simulator.html",
        &staff.frame(state, "simulator", "/console/simulateur"),
        context! {
            bubbles => bubbles(&transcript),
            transcript => transcript,
            history => messages.join("\n"),
            too_long => too_long,
            salt_is_the_services => console.simulation.is_the_services,
        },
    )
}

/// The transcript of `ciu simulate` for these lines, with this salt.
pub fn replay(flow: &crate::flow::Flow, salt: &Salt, messages: &[String]) -> String {
    let mut simulator = Simulator::new(flow, salt, Utc::now());
    simulator.run_script(&messages.join("\n"))
}

/// The transcript as chat bubbles: `> message`, then `< line`s until an empty line.
pub fn bubbles(transcript: &str) -> Vec<Bubble> {
    let mut out: Vec<Bubble> = Vec::new();
    let mut reply: Option<Vec<&str>> = None;
    for line in transcript.lines() {
        if let Some(text) = line.strip_prefix("> ") {
            out.push(Bubble::new(true, text.to_owned()));
        } else if line == "<" || line.starts_with("< ") {
            reply
                .get_or_insert_with(Vec::new)
                .push(line.strip_prefix("< ").unwrap_or(""));
        } else if line.is_empty() {
            if let Some(lines) = reply.take() {
                out.push(Bubble::new(false, lines.join("\n")));
            }
        }
    }
    if let Some(lines) = reply {
        out.push(Bubble::new(false, lines.join("\n")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn the_guides_answers_give_the_guides_code_in_bubbles() {
        let flow = crate::flow::load(Path::new("flows/ciu.yaml"), Path::new("locales"))
            .expect("the default flow loads")
            .flow;
        let lines: Vec<String> = [
            "Bonjour", "1", "1985", "Kinshasa", "Jean", "15", "Kabila", "OUI",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let salt = Salt::new(crate::simulate::DEVELOPMENT_SALT).unwrap();
        let transcript = replay(&flow, &salt, &lines);
        let chat = bubbles(&transcript);
        assert_eq!(chat.iter().filter(|b| b.from_person).count(), 8);
        let last = chat.last().unwrap();
        assert!(!last.from_person);
        let shown: String = last.parts.iter().map(|p| p.text.as_str()).collect();
        assert!(shown.contains("985-KINS-15-JEA-KABI-"), "{shown}");
        let code: Vec<&BubblePart> = last.parts.iter().filter(|p| p.monospace).collect();
        assert_eq!(code.len(), 1, "{:?}", last.parts);
        assert!(code[0].text.starts_with("985-KINS-15-JEA-KABI-"));
        assert!(!code[0].text.contains('`'));
    }

    #[test]
    fn whatsapp_monospace_spans_lose_their_backticks_and_an_unpaired_one_stays() {
        let parts = whatsapp_parts("Code :\n```ABC``` ici ```");
        let shown: Vec<(&str, bool)> = parts
            .iter()
            .map(|p| (p.text.as_str(), p.monospace))
            .collect();
        assert_eq!(
            shown,
            [("Code :\n", false), ("ABC", true), (" ici ```", false)]
        );
        let person = Bubble::new(true, "```x```".into());
        assert!(
            !person.parts[0].monospace,
            "a person's message is shown as typed"
        );
    }
}
