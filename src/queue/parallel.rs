//! Parsing a large listing on every core: the input is cut into batches of whole records,
//! worker threads parse them, and the results come back in input order.

use std::collections::BTreeMap;
use std::io::{BufRead, ErrorKind};
use std::thread;

use crossbeam_channel::{bounded, unbounded};

use super::format::Format;
use super::intern::Interner;
use super::parsed::Parsed;

/// Bytes per batch: large enough that handing one over costs next to nothing, small enough
/// that every worker has its share of a listing of a few MB.
const BATCH_BYTES: usize = 512 * 1024;

/// A batch waiting for a blank line ends at a line end past this size anyway: a listing
/// without blank lines (or a file that is no listing) must not be read whole into memory.
const MAX_BATCH_BYTES: usize = 16 * BATCH_BYTES;

/// More workers than this only add contention on the allocator.
const MAX_WORKERS: usize = 4;

/// A run of whole lines of the input (the last one may lack its line ending at the end of
/// the input).
#[derive(Debug)]
pub struct Batch {
    /// Number of the first line (1-based).
    pub first_line: usize,
    pub bytes: Vec<u8>,
}

impl Batch {
    /// The number in the whole input of the batch's line `n` (1-based).
    pub fn line(&self, n: usize) -> usize {
        self.first_line + n - 1
    }
}

/// Parses a `format` listing with [`parse_in_batches`], each worker with its own interner, and
/// joins the parts in input order.
pub fn parse_listing<R: BufRead>(
    reader: R,
    format: Format,
    cut: Cut,
    parse: impl Fn(&mut Interner, &Batch) -> Parsed + Sync,
) -> Parsed {
    let mut parsed = Parsed::new(format);
    parse_in_batches(reader, cut, Interner::default, parse, |part| parsed.append(part));
    parsed.entries.shrink();
    parsed
}

/// Calls `parse(state, batch)` on every batch of `reader` (cut as `cut` says), on up to one
/// worker thread per core, each worker with its own `state` from `init`, and hands the results
/// to `each` in input order as they come, so a result's memory is reused before the last
/// batch is read. A read error ends the input like its end.
pub fn parse_in_batches<R, S, T>(
    reader: R,
    cut: Cut,
    init: impl Fn() -> S + Sync,
    parse: impl Fn(&mut S, &Batch) -> T + Sync,
    mut each: impl FnMut(T),
) where
    R: BufRead,
    T: Send,
{
    let mut batches = Batches { reader, cut, next_line: 1, done: false };
    let workers = workers();
    let Some(first) = batches.next() else {
        return;
    };
    if workers == 1 || batches.done {
        // One batch, or one core: threads would only add their start-up time.
        let mut state = init();
        std::iter::once(first).chain(batches).for_each(|batch| each(parse(&mut state, &batch)));
        return;
    }
    thread::scope(|scope| {
        let (batch_tx, batch_rx) = bounded::<(usize, Batch)>(workers * 2);
        let (result_tx, result_rx) = unbounded::<(usize, T)>();
        for _ in 0..workers {
            let (batch_rx, result_tx, init, parse) = (batch_rx.clone(), result_tx.clone(), &init, &parse);
            scope.spawn(move || {
                let mut state = init();
                for (seq, batch) in batch_rx {
                    if result_tx.send((seq, parse(&mut state, &batch))).is_err() {
                        break;
                    }
                }
            });
        }
        drop((batch_rx, result_tx));
        let mut next = 0;
        let mut waiting = BTreeMap::new();
        let mut arrived = |(seq, result): (usize, T)| {
            waiting.insert(seq, result);
            while let Some(result) = waiting.remove(&next) {
                each(result);
                next += 1;
            }
        };
        for (seq, batch) in std::iter::once(first).chain(batches).enumerate() {
            if batch_tx.send((seq, batch)).is_err() {
                break;
            }
            result_rx.try_iter().for_each(&mut arrived);
        }
        drop(batch_tx);
        result_rx.iter().for_each(arrived);
    });
}

/// Worker threads to use: one per core, up to [`MAX_WORKERS`].
fn workers() -> usize {
    thread::available_parallelism().map_or(1, std::num::NonZero::get).min(MAX_WORKERS)
}

/// Where a batch may end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// After any line: one record per line.
    Line,
    /// After a blank line: records of several lines, separated by blank lines.
    BlankLine,
}

impl Cut {
    /// True when a batch holding `bytes` may end there.
    fn may_end(self, bytes: &[u8]) -> bool {
        let Some(body) = bytes.strip_suffix(b"\n") else {
            return false;
        };
        match self {
            Cut::Line => true,
            Cut::BlankLine if bytes.len() >= MAX_BATCH_BYTES => true,
            Cut::BlankLine => {
                let last = memchr::memrchr(b'\n', body).map_or(body, |i| &body[i + 1..]);
                last.iter().all(u8::is_ascii_whitespace)
            }
        }
    }
}

/// The batches of a reader, in order.
struct Batches<R> {
    reader: R,
    cut: Cut,
    next_line: usize,
    done: bool,
}

impl<R: BufRead> Iterator for Batches<R> {
    type Item = Batch;

