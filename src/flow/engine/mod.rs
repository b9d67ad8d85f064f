//! The step engine: `(flow, session, inbound message, now) → (session', replies, events)`.
//! No IO and no clock: the caller loads and saves the session, passes the time, and
//! registers the code when a conversation completes.

use chrono::{DateTime, Utc};
use fluent_bundle::{FluentArgs, FluentValue};
use std::collections::BTreeMap;

use crate::code::{CiuRequest, Salt};
use crate::flow::extract::extract;
use crate::flow::session::{Answer, Phase, Session};
use crate::flow::validators::Rejection;
use crate::flow::{Command, Flow};
use crate::normalize::{normalize, normalize_words, without_bidi_controls};

mod resume;
mod turn;

use turn::Out;
pub use turn::{Event, Inbound, Registration, Reply, ReplyChoice, Turn};

pub struct Engine<'a> {
    pub flow: &'a Flow,
    pub salt: &'a Salt,
    /// USSD screens: each message in its short form (`.ussd`), the code without markup.
    ussd: bool,
    /// WhatsApp's markup (the code in ```monospace```); off for plain SMS.
    markup: bool,
}

impl<'a> Engine<'a> {
    pub fn new(flow: &'a Flow, salt: &'a Salt) -> Self {
        Engine {
            flow,
            salt,
            ussd: false,
            markup: true,
        }
    }

    /// The same engine for a channel without WhatsApp's markup (SMS): the code is written
    /// plainly whatever `ciu.monospace` says.
    pub fn without_markup(self) -> Self {
        Engine {
            markup: false,
            ..self
        }
    }

    /// The same engine, speaking in USSD screens (src/channels/ussd/).
    pub fn for_ussd(self) -> Self {
        Engine { ussd: true, ..self }
    }

    pub fn handle(&self, session: Option<Session>, inbound: &Inbound, now: DateTime<Utc>) -> Turn {
        let mut out = Out::default();
        let session = match session {
            Some(s) => s,
            None => return self.first_contact(inbound, now, out),
        };
        let mut session = session;
        if session.flow_id != self.flow.def.id
            || session.flow_revision != self.flow.revision
            || !self.state_is_consistent(&session)
        {
            let locale = self.known_locale(&session.locale);
            out.events.push(Event::FlowChanged);
            out.say(self.msg(&locale, "flow-changed", None));
            return self.start(self.fresh_session(&locale, now), out, false);
        }
        if session.phase.is_active() && self.is_expired(&session, now) {
            out.events.push(Event::Expired);
            let mut args = FluentArgs::new();
            args.set("minutes", self.flow.session_timeout_minutes);
            out.say(self.msg(&session.locale, "expired", Some(&args)));
            let fresh = self.fresh_session(&session.locale, now);
            return self.start(fresh, out, false);
        }
        session.last_activity = now.timestamp();

        let text = inbound.text;
        let words = normalize_words(text);
        if let Some(command) = self.flow.command(&session.locale, &words) {
            return self.command(session, command, out);
        }
        if session.phase == Phase::Finished {
            return self.start(session, out, true);
        }
        if words.is_empty() {
            let id = if inbound.media_count > 0 {
                "err-media"
            } else {
                "err-empty"
            };
            out.say(self.msg(&session.locale, id, None));
            return self.reprompt(session, out);
        }
        if text.chars().count() > self.flow.def.max_message_chars {
            let mut args = FluentArgs::new();
            args.set("max", self.flow.def.max_message_chars);
            out.say(self.msg(&session.locale, "err-too-long", Some(&args)));
            return self.reprompt(session, out);
        }

        match session.phase.clone() {
            Phase::ChoosingLanguage { then } => self.choose_language(session, *then, &words, out),
            Phase::Asking { step } | Phase::Correcting { step } => {
                self.answer(session, step, text, now, out)
            }
            Phase::Confirming => self.confirm(session, &words, out),
            Phase::ChoosingCorrection => self.choose_correction(session, &words, out),
            Phase::Finished => unreachable!("handled above"),
        }
    }

