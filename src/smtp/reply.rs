//! SMTP replies: bounded line reading, multi-line assembly and RFC 3463 enhanced status codes.
//!
//! Peers are not trusted: a line longer than [`MAX_LINE`] bytes is cut (the rest is read and
//! dropped) and flagged, a line longer than [`LINE_LIMIT`] ends the read with [`LineTooLong`],
//! a reply of more than [`MAX_LINES`] lines keeps its first lines and its last and is flagged.
//! Bytes are kept raw; [`ReplyLine::display`] gives them escaped for the screen.

use std::fmt;
use std::io;

use serde::Serialize;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

use crate::session::escape::escape_bytes;

/// Longest reply line kept, in bytes (RFC 5321 allows 512; some servers send more).
pub const MAX_LINE: usize = 4096;
/// Most lines kept of one reply.
pub const MAX_LINES: usize = 1000;
/// A line longer than this, in bytes, is not a reply line: the read ends with [`LineTooLong`].
pub const LINE_LIMIT: usize = 1 << 20;

/// The peer sent a line longer than the limit of the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the peer sent a line longer than {0} bytes without a line end")]
pub struct LineTooLong(pub usize);

impl LineTooLong {
    /// The limit when `err` is a [`LineTooLong`] error of a [`LineReader`].
    pub fn limit_of(err: &io::Error) -> Option<usize> {
        err.get_ref().and_then(|e| e.downcast_ref::<LineTooLong>()).map(|e| e.0)
    }
}

/// One line as received, without its line ending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyLine {
    /// The bytes kept, at most [`MAX_LINE`].
    pub raw: Vec<u8>,
    /// The line was longer and was cut.
    pub cut: bool,
    /// The line ended with the stream, not with a line feed.
    pub unterminated: bool,
}

impl ReplyLine {
    /// The line, safe to show: control bytes and invalid UTF-8 escaped, and a cut said.
    pub fn display(&self) -> String {
        let mut text = escape_bytes(&self.raw);
        if self.cut {
            text.push_str(" […line cut]");
        }
        text
    }

    /// The three-digit code at the start of the line, if any.
    pub fn code(&self) -> Option<u16> {
        let digits = self.raw.get(..3)?;
        if !digits.iter().all(u8::is_ascii_digit) || !(b'2'..=b'5').contains(&digits[0]) {
            return None;
        }
        std::str::from_utf8(digits).ok()?.parse().ok()
    }

    /// True when the line says more lines of the same reply follow (`250-…`).
    pub fn is_continuation(&self) -> bool {
        self.code().is_some() && self.raw.get(3) == Some(&b'-')
    }

    /// The text after the code and separator.
    pub fn text_bytes(&self) -> &[u8] {
        if self.code().is_some() { self.raw.get(4..).unwrap_or(&[]) } else { &self.raw }
    }
}

/// Reads lines with a bounded buffer. Its state lives in the reader, so a `next_line` future
/// dropped by `select!` loses nothing.
#[derive(Debug)]
pub struct LineReader<R> {
    inner: R,
    partial: Vec<u8>,
    cut: bool,
    /// Bytes of the current line seen, kept or not.
    seen: usize,
    keep: usize,
    limit: usize,
}

impl<R: AsyncBufRead + Unpin> LineReader<R> {
    /// Wraps a buffered reader: lines keep [`MAX_LINE`] bytes, and one past [`LINE_LIMIT`]
    /// ends the read.
    pub fn new(inner: R) -> LineReader<R> {
        LineReader::with_limits(inner, MAX_LINE, LINE_LIMIT)
    }

    /// Keeps `keep` bytes of a line; a line longer than `limit` is an error ([`LineTooLong`]).
    pub fn with_limits(inner: R, keep: usize, limit: usize) -> LineReader<R> {
        LineReader { inner, partial: Vec::new(), cut: false, seen: 0, keep, limit: limit.max(keep) }
    }

    /// The reader inside, shared.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The reader inside.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// Gives back the reader inside.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// True when part of a line has been read.
    pub fn has_partial(&self) -> bool {
        !self.partial.is_empty() || self.cut
    }

    /// The next line; `Ok(None)` at the end of the stream with nothing pending.
    pub async fn next_line(&mut self) -> io::Result<Option<ReplyLine>> {
        loop {
            let available = self.inner.fill_buf().await?;
            if available.is_empty() {
                if !self.has_partial() {
                    return Ok(None);
                }
                return Ok(Some(self.take_line(true)));
            }
            let (chunk, found) = match memchr::memchr(b'\n', available) {
                Some(end) => (&available[..end], Some(end + 1)),
                None => (available, None),
            };
            let room = self.keep.saturating_sub(self.partial.len());
            self.partial.extend_from_slice(&chunk[..chunk.len().min(room)]);
            self.cut |= chunk.len() > room;
            self.seen = self.seen.saturating_add(chunk.len());
            let used = found.unwrap_or(available.len());
            self.inner.consume(used);
            if found.is_some() {
                return Ok(Some(self.take_line(false)));
            }
            if self.seen > self.limit {
                self.take_line(true);
                return Err(io::Error::new(io::ErrorKind::InvalidData, LineTooLong(self.limit)));
            }
        }
    }

