//! What every format module provides: a line-at-a-time parser producing [`LogRecord`]s.

use super::record::LogRecord;

/// How a parser took a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// A line of this format (a header, an event, or one that carries nothing we count).
    Recognised,
    /// Not a line of this format, or one it could not read; counted and skipped.
    Skipped,
    /// An empty line.
    Blank,
}

/// A parser of one log format. It keeps whatever state the format needs across lines (field
/// lists, sessions to join) and pushes finished records to `out`.
pub trait LogParser: Send {
    /// Reads one line (without its line break; `number` is 1-based).
    fn line(&mut self, text: &str, number: u64, out: &mut Vec<LogRecord>) -> LineKind;

    /// The input ended: flush events still being joined.
    fn finish(&mut self, _out: &mut Vec<LogRecord>) {}

    /// True when every record comes from one line that names the recipient or the remote host, so
    /// lines without the domain can be passed over unread.
    fn line_local(&self) -> bool {
        true
    }

    /// Substrings of lines the parser must see even when they do not mention the domain
    /// (`#Fields:` headers).
    fn always(&self) -> &'static [&'static str] {
        &[]
    }
}