    /// Adds the result message once the registry has answered.
    pub fn deliver(&self, turn: &mut Turn, registration: &Registration) {
        let locale = &turn.session.locale;
        let (id, code) = match registration {
            Registration::New(code) => ("result-new", Some(code)),
            Registration::Existing(code) => ("result-existing", Some(code)),
            Registration::Unavailable => ("result-unavailable", None),
        };
        let mut args = FluentArgs::new();
        if let Some(code) = code {
            let shown = if self.flow.def.ciu.monospace && self.markup && !self.ussd {
                format!("```{code}```")
            } else {
                code.clone()
            };
            args.set("code", shown);
        }
        turn.replies
            .push(Reply::text(self.msg(locale, id, Some(&args))));
    }

    // ---- conversation starts ------------------------------------------------------

    /// A session whose answers were erased at expiry: the next message is told that it
    /// expired, in the person's language.
    pub fn expired_session(&self, locale: &str) -> Session {
        Session {
            last_activity: 0,
            ..self.fresh_session(locale, DateTime::UNIX_EPOCH)
        }
    }

    fn fresh_session(&self, locale: &str, now: DateTime<Utc>) -> Session {
        Session {
            flow_id: self.flow.def.id.clone(),
            flow_revision: self.flow.revision.clone(),
            locale: locale.to_owned(),
            phase: Phase::Asking { step: 0 },
            answers: Vec::new(),
            attempts: 0,
            last_activity: now.timestamp(),
        }
    }

    /// The very first message of a phone: welcome, then the language menu (when the flow
    /// has several languages). The message itself is never taken as an answer.
    fn first_contact(&self, inbound: &Inbound, now: DateTime<Utc>, mut out: Out) -> Turn {
        let mut session = self.fresh_session(&self.flow.def.default_locale, now);
        let command = self
            .flow
            .command(&session.locale, &normalize_words(inbound.text));
        if command == Some(Command::Stop) {
            return self.command(session, Command::Stop, out);
        }
        out.events.push(Event::Started);
        out.say(self.welcome(&session.locale));
        if self.flow.def.locales.len() > 1 {
            session.phase = Phase::ChoosingLanguage {
                then: Box::new(Phase::Asking { step: 0 }),
            };
        }
        match command {
            // Help or the language menu: after the welcome, what was asked for. Restart
            // and back ask for the beginning, which is where a first message is anyway.
            Some(command @ (Command::Help | Command::Language)) => {
                self.command(session, command, out)
            }
            _ => self.reprompt(session, out),
        }
    }

    /// Begins the questions in the session's language (answers erased).
    fn start(&self, mut session: Session, mut out: Out, greet: bool) -> Turn {
        session.answers.clear();
        session.attempts = 0;
        session.phase = Phase::Asking { step: 0 };
        out.events.push(Event::Started);
        if greet {
            out.say(self.welcome(&session.locale));
        }
        out.show(self.prompt(&session.locale, 0));
        out.finish(session)
    }

    fn welcome(&self, locale: &str) -> String {
        let mut args = FluentArgs::new();
        args.set("total", self.flow.steps.len());
        self.msg(locale, "welcome", Some(&args))
    }

    // ---- commands -------------------------------------------------------------------

    fn command(&self, mut session: Session, command: Command, mut out: Out) -> Turn {
        let locale = session.locale.clone();
        match command {
            Command::Restart => {
                out.events.push(Event::Restarted);
                out.say(self.msg(&locale, "restarted", None));
                self.start(session, out, false)
            }
            Command::Help => {
                let mut args = FluentArgs::new();
                for (name, cmd) in [
                    ("restart", Command::Restart),
                    ("back", Command::Back),
                    ("language", Command::Language),
                    ("stop", Command::Stop),
                ] {
                    args.set(name, self.alias(&locale, cmd));
                }
                out.say(self.msg(&locale, "help", Some(&args)));
                if session.phase.is_active() {
                    self.reprompt(session, out)
                } else {
                    out.finish(session)
                }
            }
            Command::Language => {
                let then = match session.phase.clone() {
                    Phase::ChoosingLanguage { then } => *then,
                    Phase::Finished => {
                        session.answers.clear();
                        Phase::Asking { step: 0 }
                    }
                    phase => phase,
                };
                session.phase = Phase::ChoosingLanguage {
                    then: Box::new(then),
                };
                out.show(self.language_menu());
                out.finish(session)
            }
            Command::Back => self.back(session, out),
            Command::Stop => {
                out.events.push(Event::Stopped);
                session.answers.clear();
                session.attempts = 0;
                session.phase = Phase::Finished;
                out.say(self.msg(&locale, "stopped", None));
                out.finish(session)
            }
        }
    }

