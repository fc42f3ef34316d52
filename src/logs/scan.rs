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

/// Bytes read per block: small enough to stay in a core's cache while it is searched.
const BLOCK: usize = 256 << 10;
/// Bytes read between two calls of [`Control::progress`].
const PROGRESS_BYTES: usize = 4 << 20;
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
    /// Called every few MiB read.
    fn progress(&mut self);
}

/// The scan was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

/// Scans `reader` (whose first bytes are already detected as `format`), feeding every record that
/// `filter` accepts (all records without a filter) to `sink`.
///
/// With a filter and a parser whose records come from single lines, the blocks are searched on
/// worker threads while the next block is read, and only the lines the search found are handed
/// to the parser, in input order.
pub fn scan(
    reader: &mut (dyn Read + Send),
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
    let mut state = State { parser, filter, report, sink, out: Vec::new(), lines: 0 };
    let mut blocks = Blocks::new(reader);
    if let Some(finders) = &finders {
        search_blocks(&mut blocks, &mut state, finders, control)?;
    } else {
        every_block(&mut blocks, &mut state, control)?;
    }
    state.overlong(blocks.take_overlong());
    state.out.clear();
    state.parser.finish(&mut state.out);
    state.deliver();
    state.report.lines = state.lines;
    Ok(())
}

/// Parses every line of every block.
fn every_block(blocks: &mut Blocks<'_>, state: &mut State<'_>, control: &mut dyn Control) -> Result<(), ScanError> {
    let mut buf = Buffer::default();
    let mut unreported = 0;
    loop {
        if control.cancelled() {
            return Err(ScanError::Cancelled(Cancelled));
        }
        let Some(skipped) = blocks.next(&mut buf).map_err(ScanError::Io)? else { break };
        state.overlong(skipped);
        state.every_line(buf.bytes());
        unreported += buf.len;
        if unreported >= PROGRESS_BYTES {
            unreported = 0;
            control.progress();
        }
    }
    control.progress();
    Ok(())
}

/// A block searched by a worker, on its way to be parsed.
struct Job {
    seq: u64,
    buf: Buffer,
    /// Over-long lines skipped just before the block.
    skipped: u64,
    found: Found,
}

/// Blocks read so far, numbered, for workers that take turns reading.
struct Shared<'a, 'r> {
    blocks: &'a mut Blocks<'r>,
    seq: u64,
    /// The first read error; it ends the scan.
    error: Option<std::io::Error>,
}

/// Worker threads take turns reading a block and search it while the others read theirs, so a
/// block is searched on the core that read it while it is in that core's cache; the lines
/// they found are parsed here, in input order. A fixed number of buffers circulate, so memory
/// stays bounded.
fn search_blocks(
    blocks: &mut Blocks<'_>,
    state: &mut State<'_>,
    finders: &[Finder<'static>],
    control: &mut dyn Control,
) -> Result<(), ScanError> {
    let mut buf = Buffer::default();
    let mut folded = Vec::new();
    if control.cancelled() {
        return Err(ScanError::Cancelled(Cancelled));
    }
    let Some(skipped) = blocks.next(&mut buf).map_err(ScanError::Io)? else {
        return Ok(());
    };
    let workers = workers();
    if workers == 1 || blocks.eof {
        // One block, or one core: threads would only add their start-up time.
        let mut job = Job { seq: 0, buf, skipped, found: Found::default() };
        loop {
            search(job.buf.bytes(), finders, &mut folded, &mut job.found);
            state.found(&job);
            control.progress();
            if control.cancelled() {
                return Err(ScanError::Cancelled(Cancelled));
            }
            match blocks.next(&mut job.buf).map_err(ScanError::Io)? {
                Some(skipped) => job.skipped = skipped,
                None => return Ok(()),
            }
        }
    }
    let mut first = Job { seq: 0, buf, skipped, found: Found::default() };
    search(first.buf.bytes(), finders, &mut folded, &mut first.found);
    let shared = std::sync::Mutex::new(Shared { blocks, seq: 1, error: None });
    let stop = std::sync::atomic::AtomicBool::new(false);
    let buffers = workers * 3;
    let (spare_tx, spare_rx) = crossbeam_channel::bounded::<Buffer>(buffers);
    for _ in 1..buffers {
        spare_tx.send(Buffer::default()).expect("room for every buffer");
    }
    let cancelled = std::thread::scope(|scope| {
        let (done_tx, done_rx) = crossbeam_channel::unbounded::<Job>();
        for _ in 0..workers {
            let (spare_rx, done_tx, shared, stop) = (spare_rx.clone(), done_tx.clone(), &shared, &stop);
            scope.spawn(move || search_worker(&spare_rx, &done_tx, shared, stop, finders));
        }
        drop(done_tx);
        let mut order = InOrder::default();
        let mut unreported = 0;
        let mut cancelled = false;
        for job in std::iter::once(first).chain(done_rx) {
            order.waiting.insert(job.seq, job);
            while let Some(job) = order.waiting.remove(&order.next) {
                order.next += 1;
                if cancelled {
                    continue;
                }
                state.found(&job);
                unreported += job.buf.len;
                let _ = spare_tx.send(job.buf);
                if unreported >= PROGRESS_BYTES {
                    unreported = 0;
                    control.progress();
                }
                if control.cancelled() {
                    cancelled = true;
                    stop.store(true, std::sync::atomic::Ordering::Relaxed);
                    // Workers waiting for a buffer end now.
                    while spare_rx.try_recv().is_ok() {}
                    for _ in 0..workers {
                        let _ = spare_tx.send(Buffer::default());
                    }
                }
            }
        }
        control.progress();
        cancelled
    });
    if cancelled {
        return Err(ScanError::Cancelled(Cancelled));
    }
    match shared.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner).error {
        Some(err) => Err(ScanError::Io(err)),
        None => Ok(()),
    }
}

