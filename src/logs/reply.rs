//! SMTP replies inside log text: the reply code, the enhanced status code, one-line text.

use std::borrow::Cow;

/// Joins a multi-line reply into one line: line breaks (real or written as `\r`/`\n`) and runs of
/// white space become one space. Text already on one line is borrowed, not copied.
pub fn flatten(text: &str) -> Cow<'_, str> {
    if is_flat(text) {
        return Cow::Borrowed(text);
    }
    let unwritten;
    let text = if has_written_break(text) {
        unwritten = text.replace("\\r", " ").replace("\\n", " ");
        unwritten.as_str()
    } else {
        text
    };
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    Cow::Owned(out)
}

/// True when [`flatten`] would change nothing: printable ASCII with single spaces between
/// words. Other text takes the slow path, which gives the same.
fn is_flat(text: &str) -> bool {
    // Every reply of a queue or log goes through here: the byte tests are folds without an early
    // exit, which the compiler turns into vector code (replies are short).
    let bytes = text.as_bytes();
    let printable = bytes.iter().fold(true, |ok, &b| ok & (b' '..=b'~').contains(&b));
    let double_space = bytes
        .iter()
        .zip(bytes.iter().skip(1))
        .fold(0u8, |seen, (&a, &b)| seen | (u8::from(a == b' ') & u8::from(b == b' ')))
        != 0;
    printable
        && !double_space
        && bytes.first() != Some(&b' ')
        && bytes.last() != Some(&b' ')
        && !has_written_break(text)
}

/// True when `text` holds a line break written out as `\r` or `\n`.
fn has_written_break(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr_iter(b'\\', bytes).any(|at| matches!(bytes.get(at + 1), Some(b'r' | b'n')))
}

/// The reply code and enhanced status code of the first SMTP reply in `text`: at its start (after
/// an optional `smtp;` prefix) or after a `": "` (`host mx said: 421 4.7.0 ...`,
/// `SMTP error ... after RCPT TO:<a@b>: 450 ...`).
pub fn codes(text: &str) -> (Option<u16>, Option<String>) {
    reply_in(text).map_or((None, None), |reply| (Some(reply.code), reply.enhanced.map(str::to_string)))
}

/// The server's reply inside `text`, from its code on (`421 4.7.0 … (in reply to MAIL FROM command)`
/// out of `host mx[…] said: 421 4.7.0 …`); `None` when there is no reply code.
pub fn server_words(text: &str) -> Option<&str> {
    reply_in(text).map(|reply| reply.words)
}

/// The first SMTP reply inside a line of log or queue text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyIn<'a> {
    /// The server's words from the reply code on.
    pub words: &'a str,
    pub code: u16,
    pub enhanced: Option<&'a str>,
}

/// The first SMTP reply in `text`, where [`codes`] and [`server_words`] find it.
pub fn reply_in(text: &str) -> Option<ReplyIn<'_>> {
    let bytes = text.as_bytes();
    let after_colons = memchr::memchr_iter(b':', bytes).filter(|&i| bytes.get(i + 1) == Some(&b' ')).map(|i| i + 2);
    std::iter::once(0).chain(after_colons).find_map(|start| {
        let words = &text[start..];
        reply_at(words).map(|(code, enhanced)| ReplyIn { words: words.trim_start(), code, enhanced })
    })
}

/// A reply code (and enhanced code) at the start of `text`.
fn reply_at(text: &str) -> Option<(u16, Option<&str>)> {
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
    let enhanced = enhanced_token(rest).filter(|e| e.as_bytes()[0] == bytes[0]);
    Some((code, enhanced))
}

/// An enhanced status code (`4.7.0`) at the start of `text`.
fn enhanced_token(text: &str) -> Option<&str> {
    let token = text.split(|c: char| c.is_whitespace() || c == ',' || c == ';').next()?;
    is_enhanced(token).then_some(token)
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
        assert_eq!(flatten(" a\\\\nb "), "a\\ b");
        assert!(matches!(flatten("421 4.7.0 one line"), Cow::Borrowed(_)));
    }

    proptest::proptest! {
        /// Flattening is the same as replacing the written breaks and joining the words with
        /// one space, and text already flat is borrowed.
        #[test]
        fn flatten_joins_the_words_with_one_space(text in "([a\\\\rn ]|\\s|\\PC){0,40}") {
            let words = text.replace("\\r", " ").replace("\\n", " ");
            let expected = words.split_whitespace().collect::<Vec<_>>().join(" ");
            let got = flatten(&text);
            proptest::prop_assert_eq!(&got, &expected);
            let borrowed = matches!(got, Cow::Borrowed(_));
            proptest::prop_assert!(!borrowed || expected == text);
            let printable = text.bytes().all(|b| b == b' ' || b.is_ascii_graphic());
            proptest::prop_assert!(borrowed || expected != text || !printable);
        }
    }
}