    fn take_line(&mut self, unterminated: bool) -> ReplyLine {
        self.seen = 0;
        let mut raw = std::mem::take(&mut self.partial);
        if raw.last() == Some(&b'\r') {
            raw.pop();
        }
        ReplyLine { raw, cut: std::mem::take(&mut self.cut), unterminated }
    }
}

/// An enhanced mail system status code (RFC 3463), e.g. `5.7.1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct EnhancedCode {
    pub class: u8,
    pub subject: u16,
    pub detail: u16,
}

impl EnhancedCode {
    /// Reads `class.subject.detail` at the start of `text`.
    pub fn parse_prefix(text: &str) -> Option<EnhancedCode> {
        let word = text.split(|c: char| c.is_whitespace()).next()?;
        let mut parts = word.splitn(3, '.');
        let class: u8 = parts.next()?.parse().ok()?;
        let subject = parts.next()?;
        let detail = parts.next()?.trim_end_matches([',', ';', ':']);
        let valid = |s: &str, max: usize| !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit());
        if !matches!(class, 2 | 4 | 5) || !valid(subject, 3) || !valid(detail, 3) {
            return None;
        }
        Some(EnhancedCode { class, subject: subject.parse().ok()?, detail: detail.parse().ok()? })
    }

    /// The same code with another class (`5.7.1` → `X.7.1` lookups use class 0).
    pub fn with_class(self, class: u8) -> EnhancedCode {
        EnhancedCode { class, ..self }
    }

    /// `class.subject.detail` written into `buf`, digit by digit: the classifier writes one for
    /// every reply, and the formatting machinery costs more than the digits.
    pub fn text(self, buf: &mut [u8; 16]) -> &str {
        let mut len = 0;
        for (i, part) in [u16::from(self.class), self.subject, self.detail].into_iter().enumerate() {
            if i > 0 {
                buf[len] = b'.';
                len += 1;
            }
            // The digits come lowest first; they are put in place from the end.
            let mut digits = [0; 5];
            let mut count = 0;
            let mut rest = part;
            loop {
                digits[count] = b'0' + u8::try_from(rest % 10).unwrap_or(0);
                count += 1;
                rest /= 10;
                if rest == 0 {
                    break;
                }
            }
            for &digit in digits[..count].iter().rev() {
                buf[len] = digit;
                len += 1;
            }
        }
        std::str::from_utf8(&buf[..len]).unwrap_or_default()
    }
}

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text(&mut [0; 16]))
    }
}

/// A whole reply: every line, the code, the enhanced code of the first line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The code of the last line; `None` when the peer sent no valid code.
    pub code: Option<u16>,
    pub lines: Vec<ReplyLine>,
    /// More than [`MAX_LINES`] lines came; the rest were dropped.
    pub lines_cut: bool,
    /// The reply ended with the stream before its last line.
    pub incomplete: bool,
}

impl Reply {
    /// Builds a reply from lines (tests, parsers of transcripts).
    pub fn from_lines(lines: Vec<ReplyLine>) -> Reply {
        let code = lines.last().and_then(ReplyLine::code);
        Reply { code, lines, lines_cut: false, incomplete: false }
    }

    /// Parses text (lines separated by `\n`) into a reply.
    pub fn parse(text: &str) -> Reply {
        let lines =
            text.lines().map(|l| ReplyLine { raw: l.as_bytes().to_vec(), cut: false, unterminated: false }).collect();
        Reply::from_lines(lines)
    }

    /// The enhanced status code of the first line, when the server uses them.
    pub fn enhanced(&self) -> Option<EnhancedCode> {
        let first = self.lines.first()?;
        let text = String::from_utf8_lossy(first.text_bytes());
        EnhancedCode::parse_prefix(text.trim_start())
            .filter(|e| self.code.is_none_or(|c| c / 100 == u16::from(e.class)))
    }

    /// 2xx or 3xx.
    pub fn is_positive(&self) -> bool {
        matches!(self.code, Some(200..=399))
    }

    /// 4xx.
    pub fn is_transient(&self) -> bool {
        matches!(self.code, Some(400..=499))
    }

    /// 5xx.
    pub fn is_permanent(&self) -> bool {
        matches!(self.code, Some(500..=599))
    }

