//! One inbound message, start to finish, in one database transaction: deduplicate by
//! message id, load the session, run the engine, register a completed code, save the
//! session and the reply (kept for redeliveries, or queued in the outbox). A redelivery
//! gets the first reply or, through the outbox, nothing more; a failure leaves nothing
//! half-written.

use chrono::{DateTime, Duration, Utc};
use tokio::sync::Notify;

use crate::channels::ChannelId;
use crate::code::{derivation_fingerprint, Salt};
use crate::config::PhoneStorage;
use crate::flow::funnel;
use crate::flow::{Engine, Flow, Inbound, Phase, Registration, Reply, ReplyChoice, Session, Turn};
use crate::phone::{PhoneKey, PhoneNumber};
use crate::seal::Sealer;
use crate::store::{Claim, NewRecord, OutboundRow, Registered, Store, StoreError, StoreTx};
use crate::telemetry::Metrics;

mod counters;
mod ussd;

pub use counters::DailyCounters;
pub use ussd::UssdAnswer;

/// A message as a channel adapter hands it over.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    pub channel: ChannelId,
    /// The sender: a number, or a WhatsApp user id (src/phone.rs).
    pub phone: &'a PhoneNumber,
    /// The provider's id (Twilio `MessageSid`, Meta `wamid`), for deduplication.
    pub message_id: Option<&'a str>,
    pub text: &'a str,
    pub media_count: u32,
    pub reply_via: ReplyVia,
}

/// How the channel delivers replies.
#[derive(Debug, Clone, Copy)]
pub enum ReplyVia {
    /// In the webhook's HTTP response (Twilio's TwiML): the replies are returned, and
    /// kept so that a redelivery gets them again.
    Inline,
    /// Through the provider's API: each reply is rendered into the channel's messages
    /// and queued in the outbox, in the same transaction; the outbox worker sends them.
    /// A redelivery queues nothing, the first processing already did.
    Outbox(Renderer),
}

/// Turns one reply into the channel's message bodies. `list_button` is the label, in
/// the person's language, of the button that opens a list of choices.
pub type Renderer = fn(reply: &Reply, list_button: &str) -> Vec<serde_json::Value>;

/// A queued message, opened for sending.
pub struct Outbound {
    /// The recipient.
    pub phone: PhoneNumber,
    pub body: serde_json::Value,
}

/// What one message led to.
#[derive(Debug, Clone)]
pub struct Handled {
    pub replies: Vec<Reply>,
    /// The code given in these replies, when the conversation reached it. A redelivery
    /// answered from the stored reply has none.
    pub code: Option<String>,
}

/// Where the person's conversation was before a message: for the metrics and the
/// console's funnel.
struct Before {
    /// The conversation was under way (an erased, expired one too).
    was_active: bool,
    /// Its phase; `None` without a conversation, or when its state was erased at
    /// expiry (where it was is unknown).
    phase: Option<Phase>,
}

/// Where [`Bot::claim_or_replay`] leaves a message. Moved once per message: boxing the
/// transaction would cost an allocation per message for nothing.
#[allow(clippy::large_enum_variant)]
enum Claimed {
    /// Seen for the first time: processing goes on in this transaction.
    New(StoreTx),
    /// A redelivery, answered.
    Replayed(Handled),
}

pub struct Bot {
    pub flow: Flow,
    salt: Salt,
    pub store: Store,
    sealer: Sealer,
    phone_storage: PhoneStorage,
    pub fingerprint: String,
    pub metrics: Metrics,
    /// The console's daily counters, written every second (src/service/counters.rs).
    pub counters: DailyCounters,
    /// Signalled when messages were queued in the outbox, to wake the worker at once.
    pub outbox_queued: Notify,
}

impl Bot {
    pub fn new(flow: Flow, salt: Salt, store: Store, phone_storage: PhoneStorage) -> Self {
        let sealer = Sealer::new(salt.derive_key("at-rest/v1"));
        let fingerprint = derivation_fingerprint(&salt, &flow.derivation);
        Bot {
            flow,
            salt,
            store,
            sealer,
            phone_storage,
            fingerprint,
            metrics: Metrics::default(),
            counters: DailyCounters::default(),
            outbox_queued: Notify::new(),
        }
    }

