//! Jobs: engine work a step asks for, run by the front end's runtime, reporting back as events.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::StepId;
use crate::context::Context;

/// Identifies one job; steps keep the id of the job they wait for and drop events of others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(pub u64);

impl JobId {
    /// A process-wide unique id.
    pub fn fresh() -> JobId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        JobId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// A payload a job sends to its step; the step downcasts it to the type its job sends.
pub type Payload = Box<dyn Any + Send>;

/// One message from a job to its step.
#[derive(Debug)]
pub struct JobEvent {
    pub job: JobId,
    pub step: StepId,
    pub payload: Payload,
    /// True for the job's last event.
    pub done: bool,
}

impl JobEvent {
    /// The payload as `T`, if it is one.
    pub fn take<T: 'static>(self) -> Option<T> {
        self.payload.downcast::<T>().ok().map(|b| *b)
    }
}

/// What a running job gets: its id, a way to report, a cancellation signal, and the context.
#[derive(Clone)]
pub struct JobCtx {
    pub id: JobId,
    pub step: StepId,
    pub ctx: Context,
    pub cancel: CancellationToken,
    events: UnboundedSender<JobEvent>,
}

impl JobCtx {
    /// A job context reporting to `events`.
    pub fn new(
        id: JobId,
        step: StepId,
        ctx: Context,
        cancel: CancellationToken,
        events: UnboundedSender<JobEvent>,
    ) -> JobCtx {
        JobCtx { id, step, ctx, cancel, events }
    }

    /// Sends an intermediate event (a reply line, a progress figure).
    pub fn emit<T: Any + Send>(&self, payload: T) {
        self.send(Box::new(payload), false);
    }

    /// Sends the job's final event.
    pub fn finish<T: Any + Send>(&self, payload: T) {
        self.send(Box::new(payload), true);
    }

    fn send(&self, payload: Payload, done: bool) {
        // The receiver is gone only when the front end is shutting down.
        let _ = self.events.send(JobEvent { job: self.id, step: self.step, payload, done });
    }
}

/// The body of a job.
pub type JobFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Engine work a step asks the runtime to run.
pub struct Job {
    pub id: JobId,
    pub step: StepId,
    /// What it does, for the status line ("MX lookup for bank.example").
    pub label: String,
    pub run: Box<dyn FnOnce(JobCtx) -> JobFuture + Send>,
}

impl Job {
    /// A job of `step` running `body`. The step keeps `job.id` to recognise its events.
    pub fn new<F, Fut>(step: StepId, label: impl Into<String>, body: F) -> Job
    where
        F: FnOnce(JobCtx) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Job { id: JobId::fresh(), step, label: label.into(), run: Box::new(move |jc| Box::pin(body(jc))) }
    }
}

/// Runs `job` to its end outside any front end and returns every event it sent; for tests and
/// headless use.
pub async fn run_collect(job: Job, ctx: Context) -> Vec<JobEvent> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let jc = JobCtx::new(job.id, job.step, ctx, CancellationToken::new(), tx);
    (job.run)(jc).await;
    let mut events = Vec::new();
    while let Ok(event) = rx.try_recv() {
        events.push(event);
    }
    events
}
