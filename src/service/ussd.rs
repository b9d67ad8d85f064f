//! One USSD request of Africa's Talking (src/channels/ussd/): `text` carries every
//! input of the session so far, so each request feeds the engine only the inputs it has
//! not seen (counted per session in src/store/ussd.rs), each as a message with its own
//! id (`ussd:<sessionId>:<index>`) for the usual deduplication. The first request of a
//! session (no input) shows where the conversation was ([`Engine::resume`]); a repeated
//! request gets the same screen again and changes nothing.

use chrono::{DateTime, Utc};

use super::{Before, Bot, Claimed, Message, ReplyVia};
use crate::channels::ussd::{render_screen, Next, UssdRequest, USSD_CHANNEL};
use crate::flow::{Engine, Turn};
use crate::store::{StoreError, StoreTx};

/// How a USSD request is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UssdAnswer {
    /// The response body: `CON …` or `END …`, at most 182 characters.
    Screen(String),
    /// The session id is known under another number: refused (400), nothing shown.
    ForeignSession,
}

impl Bot {
    /// Answers one USSD request (see the module's documentation).
    pub async fn handle_ussd(
        &self,
        request: &UssdRequest,
        now: DateTime<Utc>,
    ) -> Result<UssdAnswer, StoreError> {
        let key = self.phone_key(&request.phone);
        let row = self.store.ussd_session(&request.session_id).await?;
        let mut fed = 0;
        if let Some(row) = &row {
            if row.phone != key {
                return Ok(UssdAnswer::ForeignSession);
            }
            fed = row.inputs_fed as usize;
            if request.inputs.len() <= fed {
                if let Some(screen) = self.open_screen(&row.screen) {
                    self.metrics.duplicate(USSD_CHANNEL);
                    tracing::info!(phone = %request.phone, "repeated USSD request: same screen");
                    return Ok(UssdAnswer::Screen(screen));
                }
            }
        }
        let mut screen = None;
        if row.is_none() || request.inputs.len() <= fed {
            // A new session, or an old screen that cannot be opened (another salt).
            screen = Some(self.ussd_step(request, None, now).await?);
        }
        for index in fed..request.inputs.len() {
            screen = Some(self.ussd_step(request, Some(index), now).await?);
        }
        let screen = screen.expect("a resume or an input was fed");
        let sealed = self.sealer.seal(screen.as_bytes());
        let total = u32::try_from(request.inputs.len()).unwrap_or(u32::MAX);
        self.store
            .save_ussd_session(&request.session_id, &key, total, &sealed, now)
            .await?;
        Ok(UssdAnswer::Screen(screen))
    }

    /// Feeds one input (`Some(index)`) or the session's opening (`None`) to the engine
    /// in one transaction, like [`Bot::handle_message`], and renders the screen.
    async fn ussd_step(
        &self,
        request: &UssdRequest,
        index: Option<usize>,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        let (text, number) = match index {
            None => ("", 0),
            Some(i) => (request.inputs[i].as_str(), i + 1),
        };
        let id = format!("ussd:{}:{number}", request.session_id);
        let message = Message {
            channel: USSD_CHANNEL,
            phone: &request.phone,
            message_id: Some(&id),
            text,
            media_count: 0,
            reply_via: ReplyVia::Inline,
        };
        let tx = self.store.begin(&self.phone_key(&request.phone)).await?;
        let mut tx = match self.claim_or_replay(tx, &message, now).await? {
            Claimed::New(tx) => tx,
            // Answered already (a request repeated while the first was under way):
            // the same replies; whether the session ended is not kept with them.
            Claimed::Replayed(handled) => {
                return Ok(render_screen(&handled.replies, Next::Continue))
            }
        };
        let engine = Engine::new(&self.flow, &self.salt).for_ussd();
        let (mut turn, before) = match index {
            None => self.resume_engine(&engine, &mut tx, now).await?,
            Some(_) => self.run_engine(&engine, &mut tx, &message, now).await?,
        };
        let mut counted = self.funnel_moves(&before, &turn);
        self.register(&engine, &mut tx, &mut turn, USSD_CHANNEL, &mut counted, now)
            .await?;
        self.metrics
            .events(USSD_CHANNEL, &turn.events, before.was_active);
        self.persist(&mut tx, &message, &turn, now).await?;
        tx.commit().await?;
        self.counters.add(now, counted);
        let next = if turn.session.phase.is_active() {
            Next::Continue
        } else {
            Next::End
        };
        Ok(render_screen(&turn.replies, next))
    }

    /// Like `run_engine`, for the first screen of a USSD session: nothing is an answer.
    async fn resume_engine(
        &self,
        engine: &Engine<'_>,
        tx: &mut StoreTx,
        now: DateTime<Utc>,
    ) -> Result<(Turn, Before), StoreError> {
        let (session, before) = self.load_open_session(engine, tx).await?;
        Ok((engine.resume(session, now), before))
    }

    fn open_screen(&self, sealed: &[u8]) -> Option<String> {
        String::from_utf8(self.sealer.open(sealed)?).ok()
    }
}
