//! `mailwiz report JOURNAL`: render a saved session as a transcript, a Markdown report or JSON.

use std::io::{BufReader, Write};
use std::path::Path;

use serde_json::Value;

use super::args::{ReportArgs, ReportFormat};
use super::output::{exit_for_session, print_json, print_text};
use super::{CliError, CliResult};
use crate::input_file::{self, LineEnd};
use crate::session::diff_report::{self, Sides};
use crate::session::escape::{JsonSafe, escape_str};
use crate::session::export::FindingsFold;
use crate::session::json_report::JsonReport;
use crate::session::markdown::MarkdownReport;
use crate::session::summary::SummaryFold;
use crate::session::text_report;
use crate::session::{Earlier, Event, EventKind, Finding, export};

/// Runs `mailwiz report`; `json` (the global `--json`) is the same as `--format json`. The
/// journal is read event by event and written as it is read: memory holds one event and the
/// findings, whatever the journal's length.
pub fn run(args: &ReportArgs, json: bool) -> CliResult {
    let format = if json { ReportFormat::Json } else { args.format };
    if let Some(files) = &args.diff {
        return diff(&files[0], &files[1], format);
    }
    let path = args.journal.as_deref().expect("clap requires a journal without --diff");
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut fold = FindingsFold::default();
    // A closed pipe (`mailwiz report j | head`) is not an error of the journal: the reading goes
    // on for the exit code, the writing stops.
    let mut written: std::io::Result<()> = Ok(());
    let mut keep = |result: std::io::Result<()>| {
        if written.is_ok() {
            written = result;
        }
    };
    let skipped = match format {
        ReportFormat::Text => {
            let mut summary = SummaryFold::default();
            let (_, skipped) = read_events(path, &mut |event| {
                fold.push(&event);
                summary.push(&event);
            })?;
            keep(out.write_all(text_report::text(&summary.finish()).as_bytes()));
            let shown = escape_str(&path.display().to_string());
            keep(writeln!(out, "The transcript: mailwiz report {shown} --format transcript"));
            skipped
        }
        ReportFormat::Transcript => {
            let (_, skipped) = read_events(path, &mut |event| {
                fold.push(&event);
                keep(out.write_all(export::transcript(std::slice::from_ref(&event)).as_bytes()));
            })?;
            skipped
        }
        ReportFormat::Markdown => {
            let mut report = MarkdownReport::default();
            let (_, skipped) = read_events(path, &mut |event| {
                fold.push(&event);
                keep(report.push(&event));
            })?;
            keep(report.finish(&mut out));
            skipped
        }
        ReportFormat::Json => {
            let mut report = JsonReport::new(JsonSafe(&mut out));
            let (_, skipped) = read_events(path, &mut |event| {
                fold.push(&event);
                keep(report.push(&event));
            })?;
            let mut extra = serde_json::Map::new();
            extra.insert("skipped_lines".into(), Value::from(skipped));
            keep(report.finish(extra).and_then(|mut json| writeln!(json)));
            skipped
        }
    };
    keep(out.flush());
    say_skipped(path, skipped);
    Ok(exit_for_session(&fold.finish()))
}

/// Longest journal line read; mailwiz writes far shorter ones (a reply keeps at most a few MiB).
pub const MAX_JOURNAL_LINE: usize = 16 << 20;
/// A line past [`MAX_JOURNAL_LINE`] is skipped up to its end, at most this far (then a source
/// without line ends, such as `/dev/zero`, stops the reading).
const MAX_SKIPPED_LINE: u64 = 256 << 20;
/// Most events read from one journal.
pub const MAX_JOURNAL_EVENTS: usize = 1_000_000;

/// The findings a journal's session held at its end and its target, read event by event
/// (only the findings are kept); a journal without events is an input error.
pub fn read_findings(path: &Path) -> Result<(Vec<Finding>, Option<String>), CliError> {
    let mut fold = FindingsFold::default();
    let mut target = None;
    let (_, skipped) = read_events(path, &mut |event| {
        if matches!(event.kind, EventKind::Start | EventKind::Info)
            && let Some(text) = event.data.get("target").and_then(Value::as_str)
        {
            target = Some(escape_str(text));
        }
        fold.push(&event);
    })?;
    say_skipped(path, skipped);
    Ok((fold.finish(), target))
}

/// `mailwiz --compare OLD.jsonl`: the earlier session's findings, read event by event.
pub fn read_earlier(path: &Path) -> Result<Earlier, CliError> {
    let (findings, _) = read_findings(path)?;
    Ok(Earlier { label: path.display().to_string(), findings })
}

/// Reads a journal that must hold events, handing each to `visit`; returns the events and the
/// lines skipped.
fn read_events(path: &Path, visit: &mut dyn FnMut(Event)) -> Result<(usize, usize), CliError> {
    let (events, skipped) = read_journal_each(path, visit)?;
    if events == 0 {
        return Err(CliError::Input(format!("{} holds no journal events", path.display())));
    }
    Ok((events, skipped))
}

