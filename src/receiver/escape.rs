//! Making text from the network safe to print on a terminal, one event per line: every
//! string the receiver prints that came from a request or an answer (a body's fields, ids,
//! names, header values, error texts) goes through [`for_terminal`] first, so a sender
//! cannot move the cursor, recolour or clear the screen (`ESC[…`), overwrite the line
//! (`\r`), start a new one (`\n`, U+2028), or reorder what follows (bidi overrides such as
//! U+202E). Used by `receiver` (`ccsim listen`'s lines) and its contract messages.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with every character that could change how a terminal shows it escaped as
/// `\n`, `\r`, `\t` or `\u{…}`; borrowed when nothing needed escaping. A `\` is left as
/// it is, so escaping is idempotent (a message built from escaped parts can be escaped
/// again as a whole), at the cost of a sender's literal `\n` looking like an escaped line
/// break.
pub fn for_terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Whether `c` is escaped: C0 and C1 controls and DEL, the line and paragraph
/// separators, and the format characters (Unicode category Cf: bidi marks, embeddings,
/// overrides and isolates, zero-width characters, the BOM, tags, …).
fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') || is_format(c)
}

/// Unicode's format characters (general category Cf, Unicode 15).
fn is_format(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'
            | '\u{600}'..='\u{605}'
            | '\u{61c}'
            | '\u{6dd}'
            | '\u{70f}'
            | '\u{890}'..='\u{891}'
            | '\u{8e2}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{110bd}'
            | '\u{110cd}'
            | '\u{13430}'..='\u{1343f}'
            | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0001}'
            | '\u{e0020}'..='\u{e007f}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged_whatever_its_script() {
        for text in [
            "",
            "queue 0c37ab",
            "客户 张三 📞",
            "agent-004 (call c1, mode 1)",
        ] {
            assert!(matches!(for_terminal(text), Cow::Borrowed(t) if t == text));
        }
    }

    #[test]
    fn terminal_controls_line_breaks_and_bidi_tricks_are_escaped() {
        let cases = [
            ("\u{1b}[31mred\u{1b}[0m", r"\u{1b}[31mred\u{1b}[0m"),
            ("a\rb\nc\td", r"a\rb\nc\td"),
            ("\u{7}\u{0}\u{7f}", r"\u{7}\u{0}\u{7f}"),
            // C1: CSI and NEL.
            ("\u{9b}2J\u{85}", r"\u{9b}2J\u{85}"),
            ("abc\u{202e}fed", r"abc\u{202e}fed"),
            ("\u{2066}x\u{2069}\u{200f}", r"\u{2066}x\u{2069}\u{200f}"),
            ("line\u{2028}sep\u{2029}", r"line\u{2028}sep\u{2029}"),
            ("zero\u{200b}width\u{feff}", r"zero\u{200b}width\u{feff}"),
            ("tag\u{e0041}", r"tag\u{e0041}"),
            (r"back\slash", r"back\slash"),
        ];
        for (raw, escaped) in cases {
            assert_eq!(for_terminal(raw), escaped, "{raw:?}");
            assert!(!for_terminal(raw).chars().any(needs_escape), "{raw:?}");
            assert_eq!(for_terminal(escaped), escaped, "idempotent: {raw:?}");
        }
    }
}
