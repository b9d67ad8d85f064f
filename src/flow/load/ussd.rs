//! USSD screens fit: every screen the engine can show in USSD mode (src/flow/engine/,
//! `Engine::for_ussd`), in every listed language, is at most 182 characters with its
//! `CON `/`END ` prefix and numbered choices (src/channels/ussd/render.rs). A message
//! too long for a screen gets a short form in its catalog: a `.ussd` attribute.

use fluent_bundle::FluentArgs;
use std::collections::BTreeMap;

use crate::channels::ussd::{MAX_SCREEN_CHARS, PREFIX_CHARS};
use crate::diagnostics::Diagnostic;
use crate::flow::definition::CommandsDef;
use crate::flow::Flow;

/// Answers echoed in the summary are counted with this many characters; a longer
/// answer is cut (…) on the screen.
pub const SUMMARY_ANSWER_CHARS: usize = 12;
/// The longest fragment an extraction gives in the shipped rules (src/flow/extract/).
const FRAGMENT_CHARS: usize = 5;
/// Inputs that make each validator refuse, to see every refusal it can show.
const PROBES: &[&str] = &[
    "x",
    "0",
    "1",
    "32",
    "99",
    "1899",
    "3000",
    "99999",
    "abc1",
    "ZZ-ZZZ",
    "31/02/1985",
    "15/03/3000",
    "15/03/1800",
    "1/1",
];

/// One screen: the messages said (id and text), then what is shown with its choices.
struct Screen {
    parts: Vec<(String, String)>,
    choices: Vec<String>,
}

impl Screen {
    fn chars(&self) -> usize {
        let text: Vec<&str> = self.parts.iter().map(|(_, t)| t.as_str()).collect();
        let mut length = PREFIX_CHARS + text.join("\n\n").chars().count();
        for (i, choice) in self.choices.iter().enumerate() {
            length += format!("\n{}. {choice}", i + 1).chars().count();
        }
        length
    }
}

/// One error per message too long for a screen, at its definition (file:line), naming
/// the longest screen it is part of. The summary echoes answers and grows with each
/// question: too long, it is a warning (the screen is cut before its choices, …).
pub fn check_ussd_screens(flow: &Flow) -> Vec<Diagnostic> {
    type Worst = (usize, String, bool);
    let mut worst: BTreeMap<(String, String), Worst> = BTreeMap::new();
    for lang in &flow.def.locales {
        for screen in screens(flow, lang) {
            let length = screen.chars();
            if length <= MAX_SCREEN_CHARS {
                continue;
            }
            let Some((blamed, _)) = screen
                .parts
                .iter()
                .max_by_key(|(_, text)| text.chars().count())
            else {
                continue;
            };
            let names: Vec<&str> = screen.parts.iter().map(|(id, _)| id.as_str()).collect();
            let echo = names.contains(&"confirm-summary");
            let entry =
                worst
                    .entry((lang.clone(), blamed.clone()))
                    .or_insert((0, String::new(), echo));
            entry.2 = entry.2 && echo;
            if length > entry.0 {
                (entry.0, entry.1) = (length, names.join(" + "));
            }
        }
    }
    worst
        .into_iter()
        .filter_map(|((lang, id), (length, names, echo))| {
            let info = flow.catalogs.get(&lang)?.messages.get(&id)?;
            let sentence = format!("l'écran USSD « {names} » ({lang}) a {length} caractères ; un écran USSD en permet {MAX_SCREEN_CHARS}. Donnez à « {id} » une forme courte : une ligne « .ussd = … » sous le message, indentée.");
            Some(if echo {
                Diagnostic::warning(&info.file, info.position, format!("{sentence} Sinon, le résumé sera coupé (…) avant Oui/Non ; raccourcissez aussi les libellés (.ussd)."))
            } else {
                Diagnostic::error(&info.file, info.position, sentence)
            })
        })
        .collect()
}

