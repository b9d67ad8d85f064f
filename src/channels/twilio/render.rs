//! The TwiML reply: one `<Message>` per text, long texts split.

use std::borrow::Cow;

use quick_xml::escape::escape;

/// Twilio's limit for one message body. Measured here in UTF-16 units, the stricter of
/// the two ways to count characters, so a piece fits whichever way Twilio counts.
pub const MAX_MESSAGE_LEN: usize = 1600;

/// Twilio refuses a TwiML document of 64 kB or more.
pub const MAX_TWIML_BYTES: usize = 64 * 1024;

const XML_DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;
const RESPONSE_CLOSE: &str = "</Response>";

/// The TwiML reply: one `<Message>` per text, a text longer than Twilio's limit split
/// into several. No text (or only blank ones) gives `<Response/>`, which sends nothing.
pub fn render_twiml(messages: &[String]) -> String {
    render_twiml_with_media(messages, None)
}

/// [`render_twiml`], with the image at `media_url` attached to the last message:
/// `<Message><Body>text</Body><Media>url</Media></Message>` (on WhatsApp the text
/// becomes the image's caption). Twilio downloads the image from that public URL.
pub fn render_twiml_with_media(messages: &[String], media_url: Option<&str>) -> String {
    let pieces: Vec<Cow<'_, str>> = messages
        .iter()
        .flat_map(|message| split_message(message))
        .map(xml_chars_only)
        .filter(|piece| !piece.trim().is_empty())
        .collect();
    let mut document = format!("{XML_DECLARATION}<Response>");
    let mut written = 0usize;
    let mut left_out = 0usize;
    for (index, piece) in pieces.iter().enumerate() {
        let element = match media_url {
            Some(url) if index + 1 == pieces.len() => format!(
                "<Message><Body>{}</Body><Media>{}</Media></Message>",
                escape(piece.as_ref()),
                escape(url)
            ),
            _ => format!("<Message>{}</Message>", escape(piece.as_ref())),
        };
        if left_out > 0 || document.len() + element.len() + RESPONSE_CLOSE.len() >= MAX_TWIML_BYTES
        {
            left_out += 1;
            continue;
        }
        document.push_str(&element);
        written += 1;
    }
    if left_out > 0 {
        tracing::warn!(
            written,
            left_out,
            "TwiML reply reached Twilio's 64 kB limit; the last messages were left out"
        );
    }
    if written == 0 {
        return format!("{XML_DECLARATION}<Response/>");
    }
    document.push_str(RESPONSE_CLOSE);
    document
}

/// Cuts a text into pieces of at most [`MAX_MESSAGE_LEN`]: at a line break in the second
/// half of the allowed length, else at the last space, else (one very long word) at the
/// last whole character that fits.
fn split_message(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while utf16_len(rest) > MAX_MESSAGE_LEN {
        let window_end = prefix_end_within(rest, MAX_MESSAGE_LEN);
        let window = &rest[..window_end];
        let cut = window
            .rfind('\n')
            .filter(|&at| at >= window_end / 2)
            .or_else(|| window.rfind(char::is_whitespace).filter(|&at| at > 0));
        match cut {
            Some(at) => {
                pieces.push(window[..at].trim_end());
                rest = rest[at..].trim_start();
            }
            None => {
                pieces.push(window);
                rest = &rest[window_end..];
            }
        }
    }
    pieces.push(rest);
    pieces
}

