//! SMTP replies inside log text: the reply code, the enhanced status code, one-line text.

/// Joins a multi-line reply into one line: line breaks (real or written as `\r`/`\n`) and runs of
/// white space become one space.
pub fn flatten(text: &str) -> String {
    let text = text.replace("\\r\\n", " ").replace("\\n", " ").replace("\\r", " ");
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for ch in text.trim().chars() {
        if ch.is_whitespace() {
            space = true;
        } else {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(ch);
        }
    }
    out
}

/// The reply code and enhanced status code of the first SMTP reply in `text`: at its start (after
/// an optional `smtp;` prefix) or after a `": "` (`host mx said: 421 4.7.0 ...`,
/// `SMTP error ... after RCPT TO:<a@b>: 450 ...`).
pub fn codes(text: &str) -> (Option<u16>, Option<String>) {
    server_words(text).and_then(reply_at).map(|(code, enhanced)| (Some(code), enhanced)).unwrap_or((None, None))
}

/// The server's reply inside `text`, from its code on (`421 4.7.0 … (in reply to MAIL FROM command)`
/// out of `host mx[…] said: 421 4.7.0 …`); `None` when there is no reply code.
pub fn server_words(text: &str) -> Option<&str> {
    let mut candidates = std::iter::once(0).chain(text.match_indices(": ").map(|(i, _)| i + 2));
    candidates.find(|&start| reply_at(&text[start..]).is_some()).map(|start| text[start..].trim_start())
}

/// A reply code (and enhanced code) at the start of `text`.
fn reply_at(text: &str) -> Option<(u16, Option<String>)> {
    let text = text.trim_start();
    let text = text.strip_prefix("smtp;").map(str::trim_start).unwrap_or(text);
    let bytes = text.as_bytes();
    if bytes.len() < 3 || !(b'2'..=b'5').contains(&bytes[0]) || !bytes[1..3].iter().all(u8::is_ascii_digit) {
        return None;
    }
    match bytes.get(3) {
        None | Some(b' ' | b'-') => {}
        _ => return None,
    }
    let code: u16 = text[..3].parse().ok()?;
    let rest = text.get(4..).unwrap_or("");
    let enhanced = enhanced_at(rest).filter(|e| e.as_bytes()[0] == bytes[0]);
    Some((code, enhanced))
}

/// An enhanced status code (`4.7.0`) at the start of `text`.
pub fn enhanced_at(text: &str) -> Option<String> {
    let token = text.split(|c: char| c.is_whitespace() || c == ',' || c == ';').next()?;
    is_enhanced(token).then(|| token.to_string())
}

/// True for `class.subject.detail` with class 2, 4 or 5 (RFC 3463).
pub fn is_enhanced(token: &str) -> bool {
    let mut parts = token.split('.');
    let (Some(class), Some(subject), Some(detail), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    matches!(class, "2" | "4" | "5")
        && (1..=3).contains(&subject.len())
        && (1..=3).contains(&detail.len())
        && subject.bytes().chain(detail.bytes()).all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_codes_at_start_and_after_said() {
        assert_eq!(codes("421 4.7.0 [TSS04] Messages from"), (Some(421), Some("4.7.0".into())));
        assert_eq!(
            codes("host mx[1.2.3.4] said: 450-4.2.1 The user is over quota (in reply to RCPT TO command)"),
            (Some(450), Some("4.2.1".into()))
        );
        assert_eq!(codes("smtp; 550 5.1.1 unknown"), (Some(550), Some("5.1.1".into())));
        assert_eq!(codes("connect to mx[1.2.3.4]:25: Connection timed out"), (None, None));
        assert_eq!(codes("451 DT:SPM 163 mx13"), (Some(451), None));
        assert_eq!(codes("2500 bytes"), (None, None));
        assert_eq!(server_words("host mx[1.2.3.4] said: 421 busy"), Some("421 busy"));
    }

    #[test]
    fn flattens_multi_line_text() {
        assert_eq!(flatten("550-5.7.1 first\r\n550 5.7.1  second\n"), "550-5.7.1 first 550 5.7.1 second");
        assert_eq!(flatten("a\\r\\nb\\nc"), "a b c");
    }
}
