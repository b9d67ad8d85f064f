//! What goes in and out of the engine: the inbound message, the replies, the events,
//! and the turn that carries them.

use crate::code::CiuRequest;
use crate::flow::session::Session;

/// One message from a person, as the channel adapter received it.
#[derive(Debug, Clone, Copy)]
pub struct Inbound<'a> {
    /// Text, or the id of the button / list row the person tapped.
    pub text: &'a str,
    /// Attachments (image, audio, sticker...) that came with it.
    pub media_count: u32,
}

/// One message to send back. `choices` are also written as a numbered list in
/// [`Reply::plain_text`]; channels with buttons may show them as buttons instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub text: String,
    pub choices: Vec<ReplyChoice>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyChoice {
    /// What the channel sends back when this choice is tapped.
    pub id: String,
    pub title: String,
}

impl Reply {
    pub(super) fn text(text: String) -> Self {
        Reply {
            text,
            choices: Vec::new(),
        }
    }

    /// The text with its choices numbered, for text-only channels.
    pub fn plain_text(&self) -> String {
        let mut out = self.text.clone();
        for (i, choice) in self.choices.iter().enumerate() {
            out.push_str(&format!("\n{}. {}", i + 1, choice.title));
        }
        out
    }
}

/// What happened, for metrics and the console's funnel (src/flow/funnel.rs). Never
/// carries an answer. `Answered`: the answer to the question `step` (its id) was
/// accepted while asking it (not when correcting it from the summary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Started,
    ValidationFailed { step: String },
    Answered { step: String },
    Completed,
    Abandoned,
    Expired,
    Restarted,
    Stopped,
    FlowChanged,
}

/// The engine's decision for one inbound message.
#[derive(Debug)]
pub struct Turn {
    pub session: Session,
    pub replies: Vec<Reply>,
    pub events: Vec<Event>,
    /// Set when the conversation completed: the caller registers it and then calls
    /// [`Engine::deliver`] to add the result message.
    pub registration: Option<CiuRequest>,
}

/// How the registry answered a completed conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registration {
    New(String),
    Existing(String),
    /// No code could be given (e.g. every collision candidate taken): say so plainly.
    Unavailable,
}

/// Collects the parts of one turn: texts said, then at most one thing shown (with choices).
#[derive(Default)]
pub(super) struct Out {
    pub(super) parts: Vec<String>,
    choices: Vec<ReplyChoice>,
    pub(super) events: Vec<Event>,
}

impl Out {
    pub(super) fn say(&mut self, text: String) {
        self.parts.push(text);
    }

    pub(super) fn show(&mut self, reply: Reply) {
        self.parts.push(reply.text);
        self.choices = reply.choices;
    }

    pub(super) fn finish(self, session: Session) -> Turn {
        let replies = if self.parts.is_empty() {
            Vec::new()
        } else {
            vec![Reply {
                text: self.parts.join("\n\n"),
                choices: self.choices,
            }]
        };
        Turn {
            session,
            replies,
            events: self.events,
            registration: None,
        }
    }
}
