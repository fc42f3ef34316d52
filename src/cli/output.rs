//! How headless commands end: readable text or one JSON object, and the exit code.

use std::io::Write;

use serde::Serialize;
use serde_json::Value;

use crate::session::escape::{JsonSafe, escape_text};
use crate::session::{Finding, Severity};
use crate::wizard::Row;

/// Why a command could not give a result; decides the exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad usage or input (exit 2).
    #[error("{0}")]
    Input(String),
    /// Could not run, e.g. no resolver (exit 3).
    #[error("{0}")]
    CannotRun(String),
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Input(_) => 2,
            CliError::CannotRun(_) => 3,
        }
    }
}

/// A command's result: exit code 0 or 1.
pub type CliResult = Result<u8, CliError>;

/// The exit code of a command that ran but got no answer to its question (could not run).
pub const NO_ANSWER: u8 = 3;

/// The one exit rule of every command: 1 when a finding fails; 3 when every finding says a
/// check could not be made (or is a note), for then nothing was looked at; else 0.
pub fn exit_for(findings: &[Finding]) -> u8 {
    if findings.iter().any(|f| f.severity == Severity::Fail) {
        1
    } else if !findings.is_empty() && findings.iter().all(|f| f.is_unknown() || f.severity == Severity::Note) {
        NO_ANSWER
    } else {
        0
    }
}

/// The exit code of a saved session: [`exit_for`] its findings, and [`NO_ANSWER`] when it holds
/// none, for then nothing can be said to have passed.
pub fn exit_for_session(findings: &[Finding]) -> u8 {
    if findings.is_empty() { NO_ANSWER } else { exit_for(findings) }
}

pub use crate::session::export::SCHEMA;

/// Prints `{"schema", "command", "target", <fields>, "findings"}` as one line of JSON on stdout.
/// `fields` is a JSON object or a struct; it is written as it is serialised, never held as a
/// whole in memory (a queue of 100,000 messages is tens of MB of JSON).
pub fn print_json(command: &str, target: Value, fields: impl Serialize, findings: &[Finding]) {
    #[derive(Serialize)]
    struct Output<'a, F> {
        schema: u32,
        command: &'a str,
        target: Value,
        #[serde(flatten)]
        fields: F,
        findings: &'a [Finding],
    }
    let mut out = JsonSafe(std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock()));
    let _ = serde_json::to_writer(&mut out, &Output { schema: SCHEMA, command, target, fields, findings });
    let _ = writeln!(out).and_then(|()| out.flush());
}

/// Writes readable output to stdout, escaped by the one rule ([`escape_text`]) whatever it
/// holds; a reader that went away (`| head`) is not an error worth a panic, so write errors are
/// ignored.
pub fn print_text(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(escape_text(text).as_bytes()).and_then(|()| out.flush());
}

/// Writes an error to stderr as `mailwiz: ERROR`, escaped by the one rule.
pub fn print_error(error: &dyn std::fmt::Display) {
    eprintln!("mailwiz: {}", escape_text(&error.to_string()));
}

/// A front end's rows as plain lines, without their tones.
pub fn rows_text(rows: &[Row]) -> String {
    rows.iter().map(|row| format!("{}\n", row.text())).collect()
}

/// Renders findings as readable lines: mark, id, summary, then evidence and fix indented.
pub fn findings_text(findings: &[Finding]) -> String {
    crate::session::text_report::findings_text(findings)
}
