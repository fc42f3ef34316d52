//! `tail -f` over several logs: each file is read from its end, new complete lines are handed
//! out as they are written, a file renamed away (rotation) is read to its end and the new file
//! at the path is read from its start, and a file cut shorter (truncation) is read again from
//! its start. Memory stays bounded: a line longer than [`MAX_FOLLOW_LINE`] is cut, and each
//! poll reads at most [`MAX_POLL_BYTES`] per file.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;

use chrono::Local;
use memchr::memmem::Finder;

use super::detect;
use super::filter::{self, DomainFilter};
use super::format::Format;
use super::parser::LogParser;
use super::record::LogRecord;
use super::watch::{Seen, Watch};
use crate::context::Context;
use crate::format_registry::SAMPLE_BYTES;

/// Longest line handed out; the rest of a longer line is dropped and the cut is marked.
pub const MAX_FOLLOW_LINE: usize = 16 * 1024;
/// Bytes read from one file per poll at most; the rest comes with the next poll, at once (see
/// [`Follower::behind`]).
pub const MAX_POLL_BYTES: usize = 8 << 20;

/// Something that happened to a followed file.
#[derive(Debug, Clone, PartialEq)]
pub enum FollowEvent {
    /// A new line (lossy UTF-8, not escaped: the front end escapes it) that concerns the target,
    /// with the records the format's parser read from it and what the watch saw in them.
    Line { path: String, text: String, records: Vec<LogRecord>, seen: Vec<Seen> },
    /// The file was renamed away and a new one is read from its start.
    Rotated { path: String },
    /// The file got shorter; it is read again from its start.
    Truncated { path: String },
    /// The file cannot be read (gone, no permission); it is tried again at each poll.
    Unreadable { path: String, error: String },
}

impl FollowEvent {
    /// A sentence for what happened to a file (rotation, truncation, an error), escaped; `None`
    /// for a line.
    pub fn notice(&self) -> Option<String> {
        let name = |path: &str| crate::session::escape::escape_str(path);
        match self {
            FollowEvent::Line { .. } => None,
            FollowEvent::Rotated { path } => Some(format!("{} was rotated; reading the new file", name(path))),
            FollowEvent::Truncated { path } => Some(format!("{} was truncated; reading it from the start", name(path))),
            FollowEvent::Unreadable { path, error } => {
                Some(format!("cannot read {} ({}); trying again", name(path), name(error)))
            }
        }
    }
}

/// Followed files, polled by the caller.
pub struct Follower {
    files: Vec<Followed>,
    filter: Option<DomainFilter>,
    /// The filter's needles, compiled once.
    needles: Vec<Finder<'static>>,
    watch: Option<Watch>,
    /// A line folded to lower case, reused.
    folded: Vec<u8>,
    /// The whole lines of one file's poll, reused.
    lines: Lines,
}

/// Whole lines end to end, and where each ends: one buffer for a poll's lines, however many.
#[derive(Default)]
struct Lines {
    bytes: Vec<u8>,
    ends: Vec<usize>,
    /// The bytes of a read, before they are cut into lines.
    chunk: Vec<u8>,
}

impl Lines {
    fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }

    fn push(&mut self, line: &[u8]) {
        self.bytes.extend_from_slice(line);
        self.ends.push(self.bytes.len());
    }
}

struct Followed {
    path: PathBuf,
    shown: String,
    file: Option<File>,
    identity: Option<Identity>,
    pos: u64,
    /// The start of a line not yet ended.
    partial: Vec<u8>,
    /// Dropping the rest of an over-long line.
    discarding: bool,
    format: Option<Format>,
    parser: Option<Box<dyn LogParser>>,
    /// What the parser must always see, compiled once.
    always: Vec<Finder<'static>>,
    line: u64,
    /// The last error said, so it is said once.
    error: Option<String>,
    /// The last read stopped at [`MAX_POLL_BYTES`]: more is waiting.
    behind: bool,
}