    fn back(&self, mut session: Session, mut out: Out) -> Turn {
        session.attempts = 0;
        match session.phase.clone() {
            Phase::Asking { step: 0 } => {
                out.say(self.msg(&session.locale, "back-at-first", None));
                self.reprompt(session, out)
            }
            Phase::Asking { step } => {
                session.answers.truncate(step - 1);
                session.phase = Phase::Asking { step: step - 1 };
                self.reprompt(session, out)
            }
            Phase::Confirming => {
                let last = self.flow.steps.len() - 1;
                session.answers.truncate(last);
                session.phase = Phase::Asking { step: last };
                self.reprompt(session, out)
            }
            Phase::Correcting { .. } | Phase::ChoosingCorrection => {
                session.phase = Phase::Confirming;
                self.reprompt(session, out)
            }
            Phase::ChoosingLanguage { then } => {
                session.phase = *then;
                self.reprompt(session, out)
            }
            Phase::Finished => self.start(session, out, true),
        }
    }

    // ---- phases ---------------------------------------------------------------------

    fn choose_language(
        &self,
        mut session: Session,
        then: Phase,
        words: &str,
        mut out: Out,
    ) -> Turn {
        let locales = &self.flow.def.locales;
        let chosen = locales.iter().enumerate().find(|(i, code)| {
            words == (i + 1).to_string()
                || words == normalize_words(code)
                || words == normalize_words(&self.msg(code, "language-name", None))
        });
        match chosen {
            Some((_, code)) => {
                session.locale = code.clone();
                session.phase = then;
                out.say(self.msg(code, "language-set", None));
                self.reprompt(session, out)
            }
            None => {
                let mut args = FluentArgs::new();
                args.set("count", locales.len());
                out.say(self.msg(&session.locale, "language-invalid", Some(&args)));
                session.phase = Phase::ChoosingLanguage {
                    then: Box::new(then),
                };
                out.show(self.language_menu());
                out.finish(session)
            }
        }
    }

    fn answer(
        &self,
        mut session: Session,
        step: usize,
        text: &str,
        now: DateTime<Utc>,
        mut out: Out,
    ) -> Turn {
        let compiled = &self.flow.steps[step];
        match compiled.validator.check(text, now.date_naive()) {
            Ok(accepted) => {
                let answer = Answer {
                    step_id: compiled.def.id.clone(),
                    // Never echo direction controls back (src/normalize.rs).
                    shown: without_bidi_controls(&accepted.shown),
                    normalized: accepted.normalized,
                };
                session.attempts = 0;
                if matches!(session.phase, Phase::Correcting { .. }) {
                    session.answers[step] = answer;
                    session.phase = Phase::Confirming;
                    return self.reprompt(session, out);
                }
                out.events.push(Event::Answered {
                    step: compiled.def.id.clone(),
                });
                session.answers.push(answer);
                out.say(self.msg(&session.locale, "ack", None));
                if step + 1 < self.flow.steps.len() {
                    session.phase = Phase::Asking { step: step + 1 };
                    self.reprompt(session, out)
                } else if self.flow.def.confirm.enabled() {
                    session.phase = Phase::Confirming;
                    self.reprompt(session, out)
                } else {
                    self.complete(session, out)
                }
            }
            Err(rejection) => {
                out.events.push(Event::ValidationFailed {
                    step: compiled.def.id.clone(),
                });
                session.attempts += 1;
                if session.attempts >= self.flow.def.max_attempts {
                    out.events.push(Event::Abandoned);
                    session.answers.clear();
                    session.attempts = 0;
                    session.phase = Phase::Finished;
                    out.say(self.msg(&session.locale, "too-many-attempts", None));
                    return out.finish(session);
                }
                out.say(self.rejection_text(
                    &session.locale,
                    compiled.def.error.as_deref(),
                    &rejection,
                ));
                self.reprompt(session, out)
            }
        }
    }

