//! `mailwiz bounce FILE|-`: a bounce read into its recipients and replies, then the check of
//! the recipient's domain with the bounce as evidence.

use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;

use serde_json::{Value, json};

use super::args::BounceArgs;
use super::output::{exit_for, findings_text, print_json, print_text};
use super::{CliError, CliResult};
use crate::bounce::{self, Bounce, MAX_INPUT};
use crate::check::{self, CheckOptions, CheckReport};
use crate::context::Context;
use crate::session::{Event, EventKind, Finding, Target};

/// Runs `mailwiz bounce`.
pub async fn run(args: BounceArgs, ctx: &Context, json: bool) -> CliResult {
    let (name, bounce) = read_file(&args.file)?;
    let findings = bounce::findings::findings(&bounce);
    ctx.journal.record(
        Event::new(EventKind::Start, format!("mailwiz {} bounce {name}", env!("CARGO_PKG_VERSION")))
            .with_data(json!({ "version": env!("CARGO_PKG_VERSION"), "bounce": name, "demo": ctx.demo })),
    );
    for finding in &findings {
        ctx.journal.finding(finding);
    }
    let target = bounce.main_recipient().and_then(|r| Target::parse(&r.address).ok());
    let report = match (&target, args.no_check) {
        (Some(target), false) => {
            let options =
                CheckOptions { to: target.address.clone(), evidence: findings.clone(), ..CheckOptions::default() };
            Some(check::run(ctx, target, &options).await.map_err(|err| CliError::CannotRun(err.to_string()))?)
        }
        _ => None,
    };
    let all: &[Finding] = report.as_ref().map_or(&findings, |r| &r.findings);
    if json {
        print_json(
            "bounce",
            target.as_ref().map_or(Value::Null, |t| json!(t.domain)),
            fields(&bounce, report.as_ref()),
            all,
        );
    } else {
        print_text(&text(&bounce, report.as_ref(), &findings, target.is_some()));
    }
    Ok(exit_for(all))
}

/// Reads the bounce in `file` (`-` for stdin): the name to call it by, and the bounce; an
/// input error in one sentence when it cannot be read or is no bounce.
pub fn read_file(file: &str) -> Result<(String, Bounce), CliError> {
    if file != "-" {
        return bounce::file::load(Path::new(file)).map_err(CliError::Input);
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_INPUT as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| CliError::Input(format!("the bounce on stdin cannot be read: {err}.")))?;
    bounce::file::parse("the bounce on stdin", &bytes).map_err(CliError::Input)
}

fn fields(bounce: &Bounce, report: Option<&CheckReport>) -> Value {
    let mut fields = json!({
        "shape": bounce.shape,
        "subject": bounce.subject,
        "reporting_mta": bounce.reporting_mta,
        "arrival": bounce.arrival,
        "original": bounce.original,
        "recipients": bounce.recipients,
        "recipients_dropped": bounce.recipients_dropped,
    });
    if let (Some(report), Some(object)) = (report, fields.as_object_mut()) {
        object.insert(
            "diagnosis".into(),
            report
                .causes
                .iter()
                .map(|c| {
                    json!({
                        "id": c.id, "score": (c.score * 100.0).round() / 100.0, "summary": c.summary,
                        "explanation": c.explanation, "evidence": c.evidence, "actions": c.actions,
                    })
                })
                .collect(),
        );
        object.insert("also_fix".into(), json!(report.also_fix));
        object.insert("not_checked".into(), json!(report.not_checked));
        object.insert("skipped".into(), json!(report.skipped));
    }
    fields
}

fn text(bounce: &Bounce, report: Option<&CheckReport>, findings: &[Finding], has_target: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "== Bounce");
    for (label, value) in [
        ("subject", &bounce.subject),
        ("reporting MTA", &bounce.reporting_mta),
        ("arrival", &bounce.arrival),
        ("original from", &bounce.original.from),
        ("original to", &bounce.original.to),
        ("original subject", &bounce.original.subject),
        ("message-id", &bounce.original.message_id),
    ] {
        if let Some(value) = value {
            let _ = writeln!(out, "{label:<17} {value}");
        }
    }
    for recipient in &bounce.recipients {
        let _ = writeln!(
            out,
            "\n{}  {:?}{}",
            recipient.address,
            recipient.action,
            recipient.status.as_deref().map(|s| format!(" {s}")).unwrap_or_default()
        );
        if let Some(host) = &recipient.remote_mta {
            let _ = writeln!(out, "   remote MTA  {host}");
        }
        if let Some(reply) = &recipient.reply {
            let who = match recipient.said_by {
                bounce::Speaker::Receiver => "the receiver said",
                _ => "our MTA wrote",
            };
            let _ = writeln!(out, "   {who}: {reply}");
        }
        let _ = writeln!(out, "   reason      {}", recipient.reason.describe());
        if let Some(meaning) = &recipient.meaning {
            let _ = writeln!(out, "   meaning     {meaning}");
        }
    }
    out.push('\n');
    if let Some(report) = report {
        out.push_str(&super::check::text(report));
    } else {
        out.push_str(&findings_text(findings));
        out.push_str(if has_target {
            "\nNot checked: --no-check was given, so the recipient's domain was not looked at.\n"
        } else {
            "\nNot checked: the bounce names no recipient whose domain could be checked.\n"
        });
    }
    out
}
