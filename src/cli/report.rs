//! `mailwiz report JOURNAL`: render a saved session as a transcript, a Markdown report or JSON.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use super::args::{ReportArgs, ReportFormat};
use super::output::{exit_for, print_json, print_text};
use super::{CliError, CliResult};
use serde_json::Value;

use crate::session::diff_report::{self, Sides};
use crate::session::{Event, export};

/// Runs `mailwiz report`; `json` (the global `--json`) is the same as `--format json`.
pub fn run(args: &ReportArgs, json: bool) -> CliResult {
    let format = if json { ReportFormat::Json } else { args.format };
    if let Some(files) = &args.diff {
        return diff(&files[0], &files[1], format);
    }
    let path = args.journal.as_deref().expect("clap requires a journal without --diff");
    let events = read_events(path)?;
    let rendered = match format {
        ReportFormat::Text => export::transcript(&events),
        ReportFormat::Markdown => export::markdown(&events),
        ReportFormat::Json => {
            let mut json = export::json(&events).to_string();
            json.push('\n');
            json
        }
    };
    let mut out = std::io::stdout().lock();
    // A closed pipe (`mailwiz report j | head`) is not an error of the journal.
    let _ = out.write_all(rendered.as_bytes()).and_then(|()| out.flush());
    Ok(exit_for(&export::findings(&events)))
}

/// Reads a journal that must hold events; skipped lines are said on stderr.
fn read_events(path: &Path) -> Result<Vec<Event>, CliError> {
    let (events, skipped) = read_journal(path)?;
    if events.is_empty() {
        return Err(CliError::Input(format!("{} holds no journal events", path.display())));
    }
    if skipped > 0 {
        eprintln!(
            "mailwiz: skipped {skipped} line{} of {} that {} not journal events",
            if skipped == 1 { "" } else { "s" },
            path.display(),
            if skipped == 1 { "is" } else { "are" }
        );
    }
    Ok(events)
}

/// `mailwiz report --diff OLD NEW`: what cleared, appeared and changed; the exit code is that of
/// the later session.
fn diff(old: &Path, new: &Path, format: ReportFormat) -> CliResult {
    let before = export::findings(&read_events(old)?);
    let after_events = read_events(new)?;
    let after = export::findings(&after_events);
    let changes = crate::session::diff::diff(&before, &after);
    let target = export::SessionFacts::from_events(&after_events).target;
    let sides = Sides { before: old.display().to_string(), after: new.display().to_string(), target: target.clone() };
    match format {
        ReportFormat::Text => print_text(&diff_report::text(&changes, &sides)),
        ReportFormat::Markdown => print_text(&diff_report::markdown(&changes, &sides)),
        ReportFormat::Json => {
            let fields = serde_json::json!({
                "before": sides.before,
                "after": sides.after,
                "gone": changes.gone,
                "new": changes.new,
                "changed": changes.changed,
                "unchanged": changes.unchanged,
            });
            print_json("report", target.map_or(Value::Null, Value::from), fields, &after);
        }
    }
    Ok(exit_for(&after))
}

/// Reads a journal, counting and skipping lines that are not events (a line cut short by a crash
/// is the usual one).
pub fn read_journal(path: &Path) -> Result<(Vec<Event>, usize), CliError> {
    let cannot = |err: std::io::Error| CliError::Input(format!("cannot read the journal {}: {err}", path.display()));
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut events = Vec::new();
    let mut skipped = 0;
    for line in BufReader::new(file).split(b'\n') {
        let line = line.map_err(cannot)?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Event>(&line) {
            Ok(event) => events.push(event),
            Err(_) => skipped += 1,
        }
    }
    if events.is_empty() && skipped > 0 {
        return Err(CliError::Input(format!("{} is not a mailwiz journal (no line is an event)", path.display())));
    }
    Ok((events, skipped))
}