fn say_skipped(path: &Path, skipped: usize) {
    if skipped > 0 {
        super::output::print_error(&format!(
            "skipped {skipped} line{} of {} that {} not journal events",
            if skipped == 1 { "" } else { "s" },
            path.display(),
            if skipped == 1 { "is" } else { "are" }
        ));
    }
}

/// `mailwiz report --diff OLD NEW`: what cleared, appeared and changed; the exit code is that of
/// the later session.
fn diff(old: &Path, new: &Path, format: ReportFormat) -> CliResult {
    if format == ReportFormat::Transcript {
        return Err(CliError::Input(
            "--diff compares the findings of two sessions and has no transcript; use --format text, markdown or json"
                .into(),
        ));
    }
    let (before, _) = read_findings(old)?;
    let (after, target) = read_findings(new)?;
    let changes = crate::session::diff::diff(&before, &after);
    let sides = Sides { before: old.display().to_string(), after: new.display().to_string(), target: target.clone() };
    match format {
        ReportFormat::Text | ReportFormat::Transcript => print_text(&diff_report::text(&changes, &sides)),
        ReportFormat::Markdown => print_text(&diff_report::markdown(&changes, &sides)),
        ReportFormat::Json => {
            let fields = serde_json::json!({
                "before": sides.before,
                "after": sides.after,
                "gone": changes.gone,
                "not_checked_again": changes.not_checked_again,
                "new": changes.new,
                "changed": changes.changed,
                "unchanged": changes.unchanged,
            });
            print_json("report", target.map_or(Value::Null, Value::from), fields, &after);
        }
    }
    // A later session that looked at nothing cannot say anything cleared: could not look.
    Ok(exit_for_session(&after))
}

/// Reads a journal, counting and skipping lines that are not events (a line cut short by a crash
/// is the usual one) and lines longer than [`MAX_JOURNAL_LINE`] (said on stderr). More than
/// [`MAX_JOURNAL_EVENTS`] events, or a line with no end, end the reading: no journal of mailwiz
/// looks like that, and a source that never ends (`/dev/zero`, a pipe) must not either.
pub fn read_journal(path: &Path) -> Result<(Vec<Event>, usize), CliError> {
    let mut events = Vec::new();
    let (_, skipped) = read_journal_each(path, &mut |event| events.push(event))?;
    Ok((events, skipped))
}

/// [`read_journal`] handing each event to `visit` instead of keeping it: memory holds one line
/// at a time. Returns the events and the lines skipped.
pub fn read_journal_each(path: &Path, visit: &mut dyn FnMut(Event)) -> Result<(usize, usize), CliError> {
    let shown = path.display();
    let cannot = |err: std::io::Error| CliError::Input(format!("cannot read the journal {shown}: {err}"));
    let mut reader = BufReader::new(input_file::open(path).map_err(cannot)?);
    let mut events = 0usize;
    let mut skipped = 0;
    let mut line = Vec::new();
    let mut number = 0usize;
    let mut read_any = false;
    loop {
        let end = input_file::read_line(&mut reader, &mut line, MAX_JOURNAL_LINE).map_err(cannot)?;
        number += 1;
        read_any |= end != LineEnd::Eof;
        match end {
            LineEnd::Eof => break,
            LineEnd::TooLong => {
                // The line is skipped and counted; the events after it are read.
                let why = format!("line {number} of {shown} is longer than {} MiB", MAX_JOURNAL_LINE >> 20);
                if !input_file::skip_line(&mut reader, MAX_SKIPPED_LINE).map_err(cannot)? {
                    if events == 0 {
                        return Err(CliError::Input(format!("{shown} is not a mailwiz journal: {why}")));
                    }
                    super::output::print_error(&format!("{why} and has no end; reading stopped there"));
                    break;
                }
                super::output::print_error(&format!("{why}; it was skipped"));
                skipped += 1;
                continue;
            }
            LineEnd::Whole if line.iter().all(u8::is_ascii_whitespace) => continue,
            LineEnd::Whole => match serde_json::from_slice::<Event>(&line) {
                Ok(event) => {
                    events += 1;
                    visit(event);
                }
                Err(_) => skipped += 1,
            },
        }
        if events + skipped >= MAX_JOURNAL_EVENTS {
            super::output::print_error(&format!(
                "{shown} has more than {MAX_JOURNAL_EVENTS} lines; reading stopped there"
            ));
            break;
        }
    }
    if !read_any && let Some(note) = input_file::no_writer_note(path) {
        return Err(CliError::Input(note));
    }
    if events == 0 && skipped > 0 {
        return Err(CliError::Input(format!("{shown} is not a mailwiz journal (no line is an event)")));
    }
    Ok((events, skipped))
}
