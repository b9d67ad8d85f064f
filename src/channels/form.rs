//! `application/x-www-form-urlencoded` bodies, decoded strictly, for every provider that
//! posts forms (Twilio, src/channels/twilio/parse.rs; Africa's Talking USSD,
//! src/channels/ussd/parse.rs; and any other form webhook).
//! `form_urlencoded` replaces bad bytes silently; here a malformed escape or invalid
//! UTF-8 is an error, so a mangled answer is refused instead of being taken for what the
//! person typed.

/// Why a form body could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormError {
    /// A `%` not followed by two hexadecimal digits.
    InvalidPercentEncoding,
    /// A name or value that is not UTF-8 once decoded.
    InvalidUtf8,
}

/// Every `name=value` pair in order, repeated and unknown names included.
pub fn parse_pairs(body: &[u8]) -> Result<Vec<(String, String)>, FormError> {
    raw_pairs(body)
        .map(|(name, value)| Ok((decode_component(name)?, decode_component(value)?)))
        .collect()
}

/// Every `name=value` pair in order, still encoded (for a parser that looks at a
/// value's size before decoding it); a pair without `=` has an empty value.
pub fn raw_pairs(body: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    body.split(|&byte| byte == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.iter().position(|&byte| byte == b'=') {
            Some(equals) => (&pair[..equals], &pair[equals + 1..]),
            None => (pair, &pair[pair.len()..]),
        })
}

/// Decodes one form component: `+` is a space, `%XX` a byte.
pub fn decode_component(raw: &[u8]) -> Result<String, FormError> {
    let mut decoded = Vec::with_capacity(raw.len());
    let mut bytes = raw.iter();
    while let Some(&byte) = bytes.next() {
        match byte {
            b'+' => decoded.push(b' '),
            b'%' => {
                let high = bytes.next().and_then(|&digit| hex_value(digit));
                let low = bytes.next().and_then(|&digit| hex_value(digit));
                match (high, low) {
                    (Some(high), Some(low)) => decoded.push(high << 4 | low),
                    _ => return Err(FormError::InvalidPercentEncoding),
                }
            }
            other => decoded.push(other),
        }
    }
    String::from_utf8(decoded).map_err(|_| FormError::InvalidUtf8)
}

fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit).to_digit(16).map(|value| value as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_decoded_strictly_and_kept_in_order() {
        let pairs = parse_pairs(b"a=1&b=x+y%C3%A9&a=1&&flag").unwrap();
        let expected = [("a", "1"), ("b", "x yé"), ("a", "1"), ("flag", "")];
        assert_eq!(pairs.len(), expected.len());
        for ((name, value), (want_name, want_value)) in pairs.iter().zip(expected) {
            assert_eq!((name.as_str(), value.as_str()), (want_name, want_value));
        }
        assert_eq!(parse_pairs(b"a=%4"), Err(FormError::InvalidPercentEncoding));
        assert_eq!(parse_pairs(b"a=%C3%28"), Err(FormError::InvalidUtf8));
    }
}