    fn confirm(&self, mut session: Session, words: &str, mut out: Out) -> Turn {
        if self.flow.yes.contains(words) {
            return self.complete(session, out);
        }
        if self.flow.no.contains(words) {
            session.phase = Phase::ChoosingCorrection;
            return self.reprompt(session, out);
        }
        out.say(self.msg(&session.locale, "confirm-invalid", None));
        self.reprompt(session, out)
    }

    fn choose_correction(&self, mut session: Session, words: &str, mut out: Out) -> Turn {
        let count = self.flow.steps.len();
        match words.parse::<usize>() {
            Ok(n) if (1..=count).contains(&n) => {
                session.phase = Phase::Correcting { step: n - 1 };
                self.reprompt(session, out)
            }
            _ => {
                let mut args = FluentArgs::new();
                args.set("count", count);
                out.say(self.msg(&session.locale, "err-choice", Some(&args)));
                self.reprompt(session, out)
            }
        }
    }

    fn complete(&self, mut session: Session, mut out: Out) -> Turn {
        // The code is made of the canonical spelling of each answer (src/flow/spelling/):
        // Kabilla and Kabila give the same fragments and the same hash.
        let canonical: Vec<String> = self
            .flow
            .steps
            .iter()
            .zip(&session.answers)
            .map(|(step, a)| step.canonical(&a.normalized))
            .collect();
        let answers: Vec<(&str, &str)> = session
            .answers
            .iter()
            .zip(&canonical)
            .map(|(a, c)| (a.step_id.as_str(), c.as_str()))
            .collect();
        let fragments: BTreeMap<String, String> = self
            .flow
            .steps
            .iter()
            .zip(&canonical)
            .map(|(step, c)| (step.def.id.clone(), extract(&step.def.extract, c)))
            .collect();
        let request = CiuRequest::new(
            self.salt,
            self.flow.template.clone(),
            &self.flow.def.id,
            &answers,
            fragments,
        );
        out.events.push(Event::Completed);
        session.answers.clear();
        session.attempts = 0;
        session.phase = Phase::Finished;
        let mut turn = out.finish(session);
        turn.registration = Some(request);
        turn
    }

    // ---- what to show ---------------------------------------------------------------

    /// Shows again what the current phase is waiting for.
    fn reprompt(&self, session: Session, mut out: Out) -> Turn {
        let locale = session.locale.clone();
        let reply = match &session.phase {
            Phase::ChoosingLanguage { .. } => self.language_menu(),
            Phase::Asking { step } | Phase::Correcting { step } => self.prompt(&locale, *step),
            Phase::Confirming => self.summary(&session),
            Phase::ChoosingCorrection => Reply {
                text: self.msg(&locale, "correct-which", None),
                choices: self
                    .flow
                    .steps
                    .iter()
                    .enumerate()
                    .map(|(i, s)| ReplyChoice {
                        id: (i + 1).to_string(),
                        title: self.msg(&locale, &s.def.label, None),
                    })
                    .collect(),
            },
            Phase::Finished => return out.finish(session),
        };
        out.show(reply);
        out.finish(session)
    }

    /// Question `step` as the engine asks it in `locale`: numbered, with its choices
    /// (also shown by the console's flow view, src/console/flow_view.rs).
    pub fn prompt(&self, locale: &str, step: usize) -> Reply {
        let compiled = &self.flow.steps[step];
        let mut args = FluentArgs::new();
        args.set("number", step + 1);
        args.set("total", self.flow.steps.len());
        let choices = compiled
            .validator
            .choices()
            .iter()
            .map(|o| ReplyChoice {
                id: o.value.clone(),
                title: self.msg(locale, &o.label, None),
            })
            .collect();
        Reply {
            text: self.msg(locale, &compiled.def.prompt, Some(&args)),
            choices,
        }
    }

