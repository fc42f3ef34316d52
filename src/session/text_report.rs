//! The plain-text report of a session, for a terminal or a mail: the verdict and the ranked
//! causes first, then what to fix besides, the findings by step and the notes. The transcript
//! is its own format.

use std::fmt::Write as _;

use super::escape::escape_text;
use super::export::stamp;
use super::finding::Finding;
use super::mx_path::MxPath;
use super::summary::Summary;

/// The report of `summary`, escaped.
pub fn text(summary: &Summary) -> String {
    let parts = summary.parts();
    let mut out = String::new();
    let _ = writeln!(out, "{}", summary.title(&parts.causes));
    let _ = writeln!(out, "{}\n", summary.about_us().join(" · "));
    if let Some(error) = &summary.facts.observed_error {
        let _ = writeln!(out, "The queue said: {error}\n");
    }
    if !parts.causes.is_empty() {
        let _ = writeln!(out, "== Diagnosis");
        for (rank, cause) in parts.causes.iter().enumerate() {
            let _ = writeln!(out, "{}. {}  ({})", rank + 1, cause.summary, cause.id);
            for line in cause.detail.lines() {
                let _ = writeln!(out, "   {line}");
            }
            if !cause.fix.is_empty() {
                let _ = writeln!(out, "   Next: {}", cause.fix);
            }
        }
        out.push('\n');
    }
    if !summary.also_fix.is_empty() {
        let _ = writeln!(out, "== Also fix before the retry");
        for item in &summary.also_fix {
            let _ = writeln!(out, "- {} ({}). {}", item.summary, item.id, item.why);
            if !item.fix.is_empty() {
                let _ = writeln!(out, "  Fix: {}", item.fix);
            }
        }
        out.push('\n');
    }
    if !summary.not_checked.is_empty() {
        let _ = writeln!(out, "Not checked: {}.\n", summary.not_checked.join(", "));
    }
    if !summary.paths.is_empty() {
        let _ = writeln!(out, "== MX addresses probed");
        for line in MxPath::table(&summary.paths) {
            let _ = writeln!(out, "{line}");
        }
        out.push('\n');
    }
    for (step, findings) in Summary::by_step(&parts.rest) {
        let _ = writeln!(out, "== {step}");
        out.push_str(&findings_text(findings));
        out.push('\n');
    }
    if !parts.notes.is_empty() {
        let _ = writeln!(out, "== Notes");
        for (time, note) in &parts.notes {
            let stamp = time.map(|t| format!("{} ", stamp(t))).unwrap_or_default();
            let _ = writeln!(out, "{stamp}{}", note.summary);
        }
        out.push('\n');
    }
    escape_text(&out).into_owned()
}

/// Findings as readable lines: mark, id and summary, then evidence and fix indented.
pub fn findings_text<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> String {
    let mut out = String::new();
    for finding in findings {
        let _ = writeln!(out, "{} {:<24} {}", finding.severity.mark(), finding.id, finding.summary);
        for line in &finding.evidence {
            let _ = writeln!(out, "      | {line}");
        }
        if !finding.fix.is_empty() {
            let _ = writeln!(out, "      → {}", finding.fix);
        }
    }
    out
}
