//! Exports of a journal: plain-text transcript, Markdown report and JSON, and the atomic save
//! that writes all three (transcript, report, journal copy) side by side.
//!
//! Everything is derived from the events alone, so `mailwiz report` renders a saved journal
//! exactly as the session that wrote it would have.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use super::escape::escape_str;
use super::finding::{Finding, Severity};
use super::journal::{Event, EventKind};

/// The version of the JSON shape every command prints (`"schema"`); it changes when a field is
/// renamed or removed, not when one is added.
pub const SCHEMA: u32 = 1;

/// The transcript marker of an event (swaks' markers, [`super::marks`]): an error reply is
/// told from the others by its text.
pub fn marker(kind: EventKind, text: &str) -> &'static str {
    use super::marks;
    match kind {
        EventKind::Sent => marks::sent(false),
        EventKind::Received => marks::received(false, text),
        EventKind::TlsSent => marks::sent(true),
        EventKind::TlsReceived => marks::received(true, text),
        EventKind::Start | EventKind::Info | EventKind::DnsQuery | EventKind::DnsAnswer => marks::INFO,
        EventKind::Error => marks::EVENT,
        EventKind::Finding => "###",
        EventKind::Note => "%%%",
    }
}

pub(super) fn stamp(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The plain-text transcript: one line per event (more for findings), each timestamped and
/// marked, with control bytes escaped.
pub fn transcript(events: &[Event]) -> String {
    transcript_of(events.iter(), true)
}

/// The transcript lines of `events`; `whole` adds each finding's detail, evidence and fix.
pub(super) fn transcript_of<'a>(events: impl Iterator<Item = &'a Event>, whole: bool) -> String {
    let mut out = String::new();
    for event in events {
        let time = stamp(&event.time);
        let mark = marker(event.kind, &event.text);
        let mut line = |text: &str| {
            let _ = writeln!(out, "{time} {mark} {}", escape_str(text));
        };
        match event.finding() {
            Some(finding) => {
                if finding.severity == Severity::Note {
                    line(&finding.summary);
                } else {
                    line(&format!("{} {}: {}", finding.severity.as_str(), finding.id, finding.summary));
                }
                if !whole {
                    continue;
                }
                // A detail of several lines stays several transcript lines, each with its stamp.
                for part in finding.detail.lines() {
                    line(&format!("  {part}"));
                }
                for evidence in &finding.evidence {
                    line(&format!("  | {evidence}"));
                }
                if !finding.fix.is_empty() {
                    line(&format!("  fix: {}", finding.fix));
                }
            }
            // Multi-line texts stay one transcript line each, so every line has its stamp.
            None => event.text.split('\n').for_each(|part| line(part.strip_suffix('\r').unwrap_or(part))),
        }
    }
    out
}

/// What a journal says about its session: target and identity from the start and state events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionFacts {
    pub started: Option<DateTime<Utc>>,
    pub ended: Option<DateTime<Utc>>,
    pub target: Option<String>,
    pub ip: Option<String>,
    pub helo: Option<String>,
    pub observed_error: Option<String>,
    pub demo: bool,
    pub version: Option<String>,
}

impl SessionFacts {
    /// Collects the facts; later state events override earlier ones.
    pub fn from_events(events: &[Event]) -> SessionFacts {
        let mut facts = SessionFacts::default();
        for event in events {
            facts.push(event);
        }
        facts
    }

    /// Takes the next event of the session.
    pub fn push(&mut self, event: &Event) {
        self.started.get_or_insert(event.time);
        self.ended = Some(event.time);
        if !matches!(event.kind, EventKind::Start | EventKind::Info) {
            return;
        }
        let text = |key: &str| event.data.get(key).and_then(Value::as_str).map(escape_str);
        for (slot, key) in [
            (&mut self.target, "target"),
            (&mut self.ip, "ip"),
            (&mut self.helo, "helo"),
            (&mut self.observed_error, "observed_error"),
            (&mut self.version, "version"),
        ] {
            if let Some(value) = text(key) {
                *slot = Some(value);
            }
        }
        if let Some(demo) = event.data.get("demo").and_then(Value::as_bool) {
            self.demo = demo;
        }
    }
}

