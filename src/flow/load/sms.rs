//! SMS segments: how many SMS each message of each language takes when a person answers
//! by plain SMS (src/channels/twilio/, channel `sms`), and an error past the flow's
//! limit (`sms: { max_segments: N }` in the flow file).
//!
//! An SMS carries 160 characters of the GSM-7 alphabet (153 per part once split, an
//! extension character such as `€` or `[` counting 2), or, as soon as one character is
//! outside GSM-7 (`ê`, `ç`, an emoji), 70 UTF-16 units (67 per part). Variables are
//! measured with realistic longest values: the longest answer each question accepts,
//! the code's length from the template, the commands' words of the language.

use chrono::DateTime;
use fluent_bundle::FluentArgs;
use std::collections::BTreeMap;

use super::ussd::aliases;
use crate::code::Salt;
use crate::diagnostics::Diagnostic;
use crate::flow::extract::extract;
use crate::flow::validators::refusal_messages;
use crate::flow::{Engine, Flow, Inbound, FIXED_MESSAGES};

/// The GSM-7 basic alphabet (3GPP TS 23.038), one unit each.
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// The GSM-7 extension table, two units each (an escape, then the character).
const GSM7_EXTENSION: &str = "\u{c}^{}\\[~]|€";

/// Messages that are never sent alone: parts of another message, or button labels.
const PARTS: [&str; 6] = [
    "language-name",
    "language-prompt",
    "summary-line",
    "confirm-yes",
    "confirm-no",
    "list-button",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsEncoding {
    Gsm7,
    Ucs2,
}

impl SmsEncoding {
    pub fn name(self) -> &'static str {
        match self {
            SmsEncoding::Gsm7 => "GSM-7",
            SmsEncoding::Ucs2 => "UCS-2",
        }
    }
}

/// What one text costs as SMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmsCost {
    pub encoding: SmsEncoding,
    /// Septets (GSM-7) or UTF-16 units (UCS-2).
    pub units: usize,
    pub segments: usize,
    /// The first character outside GSM-7, which made the text UCS-2.
    pub culprit: Option<char>,
}

/// The segments `text` takes. A character is never cut between two parts.
pub fn sms_cost(text: &str) -> SmsCost {
    let gsm_width = |c: char| {
        if GSM7_BASIC.contains(c) {
            Some(1)
        } else if GSM7_EXTENSION.contains(c) {
            Some(2)
        } else {
            None
        }
    };
    let culprit = text.chars().find(|&c| gsm_width(c).is_none());
    let (encoding, widths, single, part): (_, Vec<usize>, _, _) = match culprit {
        None => (
            SmsEncoding::Gsm7,
            text.chars().filter_map(gsm_width).collect(),
            160,
            153,
        ),
        Some(_) => (
            SmsEncoding::Ucs2,
            text.chars().map(char::len_utf16).collect(),
            70,
            67,
        ),
    };
    let units: usize = widths.iter().sum();
    let segments = if units <= single {
        usize::from(units > 0)
    } else {
        let (mut parts, mut used) = (1, 0);
        for width in widths {
            if used + width > part {
                parts += 1;
                used = 0;
            }
            used += width;
        }
        parts
    };
    SmsCost {
        encoding,
        units,
        segments,
        culprit,
    }
}

/// One message of one language as an SMS.
#[derive(Debug, Clone)]
pub struct SmsMessage {
    pub lang: String,
    pub id: String,
    pub cost: SmsCost,
}

/// Every message the flow may send alone, in every listed language, with its choices
/// numbered as SMS shows them, and what it costs.
pub fn sms_messages(flow: &Flow) -> Vec<SmsMessage> {
    let mut out = Vec::new();
    for lang in &flow.def.locales {
        for (id, text) in texts(flow, lang) {
            out.push(SmsMessage {
                lang: lang.clone(),
                cost: sms_cost(&text),
                id,
            });
        }
    }
    out
}

