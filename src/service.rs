//! One inbound message, start to finish, in one database transaction: deduplicate by
//! message id, load the session, run the engine, register a completed code, save the
//! session and the reply (kept for redeliveries, or queued in the outbox). A redelivery
//! gets the first reply or, through the outbox, nothing more; a failure leaves nothing
//! half-written.

use chrono::{DateTime, Duration, Utc};
use tokio::sync::Notify;

use crate::ciu::{derivation_fingerprint, Salt};
use crate::config::PhoneStorage;
use crate::flow::{Engine, Flow, Inbound, Registration, Reply, ReplyChoice, Session};
use crate::seal::Sealer;
use crate::store::{Claim, NewRecord, OutboundRow, Store, StoreError};
use crate::telemetry::{mask_phone, Metrics};

/// A message as a channel adapter hands it over.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    pub channel: &'static str,
    /// The sender in international form (`+243...`).
    pub phone: &'a str,
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
    /// The recipient in international form (`+243...`).
    pub phone: String,
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

pub struct Bot {
    pub flow: Flow,
    salt: Salt,
    pub store: Store,
    sealer: Sealer,
    phone_storage: PhoneStorage,
    pub fingerprint: String,
    pub metrics: Metrics,
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
            outbox_queued: Notify::new(),
        }
    }

    /// The phone number as stored: a keyed digest by default, so numbers can be matched
    /// but not read back from the database.
    pub fn stored_phone(&self, phone: &str) -> String {
        match self.phone_storage {
            PhoneStorage::Plain => phone.to_owned(),
            PhoneStorage::Hashed => format!("h:{}", &self.salt.keyed_hex("phone", phone)[..32]),
        }
    }

    /// Queues one more message for `phone` behind what is already queued (the QR image
    /// after the code), sealed like every outbox row, and wakes the worker.
    pub async fn queue_message(
        &self,
        channel: &str,
        phone: &str,
        body: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.store.begin(&self.stored_phone(phone)).await?;
        let payload = serde_json::to_vec(body).expect("JSON values serialize");
        tx.enqueue_outbound(
            channel,
            &self.sealer.seal(phone.as_bytes()),
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
        let phone = self.stored_phone(message.phone);
        let mut tx = self.store.begin(&phone).await?;
        if let Some(id) = message.message_id {
            if let Claim::Duplicate { reply } = tx.claim_message(id, now).await? {
                // The first processing may still be on its way to the disk (SQLite
                // commits messages together): its reply is given once it is there.
                tx.commit().await?;
                self.metrics.duplicate(message.channel);
                return Ok(Handled {
                    replies: match message.reply_via {
                        ReplyVia::Inline => {
                            tracing::info!(channel = message.channel, phone = %mask_phone(message.phone), "duplicate delivery: previous reply sent again");
                            reply
                                .and_then(|r| self.open_replies(&r))
                                .unwrap_or_default()
                        }
                        ReplyVia::Outbox(_) => {
                            tracing::info!(channel = message.channel, phone = %mask_phone(message.phone), "duplicate delivery: already answered");
                            Vec::new()
                        }
                    },
                    code: None,
                });
            }
        }
        let engine = Engine::new(&self.flow, &self.salt);
        let session = match tx.load_session().await? {
            None => None,
            Some(stored) => Some(
                match stored.state.as_deref().and_then(|s| self.open_session(s)) {
                    Some(session) => session,
                    // Erased at expiry (or unreadable): an old, empty session in the person's
                    // language, so the engine says politely that it expired.
                    None => engine.expired_session(&stored.locale),
                },
            ),
        };
        let was_active = session.as_ref().is_some_and(|s| s.phase.is_active());
        let mut turn = engine.handle(
            session,
            &Inbound {
                text: message.text,
                media_count: message.media_count,
            },
            now,
        );
        let mut code = None;
        if let Some(request) = turn.registration.take() {
            let record = NewRecord {
                phone_number: phone.clone(),
                flow_id: self.flow.def.id.clone(),
                flow_version: i64::from(self.flow.def.version),
                fingerprint: self.fingerprint.clone(),
            };
            let registration = match tx.register(&request, &record, now).await? {
                crate::store::Registered::New {
                    code,
                    collision_index,
                } => {
                    if collision_index > 0 {
                        self.metrics.collision();
                    }
                    self.metrics.code(true);
                    Registration::New(code)
                }
                crate::store::Registered::Existing { code } => {
                    self.metrics.code(false);
                    Registration::Existing(code)
                }
                crate::store::Registered::Exhausted => {
                    tracing::error!("no free code for a new person: every collision candidate is taken; increase ciu.hash.length");
                    Registration::Unavailable
                }
            };
            engine.deliver(&mut turn, &registration);
            code = match registration {
                Registration::New(code) | Registration::Existing(code) => Some(code),
                Registration::Unavailable => None,
            };
        }
        self.metrics
            .events(message.channel, &turn.events, was_active);
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
        let mut queued = false;
        match message.reply_via {
            ReplyVia::Inline => {
                if let Some(id) = message.message_id {
                    tx.record_reply(id, &self.sealer.seal(&encode_replies(&turn.replies)))
                        .await?;
                }
            }
            ReplyVia::Outbox(render) => {
                let list_button =
                    self.flow
                        .catalogs
                        .format(&turn.session.locale, "list-button", None);
                let sealed_phone = self.sealer.seal(message.phone.as_bytes());
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
            }
        }
        tx.commit().await?;
        if queued {
            self.outbox_queued.notify_one();
        }
        Ok(Handled {
            replies: turn.replies,
            code,
        })
    }

    /// Opens a claimed outbox row; `None` when it cannot be read (sealed under another
    /// salt, or damaged).
    pub fn open_outbound(&self, row: &OutboundRow) -> Option<Outbound> {
        let phone = String::from_utf8(self.sealer.open(&row.phone)?).ok()?;
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