/// Every screen of `lang`: each what-is-shown (question, language menu, summary,
/// correction list) after each thing that can be said before it, and the last screens.
fn screens(flow: &Flow, lang: &str) -> Vec<Screen> {
    let say = |id: &str, args: Option<&FluentArgs>| {
        (id.to_owned(), flow.catalogs.format_ussd(lang, id, args))
    };
    let mut out = Vec::new();
    let mut before_each = |shown: &Screen, said: Vec<(String, String)>| {
        for part in said {
            let mut parts = vec![part];
            parts.extend(shown.parts.iter().cloned());
            out.push(Screen {
                parts,
                choices: shown.choices.clone(),
            });
        }
    };
    let mut common = vec![
        say(
            "resumed",
            Some(&aliases(&flow.def.commands, lang, &flow.def.default_locale)),
        ),
        say(
            "help",
            Some(&aliases(&flow.def.commands, lang, &flow.def.default_locale)),
        ),
    ];
    common.push(say("err-empty", None));
    common.push(say(
        "err-too-long",
        Some(&args(&[("max", flow.def.max_message_chars as i64)])),
    ));
    let menu = language_menu(flow);
    let mut said = common.clone();
    said.push(say(
        "welcome",
        Some(&args(&[("total", flow.steps.len() as i64)])),
    ));
    said.push(say(
        "language-invalid",
        Some(&args(&[("count", flow.def.locales.len() as i64)])),
    ));
    before_each(&menu, said);
    for (index, step) in flow.steps.iter().enumerate() {
        let prompt = prompt(flow, lang, index);
        let mut said = common.clone();
        said.push(say("ack", None));
        for rejection in refusals(flow, index) {
            let id = step
                .def
                .error
                .clone()
                .unwrap_or_else(|| rejection.message.to_owned());
            let values: Vec<(&str, i64)> = rejection.args.clone();
            said.push(say(&id, Some(&args(&values))));
        }
        if index == 0 {
            for id in ["language-set", "restarted", "back-at-first", "flow-changed"] {
                said.push(say(id, None));
            }
            let minutes = i64::from(flow.session_timeout_minutes);
            said.push(say("expired", Some(&args(&[("minutes", minutes)]))));
            said.push(say(
                "welcome",
                Some(&args(&[("total", flow.steps.len() as i64)])),
            ));
        }
        before_each(&prompt, said);
    }
    if flow.def.confirm.enabled() {
        let summary = summary(flow, lang);
        let said = vec![
            say("ack", None),
            say("confirm-invalid", None),
            common[0].clone(),
        ];
        before_each(&summary, said);
        let correct = correction_list(flow, lang);
        let count = flow.steps.len() as i64;
        let said = vec![
            say("err-choice", Some(&args(&[("count", count)]))),
            common[0].clone(),
        ];
        before_each(&correct, said);
        out.push(correct);
    }
    out.extend(last_screens(flow, lang));
    out
}

/// The screens that end a session (`END `): the code, or why there is none.
fn last_screens(flow: &Flow, lang: &str) -> Vec<Screen> {
    let mut code_args = FluentArgs::new();
    code_args.set(
        "code",
        sample_code(&flow.def.ciu.template, flow.def.ciu.hash.length),
    );
    [
        ("result-new", Some(&code_args)),
        ("result-existing", Some(&code_args)),
        ("result-unavailable", None),
        ("too-many-attempts", None),
        ("stopped", None),
    ]
    .into_iter()
    .map(|(id, args)| Screen {
        parts: vec![(id.to_owned(), flow.catalogs.format_ussd(lang, id, args))],
        choices: Vec::new(),
    })
    .collect()
}

/// A code as long as the template can make one: each fragment counted as
/// [`FRAGMENT_CHARS`] characters, the hash as its length.
fn sample_code(template: &str, hash_length: usize) -> String {
    let mut code = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        code.push_str(&rest[..start]);
        let Some(end) = rest[start..].find("}}") else {
            break;
        };
        let name = rest[start + 2..start + end].trim();
        let length = if name == "hash" {
            hash_length
        } else {
            FRAGMENT_CHARS
        };
        code.push_str(&"W".repeat(length));
        rest = &rest[start + end + 2..];
    }
    code.push_str(rest);
    code
}