impl Follower {
    /// Follows `paths` from their current ends. `format` forces a format; else each file's is
    /// detected from its first bytes (or, for an empty file, from its first new lines).
    pub fn new(paths: &[PathBuf], format: Option<Format>, filter: Option<DomainFilter>) -> Follower {
        let needles = filter::finders(&filter.as_ref().map(DomainFilter::needles).unwrap_or_default());
        let files = paths
            .iter()
            .map(|path| {
                let mut followed = Followed {
                    path: path.clone(),
                    shown: path.display().to_string(),
                    file: None,
                    identity: None,
                    pos: 0,
                    partial: Vec::new(),
                    discarding: false,
                    format,
                    parser: None,
                    always: Vec::new(),
                    line: 0,
                    error: None,
                    behind: false,
                };
                if let Ok(mut file) = open_regular(path) {
                    if followed.format.is_none() {
                        let mut head = Vec::new();
                        let _ = (&mut file).take(SAMPLE_BYTES as u64).read_to_end(&mut head);
                        followed.format = detect::detect(&head);
                    }
                    followed.pos = file.seek(SeekFrom::End(0)).unwrap_or(0);
                    followed.identity = identity(&file);
                    followed.file = Some(file);
                }
                followed
            })
            .collect();
        Follower { files, filter, needles, watch: None, folded: Vec::new(), lines: Lines::default() }
    }

    /// Judges the records of each line with `watch` (deliveries, new deferral reasons).
    pub fn with_watch(mut self, watch: Option<Watch>) -> Follower {
        self.watch = watch;
        self
    }

    /// Reads what was written since the last poll; each new reason the watch sees is journaled
    /// as a `log.new_reason` finding before it is returned.
    pub fn poll(&mut self, ctx: &Context) -> Vec<FollowEvent> {
        let events = self.read();
        for event in &events {
            if let FollowEvent::Line { seen, .. } = event {
                for finding in seen.iter().filter_map(Seen::new_reason) {
                    ctx.journal.finding(finding);
                }
            }
        }
        events
    }

    /// True when a file had more to read than one poll takes: poll again at once.
    pub fn behind(&self) -> bool {
        self.files.iter().any(|f| f.behind)
    }

    fn read(&mut self) -> Vec<FollowEvent> {
        let mut events = Vec::new();
        let mut lines = std::mem::take(&mut self.lines);
        for i in 0..self.files.len() {
            lines.clear();
            self.files[i].poll(&mut events, &mut lines);
            let mut start = 0;
            for &end in &lines.ends {
                if let Some(event) = self.line(i, &lines.bytes[start..end]) {
                    events.push(event);
                }
                start = end;
            }
        }
        self.lines = lines;
        events
    }

    fn line(&mut self, i: usize, raw: &[u8]) -> Option<FollowEvent> {
        let followed = &mut self.files[i];
        followed.line += 1;
        if followed.format.is_none() {
            followed.format = detect::detect(raw);
        }
        if followed.parser.is_none() {
            followed.parser = followed.format.map(|f| f.parser(Local::now().date_naive()));
            let always = followed.parser.as_ref().map(|p| p.always()).unwrap_or_default();
            followed.always =
                filter::finders(&always.iter().map(|a| a.to_ascii_lowercase().into_bytes()).collect::<Vec<_>>());
        }
        // A line that names neither the domain nor what the parser must always see is passed
        // over before it is decoded or parsed, as the summary's scan does.
        let mentions = self.filter.is_none() || {
            self.folded.clear();
            self.folded.extend(raw.iter().map(u8::to_ascii_lowercase));
            self.needles.iter().any(|n| n.find(&self.folded).is_some())
        };
        let local = followed.parser.as_ref().is_none_or(|p| p.line_local());
        let folded = &self.folded;
        let always = followed.always.iter().any(|a| a.find(folded).is_some());
        if !mentions && local && !always {
            return None;
        }
        let text = text_of(raw);
        let mut records = Vec::new();
        if let Some(parser) = followed.parser.as_mut() {
            parser.line(&text, followed.line, &mut records);
        }
        let path = followed.shown.clone();
        if let Some(filter) = &self.filter {
            records.retain(|r| filter.matches(r));
            if !mentions && records.is_empty() {
                return None;
            }
        }
        let seen = records.iter().filter_map(|r| self.watch.as_mut().and_then(|w| w.see(r))).collect();
        Some(FollowEvent::Line { path, text, records, seen })
    }
}

