//! A USSD screen: `CON ` (waiting for input) or `END ` (session over) then the text,
//! at most [`MAX_SCREEN_CHARS`] characters in all. Choices are numbered; a text still
//! too long (an answer echoed in the summary) is cut before its choices.

use crate::flow::Reply;

/// The longest USSD response, prefix included (`ciu check` verifies every screen of
/// the shipped messages fits: src/flow/load/ussd.rs).
pub const MAX_SCREEN_CHARS: usize = 182;
/// `CON ` or `END `.
pub const PREFIX_CHARS: usize = 4;

/// Whether the session waits for another input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Continue,
    End,
}

/// The response body for these replies: the texts one after the other, the choices of
/// the last numbered below, cut to fit.
pub fn render_screen(replies: &[Reply], next: Next) -> String {
    let prefix = match next {
        Next::Continue => "CON ",
        Next::End => "END ",
    };
    let text = replies
        .iter()
        .map(|r| r.text.trim())
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    let choices: String = replies
        .last()
        .map(|r| {
            r.choices
                .iter()
                .enumerate()
                .map(|(i, c)| format!("\n{}. {}", i + 1, c.title))
                .collect()
        })
        .unwrap_or_default();
    let room = MAX_SCREEN_CHARS - PREFIX_CHARS;
    let choices = cut(&choices, room);
    let text = cut(&text, room - choices.chars().count());
    format!("{prefix}{text}{choices}")
}

/// `text` in at most `max` characters, ending with `…` when cut.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    if max == 0 {
        return String::new();
    }
    let mut kept: String = text.chars().take(max - 1).collect();
    kept.push('…');
    kept
}

/// The number of characters a screen shows, prefix included.
pub fn screen_chars(body: &str) -> usize {
    body.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::ReplyChoice;

    #[test]
    fn numbers_choices_and_fits() {
        let reply = Reply {
            text: "Langue ?".into(),
            choices: vec![
                ReplyChoice {
                    id: "fr".into(),
                    title: "Français".into(),
                },
                ReplyChoice {
                    id: "en".into(),
                    title: "English".into(),
                },
            ],
        };
        assert_eq!(
            render_screen(std::slice::from_ref(&reply), Next::Continue),
            "CON Langue ?\n1. Français\n2. English"
        );
        let long = Reply {
            text: "é".repeat(500),
            ..reply
        };
        let body = render_screen(&[long], Next::End);
        assert!(body.starts_with("END "));
        assert!(body.ends_with("\n1. Français\n2. English"));
        assert_eq!(screen_chars(&body), MAX_SCREEN_CHARS);
    }
}
