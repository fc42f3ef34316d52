//! `mailwiz report JOURNAL`: render a saved session as a transcript, a Markdown report or JSON.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use super::args::{ReportArgs, ReportFormat};
use super::output::exit_for;
use super::{CliError, CliResult};
use crate::session::escape::JsonSafe;
use crate::session::{Event, export};

/// Runs `mailwiz report`.
pub fn run(args: &ReportArgs) -> CliResult {
    let (events, skipped) = read_journal(&args.journal)?;
    if events.is_empty() {
        return Err(CliError::Input(format!("{} holds no journal events", args.journal.display())));
    }
    if skipped > 0 {
        super::output::print_error(&format!(
            "skipped {skipped} line{} of {} that {} not journal events",
            if skipped == 1 { "" } else { "s" },
            args.journal.display(),
            if skipped == 1 { "is" } else { "are" }
        ));
    }
    match args.format {
        ReportFormat::Text => super::output::print_text(&export::transcript(&events)),
        ReportFormat::Markdown => super::output::print_text(&export::markdown(&events)),
        ReportFormat::Json => {
            let mut out = JsonSafe(std::io::stdout().lock());
            // A closed pipe (`mailwiz report j | head`) is not an error of the journal.
            let _ = serde_json::to_writer(&mut out, &export::json(&events))
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out))
                .and_then(|()| out.flush());
        }
    }
    Ok(exit_for(&export::findings(&events)))
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
