//! One pass over one log: read blocks, pick out the lines that mention the target with
//! `memchr::memmem` before parsing anything, hand those lines to the format's parser, and pass
//! matching records on. Memory stays at one block whatever the file size.

use std::io::Read;

use memchr::memmem::Finder;
use serde::Serialize;

use super::filter::{self, DomainFilter};
use super::format::Format;
use super::parser::{LineKind, LogParser};
use super::record::LogRecord;

/// Bytes read per block.
const BLOCK: usize = 4 << 20;
/// Longest line kept; longer lines are counted as skipped.
pub const MAX_LINE: usize = 1 << 20;

/// What one file gave.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FileReport {
    pub path: String,
    /// The format used (detected or forced); none for an empty file or one no format reads.
    pub format: Option<Format>,
    pub compressed: bool,
    /// The lines came from a JSON export (line numbers count the extracted lines).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub json: bool,
    /// Lines in the file.
    pub lines: u64,
    /// Lines handed to the parser (all of them without a domain; with one, those mentioning it).
    pub examined: u64,
    /// Examined lines the parser read.
    pub recognised: u64,
    /// Examined lines it could not read (other programs, damaged lines), counted and skipped.
    /// Blank lines are neither recognised nor skipped.
    pub skipped: u64,
    /// Records that concern the target.
    pub matched: u64,
    /// Why the file could not be read, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What was read only in part (a gzip file cut short), when something was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Stops a scan when asked (the TUI's Esc).
pub trait Control {
    /// True when the scan should stop.
    fn cancelled(&self) -> bool;
    /// Called after each block with the bytes read from disk so far.
    fn progress(&mut self);
}

/// The scan was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

/// Scans `reader` (whose first bytes are already detected as `format`), feeding every record that
/// `filter` accepts (all records without a filter) to `sink`.
pub fn scan(
    reader: &mut dyn Read,
    parser: &mut dyn LogParser,
    filter: Option<&DomainFilter>,
    report: &mut FileReport,
    sink: &mut dyn FnMut(LogRecord),
    control: &mut dyn Control,
) -> Result<(), ScanError> {
    let finders = match filter {
        Some(filter) if parser.line_local() => {
            let mut needles = filter.needles();
            needles.extend(parser.always().iter().map(|s| s.to_ascii_lowercase().into_bytes()));
            Some(filter::finders(&needles))
        }
        _ => None,
    };
    let mut state = State { parser, filter, report, sink, out: Vec::new(), lines: 0, folded: Vec::new() };
    let mut buf = vec![0u8; BLOCK];
    let mut filled = 0usize;
    let mut discarding = false;
    loop {
        if control.cancelled() {
            return Err(ScanError::Cancelled(Cancelled));
        }
        let mut eof = false;
        while filled < buf.len() {
            match reader.read(&mut buf[filled..]) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => filled += n,
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                Err(err) => return Err(ScanError::Io(err)),
            }
        }
        control.progress();
        let mut start = 0;
        if discarding {
            // The rest of an over-long line.
            match memchr::memchr(b'\n', &buf[..filled]) {
                Some(nl) => {
                    start = nl + 1;
                    discarding = false;
                }
                None => start = filled,
            }
        }
        let mut overlong = false;
        let end = if eof {
            filled
        } else {
            match memchr::memrchr(b'\n', &buf[start..filled]) {
                Some(nl) => start + nl + 1,
                None if filled - start >= MAX_LINE => {
                    overlong = true;
                    filled
                }
                None => start,
            }
        };
        if overlong {
            state.report.examined += 1;
            state.report.skipped += 1;
            state.lines += 1;
            discarding = true;
        } else {
            let block = &buf[start..end];
            match &finders {
                Some(finders) => state.filtered_block(block, finders),
                None => state.every_line(block),
            }
        }
        buf.copy_within(end..filled, 0);
        filled -= end;
        if eof {
            break;
        }
    }
    state.out.clear();
    state.parser.finish(&mut state.out);
    state.deliver();
    state.report.lines = state.lines;
    Ok(())
}

/// Why a scan stopped early.
#[derive(Debug)]
pub enum ScanError {
    Io(std::io::Error),
    Cancelled(Cancelled),
}

struct State<'a> {
    parser: &'a mut dyn LogParser,
    filter: Option<&'a DomainFilter>,
    report: &'a mut FileReport,
    sink: &'a mut dyn FnMut(LogRecord),
    out: Vec<LogRecord>,
    /// Lines before the current position.
    lines: u64,
    /// The current block in lower case, for the prefilter.
    folded: Vec<u8>,
}

impl State<'_> {
    /// Parses every line of `block`.
    fn every_line(&mut self, block: &[u8]) {
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', block) {
            self.lines += 1;
            self.line(&block[start..nl], self.lines);
            start = nl + 1;
        }
        if start < block.len() {
            self.lines += 1;
            self.line(&block[start..], self.lines);
        }
    }

    /// Parses only the lines of `block` holding one of the (lower-case) needles, in any case;
    /// counts the others.
    fn filtered_block(&mut self, block: &[u8], finders: &[Finder<'static>]) {
        // One pass folding the block to lower case costs less than a search per case variant,
        // and finds `Bank.Example` too.
        self.folded.clear();
        self.folded.extend_from_slice(block);
        self.folded.make_ascii_lowercase();
        let mut starts: Vec<usize> = Vec::new();
        for finder in finders {
            let mut last_line_end = 0;
            for hit in finder.find_iter(&self.folded) {
                if hit < last_line_end {
                    continue;
                }
                let line_start = memchr::memrchr(b'\n', &block[..hit]).map(|i| i + 1).unwrap_or(0);
                starts.push(line_start);
                last_line_end = memchr::memchr(b'\n', &block[hit..]).map(|i| hit + i + 1).unwrap_or(block.len());
            }
        }
        if finders.len() > 1 {
            starts.sort_unstable();
            starts.dedup();
        }
        let mut counted_to = 0;
        let base = self.lines;
        let mut newlines = 0u64;
        for start in starts {
            newlines += memchr::memchr_iter(b'\n', &block[counted_to..start]).count() as u64;
            let end = memchr::memchr(b'\n', &block[start..]).map(|i| start + i).unwrap_or(block.len());
            self.line(&block[start..end], base + newlines + 1);
            counted_to = start;
        }
        newlines += memchr::memchr_iter(b'\n', &block[counted_to..]).count() as u64;
        let unterminated = u64::from(!block.is_empty() && block[block.len() - 1] != b'\n');
        self.lines = base + newlines + unterminated;
    }

    fn line(&mut self, bytes: &[u8], number: u64) {
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        let text = String::from_utf8_lossy(bytes);
        self.report.examined += 1;
        match self.parser.line(&text, number, &mut self.out) {
            LineKind::Recognised => self.report.recognised += 1,
            LineKind::Skipped => self.report.skipped += 1,
            LineKind::Blank => {}
        }
        self.deliver();
    }

    fn deliver(&mut self) {
        for record in self.out.drain(..) {
            if self.filter.is_none_or(|f| f.matches(&record)) {
                self.report.matched += 1;
                (self.sink)(record);
            }
        }
    }
}
