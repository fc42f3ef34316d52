//! The job table: the one record of which jobs run, for which step, since when. A spawn
//! registers a job; its last event, its failure or a cancel retires it. A step asks the table
//! what it has running ([`Jobs`]) and is handed only events of jobs it still owns, so it keeps no
//! job ids of its own. The table does no I/O: the runtime holds each job's cancel token and
//! input channel and acts on what the table decided, through commands.

use std::time::Duration;

use super::job::{Job, JobEvent, JobId, JobKind, Undelivered};
use super::{Effect, Step, StepId, StepStatus};
use crate::session::Session;

/// A job the table holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Running {
    pub id: JobId,
    pub step: StepId,
    pub kind: JobKind,
    /// What it does, for the status line.
    pub label: String,
    /// When it started, on the front end's clock (elapsed seconds beside the spinner).
    pub started: Duration,
    /// A newer job of its step and kind replaced it: it still runs (and keeps the spinner
    /// turning) until its last event, but its events are dropped.
    pub superseded: bool,
}

/// Every job that runs, oldest first.
#[derive(Debug, Default)]
pub struct JobTable {
    running: Vec<Running>,
}

/// The table with no job, for a step's keys in any state.
static EMPTY: JobTable = JobTable { running: Vec::new() };

impl JobTable {
    /// Registers `job`, spawned at `now`; it supersedes its step's current job of its kind.
    pub fn register(&mut self, job: &Job, now: Duration) {
        if job.kind.supersedes() {
            for running in &mut self.running {
                running.superseded |= running.step == job.step && running.kind == job.kind;
            }
        }
        self.running.push(Running {
            id: job.id,
            step: job.step,
            kind: job.kind,
            label: job.label.clone(),
            started: now,
            superseded: false,
        });
    }

    /// `event` when its step still waits for it; `None` for a job cancelled, retired or
    /// superseded. A job's last event retires it either way.
    pub fn admit(&mut self, event: JobEvent) -> Option<JobEvent> {
        let at = self.running.iter().position(|r| r.id == event.job)?;
        let owned = !self.running[at].superseded;
        if event.done {
            self.running.remove(at);
        }
        owned.then_some(event)
    }

    /// Retires `job` (it failed, or no longer takes lines): its later events are dropped.
    pub fn retire(&mut self, job: JobId) -> Option<Running> {
        let at = self.running.iter().position(|r| r.id == job)?;
        Some(self.running.remove(at))
    }

    /// Retires every job of `step`, and returns them: exactly these are to be cancelled.
    pub fn cancel(&mut self, step: StepId) -> Vec<Running> {
        let (cancelled, kept) = std::mem::take(&mut self.running).into_iter().partition(|r| r.step == step);
        self.running = kept;
        cancelled
    }

    /// What `step` has running.
    pub fn of(&self, step: StepId) -> Jobs<'_> {
        Jobs { step, table: self }
    }

    /// Whether any job runs.
    pub fn busy(&self) -> bool {
        !self.running.is_empty()
    }

    /// The jobs, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Running> {
        self.running.iter()
    }

    /// The job `id`, while it runs.
    pub fn get(&self, id: JobId) -> Option<&Running> {
        self.running.iter().find(|r| r.id == id)
    }
}

/// One step's view of the table.
#[derive(Debug, Clone, Copy)]
pub struct Jobs<'a> {
    step: StepId,
    table: &'a JobTable,
}

impl<'a> Jobs<'a> {
    /// No job, for what a step shows or binds whatever runs.
    pub fn none(step: StepId) -> Jobs<'static> {
        Jobs { step, table: &EMPTY }
    }

    fn current(&self) -> impl Iterator<Item = &'a Running> {
        let step = self.step;
        self.table.running.iter().filter(move |r| r.step == step && !r.superseded)
    }

    /// Whether a job of `kind` runs for the step (one superseded does not count).
    pub fn running(&self, kind: JobKind) -> bool {
        self.current().any(|r| r.kind == kind)
    }

    /// How many jobs of `kind` run for the step.
    pub fn count(&self, kind: JobKind) -> usize {
        self.current().filter(|r| r.kind == kind).count()
    }

    /// The step's current job of `kind` (the newest).
    pub fn id(&self, kind: JobKind) -> Option<JobId> {
        self.current().filter(|r| r.kind == kind).last().map(|r| r.id)
    }

    /// Whether any job of the step runs, superseded ones included.
    pub fn any(&self) -> bool {
        self.table.running.iter().any(|r| r.step == self.step)
    }
}

