//! Step 1 acting on the queue: retry, hold, release or delete the selected domain or message
//! with the MTA's own commands, after a confirmation naming the command and the message count;
//! after a retry, the queue is re-read until the domain's messages have left (or a bound).

use std::time::Duration;

use super::{Job, JobKind, Row, StepId, Tone};
use crate::queue::QueueReport;
use crate::queue::actions::{self, Mta, Plan, QueueOp, RunReport, Selection};
use crate::session::escape::escape_str;

/// Re-reads of the queue while watching a retry, at most.
pub const WATCH_ROUNDS: u32 = 15;
/// Time between re-reads while watching.
pub const WATCH_EVERY: Duration = Duration::from_secs(2);

/// What the action job reports.
#[derive(Debug)]
pub struct Acted(pub Plan, pub RunReport);

/// The domain whose messages are watched after a retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watching {
    pub domain: String,
    pub rounds: u32,
}

/// Where acting stands: the plan waiting for its confirmation, the last result, the watch.
#[derive(Debug, Default)]
pub struct Acting {
    /// The plan waiting for its confirmation, and the domain to watch when it is a retry of one.
    pub pending: Option<(Plan, Option<String>)>,
    pub last: Option<(Plan, RunReport)>,
    pub watching: Option<Watching>,
    /// How the last watch ended, or why an action could not be planned.
    pub note: Option<(Tone, String)>,
}

/// The MTA whose commands act on the queue `report` was read from: the local MTA's live queue,
/// or an Exchange listing (whose commands are only printed), or in the demo the world's listing
/// (a dry run). A listing read from a file of another MTA is not acted on: the ids might not be
/// this machine's.
pub fn mta_of(report: &QueueReport, demo: bool) -> Result<Mta, String> {
    let live = matches!(report.source.split_whitespace().next(), Some("postqueue" | "exim" | "exim4" | "mailq"));
    match (report.format.spec().mta, live || demo) {
        (Mta::Exchange, _) => Ok(Mta::Exchange),
        (mta, true) => Ok(mta),
        (_, false) => Err("This queue was read from a file: mailwiz acts only on the local MTA's live queue.".into()),
    }
}

/// Plans `action` on `selection` of the loaded queue.
pub fn plan(report: &QueueReport, action: QueueOp, selection: &Selection, demo: bool) -> Result<Plan, String> {
    let mta = mta_of(report, demo)?;
    let plan = actions::plan(mta, action, selection, Some(&report.entries));
    if plan.commands.is_empty() {
        let why = plan.not_done.first().map_or_else(|| "no message is selected".to_string(), |n| n.reason.clone());
        return Err(format!("Nothing to {}: {}", action.as_str(), escape_str(&why)));
    }
    Ok(plan)
}

/// The job that runs a confirmed plan (journaling every command) and reports the outcome.
pub fn job(plan: Plan) -> Job {
    let label = format!("{} {} message(s)", plan.action.as_str(), plan.messages);
    Job::new(StepId::Queue, label, |jc| async move {
        let outcome = actions::execute(&jc.ctx, &plan, &mut |_| {}).await;
        jc.finish(Acted(plan, outcome));
    })
    .of_kind(JobKind::Action)
}

impl Acting {
    /// Rows above the queue: the last action's result and the watch.
    pub fn rows(&self) -> Vec<Row> {
        let mut rows = Vec::new();
        if let Some((plan, outcome)) = &self.last {
            let tone = if outcome.not_done.is_empty() { Tone::Ok } else { Tone::Warn };
            if outcome.dry_run {
                rows.push(Row::new(
                    tone,
                    format!("Demo: {} with {} would run — nothing was run", plan.action.as_str(), plan.mta.name()),
                ));
                let mut lines: Vec<&str> = outcome.would_run.iter().map(|w| w.command.as_str()).collect();
                lines.dedup();
                rows.extend(lines.into_iter().map(|line| Row::new(Tone::Explain, format!("  $ {line}"))));
            } else {
                rows.push(Row::new(
                    tone,
                    format!(
                        "Last action: {} with {} — {} done, {} not done",
                        plan.action.as_str(),
                        plan.mta.name(),
                        outcome.done.len(),
                        outcome.not_done.len()
                    ),
                ));
            }
            for not in outcome.not_done.iter().take(5) {
                rows.push(Row::wrapped(Tone::Warn, format!("  not done: {}: {}", not.id, not.reason), 4));
            }
            if !outcome.to_run.is_empty() {
                rows.push(Row::new(Tone::Heading, "  Run in the Exchange Management Shell:"));
                rows.extend(outcome.to_run.iter().map(|l| Row::new(Tone::Explain, format!("    {l}"))));
            }
        }
        if let Some(watch) = &self.watching {
            rows.push(Row::new(
                Tone::Dim,
                format!("Watching the queue for {} (re-read {} of {})…", watch.domain, watch.rounds, WATCH_ROUNDS),
            ));
        }
        if let Some((tone, text)) = &self.note {
            rows.push(Row::wrapped(*tone, text.clone(), 2));
        }
        rows
    }
}
