//! The first screen of a new USSD session (src/channels/ussd/): the person dialled
//! again, maybe after the network cut the previous session. Nothing is taken as an
//! answer: the conversation under way is shown where it was, with the word that
//! restarts it; without one, the welcome.

use chrono::{DateTime, Utc};
use fluent_bundle::FluentArgs;

use super::turn::Out;
use super::{Engine, Inbound, Turn};
use crate::flow::session::Session;
use crate::flow::Command;

impl Engine<'_> {
    /// Re-asks what the conversation was waiting for ("resumed" + the question), or
    /// starts as a first message would (welcome, expiry notice, new flow).
    pub fn resume(&self, session: Option<Session>, now: DateTime<Utc>) -> Turn {
        let empty = Inbound {
            text: "",
            media_count: 0,
        };
        match session {
            Some(mut session) if session.phase.is_active() && self.resumable(&session, now) => {
                session.last_activity = now.timestamp();
                let mut out = Out::default();
                let mut args = FluentArgs::new();
                args.set("restart", self.alias(&session.locale, Command::Restart));
                out.say(self.msg(&session.locale, "resumed", Some(&args)));
                self.reprompt(session, out)
            }
            // No conversation, a finished one, an expired one or one of an older
            // flow: `handle` says so and starts again, never reading the empty text
            // as an answer (a finished or reset conversation starts before that).
            session => self.handle(session, &empty, now),
        }
    }

    fn resumable(&self, session: &Session, now: DateTime<Utc>) -> bool {
        session.flow_id == self.flow.def.id
            && session.flow_revision == self.flow.revision
            && self.state_is_consistent(session)
            && !self.is_expired(session, now)
    }
}