    fn summary(&self, session: &Session) -> Reply {
        let locale = &session.locale;
        let lines: Vec<String> = self
            .flow
            .steps
            .iter()
            .zip(&session.answers)
            .map(|(step, answer)| {
                let shown = step
                    .validator
                    .choices()
                    .iter()
                    .find(|o| o.value == answer.normalized)
                    .map_or_else(
                        || answer.shown.clone(),
                        |o| self.msg(locale, &o.label, None),
                    );
                let mut args = FluentArgs::new();
                args.set("label", self.msg(locale, &step.def.label, None));
                args.set("answer", shown);
                self.msg(locale, "summary-line", Some(&args))
            })
            .collect();
        let mut args = FluentArgs::new();
        args.set("summary", lines.join("\n"));
        Reply {
            text: self.msg(locale, "confirm-summary", Some(&args)),
            choices: vec![
                ReplyChoice {
                    id: "yes".into(),
                    title: self.msg(locale, "confirm-yes", None),
                },
                ReplyChoice {
                    id: "no".into(),
                    title: self.msg(locale, "confirm-no", None),
                },
            ],
        }
    }

    /// The menu is read before a language is chosen: its header joins every language's
    /// prompt, and each choice is a language's own name.
    fn language_menu(&self) -> Reply {
        let locales = &self.flow.def.locales;
        let header: Vec<String> = locales
            .iter()
            .map(|l| self.msg(l, "language-prompt", None))
            .collect();
        Reply {
            text: format!("{} :", header.join(" / ")),
            choices: locales
                .iter()
                .map(|l| ReplyChoice {
                    id: l.clone(),
                    title: self.msg(l, "language-name", None),
                })
                .collect(),
        }
    }

    fn rejection_text(&self, locale: &str, custom: Option<&str>, rejection: &Rejection) -> String {
        let mut args = FluentArgs::new();
        for (name, value) in &rejection.args {
            args.set(*name, FluentValue::from(*value));
        }
        self.msg(locale, custom.unwrap_or(rejection.message), Some(&args))
    }

    // ---- helpers --------------------------------------------------------------------

    fn msg(&self, locale: &str, id: &str, args: Option<&FluentArgs>) -> String {
        if self.ussd {
            return self.flow.catalogs.format_ussd(locale, id, args);
        }
        self.flow.catalogs.format(locale, id, args)
    }

    /// First alias of a command in `locale`, else in the reference language.
    fn alias(&self, locale: &str, command: Command) -> String {
        let c = &self.flow.def.commands;
        let aliases = match command {
            Command::Restart => &c.restart,
            Command::Help => &c.help,
            Command::Language => &c.language,
            Command::Back => &c.back,
            Command::Stop => &c.stop,
        };
        aliases
            .get(locale)
            .and_then(|a| a.first())
            .or_else(|| {
                aliases
                    .get(&self.flow.def.default_locale)
                    .and_then(|a| a.first())
            })
            .cloned()
            .unwrap_or_default()
    }

    fn known_locale(&self, locale: &str) -> String {
        if self.flow.def.locales.iter().any(|l| l == locale) {
            locale.to_owned()
        } else {
            self.flow.def.default_locale.clone()
        }
    }

    fn is_expired(&self, session: &Session, now: DateTime<Utc>) -> bool {
        now.timestamp() - session.last_activity > i64::from(self.flow.session_timeout_minutes) * 60
    }

    /// A stored session that does not fit the flow (edited by hand, or a bug) is
    /// restarted rather than trusted.
    fn state_is_consistent(&self, session: &Session) -> bool {
        let steps = self.flow.steps.len();
        let answered = session.answers.len();
        let ids_match = session
            .answers
            .iter()
            .zip(&self.flow.steps)
            .all(|(a, s)| a.step_id == s.def.id && !normalize(&a.normalized).is_empty());
        let phase_ok = match &session.phase {
            Phase::ChoosingLanguage { then } => !matches!(**then, Phase::ChoosingLanguage { .. }),
            Phase::Asking { step } => *step < steps && answered == *step,
            Phase::Correcting { step } => *step < steps && answered == steps,
            Phase::Confirming | Phase::ChoosingCorrection => answered == steps,
            Phase::Finished => answered == 0,
        };
        ids_match && phase_ok && self.flow.def.locales.contains(&session.locale)
    }
}
