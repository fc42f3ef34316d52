//! The session journal: append-only JSON Lines, one event per line, on disk before it is shown.
//!
//! Findings: the engine operation a front end calls with a `&Context` journals the findings it
//! produces ([`Journal::finding`]) before returning them, once each; front ends (`cli`, `wizard`,
//! `tui`) never journal a finding. What the user makes in the wizard (a note, the diagnosis step's
//! causes, which are worked out inside `update` where no I/O happens) goes to the runtime as an
//! [`Event::of_finding`] to record.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::finding::Finding;

/// What an event records; decides its marker in the text transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Session start: version, target, options.
    Start,
    Info,
    Error,
    /// Bytes we sent in clear text.
    Sent,
    /// Bytes we received in clear text.
    Received,
    /// Bytes we sent inside TLS.
    TlsSent,
    /// Bytes we received inside TLS.
    TlsReceived,
    DnsQuery,
    DnsAnswer,
    /// `data` holds the [`Finding`].
    Finding,
    /// `data` holds the note as a [`Finding`].
    Note,
}

/// One journal line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub time: DateTime<Utc>,
    pub kind: EventKind,
    /// A readable line; for sent/received bytes, the line as text with control bytes escaped.
    pub text: String,
    /// Structured payload (a finding, raw bytes, DNS records), or null.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub data: serde_json::Value,
}

impl Event {
    /// An event stamped now.
    pub fn new(kind: EventKind, text: impl Into<String>) -> Event {
        Event { time: Utc::now(), kind, text: text.into(), data: serde_json::Value::Null }
    }

    /// Attaches a structured payload.
    pub fn with_data(mut self, data: serde_json::Value) -> Event {
        self.data = data;
        self
    }

    /// The event that records `finding` (a `note` event for a note).
    pub fn of_finding(finding: &Finding) -> Event {
        let kind = if finding.id == "note" { EventKind::Note } else { EventKind::Finding };
        let data = serde_json::to_value(finding).expect("findings serialise");
        Event::new(kind, format!("{} {}", finding.id, finding.summary)).with_data(data)
    }

    /// The finding carried by a `finding` or `note` event.
    pub fn finding(&self) -> Option<Finding> {
        match self.kind {
            EventKind::Finding | EventKind::Note => serde_json::from_value(self.data.clone()).ok(),
            _ => None,
        }
    }
}

/// Errors reading or writing a journal.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot write the journal {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("the journal {path} is a symbolic link; give the file itself")]
    Symlink { path: PathBuf },
    #[error("cannot read the journal {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} line {line} is not a journal event: {source}")]
    Parse { path: PathBuf, line: usize, source: serde_json::Error },
}

#[derive(Debug, Default)]
struct Inner {
    file: Option<File>,
    path: Option<PathBuf>,
    events: Vec<Event>,
    write_error: Option<String>,
}

/// A cloneable handle on the session's journal. Every clone appends to the same file.
#[derive(Debug, Clone, Default)]
pub struct Journal {
    inner: Arc<Mutex<Inner>>,
    /// Findings recorded through this handle are about an experiment, not the target.
    experiment: bool,
}

impl Journal {
    /// A journal kept in memory only (headless commands without `--journal`, tests).
    pub fn in_memory() -> Journal {
        Journal::default()
    }

    /// Creates (or appends to) the journal file at `path`, creating its directory. A new file
    /// is private (0600: it holds transcripts); a symbolic link is refused, not followed.
    pub fn create(path: &Path) -> Result<Journal, JournalError> {
        let write_err = |source| JournalError::Write { path: path.to_path_buf(), source };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(write_err)?;
        }
        let mut options = OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600).custom_flags(rustix::fs::OFlags::NOFOLLOW.bits().cast_signed());
        }
        let file = options.open(path).map_err(|source| {
            if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
                JournalError::Symlink { path: path.to_path_buf() }
            } else {
                write_err(source)
            }
        })?;
        let inner = Inner { file: Some(file), path: Some(path.to_path_buf()), ..Inner::default() };
        Ok(Journal { inner: Arc::new(Mutex::new(inner)), experiment: false })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves the data consistent (a line is written whole or
        // not at all), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Appends `event` and writes it to disk before returning.
    pub fn record(&self, event: Event) {
        let mut inner = self.lock();
        if let Some(file) = inner.file.as_mut() {
            let mut line = serde_json::to_vec(&event).expect("events serialise");
            line.push(b'\n');
            let written = file.write_all(&line).and_then(|()| file.flush());
            if let Err(err) = written {
                inner.write_error = Some(err.to_string());
            }
        }
        inner.events.push(event);
    }

    /// Shorthand for [`Journal::record`] of a text event.
    pub fn log(&self, kind: EventKind, text: impl Into<String>) {
        self.record(Event::new(kind, text));
    }

    /// Records a finding; who calls it is said in the module documentation. Through a handle
    /// of [`Journal::experiment`], it is recorded as an event of text, which no report counts.
    pub fn finding(&self, finding: &Finding) {
        if self.experiment {
            let mark = finding.severity.mark();
            self.log(
                EventKind::Info,
                format!("experiment, not about the target: {mark} {}: {}", finding.id, finding.summary),
            );
        } else {
            self.record(Event::of_finding(finding));
        }
    }

    /// A handle on the same journal for an experiment (a console connection to another host or
    /// port than the target's MX): its exchanges are kept, its findings only as text.
    pub fn experiment(&self) -> Journal {
        Journal { inner: Arc::clone(&self.inner), experiment: true }
    }

    /// A copy of every event recorded through this handle.
    pub fn events(&self) -> Vec<Event> {
        self.lock().events.clone()
    }

    /// The file the journal is written to, if any.
    pub fn path(&self) -> Option<PathBuf> {
        self.lock().path.clone()
    }

    /// The last write error, if the disk refused an event.
    pub fn write_error(&self) -> Option<String> {
        self.lock().write_error.clone()
    }
}

/// Reads a journal file back, event by event.
pub fn read(path: &Path) -> Result<Vec<Event>, JournalError> {
    let file = File::open(path).map_err(|source| JournalError::Read { path: path.to_path_buf(), source })?;
    let mut events = Vec::new();
    for (index, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|source| JournalError::Read { path: path.to_path_buf(), source })?;
        if line.trim().is_empty() {
            continue;
        }
        let event = serde_json::from_str(&line).map_err(|source| JournalError::Parse {
            path: path.to_path_buf(),
            line: index + 1,
            source,
        })?;
        events.push(event);
    }
    Ok(events)
}
