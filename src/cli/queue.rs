//! `mailwiz queue`: the local queue (or a listing file) grouped by domain and by reason.

use std::fmt::Write;

use chrono::{Duration, Utc};
use serde::Serialize;

use super::args::QueueArgs;
use super::output::{exit_for, findings_text, print_json};
use super::{CliError, CliResult};
use crate::context::Context;
use crate::queue::group::bucket_labels;
use crate::queue::time::format_age;
use crate::queue::{
    Format, Group, Lifetime, LoadRequest, QueueEntry, QueueReport, Skipped, SourceError, analyse, source,
};
use crate::session::escape::escape_str;

/// Domains and reasons listed in the readable output.
const SHOWN: usize = 20;

/// Runs `mailwiz queue`.
pub async fn run(args: QueueArgs, ctx: &Context, json: bool) -> CliResult {
    if let Some(action) = args.action {
        return super::queue_action::run(action, args.file, args.format.0, ctx, json).await;
    }
    let request = LoadRequest { file: args.file, format: args.format.0 };
    let now = Utc::now();
    let loaded = source::load(ctx, &request, now).await.map_err(|err| match err {
        SourceError::Input(text) => CliError::Input(text),
        SourceError::CannotRun(text) => CliError::CannotRun(text),
    })?;
    let report = analyse(loaded, now);
    for finding in &report.findings {
        ctx.journal.finding(finding);
    }
    if json {
        print_json("queue", serde_json::Value::Null, fields(&report), &report.findings);
    } else {
        super::output::print_text(&readable(&report));
    }
    Ok(exit_for(&report.findings))
}

/// The command-specific fields of `mailwiz queue --json`.
#[derive(Serialize)]
struct Fields<'a> {
    source: &'a str,
    format: Format,
    lifetime: &'a Lifetime,
    notes: &'a [String],
    messages: u64,
    recipients: u64,
    skipped: &'a Skipped,
    domains: &'a [Group],
    reasons: &'a [Group],
    entries: &'a [QueueEntry],
}

fn fields(report: &QueueReport) -> Fields<'_> {
    Fields {
        source: &report.source,
        format: report.format,
        lifetime: &report.lifetime,
        notes: &report.notes,
        messages: report.grouping.messages,
        recipients: report.grouping.recipients,
        skipped: &report.skipped,
        domains: &report.grouping.by_domain,
        reasons: &report.grouping.by_reason,
        entries: &report.entries,
    }
}

/// The readable report: header, domains with their main reason, qshape-style ages, reasons,
/// findings. Everything taken from the listing is escaped.
pub fn readable(report: &QueueReport) -> String {
    let g = &report.grouping;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Queue from {} ({}): {} message(s), {} recipient(s); queue lifetime {} ({})",
        escape_str(&report.source),
        report.format.name(),
        g.messages,
        g.recipients,
        report.lifetime.label(),
        report.lifetime.source
    );
    for note in &report.notes {
        let _ = writeln!(out, "note: {note}");
    }
    if g.messages == 0 {
        out.push_str("\nThe queue is empty.\n");
    } else {
        let width = g.by_domain.iter().take(SHOWN).map(|d| d.key.chars().count()).max().unwrap_or(6).clamp(6, 40);
        let _ = writeln!(
            out,
            "\n{:<width$} {:>7} {:>7} {:>8}  main reason, as the MTA wrote it",
            "domain", "msgs", "rcpts", "oldest"
        );
        for d in g.by_domain.iter().take(SHOWN) {
            let oldest = d.oldest_secs.map_or_else(|| "?".into(), |s| format_age(Duration::seconds(s)));
            let reason = d.example.as_deref().unwrap_or("(no reason given)");
            let _ = writeln!(
                out,
                "{:<width$} {:>7} {:>7} {:>8}  {}",
                domain_label(&d.key),
                d.messages,
                d.recipients,
                oldest,
                escape_str(reason)
            );
        }
        more(&mut out, g.by_domain.len(), "domain");
        let labels = bucket_labels();
        let _ = write!(out, "\n{:<width$} {:>7}", "age (min)", "T");
        for label in &labels {
            let _ = write!(out, " {label:>5}");
        }
        out.push('\n');
        for d in g.by_domain.iter().take(SHOWN) {
            let _ = write!(out, "{:<width$} {:>7}", domain_label(&d.key), d.messages);
            for n in d.ages {
                let _ = write!(out, " {n:>5}");
            }
            out.push('\n');
        }
        let _ = writeln!(out, "\n{:>7}  reason (domains)", "msgs");
        for r in g.by_reason.iter().take(SHOWN) {
            let reason = if r.key.is_empty() { "(no reason given)" } else { r.key.as_str() };
            let domains: Vec<String> = r.top.iter().map(|s| domain_label(&s.key)).collect();
            let _ = writeln!(out, "{:>7}  {} ({})", r.messages, escape_str(reason), domains.join(", "));
        }
        more(&mut out, g.by_reason.len(), "reason");
    }
    if !report.findings.is_empty() {
        out.push('\n');
        out.push_str(&findings_text(&report.findings));
    }
    out
}

fn domain_label(domain: &str) -> String {
    if domain.is_empty() { "(no domain)".into() } else { escape_str(domain) }
}

fn more(out: &mut String, total: usize, what: &str) {
    if total > SHOWN {
        let _ = writeln!(out, "… and {} more {what}s (--json lists all)", total - SHOWN);
    }
}
