//! `mailwiz queue retry|hold|release|delete`: the MTA's own commands, shown before they run,
//! asked for first (or `--yes`), with a report of what was done and what was not and why.

use std::fmt::Write as _;
use std::io::{BufRead, IsTerminal, Write};

use serde::Serialize;
use serde_json::Value;

use super::args::{QueueAction, QueueActionArgs};
use super::output::print_json;
use super::{CliError, CliResult};
use crate::context::Context;
use crate::queue::actions::{self, Mta, Plan, QueueOp, RunReport, Selection};
use crate::queue::{Format, LoadRequest, SourceError};
use crate::session::Target;
use crate::session::escape::escape_str;

/// Runs a queue action.
pub async fn run(
    action: QueueAction,
    file: Option<std::path::PathBuf>,
    format: Option<Format>,
    ctx: &Context,
    json: bool,
) -> CliResult {
    let (action, args) = match action {
        QueueAction::Retry(args) => (QueueOp::Retry, args),
        QueueAction::Hold(args) => (QueueOp::Hold, args),
        QueueAction::Release(args) => (QueueOp::Release, args),
        QueueAction::Delete(args) => (QueueOp::Delete, args),
    };
    let selection = selection(action, &args)?;
    if let (Selection::Ids(ids), Some(format)) = (&selection, format) {
        // Ids that do not fit the named MTA's syntax are refused before the queue is read.
        check_ids(format.spec().mta, ids)?;
    }
    let request = LoadRequest { file, format };
    let plan = actions::prepare(ctx, action, &selection, &request).await.map_err(|err| match err {
        SourceError::Input(text) => CliError::Input(text),
        SourceError::CannotRun(text) => {
            CliError::CannotRun(format!("the queue could not be read to plan the {}: {text}", action.as_str()))
        }
    })?;
    let mta = plan.mta;
    if let Selection::Ids(ids) = &selection {
        check_ids(mta, ids)?;
    }
    let runs = plan.commands.iter().any(|c| !c.print_only);
    // In the demo nothing runs, so there is nothing to confirm.
    if runs && !args.yes && !ctx.demo {
        confirm(&plan)?;
    }
    let demo = ctx.demo;
    let mut shown = |line: &str| {
        // The command line is shown before it runs: on stderr when stdout carries the JSON.
        match (json, demo) {
            (true, false) => eprintln!("mailwiz: running {line}"),
            (true, true) => eprintln!("mailwiz: would run {line} (demo: nothing is run)"),
            (false, false) => println!("$ {line}"),
            (false, true) => println!("would run (demo: nothing is run): {line}"),
        }
    };
    let outcome = actions::execute(ctx, &plan, &mut shown).await;
    let target = match &selection {
        Selection::Domain(domain) => Value::from(domain.clone()),
        Selection::Ids(_) => Value::Null,
    };
    if json {
        print_json("queue", target, Fields { action, mta, outcome: &outcome }, &[]);
    } else {
        super::output::print_text(&readable(&plan, &outcome));
    }
    Ok(u8::from(!outcome.not_done.is_empty()))
}

#[derive(Serialize)]
struct Fields<'a> {
    action: QueueOp,
    mta: Mta,
    #[serde(flatten)]
    outcome: &'a RunReport,
}

/// A domain (retry only) or queue ids; ids are checked against the MTA's syntax when planned.
fn selection(action: QueueOp, args: &QueueActionArgs) -> Result<Selection, CliError> {
    let domains: Vec<&String> = args.targets.iter().filter(|t| t.contains('.') && !t.contains('\\')).collect();
    match (domains.as_slice(), action) {
        ([], _) => Ok(Selection::Ids(args.targets.clone())),
        ([domain], QueueOp::Retry) if args.targets.len() == 1 => {
            let target =
                Target::parse(domain).map_err(|err| CliError::Input(format!("{}: {err}", escape_str(domain))))?;
            Ok(Selection::Domain(target.domain))
        }
        (_, QueueOp::Retry) => {
            Err(CliError::Input("queue retry takes one domain or queue ids, not several domains or both".into()))
        }
        ([domain, ..], _) => Err(CliError::Input(format!(
            "queue {} takes queue ids, and {} is not one (only retry takes a domain)",
            action.as_str(),
            escape_str(domain)
        ))),
    }
}

/// Refuses an id that is not `mta`'s syntax (exit 2).
fn check_ids(mta: Mta, ids: &[String]) -> Result<(), CliError> {
    for id in ids {
        actions::id::check(mta, id).map_err(|err| CliError::Input(err.to_string()))?;
    }
    Ok(())
}

/// Asks y/N on the terminal, naming the command and the message count; without a terminal the
/// change needs `--yes`.
fn confirm(plan: &Plan) -> Result<(), CliError> {
    let question = plan.question();
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err(CliError::Input(format!(
            "queue {} needs --yes when there is no terminal to ask on ({}); nothing was changed",
            plan.action.as_str(),
            plan.what()
        )));
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(CliError::Input("not confirmed; nothing was changed".into()))
    }
}

fn readable(plan: &Plan, outcome: &RunReport) -> String {
    let mut out = String::new();
    let verb = plan.action.as_str();
    for done in &outcome.done {
        let _ = writeln!(out, "done: {verb} {}", done.id);
    }
    for would in &outcome.would_run {
        let _ = writeln!(out, "would {verb} {} (demo: nothing was run)", would.id);
    }
    for not in &outcome.not_done {
        let _ = writeln!(out, "not done: {verb} {}: {}", not.id, not.reason);
    }
    if !outcome.to_run.is_empty() {
        out.push_str("mailwiz does not run PowerShell; run these in the Exchange Management Shell:\n");
        for line in &outcome.to_run {
            let _ = writeln!(out, "  {line}");
        }
    }
    out
}