    /// The derivation fingerprint `flow` would run with under this service's salt
    /// (the console compares the files on disk with the running flow); the salt itself
    /// never leaves this type.
    pub fn fingerprint_of(&self, flow: &Flow) -> String {
        derivation_fingerprint(&self.salt, &flow.derivation)
    }

    /// A key for `purpose`, derived from the salt (which never leaves this type).
    pub fn derive_key(&self, purpose: &str) -> [u8; 32] {
        self.salt.derive_key(purpose)
    }

    /// The key this number is stored and locked under (`PHONE_STORAGE`).
    pub fn phone_key(&self, phone: &PhoneNumber) -> PhoneKey {
        PhoneKey::of(phone, self.phone_storage, &self.salt)
    }

    /// Queues one more message for `phone` behind what is already queued (the QR image
    /// after the code), sealed like every outbox row, and wakes the worker.
    pub async fn queue_message(
        &self,
        channel: ChannelId,
        phone: &PhoneNumber,
        body: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.store.begin(&self.phone_key(phone)).await?;
        let payload = serde_json::to_vec(body).expect("JSON values serialize");
        tx.enqueue_outbound(
            channel,
            &self.sealer.seal(phone.as_str().as_bytes()),
            &self.sealer.seal(&payload),
            now,
        )
        .await?;
        tx.commit().await?;
        self.outbox_queued.notify_one();
        Ok(())
    }

    /// Processes one inbound message; returns the replies and the code the conversation
    /// reached, if it did (channels send it as a QR image too).
    pub async fn handle_message(
        &self,
        message: Message<'_>,
        now: DateTime<Utc>,
    ) -> Result<Handled, StoreError> {
        let tx = self.store.begin(&self.phone_key(message.phone)).await?;
        let mut tx = match self.claim_or_replay(tx, &message, now).await? {
            Claimed::New(tx) => tx,
            Claimed::Replayed(handled) => return Ok(handled),
        };
        let engine = match message.channel.is_whatsapp() {
            true => Engine::new(&self.flow, &self.salt),
            false => Engine::new(&self.flow, &self.salt).without_markup(),
        };
        let (mut turn, before) = self.run_engine(&engine, &mut tx, &message, now).await?;
        let mut counted = self.funnel_moves(&before, &turn);
        let code = self
            .register(
                &engine,
                &mut tx,
                &mut turn,
                message.channel,
                &mut counted,
                now,
            )
            .await?;
        if let Some(code) = &code {
            tx.note_channel(code, message.channel).await?;
        }
        self.metrics
            .events(message.channel, &turn.events, before.was_active);
        let queued = self.persist(&mut tx, &message, &turn, now).await?;
        tx.commit().await?;
        // Counted once the message is kept: a failed message is processed again later.
        self.counters.add(now, counted);
        if queued {
            self.outbox_queued.notify_one();
        }
        Ok(Handled {
            replies: turn.replies,
            code,
        })
    }

    /// Claims the message id; a redelivery ends here, with the first reply again (inline)
    /// or nothing (outbox: the first processing queued it).
    async fn claim_or_replay(
        &self,
        mut tx: StoreTx,
        message: &Message<'_>,
        now: DateTime<Utc>,
    ) -> Result<Claimed, StoreError> {
        let Some(id) = message.message_id else {
            return Ok(Claimed::New(tx));
        };
        let Claim::Duplicate { reply } = tx.claim_message(id, now).await? else {
            return Ok(Claimed::New(tx));
        };
        // The first processing may still be on its way to the disk (SQLite commits
        // messages together): its reply is given once it is there.
        tx.commit().await?;
        self.metrics.duplicate(message.channel);
        let (channel, phone) = (message.channel, message.phone);
        let replies = match message.reply_via {
            ReplyVia::Inline => {
                tracing::info!(%channel, %phone, "duplicate delivery: previous reply sent again");
                reply
                    .and_then(|r| self.open_replies(&r))
                    .unwrap_or_default()
            }
            ReplyVia::Outbox(_) => {
                tracing::info!(%channel, %phone, "duplicate delivery: already answered");
                Vec::new()
            }
        };
        Ok(Claimed::Replayed(Handled {
            replies,
            code: None,
        }))
    }