impl Followed {
    /// Reads new bytes, then checks the path for rotation and truncation; adds whole lines to
    /// `lines`.
    fn poll(&mut self, events: &mut Vec<FollowEvent>, lines: &mut Lines) {
        self.read(lines);
        match std::fs::metadata(&self.path) {
            Err(err) => {
                let error = err.to_string();
                if self.error.as_ref() != Some(&error) {
                    events.push(FollowEvent::Unreadable { path: self.shown.clone(), error: error.clone() });
                    self.error = Some(error);
                }
                // The old file, if still open, keeps being read until a new one appears.
            }
            Ok(meta) => {
                let current = meta_identity(&meta);
                if self.file.is_none() || (current.is_some() && current != self.identity) {
                    let rotated = self.file.is_some();
                    match open_regular(&self.path) {
                        Ok(file) => {
                            self.identity = identity(&file);
                            self.file = Some(file);
                            self.pos = 0;
                            self.error = None;
                            self.flush_partial(lines);
                            if rotated {
                                events.push(FollowEvent::Rotated { path: self.shown.clone() });
                            }
                            self.read(lines);
                        }
                        Err(err) => {
                            let error = err.to_string();
                            if self.error.as_ref() != Some(&error) {
                                events.push(FollowEvent::Unreadable { path: self.shown.clone(), error: error.clone() });
                                self.error = Some(error);
                            }
                        }
                    }
                } else if meta.len() < self.pos {
                    events.push(FollowEvent::Truncated { path: self.shown.clone() });
                    self.pos = 0;
                    self.partial.clear();
                    self.discarding = false;
                    if let Some(file) = self.file.as_mut() {
                        let _ = file.seek(SeekFrom::Start(0));
                    }
                    self.read(lines);
                }
            }
        }
    }

    /// Reads up to [`MAX_POLL_BYTES`] from the open file and splits off whole lines.
    fn read(&mut self, lines: &mut Lines) {
        let Some(file) = self.file.as_mut() else { return };
        let mut chunk = std::mem::take(&mut lines.chunk);
        chunk.clear();
        match file.take(MAX_POLL_BYTES as u64).read_to_end(&mut chunk) {
            Ok(n) => {
                self.pos += n as u64;
                self.behind = n == MAX_POLL_BYTES;
            }
            Err(err) => {
                self.error = Some(err.to_string());
                lines.chunk = chunk;
                return;
            }
        }
        for piece in chunk.split_inclusive(|b| *b == b'\n') {
            let ended = piece.ends_with(b"\n");
            let body = piece.strip_suffix(b"\n").unwrap_or(piece);
            if ended && !self.discarding && self.partial.is_empty() && body.len() <= MAX_FOLLOW_LINE {
                // The usual line, whole in this read: no copy of its own.
                lines.push(body);
                continue;
            }
            if !self.discarding {
                let room = MAX_FOLLOW_LINE.saturating_sub(self.partial.len());
                self.partial.extend_from_slice(&body[..body.len().min(room)]);
                if body.len() > room {
                    self.partial.extend_from_slice("…".as_bytes());
                    self.discarding = true;
                }
            }
            if ended {
                self.discarding = false;
                lines.push(&self.partial);
                self.partial.clear();
            }
        }
        lines.chunk = chunk;
    }

    /// A last line the old file ended without a newline is handed out before the new file.
    fn flush_partial(&mut self, lines: &mut Lines) {
        if !self.partial.is_empty() {
            lines.push(&self.partial);
            self.partial.clear();
        }
        self.discarding = false;
    }
}

/// Opens `path` when it is a regular file, never waiting: a named pipe put in a log's place
/// is refused at once (opening it for reading would wait for a writer forever).
fn open_regular(path: &std::path::Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits().cast_signed());
    }
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other("it is not a regular file (a named pipe, a device or a socket)"));
    }
    #[cfg(unix)]
    rustix::fs::fcntl_setfl(&file, rustix::fs::OFlags::empty())?;
    Ok(file)
}

fn text_of(line: &[u8]) -> String {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    String::from_utf8_lossy(line).into_owned()
}

/// What tells one file from another at the same path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Identity(u64, u64);