/// For `ciu check`: one line per language, the messages taking more than one SMS.
pub fn sms_report(flow: &Flow) -> Vec<String> {
    let limit = flow.def.sms.as_ref().map_or_else(
        || "pas de limite (sms.max_segments)".to_owned(),
        |sms| format!("limite {} SMS", sms.max_segments),
    );
    let messages = sms_messages(flow);
    flow.def
        .locales
        .iter()
        .map(|lang| {
            let ours: Vec<&SmsMessage> = messages.iter().filter(|m| &m.lang == lang).collect();
            let long: Vec<String> = ours
                .iter()
                .filter(|m| m.cost.segments > 1)
                .map(|m| format!("{} {} ({})", m.id, m.cost.segments, m.cost.encoding.name()))
                .collect();
            let rest = if long.is_empty() {
                "chacun tient en 1 SMS".to_owned()
            } else {
                format!("en 1 SMS sauf {}", long.join(", "))
            };
            format!("SMS ({lang}, {limit}) : {} messages, {rest}.", ours.len())
        })
        .collect()
}

/// One error per message and language over `sms.max_segments`, at its definition.
pub fn check_sms_segments(flow: &Flow) -> Vec<Diagnostic> {
    let Some(limit) = flow.def.sms.as_ref().map(|sms| sms.max_segments) else {
        return Vec::new();
    };
    sms_messages(flow)
        .into_iter()
        .filter(|message| message.cost.segments > limit)
        .filter_map(|message| {
            let info = flow.catalogs.get(&message.lang)?.messages.get(&message.id)?;
            let cost = message.cost;
            let why = match cost.culprit {
                Some(c) => format!(" (le caractère « {c} » n'est pas dans l'alphabet GSM-7 : chaque SMS ne porte alors que 70 caractères)"),
                None => String::new(),
            };
            Some(Diagnostic::error(
                &info.file,
                info.position,
                format!(
                    "le message « {} » ({}) prend {} SMS en {}{why} ; le flux en permet {limit} (sms.max_segments). Raccourcissez-le.",
                    message.id, message.lang, cost.segments, cost.encoding.name()
                ),
            ))
        })
        .collect()
}

/// (message id, text as sent by SMS) for `lang`.
fn texts(flow: &Flow, lang: &str) -> Vec<(String, String)> {
    let args = longest_values(flow, lang);
    let format = |id: &str| flow.catalogs.format(lang, id, Some(&args));
    let numbered = |text: String, choices: Vec<String>| {
        let mut text = text;
        for (i, choice) in choices.iter().enumerate() {
            text.push_str(&format!("\n{}. {choice}", i + 1));
        }
        text
    };
    let mut out: Vec<(String, String)> = FIXED_MESSAGES
        .iter()
        .map(|(id, _)| *id)
        .chain(refusal_messages().map(|(id, _)| id))
        .filter(|id| !PARTS.contains(id))
        .map(|id| (id.to_owned(), format(id)))
        .collect();
    let labels: Vec<String> = flow.steps.iter().map(|s| format(&s.def.label)).collect();
    let yes_no = vec![format("confirm-yes"), format("confirm-no")];
    for (id, text) in &mut out {
        match id.as_str() {
            "confirm-summary" => *text = numbered(text.clone(), yes_no.clone()),
            "correct-which" => *text = numbered(text.clone(), labels.clone()),
            _ => {}
        }
    }
    for step in &flow.steps {
        let options = step.validator.choices().iter().map(|o| format(&o.label));
        out.push((
            step.def.prompt.clone(),
            numbered(format(&step.def.prompt), options.collect()),
        ));
        if let Some(error) = &step.def.error {
            out.push((error.clone(), format(error)));
        }
    }
    if lang == flow.def.default_locale {
        out.retain(|(id, _)| id != "welcome");
        out.push(("welcome".to_owned(), first_reply(flow)));
    }
    out
}

/// The first reply, as the engine writes it by SMS: the welcome and the language menu
/// (in every language at once) with its numbered choices. The salt only decides codes,
/// and no code is given here.
fn first_reply(flow: &Flow) -> String {
    let salt = Salt::new("sms-check-Only-0").expect("a valid salt");
    let engine = Engine::new(flow, &salt).without_markup();
    let first = Inbound {
        text: "Bonjour",
        media_count: 0,
    };
    let turn = engine.handle(None, &first, DateTime::UNIX_EPOCH);
    let texts: Vec<String> = turn.replies.iter().map(|r| r.plain_text()).collect();
    texts.join("\n\n")
}

