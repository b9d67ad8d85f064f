//! The conversation funnel of the staff console's dashboard: what one message moved,
//! as the names of daily counters (`daily_counters`, migrations/*/0009_console.sql).
//! Pure: from the phase before the message, the phase after and the turn's events.
//!
//! The stages, in the order of a conversation: `language` (the language menu),
//! each question by its step id (asked, or corrected from the summary), `confirm` (the
//! summary and the choice of the answer to correct). For each, `funnel|<stage>|<what>`:
//!
//! - `reached`: the conversation enters the stage going forward. A question is reached
//!   from no conversation, a finished one, the language menu of a beginning
//!   conversation (see below) or an earlier question; going back to it (`back`) does
//!   not reach it. After an expiry, a changed flow, a restart or a stop in the same
//!   message, the conversation starts afresh: the question it starts with is reached.
//!   `confirm` is reached from the last question, `language` from no conversation or a
//!   finished one.
//! - `answered`: a question's answer accepted while asking it ([`Event::Answered`]);
//!   the summary confirmed ([`Event::Completed`]); a language chosen from the menu of a
//!   beginning conversation (leaving it for a question).
//! - `refused`: an answer refused by the question's validator.
//! - `left_expired`, `left_stopped`, `left_attempts`: the conversation ended at this
//!   stage (the stage before the message) by expiry, by `stop`, by too many refused
//!   answers.
//!
//! The language menu does not remember why it was opened: one whose next phase is the
//! first question is taken as the start of a conversation (a first message, or after a
//! finished one), also when someone at the first question asked for the menu. The menu
//! opened later in a conversation is not part of the funnel: choosing a language there
//! and coming back to the same question counts nothing.
//!
//! Names are made of step ids and fixed words only: never an answer. The console's
//! other counters, of codes given, are named here too ([`code_counter`]).

use super::session::Phase;
use super::Event;
use crate::flow::Flow;

/// The stage of the language menu.
pub const LANGUAGE: &str = "language";
/// The stage of the summary (and of choosing the answer to correct).
pub const CONFIRM: &str = "confirm";

pub const REACHED: &str = "reached";
pub const ANSWERED: &str = "answered";
pub const REFUSED: &str = "refused";
pub const LEFT_EXPIRED: &str = "left_expired";
pub const LEFT_STOPPED: &str = "left_stopped";
pub const LEFT_ATTEMPTS: &str = "left_attempts";

/// The name of one funnel counter: `funnel|<stage>|<what>`.
pub fn counter(stage: &str, what: &str) -> String {
    format!("funnel|{stage}|{what}")
}

/// The counter of codes given: `codes|new|<channel>|<locale>` for a new person,
/// `codes|returning|<channel>|<locale>` for a code given again (src/service.rs).
pub fn code_counter(new: bool, channel: &str, locale: &str) -> String {
    let kind = if new { "new" } else { "returning" };
    format!("codes|{kind}|{channel}|{locale}")
}

/// The stages of `flow`, in conversation order: `language` when there is a menu
/// (several languages), each step id, `confirm` when the summary is asked for.
pub fn stages(flow: &Flow) -> Vec<String> {
    let mut stages = Vec::with_capacity(flow.steps.len() + 2);
    if flow.def.locales.len() > 1 {
        stages.push(LANGUAGE.to_owned());
    }
    stages.extend(flow.steps.iter().map(|s| s.def.id.clone()));
    if flow.def.confirm.enabled() {
        stages.push(CONFIRM.to_owned());
    }
    stages
}