fn identity(file: &File) -> Option<Identity> {
    file.metadata().ok().as_ref().and_then(meta_identity)
}

#[cfg(unix)]
#[allow(clippy::unnecessary_wraps, reason = "the same signature as on platforms without inode numbers")]
fn meta_identity(meta: &std::fs::Metadata) -> Option<Identity> {
    use std::os::unix::fs::MetadataExt;
    Some(Identity(meta.dev(), meta.ino()))
}

/// Elsewhere the creation time tells a new file from the old one.
#[cfg(not(unix))]
fn meta_identity(meta: &std::fs::Metadata) -> Option<Identity> {
    let created = meta.created().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some(Identity(created.as_secs(), u64::from(created.subsec_nanos())))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use proptest::prelude::*;

    fn shown(path: &std::path::Path) -> String {
        path.display().to_string()
    }

    fn texts(events: &[FollowEvent]) -> Vec<String> {
        events
            .iter()
            .filter_map(|e| match e {
                FollowEvent::Line { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_burst_larger_than_a_poll_says_more_is_waiting_until_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mail.log");
        std::fs::write(&path, "").unwrap();
        let mut follower = Follower::new(std::slice::from_ref(&path), None, Some(DomainFilter::new("bank.example")));
        let line = "to=<a@other.example> deferred\n";
        let lines = (MAX_POLL_BYTES * 5 / 2) / line.len();
        let mut burst = line.repeat(lines);
        burst.push_str("to=<z@bank.example> last\n");
        std::fs::write(&path, &burst).unwrap();
        let mut polls = 0;
        let mut seen = Vec::new();
        loop {
            seen.extend(texts(&follower.poll(&Context::default())));
            polls += 1;
            if !follower.behind() {
                break;
            }
        }
        assert_eq!(polls, 3, "two full polls, then the rest");
        assert_eq!(seen, ["to=<z@bank.example> last"]);
    }

    #[test]
    fn new_lines_rotation_and_truncation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mail.log");
        std::fs::write(&path, "old line to bank.example\n").unwrap();
        let mut follower = Follower::new(std::slice::from_ref(&path), None, Some(DomainFilter::new("bank.example")));
        assert!(follower.poll(&Context::default()).is_empty(), "what was there before is not followed");
        let mut file = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
        write!(file, "to=<a@bank.example> one\nto=<a@other.example>\nto=<b@bank.example> half").unwrap();
        assert_eq!(texts(&follower.poll(&Context::default())), ["to=<a@bank.example> one"]);
        writeln!(file, " done").unwrap();
        assert_eq!(texts(&follower.poll(&Context::default())), ["to=<b@bank.example> half done"]);
        // Rotation: the old file is renamed, a new one takes its place.
        writeln!(file, "last of the old file, bank.example").unwrap();
        std::fs::rename(&path, dir.path().join("mail.log.1")).unwrap();
        std::fs::write(&path, "first of the new file, bank.example\n").unwrap();
        let events = follower.poll(&Context::default());
        assert_eq!(texts(&events), ["last of the old file, bank.example", "first of the new file, bank.example"]);
        assert!(events.contains(&FollowEvent::Rotated { path: shown(&path) }));
        // Truncation: copytruncate empties the file in place.
        std::fs::write(&path, "").unwrap();
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(b"after bank.example\n").unwrap();
        let events = follower.poll(&Context::default());
        assert!(events.contains(&FollowEvent::Truncated { path: shown(&path) }), "{events:?}");
        assert_eq!(texts(&events), ["after bank.example"]);
    }

    proptest! {
        #[test]
        fn any_bytes_give_bounded_lines_and_never_panic(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40_000), 0..4)) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("x.log");
            std::fs::write(&path, "").unwrap();
            let mut follower = Follower::new(std::slice::from_ref(&path), Some(Format::Postfix), None);
            let mut file = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
            for chunk in chunks {
                file.write_all(&chunk).unwrap();
                for event in follower.poll(&Context::default()) {
                    if let FollowEvent::Line { text, .. } = event {
                        prop_assert!(text.len() <= MAX_FOLLOW_LINE + 4);
                        prop_assert!(!text.contains('\n'));
                    }
                }
            }
        }
    }
}
