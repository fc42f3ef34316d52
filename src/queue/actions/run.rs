//! Runs a plan's commands one by one: argv without a shell, stdin closed, each under the
//! timeout; says per id what was done and what was not, and why.

use std::time::Duration;

use serde::Serialize;

use super::{Plan, QueueCommand};
use crate::context::Context;
use crate::mta_command::{self, RunError};
use crate::session::EventKind;
use crate::session::escape::escape_str;

/// A message acted on, and the command that did it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Done {
    pub id: String,
    pub command: String,
}

/// A message left alone, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotDone {
    pub id: String,
    pub reason: String,
}

/// What running a plan did. Printed lines (Exchange) are in `to_run`, neither done nor failed.
/// In a dry run (the demo) nothing runs: the commands are in `would_run`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunReport {
    pub done: Vec<Done>,
    pub not_done: Vec<NotDone>,
    pub to_run: Vec<String>,
    pub dry_run: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub would_run: Vec<Done>,
}

/// Runs `plan` under the configured command timeout and journals every command line before it
/// runs and every message done or not done after. In the demo nothing runs (a dry run): the
/// commands are only shown and journaled.
pub async fn execute(ctx: &Context, plan: &Plan, shown: &mut (dyn FnMut(&str) + Send)) -> RunReport {
    let journal = ctx.journal.clone();
    let verb = if ctx.demo { "would run (demo: nothing is run)" } else { "running" };
    let mut tell = |line: &str| {
        journal.log(EventKind::Info, format!("queue: {verb} {line}"));
        shown(line);
    };
    let outcome = run(plan, ctx.config.queue.command_timeout(), ctx.demo, &mut tell).await;
    for done in &outcome.done {
        ctx.journal
            .log(EventKind::Info, format!("queue: {} {}: done ({})", plan.action.as_str(), done.id, done.command));
    }
    for not in &outcome.not_done {
        ctx.journal
            .log(EventKind::Error, format!("queue: {} {}: not done: {}", plan.action.as_str(), not.id, not.reason));
    }
    for line in &outcome.to_run {
        ctx.journal.log(EventKind::Info, format!("queue: to run in the Exchange Management Shell: {line}"));
    }
    outcome
}

/// Bytes of a command's output kept to explain a failure.
const OUTPUT_CAP: usize = 4096;

/// Runs `plan`, telling `shown` each command line just before it runs; with `dry_run` only
/// tells it, and runs nothing.
pub async fn run(plan: &Plan, timeout: Duration, dry_run: bool, shown: &mut (dyn FnMut(&str) + Send)) -> RunReport {
    let mut outcome = RunReport { not_done: plan.not_done.clone(), dry_run, ..RunReport::default() };
    for command in &plan.commands {
        let line = command.line();
        if command.print_only {
            outcome.to_run.push(line);
            continue;
        }
        shown(&line);
        if dry_run {
            outcome.would_run.extend(command.ids.iter().map(|id| Done { id: id.clone(), command: line.clone() }));
            continue;
        }
        match run_one(command, timeout).await {
            Ok(()) => outcome.done.extend(command.ids.iter().map(|id| Done { id: id.clone(), command: line.clone() })),
            Err(reason) => {
                outcome
                    .not_done
                    .extend(command.ids.iter().map(|id| NotDone { id: id.clone(), reason: reason.clone() }));
            }
        }
    }
    outcome
}

/// Runs one command; the error is one sentence naming the command.
async fn run_one(command: &QueueCommand, timeout: Duration) -> Result<(), String> {
    let line = command.line();
    let Some((program, args)) = command.argv.split_first() else { return Err("an empty command".into()) };
    let path = mta_command::find(program).ok_or_else(|| format!("{program} was not found, so {line} did not run"))?;
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = match mta_command::run(&path, &args, timeout, OUTPUT_CAP).await {
        Err(RunError::TimedOut) => {
            return Err(format!("{line} did not finish within {} seconds", timeout.as_secs_f64()));
        }
        Err(RunError::Start(err)) => return Err(format!("cannot run {}: {err}", path.display())),
        Ok(output) => output,
    };
    let mut said = String::from_utf8_lossy(&output.stderr).into_owned();
    said.push_str(&String::from_utf8_lossy(&output.stdout));
    let first = said.lines().map(str::trim).find(|l| !l.is_empty()).map(escape_str).unwrap_or_default();
    if !output.status.success() {
        let code = output.status.code().map_or_else(|| "a signal".to_string(), |c| format!("exit status {c}"));
        let said = if first.is_empty() { String::new() } else { format!(": {first}") };
        return Err(format!("{line} failed with {code}{said}"));
    }
    if program == "postsuper" && postsuper_count(&said) == Some(0) {
        return Err(format!("{line} changed no message: it is not in the queue, or already in that state"));
    }
    Ok(())
}

/// The count of postsuper's summary line (`postsuper: Placed on hold: 1 message`).
pub fn postsuper_count(output: &str) -> Option<u64> {
    output.lines().rev().find_map(|line| {
        let (_, tail) = line.rsplit_once(": ")?;
        let number = tail.strip_suffix(" messages").or_else(|| tail.strip_suffix(" message"))?;
        number.trim().parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn postsuper_summaries_are_counted() {
        assert_eq!(postsuper_count("postsuper: X: placed on hold\npostsuper: Placed on hold: 1 message\n"), Some(1));
        assert_eq!(postsuper_count("postsuper: Deleted: 0 messages\n"), Some(0));
        assert_eq!(postsuper_count("postsuper: warning: something\n"), None);
    }

    proptest! {
        #[test]
        fn postsuper_output_of_any_bytes_is_read_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let text = String::from_utf8_lossy(&bytes);
            let _ = postsuper_count(&text);
        }
    }
}