/// The findings of a journal as the session last held them: the list of the last state event
/// (written at each save and at the end of a TUI session), then the findings recorded after it;
/// a finding recorded again with the same id and summary (a step re-run) replaces the earlier
/// one, notes are all kept.
pub fn findings(events: &[Event]) -> Vec<Finding> {
    let mut fold = FindingsFold::default();
    for event in events {
        fold.push(event);
    }
    fold.finish()
}

/// [`findings`] event by event, so a journal can be read without holding its events: only the
/// findings are kept.
#[derive(Debug, Default)]
pub struct FindingsFold {
    held: Vec<Finding>,
}

impl FindingsFold {
    /// Takes the next event: a state event replaces what is held, a finding joins it.
    pub fn push(&mut self, event: &Event) {
        if event.kind == EventKind::Info
            && let Some(list) = event.data.get("findings")
        {
            self.held = serde_json::from_value(list.clone()).unwrap_or_default();
            return;
        }
        let Some(finding) = event.finding() else { return };
        if finding.severity != Severity::Note
            && let Some(pos) = self.held.iter().position(|f| f.id == finding.id && f.summary == finding.summary)
        {
            self.held.remove(pos);
        }
        self.held.push(finding);
    }

    /// The findings, most severe first.
    pub fn finish(mut self) -> Vec<Finding> {
        self.held.sort_by_key(|f| f.severity);
        self.held
    }
}

/// The events as JSON Lines, as the journal file holds them.
pub fn jsonl(events: &[Event]) -> String {
    let mut out = String::new();
    for event in events {
        out.push_str(&serde_json::to_string(event).expect("events serialise"));
        out.push('\n');
    }
    out
}

/// A save that did not happen, naming the file.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}")]
pub struct SaveError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// Writes `contents` to `path` through a temporary file in the same directory and a rename, so
/// `path` holds either its old or its new contents, never a part.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), SaveError> {
    write_atomic_with(path, |file| file.write_all(contents))
}

/// Refuses a save to `path` when something other than a regular file is there: the rename of a
/// save would replace a device, a FIFO, a socket, a directory or a symbolic link with a file.
/// A path where nothing is yet is fine.
pub fn check_save_target(path: &Path) -> Result<(), SaveError> {
    let refuse = |what: &str| SaveError {
        path: path.to_path_buf(),
        source: std::io::Error::other(format!(
            "it is {what}, not a regular file, and mailwiz saves only to regular files"
        )),
    };
    match std::fs::symlink_metadata(path) {
        Ok(meta) => match file_kind(meta.file_type()) {
            None => Ok(()),
            Some(what) => Err(refuse(what)),
        },
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(SaveError { path: path.to_path_buf(), source }),
    }
}

/// What a file type is in words, or `None` for a regular file.
fn file_kind(kind: std::fs::FileType) -> Option<&'static str> {
    if kind.is_file() {
        return None;
    }
    if kind.is_symlink() {
        return Some("a symbolic link");
    }
    if kind.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_char_device() {
            return Some("a character device");
        }
        if kind.is_block_device() {
            return Some("a block device");
        }
        if kind.is_fifo() {
            return Some("a named pipe (FIFO)");
        }
        if kind.is_socket() {
            return Some("a socket");
        }
    }
    Some("a special file")
}