    /// Opens the stored session and lets the engine answer; also says where the
    /// conversation was before this message (for the metrics and the funnel).
    async fn run_engine(
        &self,
        engine: &Engine<'_>,
        tx: &mut StoreTx,
        message: &Message<'_>,
        now: DateTime<Utc>,
    ) -> Result<(Turn, Before), StoreError> {
        let (session, before) = self.load_open_session(engine, tx).await?;
        let inbound = Inbound {
            text: message.text,
            media_count: message.media_count,
        };
        Ok((engine.handle(session, &inbound, now), before))
    }

    /// The stored session of the transaction's person, opened, and where its
    /// conversation was (for the metrics and the funnel).
    async fn load_open_session(
        &self,
        engine: &Engine<'_>,
        tx: &mut StoreTx,
    ) -> Result<(Option<Session>, Before), StoreError> {
        let mut known = true;
        let session = tx.load_session().await?.map(|stored| {
            match stored.state.as_deref().and_then(|s| self.open_session(s)) {
                Some(session) => session,
                // Erased at expiry (or unreadable): an old, empty session in the
                // person's language, so the engine says politely that it expired.
                None => {
                    known = false;
                    engine.expired_session(&stored.locale)
                }
            }
        });
        let before = Before {
            was_active: session.as_ref().is_some_and(|s| s.phase.is_active()),
            phase: session.as_ref().filter(|_| known).map(|s| s.phase.clone()),
        };
        Ok((session, before))
    }

    /// What this message moved in the conversation funnel, as the console's daily
    /// counters (src/flow/funnel.rs).
    fn funnel_moves(&self, before: &Before, turn: &Turn) -> Vec<String> {
        funnel::increments(
            &self.flow.step_ids(),
            before.phase.as_ref(),
            &turn.session.phase,
            &turn.events,
        )
    }

    /// Gives the code the conversation reached, when it reached one, and puts it (or
    /// the apology that none is free) in the replies. Adds its console counter to
    /// `counted`: `codes|new|<channel>|<locale>` or `codes|returning|<channel>|<locale>`.
    async fn register(
        &self,
        engine: &Engine<'_>,
        tx: &mut StoreTx,
        turn: &mut Turn,
        channel: ChannelId,
        counted: &mut Vec<String>,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        let Some(request) = turn.registration.take() else {
            return Ok(None);
        };
        let record = NewRecord {
            phone_number: tx.phone().clone(),
            flow_id: self.flow.def.id.clone(),
            flow_version: i64::from(self.flow.def.version),
            fingerprint: self.fingerprint.clone(),
        };
        let registration = match tx.register(&request, &record, now).await? {
            Registered::New {
                code,
                collision_index,
                possible_duplicates,
            } => {
                if collision_index > 0 {
                    self.metrics.collision();
                }
                self.metrics.possible_duplicates(possible_duplicates);
                self.metrics.code(true);
                Registration::New(code)
            }
            Registered::Existing { code } => {
                self.metrics.code(false);
                Registration::Existing(code)
            }
            Registered::Exhausted => {
                tracing::error!("no free code for a new person: every collision candidate is taken; increase ciu.hash.length");
                Registration::Unavailable
            }
        };
        let new = match registration {
            Registration::New(_) => Some(true),
            Registration::Existing(_) => Some(false),
            Registration::Unavailable => None,
        };
        if let Some(new) = new {
            let locale = &turn.session.locale;
            counted.push(funnel::code_counter(new, channel.label(), locale));
        }
        engine.deliver(turn, &registration);
        Ok(match registration {
            Registration::New(code) | Registration::Existing(code) => Some(code),
            Registration::Unavailable => None,
        })
    }

