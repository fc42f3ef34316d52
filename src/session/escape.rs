//! Showing bytes from the network safely: control bytes and invalid UTF-8 become visible escapes.

use std::fmt::Write;

/// Renders `bytes` as text in which nothing can drive a terminal: printable UTF-8 stays, `\r`,
/// `\n`, `\t` and other control bytes become `\r`, `\n`, `\t`, `\xNN`, and bytes that are not
/// valid UTF-8 become `\xNN`. A backslash itself is kept as is.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        escape_into(&mut out, chunk.valid());
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out
}

/// Like [`escape_bytes`] for text that is already UTF-8.
pub fn escape_str(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

fn escape_into(out: &mut String, text: &str) {
    for ch in text.chars() {
        match ch {
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
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
}
