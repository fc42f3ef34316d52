//! Exports of a journal: plain-text transcript, Markdown report and JSON, and the atomic save
//! that writes all three (transcript, report, journal copy) side by side.
//!
//! Everything is derived from the events alone, so `mailwiz report` renders a saved journal
//! exactly as the session that wrote it would have.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::catalogue;
use super::escape::escape_str;
use super::finding::{Finding, Severity};
use super::journal::{Event, EventKind};

/// The transcript marker of an event kind.
pub fn marker(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Sent => "->",
        EventKind::Received => "<-",
        EventKind::TlsSent => "~>",
        EventKind::TlsReceived => "<~",
        EventKind::Start | EventKind::Info | EventKind::DnsQuery | EventKind::DnsAnswer => "===",
        EventKind::Error => "***",
        EventKind::Finding => "###",
        EventKind::Note => "%%%",
    }
}

fn stamp(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The plain-text transcript: one line per event (more for findings), each timestamped and
/// marked, with control bytes escaped.
pub fn transcript(events: &[Event]) -> String {
    let mut out = String::new();
    for event in events {
        let time = stamp(&event.time);
        let mark = marker(event.kind);
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
                if !finding.detail.is_empty() {
                    line(&format!("  {}", finding.detail));
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
        let mut facts = SessionFacts {
            started: events.first().map(|e| e.time),
            ended: events.last().map(|e| e.time),
            ..SessionFacts::default()
        };
        for event in events.iter().filter(|e| matches!(e.kind, EventKind::Start | EventKind::Info)) {
            let text = |key: &str| event.data.get(key).and_then(Value::as_str).map(escape_str);
            for (slot, key) in [
                (&mut facts.target, "target"),
                (&mut facts.ip, "ip"),
                (&mut facts.helo, "helo"),
                (&mut facts.observed_error, "observed_error"),
                (&mut facts.version, "version"),
            ] {
                if let Some(value) = text(key) {
                    *slot = Some(value);
                }
            }
            if let Some(demo) = event.data.get("demo").and_then(Value::as_bool) {
                facts.demo = demo;
            }
        }
        facts
    }
}

/// The findings of a journal as the session last held them: the list of the last state event
/// (written at each save and at the end of a TUI session), then the findings recorded after it;
/// a finding recorded again with the same id and summary (a step re-run) replaces the earlier
/// one, notes are all kept.
pub fn findings(events: &[Event]) -> Vec<Finding> {
    let state = events.iter().rposition(|e| e.kind == EventKind::Info && e.data.get("findings").is_some());
    let (mut out, rest): (Vec<Finding>, &[Event]) = match state {
        Some(i) => {
            let held = serde_json::from_value(events[i].data["findings"].clone()).unwrap_or_default();
            (held, &events[i + 1..])
        }
        None => (Vec::new(), events),
    };
    for finding in rest.iter().filter_map(Event::finding) {
        if finding.severity != Severity::Note
            && let Some(pos) = out.iter().position(|f| f.id == finding.id && f.summary == finding.summary)
        {
            out.remove(pos);
        }
        out.push(finding);
    }
    out.sort_by_key(|f| f.severity);
    out
}

/// A code fence longer than any backtick run in `content`, so the content cannot close it.
fn fence(content: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in content.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    "`".repeat((longest + 1).max(3))
}

/// Escapes the characters Markdown would interpret in running text.
pub(crate) fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in escape_str(text).chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// One finding under a heading of `level` (`###` under a section, `####` under a step).
fn md_finding(out: &mut String, finding: &Finding, level: &str) {
    let _ = writeln!(out, "{level} {} {} `{}`\n", finding.severity.mark(), finding.severity.as_str(), finding.id);
    let _ = writeln!(out, "{}\n", md(&finding.summary));
    if !finding.detail.is_empty() {
        let _ = writeln!(out, "{}\n", md(&finding.detail));
    }
    if !finding.evidence.is_empty() {
        let body: Vec<String> = finding.evidence.iter().map(|e| escape_str(e)).collect();
        let body = body.join("\n");
        let fence = fence(&body);
        let _ = writeln!(out, "Evidence:\n\n{fence}text\n{body}\n{fence}\n");
    }
    if !finding.fix.is_empty() {
        let _ = writeln!(out, "**Fix:** {}\n", md(&finding.fix));
    }
}

/// The Markdown report: session facts, likely causes, findings, notes and the transcript.
pub fn markdown(events: &[Event]) -> String {
    let facts = SessionFacts::from_events(events);
    let all = findings(events);
    let mut out = String::new();
    let title = facts.target.as_deref().map_or("session".to_string(), md);
    let _ = writeln!(out, "# mailwiz report: {title}\n");
    let fact = |out: &mut String, label: &str, value: Option<String>| {
        if let Some(value) = value {
            let _ = writeln!(out, "- **{label}:** {value}");
        }
    };
    fact(&mut out, "Started", facts.started.as_ref().map(stamp));
    fact(&mut out, "Last event", facts.ended.as_ref().map(stamp));
    fact(&mut out, "Target", facts.target.as_deref().map(md));
    fact(&mut out, "Observed error", facts.observed_error.as_deref().map(md));
    fact(&mut out, "Our IP", facts.ip.as_deref().map(md));
    fact(&mut out, "HELO name", facts.helo.as_deref().map(md));
    fact(&mut out, "mailwiz", facts.version.as_deref().map(md));
    if facts.demo {
        fact(&mut out, "World", Some("the built-in demo world (no real network)".into()));
    }
    let count = |s: Severity| all.iter().filter(|f| f.severity == s).count();
    let _ = writeln!(
        out,
        "- **Findings:** {} fail, {} warn, {} info, {} ok, {} notes\n",
        count(Severity::Fail),
        count(Severity::Warn),
        count(Severity::Info),
        count(Severity::Ok),
        count(Severity::Note)
    );
    let (causes, rest): (Vec<&Finding>, Vec<&Finding>) = all.iter().partition(|f| f.family() == "diagnosis");
    let (notes, rest): (Vec<&Finding>, Vec<&Finding>) = rest.into_iter().partition(|f| f.severity == Severity::Note);
    if !causes.is_empty() {
        let _ = writeln!(out, "## Likely causes\n");
        causes.into_iter().for_each(|f| md_finding(&mut out, f, "###"));
    }
    if !rest.is_empty() {
        let _ = writeln!(out, "## Findings by step\n");
        for (step, _) in catalogue::STEPS {
            let of_step: Vec<&Finding> =
                rest.iter().copied().filter(|f| catalogue::step_of(&f.id) == Some(step)).collect();
            if !of_step.is_empty() {
                let _ = writeln!(out, "### {step}\n");
                of_step.into_iter().for_each(|f| md_finding(&mut out, f, "####"));
            }
        }
        let other: Vec<&Finding> = rest.iter().copied().filter(|f| catalogue::step_of(&f.id).is_none()).collect();
        if !other.is_empty() {
            let _ = writeln!(out, "### Other\n");
            other.into_iter().for_each(|f| md_finding(&mut out, f, "####"));
        }
    }
    if !notes.is_empty() {
        let _ = writeln!(out, "## Notes\n");
        let note_times = events.iter().filter(|e| e.kind == EventKind::Note);
        for (note, event) in notes.iter().zip(note_times) {
            let _ = writeln!(out, "- {} {}", stamp(&event.time), md(&note.summary));
        }
        out.push('\n');
    }
    let text = transcript(events);
    let fence = fence(&text);
    let _ = writeln!(out, "## Transcript\n\n{fence}text\n{text}{fence}");
    out
}

/// The report as one JSON object in the shape of DESIGN.md §2, with the events.
pub fn json(events: &[Event]) -> Value {
    let facts = SessionFacts::from_events(events);
    json!({
        "command": "report",
        "target": facts.target,
        "started": facts.started,
        "ended": facts.ended,
        "ip": facts.ip,
        "helo": facts.helo,
        "observed_error": facts.observed_error,
        "demo": facts.demo,
        "events": events,
        "findings": findings(events),
    })
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

/// Like [`write_atomic`], with `write` producing the contents into the temporary file; when it
/// fails, the temporary file is removed and `path` is left as it was.
pub fn write_atomic_with<F>(path: &Path, write: F) -> Result<(), SaveError>
where
    F: FnOnce(&mut std::fs::File) -> std::io::Result<()>,
{
    let err = |source| SaveError { path: path.to_path_buf(), source };
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
    if let Some(dir) = base.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| SaveError { path: dir.to_path_buf(), source })?;
    }
    let with_ext = |ext: &str| {
        let mut name = base.as_os_str().to_owned();
        name.push(".");
        name.push(ext);
        PathBuf::from(name)
    };
    let files =
        [(with_ext("txt"), transcript(events)), (with_ext("md"), markdown(events)), (with_ext("jsonl"), jsonl(events))];
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
            let kind = if finding.id == "note" { EventKind::Note } else { EventKind::Finding };
            events.push(Event::new(kind, "").with_data(serde_json::to_value(finding).unwrap()));
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

    #[test]
    fn fences_outgrow_backticks_in_content() {
        assert_eq!(fence("plain"), "```");
        assert_eq!(fence("a ```` b"), "`````");
    }
}