    /// The text of every line (without codes) joined by spaces, lossily decoded, not escaped:
    /// for matching patterns, never for display.
    pub fn text_lossy(&self) -> String {
        let parts: Vec<String> =
            self.lines.iter().map(|l| String::from_utf8_lossy(l.text_bytes()).trim().to_string()).collect();
        parts.join(" ")
    }

    /// Each line escaped for display.
    pub fn display_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self.lines.iter().map(ReplyLine::display).collect();
        if self.lines_cut {
            lines.push(format!("[…reply cut after {MAX_LINES} lines]"));
        }
        lines
    }

    /// The reply on one line, escaped: `550 5.7.1 blocked / see url`.
    pub fn one_line(&self) -> String {
        let mut text = self.display_lines().join(" / ");
        if self.incomplete {
            text.push_str(" [incomplete]");
        }
        text
    }

    /// Looks for an extension keyword in an EHLO reply (`STARTTLS`, `SIZE`).
    pub fn has_extension(&self, keyword: &str) -> bool {
        self.lines.iter().skip(1).any(|l| {
            String::from_utf8_lossy(l.text_bytes())
                .split_whitespace()
                .next()
                .is_some_and(|w| w.eq_ignore_ascii_case(keyword))
        })
    }
}

/// How a reply shows that the peer does not speak SMTP, or breaks it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolProblem {
    /// The first line is not a reply line: what it looks like instead.
    #[error("{0}")]
    NotSmtp(String),
    /// An SMTP reply that breaks the protocol.
    #[error("{0}")]
    Broken(String),
}

impl Reply {
    /// Why this reply is no SMTP reply, or breaks SMTP; `ended` says the read ended (close,
    /// reset) before the reply did. `None` for a well-formed reply.
    pub fn protocol_problem(&self, ended: bool) -> Option<ProtocolProblem> {
        let first = self.lines.first()?;
        let Some(code) = first.code() else {
            return Some(ProtocolProblem::NotSmtp(not_smtp(&first.raw, &first.display())));
        };
        if let Some(line) = self.lines.iter().find(|l| l.code() != Some(code)) {
            return Some(ProtocolProblem::Broken(format!(
                "a line of a {code} reply does not start with {code}: {}",
                short(&line.display())
            )));
        }
        if ended && self.lines.last().is_some_and(ReplyLine::is_continuation) {
            return Some(ProtocolProblem::Broken(format!(
                "{} continuation line(s) of a {code} reply, then the connection ended without its last line",
                self.lines.len()
            )));
        }
        None
    }
}

/// At most the first 80 characters of a line shown in a sentence.
fn short(shown: &str) -> String {
    match shown.char_indices().nth(80) {
        Some((end, _)) => format!("{}…", &shown[..end]),
        None => shown.to_string(),
    }
}

/// What a first line that is no SMTP reply looks like.
fn not_smtp(raw: &[u8], shown: &str) -> String {
    let short = short(shown);
    if raw.starts_with(b"HTTP/") || raw.starts_with(b"<") {
        format!("a web server answered ({short})")
    } else if matches!(raw, [0x14..=0x17, 0x03, ..]) {
        "TLS bytes came instead of a banner: the port expects TLS from the first byte".into()
    } else if raw.starts_with(b"SSH-") {
        format!("an SSH server answered ({short})")
    } else {
        format!("its first line is not an SMTP reply: {short}")
    }
}

/// Gathers lines into replies, line by line, so a console can show lines as they arrive.
#[derive(Debug, Default)]
pub struct ReplyAssembler {
    lines: Vec<ReplyLine>,
    count: usize,
}

impl ReplyAssembler {
    /// Adds a line; returns the reply when this line ends it.
    pub fn push(&mut self, line: ReplyLine) -> Option<Reply> {
        let last = !line.is_continuation() || line.unterminated;
        self.count += 1;
        if self.lines.len() < MAX_LINES {
            self.lines.push(line);
        } else if last {
            // Keep the final line so the code is right.
            *self.lines.last_mut().expect("MAX_LINES > 0") = line;
        }
        last.then(|| self.take(false))
    }

    /// True when the reply being assembled keeps no more lines: further continuation lines are
    /// counted with [`ReplyAssembler::skip`] and dropped unread by anyone.
    pub fn is_full(&self) -> bool {
        self.lines.len() >= MAX_LINES
    }

    /// Counts a continuation line that is not kept.
    pub fn skip(&mut self) {
        self.count = self.count.saturating_add(1);
    }

    /// Lines dropped from the reply being assembled.
    pub fn dropped(&self) -> usize {
        self.count.saturating_sub(self.lines.len())
    }

    /// The reply so far, at the end of the stream or a deadline; `None` when nothing came.
    pub fn finish(&mut self) -> Option<Reply> {
        (!self.lines.is_empty()).then(|| self.take(true))
    }