/// The status a step shows: running while a job of it runs (one superseded does not count),
/// else what its results say.
pub fn shown_status(step: &dyn Step, jobs: Jobs<'_>) -> StepStatus {
    if jobs.current().next().is_some() { StepStatus::Running } else { step.status() }
}

/// Hands `event` to `step` (the step of its job) while the step owns the job.
pub(crate) fn deliver(
    step: &mut dyn Step,
    table: &mut JobTable,
    event: JobEvent,
    session: &mut Session,
) -> Vec<Effect> {
    match table.admit(event) {
        Some(event) => step.on_event(event, session, table.of(step.id())),
        None => Vec::new(),
    }
}

/// Cancels every job of `step`: retired from `table` and returned (exactly these are to be
/// stopped); the step hears which kinds.
pub(crate) fn cancel(step: &mut dyn Step, table: &mut JobTable, session: &mut Session) -> Vec<Running> {
    let cancelled = table.cancel(step.id());
    if !cancelled.is_empty() {
        let kinds: Vec<JobKind> = cancelled.iter().map(|r| r.kind).collect();
        step.cancelled(&kinds, session);
    }
    cancelled
}

/// A line sent to console job `job` of `step` did not reach it; a job that takes no more lines
/// is retired, so the next line starts a new one.
pub(crate) fn undelivered(step: &mut dyn Step, table: &mut JobTable, job: JobId, why: Undelivered) {
    if why == Undelivered::Ended {
        table.retire(job);
    }
    step.undelivered(why);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wizard::job::Payload;

    fn job(step: StepId, kind: JobKind) -> Job {
        Job::new(step, "job", |_| async {}).of_kind(kind)
    }

    fn event(job: JobId, step: StepId, done: bool) -> JobEvent {
        JobEvent { job, step, payload: Payload::Empty, done }
    }

    #[test]
    fn a_last_event_retires_its_job_and_a_superseded_jobs_events_are_dropped() {
        let mut table = JobTable::default();
        let (first, second) = (job(StepId::Mx, JobKind::Run), job(StepId::Mx, JobKind::Run));
        table.register(&first, Duration::ZERO);
        assert_eq!(table.of(StepId::Mx).id(JobKind::Run), Some(first.id));
        table.register(&second, Duration::ZERO);
        assert_eq!(table.of(StepId::Mx).id(JobKind::Run), Some(second.id));
        assert!(table.admit(event(first.id, StepId::Mx, false)).is_none(), "superseded");
        assert!(table.admit(event(first.id, StepId::Mx, true)).is_none());
        assert!(table.get(first.id).is_none(), "its last event retired it");
        assert!(table.admit(event(second.id, StepId::Mx, false)).is_some());
        assert!(table.get(second.id).is_some());
        assert!(table.admit(event(second.id, StepId::Mx, true)).is_some());
        assert!(!table.busy());
        assert!(table.admit(event(second.id, StepId::Mx, true)).is_none(), "a retired job's event is stale");
    }

    #[test]
    fn lookups_run_side_by_side_and_a_cancel_retires_exactly_the_steps_jobs() {
        let mut table = JobTable::default();
        let lookups = [job(StepId::Mx, JobKind::Lookup), job(StepId::Mx, JobKind::Lookup)];
        let other = job(StepId::Smtp, JobKind::Console);
        for job in lookups.iter().chain([&other]) {
            table.register(job, Duration::ZERO);
        }
        assert_eq!(table.of(StepId::Mx).count(JobKind::Lookup), 2);
        assert!(!table.of(StepId::Mx).running(JobKind::Run));
        let cancelled: Vec<JobId> = table.cancel(StepId::Mx).into_iter().map(|r| r.id).collect();
        assert_eq!(cancelled, [lookups[0].id, lookups[1].id]);
        assert!(table.admit(event(lookups[0].id, StepId::Mx, true)).is_none());
        assert!(table.of(StepId::Smtp).running(JobKind::Console));
        assert!(!Jobs::none(StepId::Smtp).any());
    }
}
