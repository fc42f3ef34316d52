//! Jobs: engine work a step asks for, run by the front end's runtime, reporting back as events.
//! Which jobs run is kept in one place, the [`JobTable`](super::job_table::JobTable).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::mpsc::{self, UnboundedSender};
use tokio_util::sync::CancellationToken;

use super::StepId;
use crate::context::Context;

/// Identifies one job; the job table keeps it from the spawn to the job's last event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(pub u64);

impl JobId {
    /// A process-wide unique id.
    pub fn fresh() -> JobId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        JobId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// What a job may send its step. A type is a job message when it is listed here: a job can send
/// nothing else, and a step takes back only what some job sends.
pub trait Message: Send + Sized + 'static {
    /// `self` as a payload.
    fn wrap(self) -> Payload;
    /// The message in `payload`, if it holds one of this type.
    fn unwrap(payload: Payload) -> Option<Self>;
    /// Whether `payload` holds a message of this type.
    fn held_by(payload: &Payload) -> bool;
}

/// Declares [`Payload`] with one variant per message type, and each type's [`Message`] impl.
macro_rules! payloads {
    ($($(#[$doc:meta])* $variant:ident($ty:ty),)*) => {
        /// A message from a job to its step, typed (boxed: the messages differ much in size).
        pub enum Payload {
            /// Nothing more to say (a job that only ends).
            Empty,
            $($(#[$doc])* $variant(Box<$ty>),)*
        }

        impl std::fmt::Debug for Payload {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self {
                    Payload::Empty => f.write_str("Empty"),
                    $(Payload::$variant(_) => f.write_str(stringify!($variant)),)*
                }
            }
        }

        impl Message for () {
            fn wrap(self) -> Payload {
                Payload::Empty
            }
            fn unwrap(payload: Payload) -> Option<()> {
                matches!(payload, Payload::Empty).then_some(())
            }
            fn held_by(payload: &Payload) -> bool {
                matches!(payload, Payload::Empty)
            }
        }

        $(impl Message for $ty {
            fn wrap(self) -> Payload {
                Payload::$variant(Box::new(self))
            }
            fn unwrap(payload: Payload) -> Option<$ty> {
                match payload {
                    Payload::$variant(message) => Some(*message),
                    _ => None,
                }
            }
            fn held_by(payload: &Payload) -> bool {
                matches!(payload, Payload::$variant(_))
            }
        })*
    };
}

payloads! {
    /// Step 1: the queue read.
    Queue(super::queue::QueueEvent),
    /// Step 1: a queue action done.
    QueueActed(super::queue_act::Acted),
    /// Step 1: a bounce given at `bounce>`, read.
    BounceRead(super::bounce_input::BounceRead),
    /// Step 2: the MX analysis.
    MxAnalysis(super::mx::AnalysisDone),
    /// Step 2: a console lookup.
    MxConsole(super::mx::ConsoleDone),
    /// Step 3: progress and the logs read.
    Logs(super::logs::LogsEvent),
    /// Step 3: what following the logs saw since the last poll.
    LogsFollowed(super::logs_follow::Followed),
    /// Step 4: a line or event of the console.
    SmtpConsole(crate::smtp::session::ConsoleEvent),
    /// Step 4: the console ended.
    SmtpConsoleEnded(super::smtp::ConsoleEnded),
    /// Step 4: the probes.
    SmtpProbed(super::smtp::Probed),
    /// Step 5: who we are.
    Identity(super::identity::IdentityOutcome),
    /// Step 5: whether our mail authenticates.
    Auth(super::identity::AuthOutcome),
    /// Step 6: the block lists.
    Blocklists(super::blocklists::BlocklistOutcome),
    /// Step 7: a name that resolves to our address.
    MailName(super::diagnosis::MailName),
}

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
    pub fn take<T: Message>(self) -> Option<T> {
        T::unwrap(self.payload)
    }

    /// Whether the payload is a `T` (a step with two kinds of job tells their events apart).
    pub fn is<T: Message>(&self) -> bool {
        T::held_by(&self.payload)
    }
}

/// What a job is to its step. A step has at most one current job of each kind but
/// [`JobKind::Lookup`]: a new one supersedes the last, whose events are then dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// The step's automatic part (Enter).
    Run,
    /// A console session that takes typed lines ([`Job::console`]).
    Console,
    /// One console lookup; several may run at once.
    Lookup,
    /// A change to the queue.
    Action,
    /// Following the logs as they are written.
    Follow,
    /// Reading what the user gave the step (step 1's bounce, a file or pasted text).
    Read,
}

impl JobKind {
    /// Whether a new job of this kind supersedes the step's last one.
    pub fn supersedes(self) -> bool {
        self != JobKind::Lookup
    }
}

/// Why a typed line did not reach a console job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undelivered {
    /// The job has not read the lines before it yet.
    Busy,
    /// The job no longer takes lines (it ended, or its input was closed).
    Ended,
}