fn args(values: &[(&str, i64)]) -> FluentArgs<'static> {
    let mut args = FluentArgs::new();
    for (name, value) in values {
        args.set(name.to_string(), *value);
    }
    args
}

/// The first word of each command in `lang` (else the reference language), as the
/// engine gives them to `help` and `resumed`.
pub(super) fn aliases(commands: &CommandsDef, lang: &str, reference: &str) -> FluentArgs<'static> {
    let mut args = FluentArgs::new();
    for (name, words) in [
        ("restart", &commands.restart),
        ("back", &commands.back),
        ("language", &commands.language),
        ("stop", &commands.stop),
    ] {
        let first = words
            .get(lang)
            .and_then(|w| w.first())
            .or_else(|| words.get(reference).and_then(|w| w.first()))
            .cloned()
            .unwrap_or_default();
        args.set(name, first);
    }
    args
}

fn language_menu(flow: &Flow) -> Screen {
    let locales = &flow.def.locales;
    let header: Vec<String> = locales
        .iter()
        .map(|l| flow.catalogs.format_ussd(l, "language-prompt", None))
        .collect();
    Screen {
        parts: vec![(
            "language-prompt".to_owned(),
            format!("{} :", header.join(" / ")),
        )],
        choices: locales
            .iter()
            .map(|l| flow.catalogs.format_ussd(l, "language-name", None))
            .collect(),
    }
}

fn prompt(flow: &Flow, lang: &str, index: usize) -> Screen {
    let step = &flow.steps[index];
    let values = [
        ("number", index as i64 + 1),
        ("total", flow.steps.len() as i64),
    ];
    Screen {
        parts: vec![(
            step.def.prompt.clone(),
            flow.catalogs
                .format_ussd(lang, &step.def.prompt, Some(&args(&values))),
        )],
        choices: step
            .validator
            .choices()
            .iter()
            .map(|o| flow.catalogs.format_ussd(lang, &o.label, None))
            .collect(),
    }
}

fn summary(flow: &Flow, lang: &str) -> Screen {
    let lines: Vec<String> = flow
        .steps
        .iter()
        .map(|step| {
            let answer = step.validator.longest_answer().min(SUMMARY_ANSWER_CHARS);
            let mut args = FluentArgs::new();
            args.set(
                "label",
                flow.catalogs.format_ussd(lang, &step.def.label, None),
            );
            args.set("answer", "W".repeat(answer));
            flow.catalogs.format_ussd(lang, "summary-line", Some(&args))
        })
        .collect();
    let mut args = FluentArgs::new();
    args.set("summary", lines.join("\n"));
    Screen {
        parts: vec![(
            "confirm-summary".to_owned(),
            flow.catalogs
                .format_ussd(lang, "confirm-summary", Some(&args)),
        )],
        choices: ["confirm-yes", "confirm-no"]
            .iter()
            .map(|id| flow.catalogs.format_ussd(lang, id, None))
            .collect(),
    }
}

fn correction_list(flow: &Flow, lang: &str) -> Screen {
    Screen {
        parts: vec![(
            "correct-which".to_owned(),
            flow.catalogs.format_ussd(lang, "correct-which", None),
        )],
        choices: flow
            .steps
            .iter()
            .map(|s| flow.catalogs.format_ussd(lang, &s.def.label, None))
            .collect(),
    }
}

/// The distinct refusals of step `index` for the probe inputs.
fn refusals(flow: &Flow, index: usize) -> Vec<crate::flow::validators::Rejection> {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("a valid date");
    let mut seen: Vec<crate::flow::validators::Rejection> = Vec::new();
    for probe in PROBES {
        if let Err(rejection) = flow.steps[index].validator.check(probe, today) {
            if !seen.iter().any(|r| r.message == rejection.message) {
                seen.push(rejection);
            }
        }
    }
    seen
}