/// The counters one message adds to (each by one; a name may come twice). `steps` are
/// the flow's step ids in order; `before` is the phase of the person's session before
/// the message (`None`: no conversation, or one whose phase is unknown), `after` the
/// phase the engine left it in.
pub fn increments<S: AsRef<str>>(
    steps: &[S],
    before: Option<&Phase>,
    after: &Phase,
    events: &[Event],
) -> Vec<String> {
    let mut counted = Vec::new();
    let mut add = |stage: &str, what: &str| counted.push(counter(stage, what));
    let stage_before = before.and_then(|phase| stage_of(steps, phase));

    for event in events {
        match event {
            Event::Answered { step } => add(step, ANSWERED),
            Event::ValidationFailed { step } => add(step, REFUSED),
            Event::Completed if matches!(before, Some(Phase::Confirming)) => add(CONFIRM, ANSWERED),
            Event::Expired => {
                if let Some(stage) = stage_before {
                    add(stage, LEFT_EXPIRED);
                }
            }
            Event::Stopped if before.is_some_and(Phase::is_active) => {
                if let Some(stage) = stage_before {
                    add(stage, LEFT_STOPPED);
                }
            }
            Event::Abandoned => {
                if let Some(stage) = stage_before {
                    add(stage, LEFT_ATTEMPTS);
                }
            }
            Event::Completed
            | Event::Stopped
            | Event::Started
            | Event::Restarted
            | Event::FlowChanged => {}
        }
    }

    // After one of these, the conversation the message found is over: what follows
    // is a fresh start.
    let reset = events.iter().any(|e| {
        matches!(
            e,
            Event::Expired | Event::FlowChanged | Event::Restarted | Event::Stopped
        )
    });
    let before = if reset { None } else { before };
    let fresh = matches!(before, None | Some(Phase::Finished));
    // Where the conversation came from, going forward: the language menu of a
    // beginning conversation is its start; a later one leads back where it was.
    let origin = match before {
        Some(Phase::ChoosingLanguage { then }) if **then == Phase::Asking { step: 0 } => None,
        Some(Phase::ChoosingLanguage { then }) => Some(&**then),
        Some(Phase::Finished) => None,
        other => other,
    };

    match after {
        Phase::ChoosingLanguage { .. } if fresh => add(LANGUAGE, REACHED),
        Phase::Asking { step } => {
            let forward = match origin {
                None => true,
                Some(Phase::Asking { step: from }) => from < step,
                Some(_) => false,
            };
            if forward {
                if let Some(id) = steps.get(*step) {
                    add(id.as_ref(), REACHED);
                }
            }
        }
        Phase::Confirming if matches!(before, Some(Phase::Asking { step }) if step + 1 == steps.len()) => {
            add(CONFIRM, REACHED)
        }
        _ => {}
    }

    // The language chosen from the menu of a beginning conversation.
    if let Some(Phase::ChoosingLanguage { then }) = before {
        let left_for_a_question =
            after.is_active() && !matches!(after, Phase::ChoosingLanguage { .. });
        if **then == (Phase::Asking { step: 0 }) && left_for_a_question {
            add(LANGUAGE, ANSWERED);
        }
    }
    counted
}