    fn next(&mut self) -> Option<Batch> {
        if self.done {
            return None;
        }
        let mut bytes = Vec::with_capacity(BATCH_BYTES + 16 * 1024);
        while bytes.len() < BATCH_BYTES {
            match self.reader.fill_buf() {
                Ok([]) => {
                    self.done = true;
                    break;
                }
                Ok(available) => {
                    let taken = available.len().min(BATCH_BYTES - bytes.len());
                    bytes.extend_from_slice(&available[..taken]);
                    self.reader.consume(taken);
                }
                Err(err) if err.kind() == ErrorKind::Interrupted => {}
                Err(_) => {
                    self.done = true;
                    break;
                }
            }
        }
        // Finish the line, or the record, the batch stopped in.
        while !self.done && !self.cut.may_end(&bytes) {
            match self.reader.read_until(b'\n', &mut bytes) {
                Ok(0) | Err(_) => self.done = true,
                Ok(_) => {}
            }
        }
        if bytes.is_empty() {
            return None;
        }
        let first_line = self.next_line;
        self.next_line += memchr::memchr_iter(b'\n', &bytes).count();
        Some(Batch { first_line, bytes })
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufReader, Read};

    use super::*;

    /// Lines `n` of `lines`, numbered, spanning several batches.
    fn numbered(lines: usize) -> String {
        (1..=lines).map(|n| format!("line {n} {}\n", "x".repeat(n % 300))).collect()
    }

    /// Every line with its number, as the batches saw them, in the order `each` got them.
    fn collect<R: BufRead>(reader: R) -> Vec<(usize, String)> {
        let mut seen = Vec::new();
        parse_in_batches(
            reader,
            Cut::Line,
            || (),
            |(), batch| {
                let text = String::from_utf8(batch.bytes.clone()).expect("test input is UTF-8");
                text.lines().enumerate().map(|(i, line)| (batch.first_line + i, line.to_string())).collect::<Vec<_>>()
            },
            |lines| seen.extend(lines),
        );
        seen
    }

    #[test]
    fn batches_hold_whole_lines_in_order_with_their_numbers() {
        let text = numbered(20_000);
        assert!(text.len() > 4 * BATCH_BYTES, "the input spans several batches");
        // A small read buffer makes batches end inside lines.
        let seen = collect(BufReader::with_capacity(1000, text.as_bytes()));
        assert_eq!(seen.len(), 20_000);
        for (number, line) in &seen {
            assert!(line.starts_with(&format!("line {number} ")), "line {number} is {line:?}");
        }
    }

    #[test]
    fn the_last_line_may_lack_its_ending_and_empty_input_gives_nothing() {
        let mut text = numbered(9_000);
        text.push_str("last line");
        let seen = collect(text.as_bytes());
        assert_eq!(seen.last(), Some(&(9_001, "last line".to_string())));
        assert!(collect(&b""[..]).is_empty());
    }

    #[test]
    fn records_separated_by_blank_lines_stay_whole() {
        let text: String = (1..=20_000).map(|n| format!("record {n}\n  part of {n}\n\n")).collect();
        let mut batches = 0;
        parse_in_batches(
            BufReader::with_capacity(777, text.as_bytes()),
            Cut::BlankLine,
            || (),
            |(), batch| {
                let text = std::str::from_utf8(&batch.bytes).expect("test input is UTF-8");
                assert!(text.starts_with("record ") && text.ends_with("\n\n"), "a batch holds whole records");
                let first: usize = text["record ".len()..text.find('\n').unwrap()].parse().unwrap();
                assert_eq!(batch.first_line, 3 * (first - 1) + 1);
            },
            |()| batches += 1,
        );
        assert!(batches > 1, "{batches} batch(es)");
    }

    #[test]
    fn records_without_blank_lines_are_still_cut() {
        let text: String = (1..=400_000).map(|n| format!("line {n} of a listing with no blank line\n")).collect();
        assert!(text.len() > 2 * MAX_BATCH_BYTES);
        let mut largest = 0;
        let mut lines = 0;
        parse_in_batches(
            text.as_bytes(),
            Cut::BlankLine,
            || (),
            |(), batch| (batch.bytes.len(), memchr::memchr_iter(b'\n', &batch.bytes).count()),
            |(size, count)| {
                largest = largest.max(size);
                lines += count;
            },
        );
        assert!(largest < MAX_BATCH_BYTES + 1024, "batches stay bounded: {largest} bytes");
        assert_eq!(lines, 400_000, "and whole");
    }

    /// Fails after `left` bytes, as a disk or pipe can.
    struct FailingReader<'a> {
        data: &'a [u8],
        left: usize,
    }

    impl Read for FailingReader<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.left == 0 {
                return Err(std::io::Error::other("device gone"));
            }
            let n = buf.len().min(self.left).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            self.left -= n;
            Ok(n)
        }
    }

    #[test]
    fn a_read_error_ends_the_input() {
        let text = numbered(20_000);
        let reader = BufReader::new(FailingReader { data: text.as_bytes(), left: 3 * BATCH_BYTES });
        let seen = collect(reader);
        assert!(!seen.is_empty() && seen.len() < 20_000, "{} lines", seen.len());
        // Lines before the error are whole and in order.
        for (i, (number, _)) in seen.iter().enumerate() {
            assert_eq!(*number, i + 1);
        }
    }
}
