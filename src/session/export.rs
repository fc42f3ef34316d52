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
use super::step::StepId;

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

fn stamp(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The plain-text transcript: one line per event (more for findings), each timestamped and
/// marked, with control bytes escaped.
pub fn transcript(events: &[Event]) -> String {
    transcript_of(events.iter(), true)
}

/// The transcript lines of `events`; `whole` adds each finding's detail, evidence and fix.
fn transcript_of<'a>(events: impl Iterator<Item = &'a Event>, whole: bool) -> String {
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

/// Escapes what Markdown would interpret in running text, and no more: a reply such as
/// `host mx[192.0.2.10] said` or a setting such as `smtp_helo_name` reads the same in a ticket
/// system that shows Markdown as plain text.
pub(crate) fn md(text: &str) -> String {
    let text = escape_str(text);
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let before = i.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(i + 1).copied();
        // Emphasis needs a closing `_`; escaping every one that could close it is enough.
        let could_close = before.is_some_and(|b| !b.is_whitespace()) && after.is_none_or(|a| !a.is_alphanumeric());
        let special = match c {
            '\\' | '`' | '*' | '<' | '>' => true,
            '_' => could_close,
            // Only `](` and `][` make a link.
            ']' => matches!(after, Some('(' | '[')),
            '#' => i == 0,
            _ => false,
        };
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Evidence lines that are DNS answers (`MX bank.example @127.0.0.1:53: …`); the report keeps
/// them in its appendix.
fn is_dns_line(line: &str) -> bool {
    let mut words = line.split_whitespace();
    let qtype = words.next().unwrap_or("");
    let _name = words.next();
    let server = words.next().unwrap_or("");
    matches!(qtype, "A" | "AAAA" | "MX" | "PTR" | "TXT" | "CNAME" | "NS" | "SOA" | "TLSA") && server.starts_with('@')
}

/// At most this many evidence lines per finding; the rest is in the transcript.
const REPORT_EVIDENCE: usize = 3;

/// One finding as a list item: mark, id and summary; for a failure or warning also its detail,
/// a few lines of evidence (DNS answers are in the appendix) and the fix.
fn md_finding(out: &mut String, finding: &Finding) {
    let _ = writeln!(out, "- {} `{}` {}", finding.severity.mark(), finding.id, md(&finding.summary));
    if finding.severity > Severity::Warn {
        return;
    }
    if !finding.detail.is_empty() {
        let lines: Vec<String> = finding.detail.lines().map(md).collect();
        let _ = writeln!(out, "  {}", lines.join("; "));
    }
    let evidence: Vec<String> =
        finding.evidence.iter().filter(|e| !is_dns_line(e)).take(REPORT_EVIDENCE).map(|e| escape_str(e)).collect();
    if !evidence.is_empty() {
        let body = evidence.join("\n  ");
        let fence = fence(&body);
        let _ = writeln!(out, "  {fence}text\n  {body}\n  {fence}");
    }
    if !finding.fix.is_empty() {
        let _ = writeln!(out, "  **Fix:** {}", md(&finding.fix));
    }
}

/// True when a finding is about `domain` or about no domain at all; the wizard's queue holds
/// other domains, whose findings do not belong in this domain's report.
fn about(finding: &Finding, domain: Option<&str>) -> bool {
    let Some(domain) = domain else { return true };
    let names_a_domain = matches!(finding.family(), "queue" | "log" | "mx") && finding.id != "queue.parse_skipped";
    !names_a_domain || finding.summary.to_ascii_lowercase().contains(&domain.to_ascii_lowercase())
}

/// "Also fix before the retry" and the steps not checked, as the diagnosis left them.
fn md_conclusion(out: &mut String, events: &[Event], findings: &[Finding]) {
    let (also_fix, not_checked) = super::conclusion::from_events(events)
        .unwrap_or_else(|| (Vec::new(), catalogue::steps_without_findings(findings)));
    if !also_fix.is_empty() {
        let _ = writeln!(out, "## Also fix before the retry\n");
        for item in &also_fix {
            let _ = writeln!(out, "- **{}** (`{}`). {}", md(&item.summary), item.id, md(&item.why));
            if !item.fix.is_empty() {
                let _ = writeln!(out, "  Fix: {}", md(&item.fix));
            }
        }
        out.push('\n');
    }
    if !not_checked.is_empty() {
        let _ = writeln!(out, "Not checked: {}.\n", md(&not_checked.join(", ")));
    }
}

/// The Markdown report, for a ticket: the verdict or the ranked causes with their next actions,
/// each finding about the target once, by step; DNS answers and the transcript in appendices.
pub fn markdown(events: &[Event]) -> String {
    let facts = SessionFacts::from_events(events);
    let target = facts.target.as_deref();
    let all: Vec<Finding> = findings(events).into_iter().filter(|f| about(f, target)).collect();
    let mut out = String::new();
    let (causes, rest): (Vec<&Finding>, Vec<&Finding>) = all.iter().partition(|f| f.family() == "diagnosis");
    let (notes, rest): (Vec<&Finding>, Vec<&Finding>) = rest.into_iter().partition(|f| f.severity == Severity::Note);
    let title = match target {
        None => "mailwiz report".to_string(),
        Some(domain) if causes.iter().any(|c| c.id == "diagnosis.deliverable") => {
            format!("Mail to {} should flow now", md(domain))
        }
        Some(domain) if !causes.is_empty() => format!("Why mail to {} is stuck", md(domain)),
        Some(domain) => format!("Mail to {}", md(domain)),
    };
    let _ = writeln!(out, "# {title}\n");
    let mut about_us = vec![];
    about_us.extend(facts.started.as_ref().map(|t| format!("checked {}", t.format("%Y-%m-%d %H:%M UTC"))));
    about_us.extend(facts.ip.as_deref().map(|ip| format!("from {}", md(ip))));
    about_us.extend(facts.helo.as_deref().map(|h| format!("HELO {}", md(h))));
    about_us.extend(facts.version.as_deref().map(|v| format!("mailwiz {}", md(v))));
    if facts.demo {
        about_us.push("in the built-in demo world".into());
    }
    let _ = writeln!(out, "{}\n", about_us.join(" · "));
    if let Some(error) = &facts.observed_error {
        let _ = writeln!(out, "The queue said: {}\n", md(error));
    }
    if !causes.is_empty() {
        let _ = writeln!(out, "## Diagnosis\n");
        for (rank, cause) in causes.iter().enumerate() {
            let _ = writeln!(out, "{}. **{}** (`{}`). {}\n", rank + 1, md(&cause.summary), cause.id, md(&cause.detail));
            if !cause.fix.is_empty() {
                let _ = writeln!(out, "   Next: {}\n", md(&cause.fix));
            }
            let cited: Vec<String> =
                cause.evidence.iter().filter_map(|e| e.split_once(": ").map(|(id, _)| format!("`{id}`"))).collect();
            if !cited.is_empty() {
                let _ = writeln!(out, "   Based on {}.\n", cited.join(", "));
            }
        }
    }
    md_conclusion(&mut out, events, &all);
    if !rest.is_empty() {
        let count = |s: Severity| rest.iter().filter(|f| f.severity == s).count();
        let _ = writeln!(
            out,
            "## Findings\n\n{} fail, {} warn, {} info, {} ok.\n",
            count(Severity::Fail),
            count(Severity::Warn),
            count(Severity::Info),
            count(Severity::Ok)
        );
        for step in StepId::ALL {
            let of_step: Vec<&Finding> =
                rest.iter().copied().filter(|f| StepId::of_finding(&f.id) == Some(step)).collect();
            if !of_step.is_empty() {
                let _ = writeln!(out, "### {}\n", step.title());
                for finding in of_step {
                    md_finding(&mut out, finding);
                }
                out.push('\n');
            }
        }
        let other: Vec<&Finding> = rest.iter().copied().filter(|f| StepId::of_finding(&f.id).is_none()).collect();
        if !other.is_empty() {
            let _ = writeln!(out, "### Other\n");
            for finding in other {
                md_finding(&mut out, finding);
            }
            out.push('\n');
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
    let is_dns = |e: &&Event| matches!(e.kind, EventKind::DnsQuery | EventKind::DnsAnswer);
    let dns = transcript_of(events.iter().filter(|e| is_dns(e) && e.kind == EventKind::DnsAnswer), false);
    if !dns.is_empty() {
        let fence = fence(&dns);
        let _ = writeln!(out, "## Appendix: DNS answers\n\n{fence}text\n{dns}{fence}\n");
    }
    let text = transcript_of(events.iter().filter(|e| !is_dns(e)), false);
    let fence = fence(&text);
    let _ = writeln!(out, "## Appendix: transcript\n\n{fence}text\n{text}{fence}");
    // The one rule also covers what the sections above took from findings and facts.
    super::escape::escape_text(&out).into_owned()
}

/// The report as one JSON object in the shape every command prints (`schema`, `command`,
/// `target`, `findings`), with the events.
pub fn json(events: &[Event]) -> Value {
    let facts = SessionFacts::from_events(events);
    let findings = findings(events);
    let (also_fix, not_checked) = super::conclusion::from_events(events)
        .unwrap_or_else(|| (Vec::new(), catalogue::steps_without_findings(&findings)));
    json!({
        "schema": SCHEMA,
        "command": "report",
        "target": facts.target,
        "started": facts.started,
        "ended": facts.ended,
        "ip": facts.ip,
        "helo": facts.helo,
        "observed_error": facts.observed_error,
        "demo": facts.demo,
        "also_fix": also_fix,
        "not_checked": not_checked,
        "events": events,
        "findings": findings,
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
        (with_ext("md"), markdown(events)),
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

    #[test]
    fn fences_outgrow_backticks_in_content() {
        assert_eq!(fence("plain"), "```");
        assert_eq!(fence("a ```` b"), "`````");
    }
}