/// The stage a phase belongs to; `None` once the conversation is over.
fn stage_of<'s, S: AsRef<str>>(steps: &'s [S], phase: &Phase) -> Option<&'s str> {
    match phase {
        Phase::ChoosingLanguage { .. } => Some(LANGUAGE),
        Phase::Asking { step } | Phase::Correcting { step } => steps.get(*step).map(|s| s.as_ref()),
        Phase::Confirming | Phase::ChoosingCorrection => Some(CONFIRM),
        Phase::Finished => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::Salt;
    use crate::flow::{Engine, Inbound, Session};
    use chrono::{DateTime, Duration, TimeZone, Utc};
    use std::collections::BTreeMap;
    use std::path::Path;

    fn shipped_flow() -> Flow {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        crate::flow::load(&root.join("flows/ciu.yaml"), &root.join("locales"))
            .unwrap_or_else(|d| panic!("the shipped flow loads: {d:?}"))
            .flow
    }

    const ANSWERS: [&str; 5] = ["1985", "Kinshasa", "Jean", "15", "Kabila"];

    /// One person's conversation through the real engine, with the funnel's tally.
    struct Conversation<'a> {
        engine: Engine<'a>,
        steps: Vec<String>,
        session: Option<Session>,
        now: DateTime<Utc>,
        tally: BTreeMap<String, usize>,
    }

    impl<'a> Conversation<'a> {
        fn new(flow: &'a Flow, salt: &'a Salt) -> Self {
            Conversation {
                engine: Engine::new(flow, salt),
                steps: flow.step_ids().iter().map(|s| s.to_string()).collect(),
                session: None,
                now: Utc.with_ymd_and_hms(2026, 6, 15, 9, 0, 0).unwrap(),
                tally: BTreeMap::new(),
            }
        }

        fn send(&mut self, text: &str) -> &mut Self {
            let session = self.session.take();
            let before = session.as_ref().map(|s| s.phase.clone());
            let inbound = Inbound {
                text,
                media_count: 0,
            };
            let turn = self.engine.handle(session, &inbound, self.now);
            self.count(before.as_ref(), &turn);
            self.session = Some(turn.session);
            self.now += Duration::seconds(20);
            self
        }

        fn all(&mut self, texts: &[&str]) -> &mut Self {
            for text in texts {
                self.send(text);
            }
            self
        }

        fn count(&mut self, before: Option<&Phase>, turn: &crate::flow::Turn) {
            for name in increments(&self.steps, before, &turn.session.phase, &turn.events) {
                *self.tally.entry(name).or_default() += 1;
            }
        }

        fn wait(&mut self, minutes: i64) -> &mut Self {
            self.now += Duration::minutes(minutes);
            self
        }

        /// The tally since the last call.
        fn take(&mut self) -> BTreeMap<String, usize> {
            std::mem::take(&mut self.tally)
        }
    }

    fn tally(expected: &[(&str, &str, usize)]) -> BTreeMap<String, usize> {
        expected
            .iter()
            .map(|(stage, what, n)| (counter(stage, what), *n))
            .collect()
    }

    /// Reached and answered for the questions `from..to`, in the shipped flow.
    fn questions(from: usize, to: usize) -> Vec<(&'static str, &'static str, usize)> {
        let ids = [
            "birth_year",
            "mother_birthplace",
            "first_name",
            "birth_day",
            "last_name",
        ];
        ids[from..to]
            .iter()
            .flat_map(|id| [(*id, REACHED, 1), (*id, ANSWERED, 1)])
            .collect()
    }

    #[test]
    fn a_whole_conversation_reaches_and_answers_every_stage_once() {
        let (flow, salt) = (
            shipped_flow(),
            Salt::new("funnel-test-salt-0123456789").unwrap(),
        );
        let mut c = Conversation::new(&flow, &salt);
        c.send("Bonjour");
        assert_eq!(c.take(), tally(&[(LANGUAGE, REACHED, 1)]));
        c.send("1");
        assert_eq!(
            c.take(),
            tally(&[(LANGUAGE, ANSWERED, 1), ("birth_year", REACHED, 1)])
        );
        c.all(&ANSWERS).send("oui");
        let mut expected = questions(1, 5);
        expected.extend([
            ("birth_year", ANSWERED, 1),
            (CONFIRM, REACHED, 1),
            (CONFIRM, ANSWERED, 1),
        ]);
        assert_eq!(c.take(), tally(&expected));
        assert_eq!(c.session.as_ref().unwrap().phase, Phase::Finished);

        // The next message starts again at the first question, without the menu.
        c.send("Bonjour");
        assert_eq!(c.take(), tally(&[("birth_year", REACHED, 1)]));
    }

    #[test]
    fn the_stages_of_the_shipped_flow() {
        let flow = shipped_flow();
        assert_eq!(
            stages(&flow),
            [
                "language",
                "birth_year",
                "mother_birthplace",
                "first_name",
                "birth_day",
                "last_name",
                "confirm"
            ]
        );
    }

    #[test]
    fn refusals_and_too_many_of_them() {
        let (flow, salt) = (
            shipped_flow(),
            Salt::new("funnel-test-salt-0123456789").unwrap(),
        );
        let mut c = Conversation::new(&flow, &salt);
        c.all(&["Bonjour", "1", "85", "1985"]).take();
        // Three refused answers at the second question: the conversation ends there.
        c.all(&["K1nshasa", "123", "4"]);
        assert_eq!(
            c.take(),
            tally(&[
                ("mother_birthplace", REFUSED, 3),
                ("mother_birthplace", LEFT_ATTEMPTS, 1)
            ])
        );
        assert_eq!(c.session.as_ref().unwrap().phase, Phase::Finished);
    }

    #[test]
    fn back_is_not_reaching_and_the_way_forward_again_is() {
        let (flow, salt) = (
            shipped_flow(),
            Salt::new("funnel-test-salt-0123456789").unwrap(),
        );
        let mut c = Conversation::new(&flow, &salt);
        c.all(&["Bonjour", "1", "1985", "Kinshasa"]).take();
        c.send("retour");
        assert_eq!(c.take(), tally(&[]), "back to the second question");
        c.send("Kinshasa");
        assert_eq!(
            c.take(),
            tally(&[
                ("mother_birthplace", ANSWERED, 1),
                ("first_name", REACHED, 1)
            ])
        );
        // Back from the first question stays there; from the summary, to the last one.
        let mut d = Conversation::new(&flow, &salt);
        d.all(&["Bonjour", "1", "retour"]).take();
        assert_eq!(d.take(), tally(&[]));
        d.all(&ANSWERS).take();
        d.send("retour");
        assert_eq!(d.take(), tally(&[]));
        d.send("Kabila");
        assert_eq!(
            d.take(),
            tally(&[("last_name", ANSWERED, 1), (CONFIRM, REACHED, 1)])
        );
    }

    #[test]
    fn corrections_from_the_summary_count_nothing_until_confirmed() {
        let (flow, salt) = (
            shipped_flow(),
            Salt::new("funnel-test-salt-0123456789").unwrap(),
        );
        let mut c = Conversation::new(&flow, &salt);
        c.all(&["Bonjour", "1"]).all(&ANSWERS).take();
        c.all(&["non", "4", "32", "5"]);
        assert_eq!(
            c.take(),
            tally(&[("birth_day", REFUSED, 1)]),
            "a refused correction is refused at its question"
        );
        c.send("oui");
        assert_eq!(c.take(), tally(&[(CONFIRM, ANSWERED, 1)]));
    }

    #[test]
    fn stop_leaves_the_stage_it_was_at_and_the_next_message_starts_again() {
        let (flow, salt) = (
            shipped_flow(),
            Salt::new("funnel-test-salt-0123456789").unwrap(),
        );
        let mut c = Conversation::new(&flow, &salt);
        c.all(&["Bonjour", "1", "1985", "Kinshasa"]).take();
        c.send("STOP");
        assert_eq!(c.take(), tally(&[("first_name", LEFT_STOPPED, 1)]));
        c.send("STOP");
        assert_eq!(c.take(), tally(&[]), "nothing under way");
        c.send("Bonjour");
        assert_eq!(c.take(), tally(&[("birth_year", REACHED, 1)]));

        // A first message that is STOP starts nothing; STOP at the menu leaves it.
        let mut d = Conversation::new(&flow, &salt);
        d.send("STOP");
        assert_eq!(d.take(), tally(&[]));
        let mut e = Conversation::new(&flow, &salt);
        e.all(&["Bonjour", "STOP"]);
        assert_eq!(
            e.take(),
            tally(&[(LANGUAGE, REACHED, 1), (LANGUAGE, LEFT_STOPPED, 1)])
        );
    }

    #[test]
    fn expiry_leaves_the_stage_and_starts_afresh() {
        let (flow, salt) = (
            shipped_flow(),
            Salt::new("funnel-test-salt-0123456789").unwrap(),
        );
        let mut c = Conversation::new(&flow, &salt);
        c.all(&["Bonjour", "1", "1985", "Kinshasa", "Jean"]).take();
        c.wait(16).send("15");
        assert_eq!(
            c.take(),
            tally(&[("birth_day", LEFT_EXPIRED, 1), ("birth_year", REACHED, 1)]),
            "the message after the expiry is not an answer"
        );
        // At the summary.
        c.all(&ANSWERS).take();
        c.wait(16).send("oui");
        assert_eq!(
            c.take(),
            tally(&[(CONFIRM, LEFT_EXPIRED, 1), ("birth_year", REACHED, 1)])
        );
        // A conversation whose answers cleanup erased: where it was is unknown.
        let expired = c.engine.expired_session("fr");
        let turn = c.engine.handle(
            Some(expired),
            &Inbound {
                text: "1985",
                media_count: 0,
            },
            c.now,
        );
        c.count(None, &turn);
        assert_eq!(c.take(), tally(&[("birth_year", REACHED, 1)]));
    }

    #[test]
    fn restart_and_a_changed_flow_start_afresh() {
        let (flow, salt) = (
            shipped_flow(),
            Salt::new("funnel-test-salt-0123456789").unwrap(),
        );
        let mut c = Conversation::new(&flow, &salt);
        c.all(&["Bonjour", "1", "1985", "Kinshasa"]).take();
        c.send("RECOMMENCER");
        assert_eq!(c.take(), tally(&[("birth_year", REACHED, 1)]));
        c.send("1985").take();
        c.session.as_mut().unwrap().flow_revision = "an older flow".into();
        c.send("Kinshasa");
        assert_eq!(c.take(), tally(&[("birth_year", REACHED, 1)]));
        // Restart once finished, too.
        c.all(&ANSWERS).send("oui").take();
        c.send("RECOMMENCER");
        assert_eq!(c.take(), tally(&[("birth_year", REACHED, 1)]));
    }

    #[test]
    fn the_language_menu_in_the_middle_is_not_part_of_the_funnel() {
        let (flow, salt) = (
            shipped_flow(),
            Salt::new("funnel-test-salt-0123456789").unwrap(),
        );
        let mut c = Conversation::new(&flow, &salt);
        c.all(&["Bonjour", "1", "1985", "Kinshasa"]).take();
        c.all(&["LANGUE", "9", "2"]);
        assert_eq!(c.take(), tally(&[]), "back at the same question");
        c.send("Jean");
        assert_eq!(
            c.take(),
            tally(&[("first_name", ANSWERED, 1), ("birth_day", REACHED, 1)])
        );
        // From the summary, and back from the menu.
        c.all(&["15", "Kabila"]).take();
        c.all(&["LANGUE", "1"]);
        assert_eq!(c.take(), tally(&[]));
        // Once finished, the menu starts a conversation again.
        c.send("oui").take();
        c.all(&["LANGUE", "4"]);
        assert_eq!(
            c.take(),
            tally(&[
                (LANGUAGE, REACHED, 1),
                (LANGUAGE, ANSWERED, 1),
                ("birth_year", REACHED, 1)
            ])
        );
        // Back from the first menu skips the choice: the first question is reached.
        let mut d = Conversation::new(&flow, &salt);
        d.all(&["Bonjour", "retour"]);
        assert_eq!(
            d.take(),
            tally(&[
                (LANGUAGE, REACHED, 1),
                (LANGUAGE, ANSWERED, 1),
                ("birth_year", REACHED, 1)
            ])
        );
        // An invalid choice, help, an empty message: nothing moves.
        let mut e = Conversation::new(&flow, &salt);
        e.all(&["Bonjour", "9", "AIDE"]);
        assert_eq!(e.take(), tally(&[(LANGUAGE, REACHED, 1)]));
    }

    #[test]
    fn a_flow_without_menu_or_summary() {
        let (mut flow, salt) = (
            shipped_flow(),
            Salt::new("funnel-test-salt-0123456789").unwrap(),
        );
        flow.def.locales = vec!["fr".into()];
        flow.def.confirm = crate::flow::definition::ConfirmSetting::Enabled(false);
        assert_eq!(stages(&flow).len(), 5);
        let mut c = Conversation::new(&flow, &salt);
        c.send("Bonjour");
        assert_eq!(c.take(), tally(&[("birth_year", REACHED, 1)]));
        c.all(&ANSWERS);
        let mut expected = questions(1, 5);
        expected.push(("birth_year", ANSWERED, 1));
        assert_eq!(c.take(), tally(&expected), "no summary: nothing of confirm");
    }

    #[test]
    fn names_never_hold_the_message() {
        let steps = ["birth_year"];
        let events = [Event::ValidationFailed {
            step: "birth_year".into(),
        }];
        let names = increments(
            &steps,
            Some(&Phase::Asking { step: 0 }),
            &Phase::Asking { step: 0 },
            &events,
        );
        assert_eq!(names, ["funnel|birth_year|refused"]);
    }
}
