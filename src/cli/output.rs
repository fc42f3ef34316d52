//! How headless commands end: readable text or one JSON object, and the exit code.

use std::io::Write;

use serde_json::{Map, Value};

use crate::session::{Finding, Severity};

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

/// 1 when any finding fails, else 0.
pub fn exit_for(findings: &[Finding]) -> u8 {
    u8::from(findings.iter().any(|f| f.severity == Severity::Fail))
}

/// Prints `{"command", "target", <fields>, "findings"}` as one line of JSON on stdout.
pub fn print_json(command: &str, target: Value, fields: Value, findings: &[Finding]) {
    let mut object = Map::new();
    object.insert("command".into(), Value::from(command));
    object.insert("target".into(), target);
    if let Value::Object(fields) = fields {
        object.extend(fields);
    }
    object.insert("findings".into(), serde_json::to_value(findings).expect("findings serialise"));
    let mut out = std::io::stdout().lock();
    let _ = serde_json::to_writer(&mut out, &Value::Object(object));
    let _ = writeln!(out);
}

/// Writes readable output to stdout; a reader that went away (`| head`) is not an error worth a
/// panic, so write errors are ignored.
pub fn print_text(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// Renders findings as readable lines: mark, id, summary, then evidence and fix indented.
pub fn findings_text(findings: &[Finding]) -> String {
    let mut out = String::new();
    for finding in findings {
        out.push_str(&format!("{} {:<24} {}\n", finding.severity.mark(), finding.id, finding.summary));
        for line in &finding.evidence {
            out.push_str(&format!("      | {line}\n"));
        }
        if !finding.fix.is_empty() {
            out.push_str(&format!("      → {}\n", finding.fix));
        }
    }
    out
}
