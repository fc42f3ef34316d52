//! `mailwiz check DOMAIN`: every step headless, the findings and the ranked diagnosis.

use std::fmt::Write as _;

use serde_json::json;

use super::args::CheckArgs;
use super::output::{exit_for, findings_text, print_json};
use super::{CliError, CliResult};
use crate::check::{self, CheckOptions, CheckReport};
use crate::context::Context;
use crate::diagnosis::note::Note;
use crate::session::mx_path::MxPath;
use crate::session::{AlsoFix, Event, EventKind, StepId, Target};
use crate::session::{export, markdown};
use crate::smtp::family;

/// Runs `mailwiz check`.
pub async fn run(args: CheckArgs, ctx: &Context, json: bool) -> CliResult {
    let Some(domain) = args.domain.as_deref() else {
        return Err(CliError::Input(
            "mailwiz check needs the domain mail is stuck for, e.g. mailwiz check bank.example".into(),
        ));
    };
    let target = Target::parse(domain).map_err(|err| CliError::Input(err.to_string()))?;
    {
        use crate::session::envelope::check_address;
        let input = |err: crate::session::envelope::EnvelopeError| CliError::Input(err.to_string());
        if let Some(from) = &args.from {
            check_address("--from", from, true).map_err(input)?;
        }
        if let Some(to) = &args.to {
            check_address("--to", to, false).map_err(input)?;
        }
    }
    // A file that cannot be saved to is said before the check runs, not after.
    for path in args.report.iter().chain(args.note.iter()) {
        export::check_save_target(path).map_err(|err| CliError::Input(err.to_string()))?;
    }
    ctx.journal.record(start_event(ctx, &target));
    let options = CheckOptions { from: args.from, to: args.to, evidence: Vec::new() };
    let report = check::run(ctx, &target, &options).await.map_err(|err| CliError::CannotRun(err.to_string()))?;
    ctx.journal.record(identity_event(&report));
    if let Some(path) = &args.report {
        let report = markdown::markdown(&ctx.journal.events());
        export::write_atomic(path, report.as_bytes()).map_err(|err| CliError::Input(err.to_string()))?;
    }
    if let Some(path) = &args.note {
        let waiting: Vec<String> =
            report.queue.iter().flat_map(|q| q.entries.iter().map(|e| e.id().to_string())).collect();
        let note = Note::from_findings(&report.target.domain, &report.findings, &waiting, chrono::Utc::now());
        export::write_atomic(path, note.render().as_bytes()).map_err(|err| CliError::Input(err.to_string()))?;
    }
    if json {
        let fields = json!({
            "display": report.target.display,
            "mx": report.mx,
            "smtp": report.smtp,
            "identity": report.identity,
            "blocklists": report.blocklists,
            "blocklists_ipv6": report.blocklists_ipv6,
            "auth": report.auth,
            "receiver_auth": report.receiver_auth,
            "queue": report.queue.as_ref().map(|q| json!({"source": q.source, "groups": q.grouping, "skipped": q.skipped})),
            "logs": report.logs,
            "diagnosis": report.causes.iter().map(|c| json!({
                "id": c.id, "score": (c.score * 100.0).round() / 100.0, "summary": c.summary, "explanation": c.explanation,
                "evidence": c.evidence, "actions": c.actions,
            })).collect::<Vec<_>>(),
            "also_fix": report.also_fix,
            "not_checked": report.not_checked,
            "skipped": report.skipped,
            "timings": report.timings,
        });
        print_json("check", json!(report.target.domain), fields, &report.findings);
    } else {
        super::output::print_text(&text(&report));
    }
    Ok(exit_for(&report.findings))
}

fn start_event(ctx: &Context, target: &Target) -> Event {
    Event::new(EventKind::Start, format!("mailwiz {} check {}", env!("CARGO_PKG_VERSION"), target.domain)).with_data(
        json!({
            "version": env!("CARGO_PKG_VERSION"),
            "target": target.domain,
            "ip": ctx.config.ip.map(|ip| ip.to_string()),
            "helo": ctx.config.helo,
            "demo": ctx.demo,
        }),
    )
}

/// What the check settled on for our identity, for the report's header.
fn identity_event(report: &CheckReport) -> Event {
    let ip = report.identity.chosen.first().map(ToString::to_string);
    let helo = report.identity.helo.as_ref().map(|h| h.helo.clone());
    Event::new(
        EventKind::Info,
        format!("our IP {}, HELO {}", ip.as_deref().unwrap_or("unknown"), helo.as_deref().unwrap_or("unknown")),
    )
    .with_data(json!({ "ip": ip, "helo": helo }))
}

/// The readable report: findings by step, then the ranked causes.
pub fn text(report: &CheckReport) -> String {
    let mut out = String::new();
    let title = if report.target.display == report.target.domain {
        report.target.domain.clone()
    } else {
        format!("{} ({})", report.target.display, report.target.domain)
    };
    let _ = writeln!(
        out,
        "{}\n",
        crate::diagnosis::headline(&report.causes, &report.findings, &title, &report.not_checked)
    );
    for step in StepId::looking() {
        let findings: Vec<_> =
            report.findings.iter().filter(|f| StepId::of_finding(&f.id) == Some(step)).cloned().collect();
        // The SMTP step opens with one row per MX address probed, with its family.
        let paths: Vec<MxPath> =
            if step == StepId::Smtp { report.smtp.iter().map(family::path).collect() } else { Vec::new() };
        if !findings.is_empty() || !paths.is_empty() {
            let _ = writeln!(out, "== {}", step.title());
            for line in MxPath::table(&paths) {
                let _ = writeln!(out, "{line}");
            }
            out.push_str(&findings_text(&findings));
            out.push('\n');
        }
    }
    let _ = writeln!(out, "== {}", StepId::Diagnosis.title());
    if report.causes.is_empty() {
        let _ = writeln!(out, "No known cause: the findings point to no problem mailwiz recognises.");
    }
    for (rank, cause) in report.causes.iter().enumerate() {
        let _ = writeln!(out, "{}. {}  ({}, {:.0}%)", rank + 1, cause.summary, cause.id, cause.score * 100.0);
        let _ = writeln!(out, "   {}", cause.explanation);
        for line in &cause.evidence {
            let _ = writeln!(out, "   · {line}");
        }
        for (n, action) in cause.actions.iter().enumerate() {
            let _ = writeln!(out, "   {}) {action}", n + 1);
        }
    }
    out.push_str(&also_fix_text(&report.also_fix));
    for reason in &report.skipped {
        let _ = writeln!(out, "\nNot checked: {reason}");
    }
    let t = &report.timings;
    let _ = writeln!(
        out,
        "\nTook {:.2} s (the parts one after another would take {:.2} s).",
        t.wall_ms as f64 / 1000.0,
        t.sequential_ms() as f64 / 1000.0
    );
    out
}

/// "Also fix before the retry": our defects the receiver has not judged yet.
pub fn also_fix_text(also_fix: &[AlsoFix]) -> String {
    let mut out = String::new();
    if also_fix.is_empty() {
        return out;
    }
    let _ = writeln!(out, "\n== Also fix before the retry");
    for item in also_fix {
        let _ = writeln!(out, "{} {}  ({})", item.severity.mark(), item.summary, item.id);
        let _ = writeln!(out, "   {}", item.why);
        if !item.fix.is_empty() {
            let _ = writeln!(out, "   → {}", item.fix);
        }
    }
    out
}