    /// True when lines of an unfinished reply are pending.
    pub fn is_pending(&self) -> bool {
        !self.lines.is_empty()
    }

    fn take(&mut self, incomplete: bool) -> Reply {
        let lines = std::mem::take(&mut self.lines);
        let lines_cut = std::mem::take(&mut self.count) > MAX_LINES;
        let mut reply = Reply::from_lines(lines);
        reply.code = reply.code.or_else(|| reply.lines.first().and_then(ReplyLine::code));
        reply.lines_cut = lines_cut;
        reply.incomplete = incomplete || reply.lines.last().is_some_and(|l| l.unterminated);
        reply
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read_all(bytes: &[u8]) -> Vec<ReplyLine> {
        let mut reader = LineReader::new(bytes);
        let mut lines = Vec::new();
        while let Some(line) = reader.next_line().await.unwrap() {
            lines.push(line);
        }
        lines
    }

    #[tokio::test]
    async fn long_lines_are_cut_and_flagged() {
        let mut bytes = vec![b'a'; MAX_LINE * 3];
        bytes.extend_from_slice(b"\r\n250 ok\r\n");
        let lines = read_all(&bytes).await;
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].raw.len(), MAX_LINE);
        assert!(lines[0].cut);
        assert_eq!(lines[1].raw, b"250 ok");
        assert!(!lines[1].cut);
    }

    #[tokio::test]
    async fn a_line_past_the_limit_ends_the_read() {
        let bytes = vec![b'x'; 300];
        let mut reader = LineReader::with_limits(&bytes[..], 10, 100);
        let err = reader.next_line().await.unwrap_err();
        assert_eq!(LineTooLong::limit_of(&err), Some(100));
        let mut reader = LineReader::with_limits(&b"0123456789abc\n"[..], 10, 100);
        assert!(reader.next_line().await.unwrap().unwrap().cut);
    }

    #[tokio::test]
    async fn an_unterminated_last_line_is_kept() {
        let lines = read_all(b"250-first\r\n250 las").await;
        assert_eq!(lines.len(), 2);
        assert!(lines[1].unterminated);
    }

    #[test]
    fn assembles_multi_line_replies() {
        let mut asm = ReplyAssembler::default();
        let reply = Reply::parse("250-mx.test Hello [203.0.113.5]\n250-STARTTLS\n250 SIZE 1000");
        let mut out = None;
        for line in reply.lines.clone() {
            out = asm.push(line);
        }
        let out = out.unwrap();
        assert_eq!(out.code, Some(250));
        assert_eq!(out.lines.len(), 3);
        assert!(out.has_extension("starttls"));
        assert!(!out.has_extension("AUTH"));
    }

    #[test]
    fn replies_over_the_line_limit_are_cut() {
        let mut asm = ReplyAssembler::default();
        for i in 0..MAX_LINES + 50 {
            let line = ReplyLine { raw: format!("250-line {i}").into_bytes(), cut: false, unterminated: false };
            assert!(asm.push(line).is_none());
        }
        let last = ReplyLine { raw: b"250 end".to_vec(), cut: false, unterminated: false };
        let reply = asm.push(last).unwrap();
        assert_eq!(reply.lines.len(), MAX_LINES);
        assert!(reply.lines_cut);
        assert_eq!(reply.lines.last().unwrap().raw, b"250 end");
    }

    #[test]
    fn enhanced_codes() {
        let reply = Reply::parse("550-5.7.25 [192.0.2.1] no PTR\n550 5.7.25 information");
        assert_eq!(reply.enhanced(), Some(EnhancedCode { class: 5, subject: 7, detail: 25 }));
        assert_eq!(Reply::parse("421 4.7.0 [TSS04] deferred").enhanced().unwrap().to_string(), "4.7.0");
        assert_eq!(Reply::parse("250 mx.google.com at your service").enhanced(), None);
        assert_eq!(Reply::parse("550 4.7.1 mismatched class").enhanced(), None);
        assert_eq!(Reply::parse("451 4.7.650 rate limited").enhanced().unwrap().detail, 650);
    }

    proptest::proptest! {
        /// The digits written by hand read as the numbers do, whatever their length.
        #[test]
        fn an_enhanced_code_is_written_as_its_numbers(class: u8, subject: u16, detail: u16) {
            let code = EnhancedCode { class, subject, detail };
            proptest::prop_assert_eq!(code.to_string(), format!("{class}.{subject}.{detail}"));
        }
    }

    #[test]
    fn display_escapes_control_bytes() {
        let line = ReplyLine { raw: b"250 \x1b[31mred\x00\xff".to_vec(), cut: true, unterminated: false };
        assert_eq!(line.display(), "250 \\x1b[31mred\\x00\\xff […line cut]");
        assert!(!line.display().contains('\x1b'));
    }
}
