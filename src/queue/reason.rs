//! Normalised delay reasons: one failure reads the same for every message it holds up.

use std::ops::Deref;
use std::sync::Arc;

use serde::{Serialize, Serializer};

/// A delay reason as the MTA wrote it, with its normalised form (see [`normalise`]); reads as
/// the text it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    text: Arc<str>,
    key: Arc<str>,
}

impl Reason {
    /// The reason `text`, normalised now; [`Interner::reason`](super::intern::Interner::reason)
    /// shares both strings between recipients.
    pub fn new(text: &str) -> Reason {
        Reason { text: Arc::from(text), key: Arc::from(normalise(text)) }
    }

    pub(super) fn from_parts(text: Arc<str>, key: Arc<str>) -> Reason {
        Reason { text, key }
    }

    /// The reason as the MTA wrote it.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The normalised form, what groups reasons together.
    pub fn key(&self) -> &Arc<str> {
        &self.key
    }
}

impl Deref for Reason {
    type Target = str;

    fn deref(&self) -> &str {
        &self.text
    }
}

impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

/// Reasons longer than this (in characters) are cut in the normalised form.
const MAX_CHARS: usize = 400;

/// The reason with what differs between messages masked: addresses become `*@*`, numbers
/// `#`, and ids (words mixing letters and at least a few digits) `#`; the SMTP reply code and
/// enhanced status code stay. Whitespace is collapsed.
///
/// `host mx[192.0.2.1] said: 452 4.2.2 Quota exceeded (<u1@x.example>) q24si6538316pgt.498`
/// becomes `host mx[<ip>] said: 452 4.2.2 Quota exceeded (<*@*>) #.#`; IP addresses (v4 and
/// v6) become `<ip>`.
pub fn normalise(reason: &str) -> String {
    let mut out = String::with_capacity(reason.len().min(MAX_CHARS));
    normalise_into(reason, &mut out);
    out
}

/// [`normalise`] into `out` (cleared first), so a caller normalising many reasons reuses one
/// buffer.
pub fn normalise_into(reason: &str, out: &mut String) {
    normalise_with_parts(reason, out, &mut String::new());
}

/// [`normalise_into`], also writing to `parts` (cleared first) each piece of `reason` a mask
/// stands for, each followed by a NUL: with them [`rebuild`] gives the reason back, so a large
/// queue keeps its reasons as a few normalised forms and these pieces.
pub fn normalise_with_parts(reason: &str, out: &mut String, parts: &mut String) {
    out.clear();
    parts.clear();
    // ASCII whitespace only: Unicode spaces are rare in replies and much slower to look for.
    for token in reason.split_ascii_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        if !token.bytes().any(|b| b.is_ascii_digit()) && !token.contains('@') {
            // No number, address or IP address in it (an IP literal has a digit): as it is.
            out.push_str(token);
        } else if is_reply_code(token) || is_enhanced_code(token) {
            out.push_str(token);
        } else if token.contains('@') {
            mask_address(token, out, parts);
        } else {
            mask_numbers(token, out, parts);
        }
        if out.len() > MAX_CHARS {
            let cut = (0..=MAX_CHARS).rev().find(|i| out.is_char_boundary(*i)).unwrap_or(0);
            out.truncate(cut);
            out.push('…');
            break;
        }
    }
}

/// The first SMTP reply code in the reason, with its enhanced status code when one follows:
/// `(421, Some("4.0.0"))`.
pub fn reply_code(reason: &str) -> Option<(u16, Option<String>)> {
    let mut tokens =
        reason.split_whitespace().map(|t| t.trim_matches(|c: char| matches!(c, '(' | ')' | '"' | '\'' | ':')));
    while let Some(token) = tokens.next() {
        if !is_reply_code(token) {
            continue;
        }
        let code = token[..3].parse().ok()?;
        let enhanced = match token.get(4..) {
            Some(rest) if is_enhanced_code(rest) => Some(rest.to_string()),
            _ => tokens.next().filter(|t| is_enhanced_code(t)).map(str::to_string),
        };
        return Some((code, enhanced));
    }
    None
}

/// `421`, `450-4.7.1`, `452-`: a reply code (2xx–5xx), alone or with its continuation dash.
fn is_reply_code(token: &str) -> bool {
    let bytes = token.as_bytes();
    bytes.len() >= 3
        && matches!(bytes[0], b'2'..=b'5')
        && bytes[1].is_ascii_digit()
        && bytes[2].is_ascii_digit()
        && (bytes.len() == 3 || (bytes[3] == b'-' && (bytes.len() == 4 || is_enhanced_code(&token[4..]))))
}