fn utf16_len(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

/// Byte index of the end of the longest prefix of `text` that is at most `limit` UTF-16
/// units long; always a character boundary.
fn prefix_end_within(text: &str, limit: usize) -> usize {
    let mut units = 0;
    for (index, character) in text.char_indices() {
        units += character.len_utf16();
        if units > limit {
            return index;
        }
    }
    text.len()
}

/// XML 1.0 cannot carry most control characters, even escaped; Twilio would reject the
/// whole reply, so they are dropped.
fn xml_chars_only(text: &str) -> Cow<'_, str> {
    let allowed = |character: char| {
        matches!(character,
            '\t' | '\n' | '\r'
            | '\u{20}'..='\u{D7FF}'
            | '\u{E000}'..='\u{FFFD}'
            | '\u{10000}'..='\u{10FFFF}')
    };
    if text.chars().all(allowed) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(
            text.chars()
                .filter(|&character| allowed(character))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_reply_is_an_empty_response() {
        let empty = r#"<?xml version="1.0" encoding="UTF-8"?><Response/>"#;
        assert_eq!(render_twiml(&[]), empty);
        assert_eq!(
            render_twiml(&[" \n".to_string(), "\u{1}".to_string()]),
            empty
        );
    }

    #[test]
    fn messages_are_xml_escaped() {
        let twiml = render_twiml(&["a <b> & \"c\" 'd'".to_string(), "Bienvenue !".to_string()]);
        assert_eq!(
            twiml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>\
             <Message>a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;</Message>\
             <Message>Bienvenue !</Message></Response>"
        );
    }

    #[test]
    fn media_goes_with_the_last_message_as_body_and_media() {
        let twiml = render_twiml_with_media(
            &["Merci.".to_string(), "Votre CIU : 985 & co".to_string()],
            Some("https://votre-domaine.cd/qr/ab?x=1&y=2"),
        );
        assert_eq!(
            twiml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>\
             <Message>Merci.</Message>\
             <Message><Body>Votre CIU : 985 &amp; co</Body>\
             <Media>https://votre-domaine.cd/qr/ab?x=1&amp;y=2</Media></Message></Response>"
        );
        assert_eq!(
            render_twiml_with_media(&["a".to_string()], None),
            render_twiml(&["a".to_string()])
        );
    }

    #[test]
    fn control_characters_are_dropped() {
        let twiml = render_twiml(&["a\u{0}b\u{1b}c\nd".to_string()]);
        assert!(twiml.contains("<Message>abc\nd</Message>"), "{twiml}");
    }

    fn message_bodies(twiml: &str) -> Vec<String> {
        twiml
            .split("<Message>")
            .skip(1)
            .map(|part| part.split("</Message>").next().unwrap().to_string())
            .collect()
    }

    #[test]
    fn long_texts_are_split_at_line_breaks_or_spaces() {
        let line = "Votre CIU a été généré avec succès.";
        let text = vec![line; 100].join("\n");
        let bodies = message_bodies(&render_twiml(std::slice::from_ref(&text)));
        assert!(bodies.len() >= 3);
        for body in &bodies {
            assert!(utf16_len(body) <= MAX_MESSAGE_LEN);
            assert!(body.ends_with('.'), "cut mid-line: {body:?}");
        }
        assert_eq!(bodies.join("\n"), text);

        let words = vec!["mot"; 1000].join(" ");
        let bodies = message_bodies(&render_twiml(std::slice::from_ref(&words)));
        for body in &bodies {
            assert!(utf16_len(body) <= MAX_MESSAGE_LEN);
            assert!(!body.starts_with(' ') && !body.ends_with(' '));
        }
        assert_eq!(bodies.join(" "), words);
    }

    #[test]
    fn a_single_long_word_is_cut_between_characters() {
        let word = "é🙂".repeat(700); // 1,400 characters, 2,100 UTF-16 units
        let pieces = split_message(&word);
        assert!(pieces.len() > 1);
        for piece in &pieces {
            assert!(utf16_len(piece) <= MAX_MESSAGE_LEN);
        }
        assert_eq!(pieces.concat(), word);
    }

    #[test]
    fn the_document_stays_under_64_kilobytes() {
        let messages = vec!["&".repeat(MAX_MESSAGE_LEN); 20];
        let twiml = render_twiml(&messages);
        assert!(twiml.len() < MAX_TWIML_BYTES);
        assert!(twiml.ends_with("</Message></Response>"));
        assert!(message_bodies(&twiml).len() < 20);
    }
}