/// How many typed lines wait for a console job at most.
const CONSOLE_BACKLOG: usize = 64;

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
    pub fn emit<T: Message>(&self, payload: T) {
        self.send(payload.wrap(), false);
    }

    /// Sends the job's final event.
    pub fn finish<T: Message>(&self, payload: T) {
        self.send(payload.wrap(), true);
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
    pub kind: JobKind,
    /// What it does, for the status line ("MX lookup for bank.example").
    pub label: String,
    pub run: Box<dyn FnOnce(JobCtx) -> JobFuture + Send>,
    /// Where typed lines go to a console job: the runtime takes it at the spawn and is the only
    /// one to send on it ([`super::Effect::Send`]).
    pub input: Option<mpsc::Sender<String>>,
}

impl Job {
    /// A job of `step` running `body`, of kind [`JobKind::Run`].
    pub fn new<F, Fut>(step: StepId, label: impl Into<String>, body: F) -> Job
    where
        F: FnOnce(JobCtx) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Job {
            id: JobId::fresh(),
            step,
            kind: JobKind::Run,
            label: label.into(),
            run: Box::new(move |jc| Box::pin(body(jc))),
            input: None,
        }
    }

    /// A console job of `step`: `body` reads the lines typed for it until its input closes.
    pub fn console<F, Fut>(step: StepId, label: impl Into<String>, body: F) -> Job
    where
        F: FnOnce(JobCtx, mpsc::Receiver<String>) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (tx, rx) = mpsc::channel(CONSOLE_BACKLOG);
        Job { input: Some(tx), ..Job::new(step, label, move |jc| body(jc, rx)).of_kind(JobKind::Console) }
    }

    /// The job as one of `kind`.
    #[must_use]
    pub fn of_kind(self, kind: JobKind) -> Job {
        Job { kind, ..self }
    }
}

/// Runs `job` to its end outside any front end and returns every event it sent; for tests and
/// headless use.
pub async fn run_collect(job: Job, ctx: Context) -> Vec<JobEvent> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let Job { id, step, run, input, .. } = job;
    // No one types: a console job reads the end of its input at once.
    drop(input);
    let jc = JobCtx::new(id, step, ctx, CancellationToken::new(), tx);
    run(jc).await;
    let mut events = Vec::new();
    while let Ok(event) = rx.try_recv() {
        events.push(event);
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wizard::diagnosis::MailName;
    use crate::wizard::logs_follow::Followed;

    #[tokio::test]
    async fn a_step_takes_back_the_type_its_job_sent_and_nothing_else() {
        let job = Job::new(StepId::Diagnosis, "name", |jc| async move {
            jc.emit(Followed(Vec::new()));
            jc.finish(MailName(Some("mail.example.com".into())));
        });
        let ctx = Context::new(crate::config::Config::default());
        let mut events = run_collect(job, ctx).await.into_iter();
        let (first, last) = (events.next().unwrap(), events.next().unwrap());
        assert!(!first.done && last.done);
        assert!(first.take::<MailName>().is_none(), "another type's message is not taken");
        assert_eq!(last.take::<MailName>().and_then(|m| m.0).as_deref(), Some("mail.example.com"));
    }
}
