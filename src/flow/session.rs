//! The state kept between two messages of one person. The engine reads and returns it;
//! the store persists it (encrypted) and erases it when the conversation ends.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub flow_id: String,
    /// Digest of the flow definition this session began under; a different one means
    /// the questions changed and the session must not continue.
    pub flow_revision: String,
    pub locale: String,
    pub phase: Phase,
    /// Valid answers so far, in step order. Erased when the conversation ends.
    pub answers: Vec<Answer>,
    /// Invalid answers given to the current question.
    pub attempts: u32,
    /// Unix seconds of the last message; drives expiry.
    pub last_activity: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    /// Waiting for a number from the language menu; `then` is where to go next.
    ChoosingLanguage { then: Box<Phase> },
    /// Waiting for the answer to `steps[step]`.
    Asking { step: usize },
    /// All answers given; waiting for yes/no on the summary.
    Confirming,
    /// The person said "no": waiting for the number of the answer to fix.
    ChoosingCorrection,
    /// Re-asking `steps[step]`; afterwards the summary is shown again.
    Correcting { step: usize },
    /// Conversation over (code delivered, stopped, or given up). Only the language is
    /// kept, so the next conversation greets the person in it.
    Finished,
}

impl Phase {
    /// Short name stored in `conversation_sessions.current_step` (no answer in it).
    pub fn name(&self, steps: &[impl AsRef<str>]) -> String {
        match self {
            Phase::ChoosingLanguage { .. } => "choosing_language".into(),
            Phase::Asking { step } | Phase::Correcting { step } => steps
                .get(*step)
                .map(|s| s.as_ref().to_owned())
                .unwrap_or_else(|| format!("step_{step}")),
            Phase::Confirming => "confirming".into(),
            Phase::ChoosingCorrection => "choosing_correction".into(),
            Phase::Finished => "finished".into(),
        }
    }

    pub fn is_active(&self) -> bool {
        !matches!(self, Phase::Finished)
    }
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub step_id: String,
    /// What the person typed, trimmed (shown back in the summary).
    pub shown: String,
    /// The canonical normalized value that is hashed.
    pub normalized: String,
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Answers must never reach logs, even through a stray `{:?}`.
        write!(f, "Answer({}: [redacted])", self.step_id)
    }
}