/// Takes a spare buffer, reads the next block into it in turn with the other workers, searches
/// it and sends it on, until the input ends, a read fails or `stop` is set.
fn search_worker(
    spare_rx: &crossbeam_channel::Receiver<Buffer>,
    done_tx: &crossbeam_channel::Sender<Job>,
    shared: &std::sync::Mutex<Shared<'_, '_>>,
    stop: &std::sync::atomic::AtomicBool,
    finders: &[Finder<'static>],
) {
    let mut folded = Vec::new();
    while let Ok(mut buf) = spare_rx.recv() {
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            break;
        }
        let (seq, skipped) = {
            let mut shared = shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if shared.error.is_some() {
                break;
            }
            match shared.blocks.next(&mut buf) {
                Ok(Some(skipped)) => {
                    shared.seq += 1;
                    (shared.seq - 1, skipped)
                }
                Ok(None) => break,
                Err(err) => {
                    shared.error.get_or_insert(err);
                    break;
                }
            }
        };
        let mut job = Job { seq, buf, skipped, found: Found::default() };
        search(job.buf.bytes(), finders, &mut folded, &mut job.found);
        if done_tx.send(job).is_err() {
            break;
        }
    }
}

/// Searched blocks waiting for those before them.
#[derive(Default)]
struct InOrder {
    /// The block to parse next.
    next: u64,
    waiting: std::collections::BTreeMap<u64, Job>,
}

/// Worker threads for the search: one per core, at most four.
fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get).min(4)
}

/// What the search found in a block: the lines holding a needle, as (start, end, line breaks
/// before the start), in order, and the block's line breaks.
#[derive(Default)]
struct Found {
    lines: Vec<(usize, usize, u64)>,
    newlines: u64,
}