/// Like [`write_atomic`], with `write` producing the contents into the temporary file; when it
/// fails, the temporary file is removed and `path` is left as it was. Only a regular file is
/// replaced (see [`check_save_target`]).
pub fn write_atomic_with<F>(path: &Path, write: F) -> Result<(), SaveError>
where
    F: FnOnce(&mut std::fs::File) -> std::io::Result<()>,
{
    let err = |source| SaveError { path: path.to_path_buf(), source };
    check_save_target(path)?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut file = tempfile::Builder::new().prefix(".mailwiz-save-").tempfile_in(dir).map_err(err)?;
    write(file.as_file_mut()).map_err(err)?;
    file.as_file().sync_all().map_err(err)?;
    file.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

/// Saves `base.txt` (transcript), `base.md` (report) and `base.jsonl` (journal), creating the
/// directory; returns the paths written.
pub fn save(base: &Path, events: &[Event]) -> Result<Vec<PathBuf>, SaveError> {
    save_with_note(base, events, None)
}

/// [`save`], plus `base.note.txt`, the note for the receiver's postmaster, when there is one.
pub fn save_with_note(base: &Path, events: &[Event], note: Option<&str>) -> Result<Vec<PathBuf>, SaveError> {
    if let Some(dir) = base.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| SaveError { path: dir.to_path_buf(), source })?;
    }
    let with_ext = |ext: &str| {
        let mut name = base.as_os_str().to_owned();
        name.push(".");
        name.push(ext);
        PathBuf::from(name)
    };
    let mut files = vec![
        (with_ext("txt"), transcript(events)),
        (with_ext("md"), super::markdown::markdown(events)),
        (with_ext("jsonl"), jsonl(events)),
    ];
    files.extend(note.map(|note| (with_ext("note.txt"), note.to_string())));
    let mut written = Vec::new();
    for (path, contents) in files {
        write_atomic(&path, contents.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transcript_marks_and_escapes_every_line() {
        let events = vec![
            Event::new(EventKind::Sent, "EHLO mail.example.com"),
            Event::new(EventKind::Received, "250-hi\n250 ok\x1b[2J"),
            Event::new(EventKind::TlsSent, "MAIL FROM:<a@example.com>"),
            Event::new(EventKind::Error, "connection reset"),
        ];
        let text = transcript(&events);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5);
        assert!(lines[0].ends_with(" -> EHLO mail.example.com"));
        assert!(lines[1].ends_with(" <- 250-hi"));
        assert!(lines[2].ends_with(" <- 250 ok\\x1b[2J"));
        assert!(lines[3].contains(" ~> MAIL FROM"));
        assert!(lines[4].contains(" *** connection reset"));
        assert!(!text.contains('\x1b'));
        assert!(lines.iter().all(|l| l.as_bytes()[4] == b'-' && l.contains('T')));
    }

    #[test]
    fn rerun_findings_replace_earlier_ones() {
        let f = Finding::new("ptr.missing", &[("ip", "203.0.113.5")]);
        let mut events = Vec::new();
        for finding in [&f, &f, &Finding::note("a"), &Finding::note("a")] {
            events.push(Event::of_finding(finding));
        }
        let found = findings(&events);
        assert_eq!(found.iter().filter(|f| f.id == "ptr.missing").count(), 1);
        assert_eq!(found.iter().filter(|f| f.id == "note").count(), 2);
    }

    #[test]
    fn the_last_state_event_holds_the_findings_of_the_session() {
        let finding = |f: &Finding| Event::new(EventKind::Finding, "").with_data(serde_json::to_value(f).unwrap());
        let missing = Finding::new("ptr.missing", &[("ip", "203.0.113.5"), ("helo", "h")]);
        let ok = Finding::new("ptr.ok", &[("ip", "203.0.113.5"), ("name", "mail.example.com")]);
        let listed = Finding::new("dnsbl.listed", &[("ip", "203.0.113.5"), ("zone", "zen.spamhaus.org")]);
        // The PTR was fixed and the step re-run: the session then held ptr.ok only.
        let events = vec![
            finding(&missing),
            finding(&ok),
            Event::new(EventKind::Info, "session state").with_data(serde_json::json!({ "findings": [ok] })),
            finding(&listed),
        ];
        let ids: Vec<String> = findings(&events).into_iter().map(|f| f.id).collect();
        assert_eq!(ids, ["dnsbl.listed", "ptr.ok"]);
    }
}
