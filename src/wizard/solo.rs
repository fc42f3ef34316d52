//! One step driven without a front end, with a job table of its own: what the terminal's bridge
//! does for the seven steps, for tests and headless use. Every job the step spawns is registered;
//! its events reach the step while it owns the job.

use std::ops::{Deref, DerefMut};
use std::time::Duration;

use super::job_table::{self, JobTable, Running};
use super::{Effect, JobEvent, JobId, Request, Step, StepKey, StepStatus, StepView, Undelivered};
use crate::context::Context;
use crate::session::Session;

/// A step and the table of its jobs. Derefs to the step for what is its own.
#[derive(Debug, Default)]
pub struct SoloStep<S> {
    step: S,
    jobs: JobTable,
}

impl<S: Step> SoloStep<S> {
    /// `step` with no job running.
    pub fn new(step: S) -> SoloStep<S> {
        SoloStep { step, jobs: JobTable::default() }
    }

    /// The step's jobs.
    pub fn jobs(&self) -> &JobTable {
        &self.jobs
    }

    fn spawned(&mut self, effects: Vec<Effect>) -> Vec<Effect> {
        for effect in &effects {
            if let Effect::Spawn(job) = effect {
                self.jobs.register(job, Duration::ZERO);
            }
        }
        effects
    }

    /// Where the step stands: running while any job of it runs.
    pub fn status(&self) -> StepStatus {
        job_table::shown_status(&self.step, self.jobs.of(self.step.id()))
    }

    /// What the step shows.
    pub fn view(&self, session: &Session) -> StepView {
        self.step.view(session, self.jobs.of(self.step.id()))
    }

    /// The step's own keys now.
    pub fn keys(&self) -> Vec<StepKey> {
        self.step.keys(self.jobs.of(self.step.id()))
    }

    /// Enter.
    pub fn run(&mut self, session: &mut Session, ctx: &Context) -> Vec<Effect> {
        let effects = self.step.run(session, ctx, self.jobs.of(self.step.id()));
        self.spawned(effects)
    }

    /// A typed line.
    pub fn submit(&mut self, line: &str, session: &mut Session, ctx: &Context) -> Vec<Effect> {
        let effects = self.step.submit(line, session, ctx, self.jobs.of(self.step.id()));
        self.spawned(effects)
    }

    /// The step's key `key`.
    pub fn key(&mut self, key: char, session: &mut Session, ctx: &Context) -> Vec<Effect> {
        let effects = self.step.key(key, session, ctx, self.jobs.of(self.step.id()));
        self.spawned(effects)
    }

    /// The answer to the step's question.
    pub fn confirmed(&mut self, yes: bool, session: &mut Session, ctx: &Context) -> Vec<Effect> {
        let effects = self.step.confirmed(yes, session, ctx, self.jobs.of(self.step.id()));
        self.spawned(effects)
    }

    /// A request from another step.
    pub fn request(&mut self, request: Request, session: &mut Session, ctx: &Context) -> Vec<Effect> {
        let effects = self.step.request(request, session, ctx, self.jobs.of(self.step.id()));
        self.spawned(effects)
    }

    /// A job's event: to the step while it owns the job.
    pub fn on_event(&mut self, event: JobEvent, session: &mut Session) -> Vec<Effect> {
        let effects = job_table::deliver(&mut self.step, &mut self.jobs, event, session);
        self.spawned(effects)
    }

    /// Esc: cancels every job of the step and returns them.
    pub fn cancel(&mut self, session: &mut Session) -> Vec<Running> {
        job_table::cancel(&mut self.step, &mut self.jobs, session)
    }

    /// A line for console job `job` was not delivered.
    pub fn undelivered(&mut self, job: JobId, why: Undelivered) {
        job_table::undelivered(&mut self.step, &mut self.jobs, job, why);
    }
}

impl<S> Deref for SoloStep<S> {
    type Target = S;

    fn deref(&self) -> &S {
        &self.step
    }
}

impl<S> DerefMut for SoloStep<S> {
    fn deref_mut(&mut self) -> &mut S {
        &mut self.step
    }
}