/// Finds the lines of `block` holding one of the (lower-case) needles, in any case.
fn search(block: &[u8], finders: &[Finder<'static>], folded: &mut Vec<u8>, found: &mut Found) {
    // Folding the block to lower case costs less than a search per case variant, and finds
    // `Bank.Example` too; a block is small enough to stay in the core's cache meanwhile.
    folded.clear();
    folded.extend(block.iter().map(u8::to_ascii_lowercase));
    let mut starts: Vec<usize> = Vec::new();
    for finder in finders {
        let mut last_line_end = 0;
        for hit in finder.find_iter(folded) {
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
    found.lines.clear();
    let mut counted_to = 0;
    let mut newlines = 0u64;
    for start in starts {
        newlines += memchr::memchr_iter(b'\n', &block[counted_to..start]).count() as u64;
        let end = memchr::memchr(b'\n', &block[start..]).map(|i| start + i).unwrap_or(block.len());
        found.lines.push((start, end, newlines));
        counted_to = start;
    }
    newlines += memchr::memchr_iter(b'\n', &block[counted_to..]).count() as u64;
    found.newlines = newlines;
}

/// A reusable block buffer: `bytes` stays initialised and is read into in place.
#[derive(Default)]
struct Buffer {
    bytes: Vec<u8>,
    len: usize,
}

impl Buffer {
    fn bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// The input cut into blocks of whole lines: a line still being read is carried to the next
/// block, and a line longer than [`MAX_LINE`] is dropped (and counted) as it is read.
struct Blocks<'r> {
    reader: &'r mut (dyn Read + Send),
    /// The start of a line not yet ended.
    carry: Vec<u8>,
    /// Dropping the rest of an over-long line.
    discarding: bool,
    eof: bool,
    /// Over-long lines dropped since the last block handed out.
    overlong: u64,
}

impl<'r> Blocks<'r> {
    fn new(reader: &'r mut (dyn Read + Send)) -> Blocks<'r> {
        Blocks { reader, carry: Vec::new(), discarding: false, eof: false, overlong: 0 }
    }

    /// Fills `buf` with the next whole lines (the last line of the input may lack its line
    /// break); returns the over-long lines dropped before them, or `None` at the end.
    fn next(&mut self, buf: &mut Buffer) -> std::io::Result<Option<u64>> {
        loop {
            if self.eof {
                return Ok(None);
            }
            let carried = self.carry.len();
            if buf.bytes.len() < carried + BLOCK {
                buf.bytes.resize(carried + BLOCK, 0);
            }
            buf.bytes[..carried].copy_from_slice(&self.carry);
            self.carry.clear();
            buf.len = carried;
            while buf.len < carried + BLOCK {
                match self.reader.read(&mut buf.bytes[buf.len..carried + BLOCK]) {
                    Ok(0) => {
                        self.eof = true;
                        break;
                    }
                    Ok(n) => buf.len += n,
                    Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(err) => return Err(err),
                }
            }
            let mut start = 0;
            if self.discarding {
                // The rest of an over-long line (nothing is carried meanwhile).
                match memchr::memchr(b'\n', buf.bytes()) {
                    Some(nl) => {
                        start = nl + 1;
                        self.discarding = false;
                    }
                    None => continue,
                }
            } else if carried > 0
                && let Some(nl) = memchr::memchr(b'\n', &buf.bytes[carried..buf.len]).map(|i| carried + i)
                && nl > MAX_LINE
            {
                // A carried line that ends here, too long to keep.
                self.overlong += 1;
                start = nl + 1;
            }
            let end = memchr::memrchr(b'\n', &buf.bytes[start..buf.len]).map_or(start, |nl| start + nl + 1);
            self.carry.extend_from_slice(&buf.bytes[end..buf.len]);
            if self.carry.len() > MAX_LINE {
                self.overlong += 1;
                self.carry.clear();
                self.discarding = !self.eof;
            }
            buf.len = end;
            if self.eof {
                // The last line, without its line break.
                buf.bytes[end..end + self.carry.len()].copy_from_slice(&self.carry);
                buf.len += self.carry.len();
                self.carry.clear();
            }
            if start > 0 {
                buf.bytes.copy_within(start..buf.len, 0);
                buf.len -= start;
            }
            if buf.len > 0 {
                return Ok(Some(self.take_overlong()));
            }
        }
    }

    /// Over-long lines dropped and not yet told.
    fn take_overlong(&mut self) -> u64 {
        std::mem::take(&mut self.overlong)
    }
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

    /// Over-long lines, counted as examined and skipped.
    fn overlong(&mut self, lines: u64) {
        self.report.examined += lines;
        self.report.skipped += lines;
        self.lines += lines;
    }

    /// Parses the lines the search found in a block; counts the others.
    fn found(&mut self, job: &Job) {
        self.overlong(job.skipped);
        let block = job.buf.bytes();
        let base = self.lines;
        for &(start, end, before) in &job.found.lines {
            self.line(&block[start..end], base + before + 1);
        }
        let unterminated = u64::from(!block.is_empty() && block[block.len() - 1] != b'\n');
        self.lines = base + job.found.newlines + unterminated;
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

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::logs::postfix::PostfixParser;

    struct Quiet;

    impl Control for Quiet {
        fn cancelled(&self) -> bool {
            false
        }

        fn progress(&mut self) {}
    }

    /// The line numbers of the records `filter` accepts, and the report.
    fn scanned(bytes: &[u8], filter: Option<&DomainFilter>) -> (Vec<u64>, FileReport) {
        let mut parser = PostfixParser::new(NaiveDate::from_ymd_opt(2024, 6, 1).unwrap());
        let mut report = FileReport::default();
        let mut numbers = Vec::new();
        let mut sink = |record: LogRecord| numbers.push(record.line);
        let mut reader = bytes;
        scan(&mut reader, &mut parser, filter, &mut report, &mut sink, &mut Quiet).unwrap();
        (numbers, report)
    }

    #[test]
    fn many_blocks_give_every_record_its_line_number_with_and_without_the_prefilter() {
        let other = "Jun  1 10:00:00 mx postfix/smtp[1]: 1A2B3C4D5E: to=<a@other.example>, relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (connect to x: Connection refused)\n";
        let target = |n: usize| {
            format!(
                "Jun  1 10:00:00 mx postfix/smtp[1]: 2A2B3C4D5E: to=<u{n}@Bank.Example>, relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (connect to x: Connection refused)"
            )
        };
        let mut log = String::new();
        let mut expected = Vec::new();
        let mut number = 0u64;
        // About 12 blocks, with the target's lines at irregular places, one over-long line
        // (counted, never parsed) and a last line without its line break.
        for i in 0..20_000usize {
            number += 1;
            if i % 997 == 0 || i == 19_999 {
                log.push_str(&target(i));
                expected.push(number);
            } else if i == 9_000 {
                log.push_str(&"x".repeat(MAX_LINE + 10));
            } else {
                log.push_str(other.trim_end());
            }
            if i != 19_999 {
                log.push('\n');
            }
        }
        assert!(log.len() > 10 * BLOCK);
        let filter = DomainFilter::new("bank.example");
        let (found, report) = scanned(log.as_bytes(), Some(&filter));
        assert_eq!(found, expected);
        assert_eq!(report.lines, 20_000);
        assert_eq!((report.examined, report.skipped), (expected.len() as u64 + 1, 1));
        let (all, report) = scanned(log.as_bytes(), None);
        assert_eq!(all.len(), 19_999, "every line but the over-long one gives a record");
        assert_eq!(report.lines, 20_000);
        assert_eq!((report.examined, report.skipped), (20_000, 1));
    }
}
