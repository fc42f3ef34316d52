//! `mailwiz queue`: the local queue (or a listing file) grouped by domain and by reason.

use chrono::Utc;
use serde::Serialize;

use super::args::QueueArgs;
use super::output::{exit_for, findings_text, print_json, rows_text};
use super::{CliError, CliResult};
use crate::context::Context;
use crate::queue::{Entries, Format, Group, Lifetime, LoadRequest, QueueReport, Skipped, SourceError};
use crate::wizard::queue::{GroupBy, Open, group_rows, header_rows};

/// Runs `mailwiz queue`.
pub async fn run(args: QueueArgs, ctx: &Context, json: bool) -> CliResult {
    if let Some(action) = args.action {
        return super::queue_action::run(action, args.file, args.format.0, ctx, json).await;
    }
    let request = LoadRequest { file: args.file, format: args.format.0 };
    let report = crate::queue::read(ctx, &request, Utc::now(), None).await.map_err(|err| match err {
        SourceError::Input(text) => CliError::Input(text),
        SourceError::CannotRun(text) => CliError::CannotRun(text),
    })?;
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
    entries: &'a Entries,
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

/// The readable report: step 1's header and groups by domain with every reason open, then the
/// findings.
pub fn readable(report: &QueueReport) -> String {
    let (groups, _) = group_rows(report, GroupBy::Domain, Open::Reasons);
    let mut out = rows_text(&header_rows(report).into_iter().chain(groups).collect::<Vec<_>>());
    if !report.findings.is_empty() {
        out.push('\n');
        out.push_str(&findings_text(&report.findings));
    }
    out
}