/// Every variable a message may get, at its realistic longest in `lang`.
fn longest_values(flow: &Flow, lang: &str) -> FluentArgs<'static> {
    let def = &flow.def;
    let mut args = aliases(&def.commands, lang, &def.default_locale);
    let steps = flow.steps.len() as i64;
    for (name, value) in [
        ("number", steps),
        ("total", steps),
        ("count", def.locales.len() as i64),
        ("max", def.max_message_chars as i64),
        ("minutes", i64::from(flow.session_timeout_minutes)),
    ] {
        args.set(name, value);
    }
    // A validator's own numbers (a length, a year): four digits.
    for (_, variables) in refusal_messages() {
        for &name in variables {
            if args.get(name).is_none() {
                args.set(name, 9999);
            }
        }
    }
    args.set("code", longest_code(flow));
    let summary: Vec<String> = flow
        .steps
        .iter()
        .map(|step| {
            let mut line = FluentArgs::new();
            line.set("label", flow.catalogs.format(lang, &step.def.label, None));
            line.set("answer", "W".repeat(step.validator.longest_answer()));
            flow.catalogs.format(lang, "summary-line", Some(&line))
        })
        .collect();
    args.set("summary", summary.join("\n"));
    args
}

/// The code as long as the template makes it (no WhatsApp markup on SMS).
fn longest_code(flow: &Flow) -> String {
    let fragments: BTreeMap<String, String> = flow
        .steps
        .iter()
        .map(|step| {
            let longest = ["W".repeat(60), "9".repeat(60)]
                .iter()
                .map(|sample| extract(&step.def.extract, sample))
                .max_by_key(|fragment| fragment.chars().count())
                .unwrap_or_default();
            (step.def.id.clone(), longest)
        })
        .collect();
    let hash = "F".repeat(flow.template.hash_length);
    flow.template
        .render(&fragments, &hash)
        .unwrap_or_else(|_| "W".repeat(40))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsm7_and_ucs2_segments() {
        let plain = sms_cost(&"a".repeat(160));
        assert_eq!((plain.encoding, plain.segments), (SmsEncoding::Gsm7, 1));
        assert_eq!(sms_cost(&"a".repeat(161)).segments, 2);
        assert_eq!(sms_cost(&"a".repeat(306)).segments, 2);
        assert_eq!(sms_cost(&"a".repeat(307)).segments, 3);
        // é is GSM-7, ê is not: one accent makes the whole text UCS-2.
        assert_eq!(sms_cost("Né à Kinshasa").encoding, SmsEncoding::Gsm7);
        let accent = sms_cost(&format!("Êtes-vous {}", "a".repeat(60)));
        assert_eq!(accent.encoding, SmsEncoding::Ucs2);
        assert_eq!(accent.culprit, Some('Ê'));
        assert_eq!(accent.segments, 1);
        assert_eq!(sms_cost(&format!("ê{}", "a".repeat(70))).segments, 2);
        assert_eq!(sms_cost(&format!("ê{}", "a".repeat(134))).segments, 3);
        // Extension characters count twice, and are never cut in two.
        let euros = sms_cost(&"€".repeat(80));
        assert_eq!((euros.units, euros.segments), (160, 1));
        assert_eq!(sms_cost(&"€".repeat(81)).segments, 2);
        let straddling = format!("{}€{}", "a".repeat(152), "a".repeat(152));
        let cost = sms_cost(&straddling);
        assert_eq!((cost.units, cost.segments), (306, 3));
        assert_eq!(sms_cost("").segments, 0);
        // An emoji is two UTF-16 units.
        assert_eq!(sms_cost(&"🙂".repeat(35)).segments, 1);
        assert_eq!(sms_cost(&"🙂".repeat(36)).segments, 2);
    }
}