    /// Saves the session and the replies: kept for redeliveries (inline) or queued in
    /// the outbox. Returns whether anything was queued.
    async fn persist(
        &self,
        tx: &mut StoreTx,
        message: &Message<'_>,
        turn: &Turn,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let step_ids = self.flow.step_ids();
        let minutes = i64::from(self.flow.session_timeout_minutes);
        let state = serde_json::to_vec(&turn.session).expect("sessions serialize");
        tx.save_session(
            &turn.session.phase.name(&step_ids),
            &turn.session.locale,
            &self.sealer.seal(&state),
            now + Duration::minutes(minutes),
            now,
        )
        .await?;
        match message.reply_via {
            ReplyVia::Inline => {
                if let Some(id) = message.message_id {
                    tx.record_reply(id, &self.sealer.seal(&encode_replies(&turn.replies)))
                        .await?;
                }
                Ok(false)
            }
            ReplyVia::Outbox(render) => self.queue_replies(tx, message, turn, render, now).await,
        }
    }

    /// Renders the replies into the channel's messages and queues them, sealed.
    async fn queue_replies(
        &self,
        tx: &mut StoreTx,
        message: &Message<'_>,
        turn: &Turn,
        render: Renderer,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let list_button = self
            .flow
            .catalogs
            .format(&turn.session.locale, "list-button", None);
        let sealed_phone = self.sealer.seal(message.phone.as_str().as_bytes());
        let mut queued = false;
        for reply in &turn.replies {
            for body in render(reply, &list_button) {
                let payload = serde_json::to_vec(&body).expect("JSON values serialize");
                tx.enqueue_outbound(
                    message.channel,
                    &sealed_phone,
                    &self.sealer.seal(&payload),
                    now,
                )
                .await?;
                queued = true;
            }
        }
        Ok(queued)
    }

    /// Opens a claimed outbox row; `None` when it cannot be read (sealed under another
    /// salt, or damaged).
    pub fn open_outbound(&self, row: &OutboundRow) -> Option<Outbound> {
        let phone = PhoneNumber::new(String::from_utf8(self.sealer.open(&row.phone)?).ok()?);
        let body = serde_json::from_slice(&self.sealer.open(&row.payload)?).ok()?;
        Some(Outbound { phone, body })
    }

    fn open_session(&self, sealed: &[u8]) -> Option<Session> {
        serde_json::from_slice(&self.sealer.open(sealed)?).ok()
    }

    fn open_replies(&self, sealed: &[u8]) -> Option<Vec<Reply>> {
        decode_replies(&self.sealer.open(sealed)?)
    }
}

/// Replies kept for redeliveries: text and choices, as JSON (sealed by the caller).
fn encode_replies(replies: &[Reply]) -> Vec<u8> {
    let value: Vec<serde_json::Value> = replies
        .iter()
        .map(|r| {
            serde_json::json!({
                "text": r.text,
                "choices": r.choices.iter().map(|c| [c.id.as_str(), c.title.as_str()]).collect::<Vec<_>>(),
            })
        })
        .collect();
    serde_json::to_vec(&value).expect("replies serialize")
}

fn decode_replies(bytes: &[u8]) -> Option<Vec<Reply>> {
    let value: Vec<serde_json::Value> = serde_json::from_slice(bytes).ok()?;
    value
        .into_iter()
        .map(|r| {
            let text = r.get("text")?.as_str()?.to_owned();
            let choices = r
                .get("choices")?
                .as_array()?
                .iter()
                .map(|c| {
                    Some(ReplyChoice {
                        id: c.get(0)?.as_str()?.to_owned(),
                        title: c.get(1)?.as_str()?.to_owned(),
                    })
                })
                .collect::<Option<Vec<_>>>()?;
            Some(Reply { text, choices })
        })
        .collect()
}
