//! Replies as Graph API message bodies: text, reply buttons, lists, within the limits
//! WhatsApp shows.

use serde_json::{json, Value};

use super::{
    MAX_BUTTONS, MAX_BUTTON_ID_CHARS, MAX_BUTTON_TITLE_CHARS, MAX_INTERACTIVE_BODY_CHARS,
    MAX_LIST_BUTTON_CHARS, MAX_LIST_ROWS, MAX_ROW_ID_CHARS, MAX_ROW_TITLE_CHARS, MAX_TEXT_CHARS,
};
use crate::flow::Reply;

/// One reply as Cloud API message bodies (without the recipient, added when sending):
/// reply buttons or a list when the choices fit WhatsApp's limits, else text with the
/// choices numbered; text longer than one message is split at line breaks.
/// `list_button` is the label of the button that opens a list, in the person's language.
pub fn render(reply: &Reply, list_button: &str) -> Vec<Value> {
    if let Some(interactive) = interactive(reply, list_button) {
        return vec![json!({ "type": "interactive", "interactive": interactive })];
    }
    split_text(&reply.plain_text(), MAX_TEXT_CHARS)
        .into_iter()
        .map(|body| json!({ "type": "text", "text": { "body": body, "preview_url": false } }))
        .collect()
}

fn interactive(reply: &Reply, list_button: &str) -> Option<Value> {
    let choices = &reply.choices;
    let body_fits =
        !reply.text.trim().is_empty() && chars(&reply.text) <= MAX_INTERACTIVE_BODY_CHARS;
    if choices.is_empty() || !body_fits {
        return None;
    }
    let titles_fit = |limit| choices.iter().all(|c| chars(&c.title) <= limit);
    let ids_fit = |limit| {
        choices
            .iter()
            .all(|c| !c.id.is_empty() && chars(&c.id) <= limit)
    };
    if choices.len() <= MAX_BUTTONS
        && titles_fit(MAX_BUTTON_TITLE_CHARS)
        && ids_fit(MAX_BUTTON_ID_CHARS)
    {
        let buttons: Vec<Value> = choices
            .iter()
            .map(|c| json!({ "type": "reply", "reply": { "id": c.id, "title": c.title } }))
            .collect();
        return Some(json!({
            "type": "button",
            "body": { "text": reply.text },
            "action": { "buttons": buttons },
        }));
    }
    let label_fits = !list_button.trim().is_empty() && chars(list_button) <= MAX_LIST_BUTTON_CHARS;
    if choices.len() <= MAX_LIST_ROWS
        && titles_fit(MAX_ROW_TITLE_CHARS)
        && ids_fit(MAX_ROW_ID_CHARS)
        && label_fits
    {
        let rows: Vec<Value> = choices
            .iter()
            .map(|c| json!({ "id": c.id, "title": c.title }))
            .collect();
        return Some(json!({
            "type": "list",
            "body": { "text": reply.text },
            "action": {
                "button": list_button,
                // A single section; its title (≤ 24 characters) repeats the button label.
                "sections": [{ "title": list_button, "rows": rows }],
            },
        }));
    }
    None
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

/// Cuts `text` into pieces of at most `max` characters, at line breaks when possible.
fn split_text(text: &str, max: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut current_len = 0;
    for line in text.split('\n') {
        let line_len = chars(line);
        let needed = if current.is_empty() {
            line_len
        } else {
            current_len + 1 + line_len
        };
        if needed <= max {
            if !current.is_empty() {
                current.push('\n');
            }
            current.push_str(line);
            current_len = needed;
            continue;
        }
        if !current.is_empty() {
            pieces.push(std::mem::take(&mut current));
        }
        // A single line longer than a message: cut it at character boundaries.
        let mut line_chars = line.chars().peekable();
        current_len = 0;
        while line_chars.peek().is_some() {
            let chunk: String = line_chars.by_ref().take(max).collect();
            current_len = chars(&chunk);
            if current_len == max && line_chars.peek().is_some() {
                pieces.push(chunk);
                current_len = 0;
            } else {
                current = chunk;
            }
        }
    }
    if !current.trim().is_empty() {
        pieces.push(current);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::ReplyChoice;

    fn reply(text: &str, choices: &[(&str, &str)]) -> Reply {
        Reply {
            text: text.to_owned(),
            choices: choices
                .iter()
                .map(|(id, title)| ReplyChoice {
                    id: (*id).to_owned(),
                    title: (*title).to_owned(),
                })
                .collect(),
        }
    }

    #[test]
    fn plain_replies_are_text_messages() {
        let rendered = render(&reply("(1/5) En quelle année ?", &[]), "Choisir");
        assert_eq!(
            rendered,
            [
                json!({ "type": "text", "text": { "body": "(1/5) En quelle année ?", "preview_url": false } })
            ]
        );
    }

    #[test]
    fn up_to_three_short_choices_are_reply_buttons() {
        let rendered = render(
            &reply("Est-ce correct ?", &[("yes", "Oui"), ("no", "Non")]),
            "Choisir",
        );
        assert_eq!(rendered.len(), 1);
        let interactive = &rendered[0]["interactive"];
        assert_eq!(interactive["type"], "button");
        assert_eq!(interactive["body"]["text"], "Est-ce correct ?");
        assert_eq!(
            interactive["action"]["buttons"],
            json!([
                { "type": "reply", "reply": { "id": "yes", "title": "Oui" } },
                { "type": "reply", "reply": { "id": "no", "title": "Non" } },
            ])
        );
    }

    #[test]
    fn more_choices_or_longer_titles_become_a_list() {
        let languages = reply(
            "Choisissez votre langue :",
            &[
                ("fr", "Français"),
                ("ln", "Lingala"),
                ("sw", "Kiswahili"),
                ("en", "English"),
            ],
        );
        let rendered = render(&languages, "Choisir");
        let interactive = &rendered[0]["interactive"];
        assert_eq!(interactive["type"], "list");
        assert_eq!(interactive["action"]["button"], "Choisir");
        let rows = &interactive["action"]["sections"][0]["rows"];
        assert_eq!(rows[0], json!({ "id": "fr", "title": "Français" }));
        assert_eq!(rows.as_array().unwrap().len(), 4);

        // Two choices, one title of 21..24 characters: too long for a button, fine in a list.
        let long = reply("Lequel ?", &[("a", "Une réponse assez longue"), ("b", "B")]);
        assert_eq!(chars("Une réponse assez longue"), 24);
        assert_eq!(render(&long, "Choisir")[0]["interactive"]["type"], "list");
    }

    #[test]
    fn what_whatsapp_cannot_show_falls_back_to_numbered_text() {
        let eleven: Vec<(String, String)> = (1..=11)
            .map(|i| (i.to_string(), format!("Choix {i}")))
            .collect();
        let refs: Vec<(&str, &str)> = eleven
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let too_long_title = reply(
            "Quelle réponse voulez-vous corriger ?",
            &[
                ("1", "Année de naissance"),
                ("2", "Lieu de naissance de la mère"),
            ],
        );
        let long_body = "x".repeat(MAX_INTERACTIVE_BODY_CHARS + 1);
        for (case, label) in [
            (reply("Lequel ?", &refs), "Choisir"),
            (too_long_title, "Choisir"),
            (
                reply(&long_body, &[("yes", "Oui"), ("no", "Non")]),
                "Choisir",
            ),
            (
                reply(
                    "Lequel ?",
                    &[("1", "a"), ("2", "b"), ("3", "c"), ("4", "d")],
                ),
                "Un libellé bien trop long",
            ),
        ] {
            let rendered = render(&case, label);
            assert_eq!(rendered[0]["type"], "text", "{case:?}");
            let text: String = rendered
                .iter()
                .map(|m| m["text"]["body"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
                .join("\n");
            assert_eq!(text, case.plain_text());
        }
    }

    #[test]
    fn long_texts_are_split_at_line_breaks() {
        let line = "a".repeat(1000);
        let text = vec![line.clone(); 9].join("\n");
        let pieces = split_text(&text, MAX_TEXT_CHARS);
        assert_eq!(pieces.len(), 3);
        assert!(pieces.iter().all(|p| chars(p) <= MAX_TEXT_CHARS));
        assert_eq!(pieces[0], vec![line.clone(); 4].join("\n"));
        assert_eq!(pieces.join("\n"), text);

        let one_line = "é".repeat(MAX_TEXT_CHARS * 2 + 10);
        let pieces = split_text(&one_line, MAX_TEXT_CHARS);
        assert_eq!(
            pieces.iter().map(|p| chars(p)).collect::<Vec<_>>(),
            [MAX_TEXT_CHARS, MAX_TEXT_CHARS, 10]
        );
        assert_eq!(pieces.concat(), one_line);
        assert_eq!(split_text("court", MAX_TEXT_CHARS), ["court"]);
    }
}
