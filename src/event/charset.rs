//! A webhook body in the profile's charset: UTF-8 as built, or ISO-8859-1 as the platform's
//! `new StringEntity(json)` sends it under its utf-8 header, every character outside
//! Latin-1 becoming `?` (`--legacy-charset`); and reading such a body back as text.

use bytes::Bytes;

use super::profile::BodyCharset;

/// `body` (UTF-8 JSON) encoded in `charset`; an ASCII body is the same in both and is
/// returned as is.
pub(super) fn encode(body: Bytes, charset: BodyCharset) -> Bytes {
    match charset {
        BodyCharset::Utf8 => body,
        BodyCharset::Latin1 if body.is_ascii() => body,
        BodyCharset::Latin1 => Bytes::from(latin1(&String::from_utf8_lossy(&body))),
    }
}

/// A body as text: UTF-8 if it is valid UTF-8 (an ASCII or UTF-8 body), else read as
/// ISO-8859-1, every byte one character (a `--legacy-charset` body); the flag says which.
pub fn body_text(body: &[u8]) -> (std::borrow::Cow<'_, str>, bool) {
    match std::str::from_utf8(body) {
        Ok(text) => (std::borrow::Cow::Borrowed(text), false),
        Err(_) => (body.iter().map(|&b| char::from(b)).collect(), true),
    }
}

/// `text` in ISO-8859-1 (every character below U+0100 one byte, any other `?`): the bytes
/// [`body_text`] read a Latin-1 body from.
pub fn to_latin1(text: &str) -> Vec<u8> {
    latin1(text)
}

/// `text` in ISO-8859-1: a character below U+0100 is its code as one byte, any other `?`.
fn latin1(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_keeps_latin1_and_turns_the_rest_into_question_marks() {
        let body = Bytes::from(r#"{"user_data":"café 中文 😀"}"#);
        let sent = encode(body.clone(), BodyCharset::Latin1);
        // é is U+00E9: one byte 0xE9; each of 中, 文 and 😀 is one `?` (a character, not
        // a UTF-16 unit: Java's encoder replaces a surrogate pair by one `?`).
        assert_eq!(&sent[..], b"{\"user_data\":\"caf\xe9 ?? ?\"}");
        assert_eq!(encode(body.clone(), BodyCharset::Utf8), body);
    }

    #[test]
    fn a_latin1_body_reads_back_as_its_text_and_encodes_to_the_same_bytes() {
        let sent = encode(Bytes::from(r#"{"u":"Grüße 你好"}"#), BodyCharset::Latin1);
        let (text, latin) = body_text(&sent);
        assert!(latin);
        assert_eq!(text, r#"{"u":"Grüße ??"}"#);
        assert_eq!(to_latin1(&text), sent.to_vec());
        let (utf8, latin) = body_text("{\"u\":\"ü\"}".as_bytes());
        assert!(!latin);
        assert_eq!(utf8, "{\"u\":\"ü\"}");
    }

    #[test]
    fn ascii_bodies_are_the_same_bytes() {
        let body = Bytes::from_static(br#"{"a":"b"}"#);
        let sent = encode(body.clone(), BodyCharset::Latin1);
        assert_eq!(sent.as_ptr(), body.as_ptr(), "not copied");
    }
}
