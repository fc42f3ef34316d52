//! `mailwiz logs FILE... [--domain D] [--format F]`: MTA logs summarised for a domain.

use serde_json::Value;

use super::CliResult;
use super::args::LogsArgs;
use super::output::{CliError, exit_for, findings_text, print_json, rows_text};
use crate::context::Context;
use crate::logs::{self, DomainFilter, LogsError, LogsRequest};
use crate::session::Target;
use crate::session::escape::escape_str;

/// Runs `mailwiz logs`.
pub async fn run(args: LogsArgs, ctx: &Context, json: bool) -> CliResult {
    let target = match &args.domain {
        Some(domain) => {
            Some(Target::parse(domain).map_err(|err| CliError::Input(format!("--domain {domain}: {err}")))?)
        }
        None => None,
    };
    if args.follow && json {
        return Err(CliError::Input("--follow prints lines as they are written and does not take --json".into()));
    }
    let paths = if args.files.is_empty() {
        if ctx.config.logs.paths.is_empty() {
            return Err(CliError::Input(
                "mailwiz logs needs a log FILE (or [logs] paths in the config), e.g. mailwiz logs /var/log/mail.log"
                    .into(),
            ));
        }
        ctx.config.logs.paths.clone()
    } else {
        logs::input::expand(&args.files).map_err(|err| CliError::Input(err.to_string()))?
    };
    let request = LogsRequest {
        paths,
        format: args.format.0,
        filter: target.as_ref().map(|t| DomainFilter::new(&t.domain)),
        reference: None,
    };
    let follow = args.follow.then(|| (request.paths.clone(), request.format, request.filter.clone()));
    let reader = ctx.clone();
    let analysis = tokio::task::spawn_blocking(move || logs::read(&reader, &request, &|| false, &mut |_| {}))
        .await
        .map_err(|err| CliError::CannotRun(format!("reading the logs failed: {err}")))?
        .map_err(|err| match err {
            LogsError::Input(message) => CliError::Input(message),
            LogsError::Cancelled => CliError::CannotRun(err.to_string()),
        })?;
    let findings = analysis.findings();
    for file in &analysis.summary.files {
        if let Some(error) = &file.error {
            eprintln!("mailwiz: skipped: {}", escape_str(error));
        }
        if let Some(note) = &file.note {
            eprintln!("mailwiz: note: {}", escape_str(note));
        }
    }
    if json {
        let fields = serde_json::to_value(&analysis.summary).unwrap_or(Value::Null);
        let target = target.map_or(Value::Null, |t| Value::from(t.domain));
        print_json("logs", target, fields, &findings);
    } else {
        let mut out = rows_text(&crate::wizard::logs::summary_rows(&analysis.summary));
        if !findings.is_empty() {
            out.push('\n');
            out.push_str(&findings_text(&findings));
        }
        super::output::print_text(&out);
    }
    if let Some((paths, format, filter)) = follow {
        return super::logs_follow::run(paths, format, filter, &analysis.summary, findings, ctx).await;
    }
    Ok(exit_for(&findings))
}
