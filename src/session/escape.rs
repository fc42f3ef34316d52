//! The one rule for showing bytes from outside (the network, files, arguments): control bytes
//! (C0, DEL, C1), bidirectional-text controls and invalid UTF-8 become visible escapes, on every
//! output — the terminal, the transcript, stderr, JSON.

use std::borrow::Cow;
use std::fmt::Write;

/// True for characters that must never reach an output raw: control characters (C0, DEL, C1)
/// and the characters that reorder or separate text (bidi embeddings, overrides, isolates and
/// marks; line and paragraph separators).
pub fn needs_escape(ch: char) -> bool {
    ch.is_control()
        || matches!(ch, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}')
        || ('\u{202a}'..='\u{202e}').contains(&ch)
        || ('\u{2066}'..='\u{2069}').contains(&ch)
}

/// True when `text` holds nothing [`needs_escape`] would change, line ends aside.
pub fn is_clean(text: &str) -> bool {
    // In ASCII only the C0 controls and DEL need escaping.
    if text.is_ascii() {
        return !text.bytes().any(|b| b != b'\n' && (b < b' ' || b == 0x7f));
    }
    !text.chars().any(|c| c != '\n' && needs_escape(c))
}

/// Renders `bytes` as text in which nothing can drive a terminal: printable UTF-8 stays, `\r`,
/// `\n`, `\t` and other control bytes become `\r`, `\n`, `\t`, `\xNN`, bidi controls `\u{NNNN}`,
/// and bytes that are not valid UTF-8 become `\xNN`. A backslash itself is kept as is, so
/// escaping escaped text changes nothing.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        escape_into(&mut out, chunk.valid(), false);
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out
}

/// Like [`escape_bytes`] for text that is already UTF-8.
pub fn escape_str(text: &str) -> String {
    if !text.contains('\n') && is_clean(text) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text, false);
    out
}

/// [`escape_str`] for text already owned: clean text is returned as it came, without a copy.
pub fn escape_string(text: String) -> String {
    if !text.contains('\n') && is_clean(&text) {
        return text;
    }
    escape_str(&text)
}

/// Like [`escape_str`] for text of several lines: line feeds stay.
pub fn escape_text(text: &str) -> Cow<'_, str> {
    if is_clean(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    escape_into(&mut out, text, true);
    Cow::Owned(out)
}

fn escape_into(out: &mut String, text: &str, keep_newlines: bool) {
    for ch in text.chars() {
        match ch {
            '\n' if keep_newlines => out.push('\n'),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// A writer for JSON output: JSON escapes C0 controls itself but writes DEL, C1 and bidi
/// controls raw, so this writes those as `\uNNNN` escapes (the same characters once parsed). It
/// relies on the JSON serialiser never splitting a character across writes; a line feed is only
/// ever the one ending the output.
pub struct JsonSafe<W>(pub W);

impl<W: std::io::Write> std::io::Write for JsonSafe<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_all(buf).map(|()| buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        let Ok(text) = std::str::from_utf8(buf) else { return self.0.write_all(buf) };
        if is_clean(text) {
            return self.0.write_all(buf);
        }
        let mut start = 0;
        for (at, ch) in text.char_indices() {
            if needs_escape(ch) && ch != '\n' {
                self.0.write_all(&buf[start..at])?;
                write!(self.0, "\\u{:04x}", ch as u32)?;
                start = at + ch.len_utf8();
            }
        }
        self.0.write_all(&buf[start..])
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_invalid_bytes_are_escaped() {
        assert_eq!(escape_bytes(b"250 ok\x1b[2J\r"), "250 ok\\x1b[2J\\r");
        assert_eq!(escape_bytes(b"a\xffb\x00"), "a\\xffb\\x00");
        assert_eq!(escape_bytes("grüße".as_bytes()), "grüße");
        assert_eq!(escape_str("x\u{9b}y"), "x\\x9by");
    }

    #[test]
    fn bidi_controls_are_escaped_and_escaping_twice_changes_nothing() {
        let text = "evil\u{202e}gnp.exe \u{2066}x\u{2069}\u{7f}";
        let once = escape_str(text);
        assert_eq!(once, "evil\\u{202e}gnp.exe \\u{2066}x\\u{2069}\\x7f");
        assert_eq!(escape_str(&once), once);
        assert_eq!(escape_text("a\nb\u{1b}"), "a\nb\\x1b");
    }

    #[test]
    fn json_output_writes_bidi_controls_as_escapes() {
        let mut out = JsonSafe(Vec::new());
        serde_json::to_writer(&mut out, &serde_json::json!({"s": "a\u{202e}b\u{1b}\u{9b}"})).unwrap();
        let text = String::from_utf8(out.0).unwrap();
        assert_eq!(text, r#"{"s":"a\u202eb\u001b\u009b"}"#);
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap()["s"], "a\u{202e}b\u{1b}\u{9b}");
    }

    proptest::proptest! {
        /// The ASCII shortcut agrees with the rule, and clean text is shown as it is.
        #[test]
        fn clean_text_is_shown_as_it_is(
            text in "([ -~]|[\\x00-\\x1f\\x7f]|\\PC|[\\u{80}-\\u{9f}\\u{202a}-\\u{202e}\\u{2066}-\\u{2069}]){0,40}",
        ) {
            let clean = !text.chars().any(|c| c != '\n' && needs_escape(c));
            proptest::prop_assert_eq!(is_clean(&text), clean);
            let shown = escape_str(&text);
            proptest::prop_assert!(!shown.chars().any(needs_escape));
            proptest::prop_assert_eq!(shown == text, clean && !text.contains('\n'));
        }
    }
}