/// `4.7.1`: class 2, 4 or 5, subject and detail of one to three digits.
fn is_enhanced_code(token: &str) -> bool {
    let digits = |p: &str| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit());
    let mut parts = token.split('.');
    matches!(parts.next(), Some("2" | "4" | "5"))
        && parts.next().is_some_and(digits)
        && parts.next().is_some_and(digits)
        && parts.next().is_none()
}

/// Writes `text` back from its normalised form `key` and the `parts` of
/// [`normalise_with_parts`]; false when they do not fit together. Only whitespace other than
/// single spaces, a cut form and marks the reason wrote itself (`#`, `<ip>`) keep the result from
/// being the reason: [`split`] checks it before relying on it.
pub fn rebuild(key: &str, parts: &str, out: &mut String) -> bool {
    out.clear();
    let mut parts = parts.split_terminator('\0');
    let mut rest = key;
    while let Some(at) = rest.find(['#', '*', '<']) {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        if let Some(mark) = ["#", "*@*", "<ip>"].into_iter().find(|m| rest.starts_with(m)) {
            let Some(part) = parts.next() else { return false };
            out.push_str(part);
            rest = &rest[mark.len()..];
        } else {
            out.push_str(&rest[..1]);
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    parts.next().is_none()
}

/// Normalises `text` into `key` and its masked pieces into `parts` (`scratch` is room to
/// check them in); true when they give `text` back exactly, false when the text must be kept as
/// it is. A large queue keeps its reasons this way: the normalised forms once, and the pieces.
pub fn split(text: &str, key: &mut String, parts: &mut String, scratch: &mut String) -> bool {
    normalise_with_parts(text, key, parts);
    rebuild(key, parts, scratch) && scratch == text
}

fn mask_address(token: &str, out: &mut String, parts: &mut String) {
    const OPEN: &[char] = &['<', '(', '[', '{', '"', '\''];
    const CLOSE: &[char] = &['>', ')', ']', '}', '"', '\'', ',', ';', ':', '.'];
    let start = token.len() - token.trim_start_matches(OPEN).len();
    let end = token.trim_end_matches(CLOSE).len().max(start);
    out.push_str(&token[..start]);
    out.push_str("*@*");
    parts.push_str(&token[start..end]);
    parts.push('\0');
    out.push_str(&token[end..]);
}

/// Length of the IP address literal at the start of `text`, if one is there.
fn ip_literal_len(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let run = bytes.iter().position(|b| !(b.is_ascii_hexdigit() || matches!(b, b':' | b'.'))).unwrap_or(bytes.len());
    let candidate = &bytes[..run];
    let count = |wanted: u8| memchr::memchr_iter(wanted, candidate).count();
    // Most runs are words or version numbers: too few separators to be an address.
    if !candidate.iter().any(u8::is_ascii_digit) || (count(b'.') < 3 && count(b':') < 2) {
        return None;
    }
    let candidate = &text[..run];
    let trimmed = candidate.trim_end_matches(['.', ':']);
    [candidate, trimmed].into_iter().find(|c| c.parse::<std::net::IpAddr>().is_ok()).map(str::len)
}

fn mask_numbers(token: &str, out: &mut String, parts: &mut String) {
    let mut rest = token;
    while let Some(&first) = rest.as_bytes().first() {
        if (first.is_ascii_hexdigit() || first == b':')
            && let Some(len) = ip_literal_len(rest)
        {
            out.push_str("<ip>");
            parts.push_str(&rest[..len]);
            parts.push('\0');
            rest = &rest[len..];
            continue;
        }
        let word_len = rest.find(|c: char| !c.is_alphanumeric()).unwrap_or(rest.len());
        if word_len == 0 {
            let ch = rest.chars().next().expect("not empty");
            out.push(ch);
            rest = &rest[ch.len_utf8()..];
            continue;
        }
        let word = &rest[..word_len];
        let digits = word.bytes().filter(u8::is_ascii_digit).count();
        if digits == 0 {
            out.push_str(word);
        } else if digits == word.len() || (word.len() >= 6 && digits >= 2) {
            out.push('#');
            parts.push_str(word);
            parts.push('\0');
        } else {
            // Short words with a digit (alt1, c06): mask the digit runs only.
            let mut in_digits = false;
            for ch in word.chars() {
                if ch.is_ascii_digit() {
                    if in_digits {
                        parts.pop();
                    } else {
                        out.push('#');
                    }
                    parts.push(ch);
                    parts.push('\0');
                    in_digits = true;
                } else {
                    out.push(ch);
                    in_digits = false;
                }
            }
        }
        rest = &rest[word_len..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_failure_groups_together() {
        let a = "host alt1.gmail-smtp-in.l.google.com[108.177.97.26] said: 452-4.2.2 The email account that you tried to reach is over quota. 452 4.2.2  https://support.google.com/mail/?p=OverQuotaTemp q24si6538316pgt.498 - gsmtp (in reply to RCPT TO command)";
        let b = "host alt2.gmail-smtp-in.l.google.com[64.233.188.26] said: 452-4.2.2 The email account that you tried to reach is over quota. 452 4.2.2 https://support.google.com/mail/?p=OverQuotaTemp f10si11999094pgj.597 - gsmtp (in reply to RCPT TO command)";
        assert_eq!(normalise(a), normalise(b));
        assert!(normalise(a).contains("said: 452-4.2.2 The email account"), "{}", normalise(a));
        let c = "host x[192.0.2.1] said: 452 4.2.2 Quota exceeded (<rehanna@stahlstierna.se>) (in reply to RCPT TO command)";
        assert_eq!(normalise(c), "host x[<ip>] said: 452 4.2.2 Quota exceeded (<*@*>) (in reply to RCPT TO command)");
        assert_ne!(normalise("421 4.0.0 Server closing connection"), normalise("450 4.3.0 Error: command failed"));
        assert_eq!(
            normalise("connect to alt2.gmail-smtp-in.l.google.com[2404:6800:4008:c06::1b]:25: Connection timed out"),
            normalise("connect to alt1.gmail-smtp-in.l.google.com[64.233.188.26]:25: Connection timed out"),
        );
        assert_eq!(
            normalise("connect to 127.0.0.1[127.0.0.1]:2529: Connection refused"),
            "connect to <ip>[<ip>]:#: Connection refused"
        );
        // Not addresses: a bad octet, a hex word.
        assert_eq!(normalise("smtp2[91.1.2.333] deadbeef"), "smtp#[#.#.#.#] deadbeef");
    }

    #[test]
    fn reply_codes_are_found() {
        assert_eq!(
            reply_code("host 127.0.0.1[127.0.0.1] refused to talk to me: 421 4.0.0 Server closing connection"),
            Some((421, Some("4.0.0".into())))
        );
        assert_eq!(reply_code("said: 450-4.7.1 <h>: Unverified"), Some((450, Some("4.7.1".into()))));
        assert_eq!(reply_code("SMTP error after initial connection: 450 I'm busy"), Some((450, None)));
        assert_eq!(reply_code("connect to 127.0.0.1[127.0.0.1]:2529: Connection refused"), None);
    }

    #[test]
    fn a_reason_is_given_back_from_its_normalised_form_and_pieces() {
        let (mut key, mut parts, mut scratch) = (String::new(), String::new(), String::new());
        let gmail = "host alt1.gmail-smtp-in.l.google.com[108.177.97.26] said: 452-4.2.2 The email account that you tried to reach is over quota. https://support.google.com/mail/?p=OverQuotaTemp q24si6538316pgt.498 - gsmtp (in reply to RCPT TO command)";
        assert!(split(gmail, &mut key, &mut parts, &mut scratch));
        assert_eq!(key, normalise(gmail));
        assert_eq!(parts.split_terminator('\0').collect::<Vec<_>>(), ["1", "108.177.97.26", "q24si6538316pgt", "498"]);
        assert!(rebuild(&key, &parts, &mut scratch) && scratch == gmail);
        // Two spaces, a mark the text wrote itself, a form cut short: kept whole instead.
        for whole in
            ["said:  550 gone", "511 sorry, no mailbox here by that name (#5.1.1 - chkuser)", &"x1 ".repeat(300)]
        {
            assert!(!split(whole, &mut key, &mut parts, &mut scratch), "{whole}");
        }
    }

    #[test]
    fn long_reasons_are_cut_on_a_character_boundary() {
        let long = "é".repeat(1000);
        assert!(normalise(&long).ends_with('…'));
    }
}
