//! The seven steps as UI-free state: what each step shows, what Enter does, which engine call it
//! makes. Front ends render [`StepView`]s and feed [`JobEvent`]s back; the [`Wizard`] keeps the
//! one [`JobTable`] of what runs for which step. Nothing here draws or performs I/O.

pub mod blocklists;
pub mod bounce_input;
pub mod diagnosis;
pub mod identity;
pub mod job;
pub mod job_table;
pub mod logs;
pub mod logs_follow;
pub mod mx;
pub mod postmaster_note;
pub mod queue;
pub mod queue_act;
pub mod smtp;
pub mod solo;
pub mod view;

use crate::context::Context;
use crate::session::{Event, Session};

pub use crate::session::StepId;
pub use job::{Job, JobCtx, JobEvent, JobId, JobKind, Undelivered};
pub use job_table::{JobTable, Jobs, Running};
pub use solo::SoloStep;
pub use view::{Row, StepView, Tone};

/// Where a step stands; shown in the step list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    /// Not run yet.
    Idle,
    /// A job is running.
    Running,
    /// Ran; findings recorded.
    Done,
    /// Ran and could not complete (the view says why).
    Failed,
}

impl StepStatus {
    /// The status of a step whose last run succeeded (`Some(true)`), failed (`Some(false)`) or
    /// never happened (`None`).
    pub fn after(last: Option<bool>) -> StepStatus {
        match last {
            Some(true) => StepStatus::Done,
            Some(false) => StepStatus::Failed,
            None => StepStatus::Idle,
        }
    }
}

/// What a step asks the front end to do.
pub enum Effect {
    /// Run an engine job; its events come back through [`Step::on_event`].
    Spawn(Job),
    /// Send a typed line to the console job `job` of `step`; a line it cannot take comes back
    /// through [`Step::undelivered`].
    Send { step: StepId, job: JobId, line: String },
    /// Close the input of the console job `job`: it ends once it has read what it was sent.
    CloseInput(JobId),
    /// Write an event to the journal before the next draw.
    Record(Event),
    /// Move to another step.
    Goto(StepId),
    /// Ask the user a yes/no question on the input line; the answer comes back through
    /// [`Step::confirmed`] of the step that asked.
    Confirm { step: StepId, question: String },
    /// Ask another step to do something (step 7 asks step 1 to retry and step 3 to follow).
    Request(StepId, Request),
    /// Leave the input line for navigation (a console's `exit`).
    LeaveInput,
    /// Open the input line on the step's console (step 1's `bounce>` prompt, opened by `o`).
    OpenInput,
    /// One sentence for the status line: what a step's action came to (a bounce read or refused).
    Status(Tone, String),
}

/// What one step may ask of another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Step 1: retry the queued mail to this domain now (after asking), then watch it leave.
    RetryDomain(String),
    /// Step 3: follow the logs as they are written.
    Follow,
    /// Any step: run the automatic part unless it has run or is running (step 7 asks this of
    /// the steps it needs).
    RunIfIdle,
    /// Step 7: the steps it asked to run have finished; diagnose now if it was waiting.
    Settled,
}

impl std::fmt::Debug for Effect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Effect::Spawn(job) => write!(f, "Spawn({:?} {})", job.step, job.label),
            Effect::Send { job, line, .. } => write!(f, "Send({} {line:?})", job.0),
            Effect::CloseInput(job) => write!(f, "CloseInput({})", job.0),
            Effect::Record(event) => write!(f, "Record({:?})", event.kind),
            Effect::Goto(step) => write!(f, "Goto({step:?})"),
            Effect::Confirm { step, question } => write!(f, "Confirm({step:?} {question})"),
            Effect::Request(step, request) => write!(f, "Request({step:?} {request:?})"),
            Effect::LeaveInput => write!(f, "LeaveInput"),
            Effect::OpenInput => write!(f, "OpenInput"),
            Effect::Status(tone, text) => write!(f, "Status({tone:?} {text})"),
        }
    }
}

/// A key a step may bind in navigation mode, with its hint for the status bar and help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepKey {
    pub key: char,
    pub hint: &'static str,
}

/// One step of the wizard. Implementations hold the step's UI-free state; which of its jobs run
/// they ask of `jobs` (the [`JobTable`]'s view of the step), and they get only the events of jobs
/// they still own.
pub trait Step: Send {
    /// Which step this is.
    fn id(&self) -> StepId;

    /// Where the step's results leave it (the wizard shows it running while a job of it runs).
    fn status(&self) -> StepStatus;

    /// What the main pane shows.
    fn view(&self, session: &Session, jobs: Jobs<'_>) -> StepView;

    /// The console prompt (e.g. `"> "`, `"smtp> "`) when the step takes typed lines.
    fn prompt(&self) -> Option<String> {
        None
    }

    /// Enter in navigation mode: run the automatic part (or act on the selected row).
    fn run(&mut self, session: &mut Session, ctx: &Context, jobs: Jobs<'_>) -> Vec<Effect>;

    /// What the input history keeps of a typed line; `None` keeps nothing (a secret).
    fn history_entry(&self, line: &str) -> Option<String> {
        Some(line.to_string())
    }

    /// A line typed in the console.
    fn submit(&mut self, _line: &str, _session: &mut Session, _ctx: &Context, _jobs: Jobs<'_>) -> Vec<Effect> {
        Vec::new()
    }

    /// Text pasted into the step's console at once: true when the step takes it whole (a bounce
    /// pasted at `bounce>`); false leaves its first line to the input line.
    fn paste(&mut self, _text: &str) -> bool {
        false
    }

    /// The user left the step's console (Esc): what it was collecting is dropped.
    fn input_left(&mut self) {}

    /// A line sent with [`Effect::Send`] did not reach the console job.
    fn undelivered(&mut self, _why: Undelivered) {}

    /// A step-specific key pressed in navigation mode.
    fn key(&mut self, _key: char, _session: &mut Session, _ctx: &Context, _jobs: Jobs<'_>) -> Vec<Effect> {
        Vec::new()
    }

    /// The step's own keys, for the status bar and help.
    fn keys(&self, _jobs: Jobs<'_>) -> Vec<StepKey> {
        Vec::new()
    }

    /// The step's keys the status bar names (the help names them all): by default all of
    /// [`Step::keys`].
    fn bar_keys(&self, jobs: Jobs<'_>) -> Vec<StepKey> {
        self.keys(jobs)
    }

    /// Every key the step may bind in any state (its [`Step::keys`] at one time are some of
    /// them): what the check for keys shadowed by the global ones reads.
    fn all_keys(&self) -> Vec<StepKey> {
        self.keys(Jobs::none(self.id()))
    }

    /// The id of the finding the step's selection stands for (step 7: the cause being read), for
    /// `v` to open it rather than the finding selected in the side panel.
    fn focused_finding(&self) -> Option<&str> {
        None
    }

    /// Moves the selection (rows of a list) by `delta`; returns false when the step has no list.
    fn select(&mut self, _delta: isize) -> bool {
        false
    }

    /// An event of one of the step's jobs (its job is retired from `jobs` already when the event
    /// is its last).
    fn on_event(&mut self, event: JobEvent, session: &mut Session, jobs: Jobs<'_>) -> Vec<Effect>;

    /// Jobs of these kinds were cancelled (Esc) or failed: they will send nothing more.
    fn cancelled(&mut self, _kinds: &[JobKind], _session: &mut Session) {}

    /// The answer to this step's [`Effect::Confirm`] question.
    fn confirmed(&mut self, _yes: bool, _session: &mut Session, _ctx: &Context, _jobs: Jobs<'_>) -> Vec<Effect> {
        Vec::new()
    }

    /// A [`Request`] from another step. Every step answers [`Request::RunIfIdle`]; a step
    /// that takes other requests answers this one the same way.
    fn request(&mut self, request: Request, session: &mut Session, ctx: &Context, jobs: Jobs<'_>) -> Vec<Effect> {
        self.run_if_idle(&request, session, ctx, jobs)
    }

    /// [`Step::run`] when `request` is [`Request::RunIfIdle`] and the step has not run.
    fn run_if_idle(&mut self, request: &Request, session: &mut Session, ctx: &Context, jobs: Jobs<'_>) -> Vec<Effect> {
        if matches!(request, Request::RunIfIdle) && !jobs.running(JobKind::Run) && self.status() == StepStatus::Idle {
            self.run(session, ctx, jobs)
        } else {
            Vec::new()
        }
    }
}

/// The seven steps and the table of their jobs. Every call to a step goes through here, so the
/// step sees what it has running; the front end registers the jobs the steps spawn.
pub struct Wizard {
    steps: Vec<Box<dyn Step>>,
    jobs: JobTable,
}

impl Default for Wizard {
    fn default() -> Wizard {
        Wizard::new()
    }
}

impl Wizard {
    /// The wizard with every step in its initial state and no job.
    pub fn new() -> Wizard {
        let steps: Vec<Box<dyn Step>> = vec![
            Box::new(queue::QueueStep::default()),
            Box::new(mx::MxStep::default()),
            Box::new(logs::LogsStep::default()),
            Box::new(smtp::SmtpStep::default()),
            Box::new(identity::IdentityStep::default()),
            Box::new(blocklists::BlocklistsStep::default()),
            Box::new(diagnosis::DiagnosisStep::default()),
        ];
        debug_assert!(steps.iter().zip(StepId::ALL).all(|(s, id)| s.id() == id));
        Wizard { steps, jobs: JobTable::default() }
    }

    /// The step `id`.
    pub fn step(&self, id: StepId) -> &dyn Step {
        self.steps[id.index()].as_ref()
    }

    /// The step `id`, mutable.
    pub fn step_mut(&mut self, id: StepId) -> &mut dyn Step {
        self.steps[id.index()].as_mut()
    }

    /// The jobs that run.
    pub fn jobs(&self) -> &JobTable {
        &self.jobs
    }

    /// The jobs that run, to register a spawned one.
    pub fn jobs_mut(&mut self) -> &mut JobTable {
        &mut self.jobs
    }

    /// The step `id` and its view of the table.
    fn parts(&mut self, id: StepId) -> (&mut dyn Step, Jobs<'_>) {
        (self.steps[id.index()].as_mut(), self.jobs.of(id))
    }

    /// Where step `id` stands: running while any job of it runs.
    pub fn status(&self, id: StepId) -> StepStatus {
        job_table::shown_status(self.step(id), self.jobs.of(id))
    }

    /// What step `id` shows.
    pub fn view(&self, id: StepId, session: &Session) -> StepView {
        self.step(id).view(session, self.jobs.of(id))
    }

    /// Step `id`'s own keys now.
    pub fn keys(&self, id: StepId) -> Vec<StepKey> {
        self.step(id).keys(self.jobs.of(id))
    }

    /// Step `id`'s keys the status bar names now.
    pub fn bar_keys(&self, id: StepId) -> Vec<StepKey> {
        self.step(id).bar_keys(self.jobs.of(id))
    }

    /// Enter on step `id`.
    pub fn run(&mut self, id: StepId, session: &mut Session, ctx: &Context) -> Vec<Effect> {
        let (step, jobs) = self.parts(id);
        step.run(session, ctx, jobs)
    }

    /// A line typed in step `id`'s console.
    pub fn submit(&mut self, id: StepId, line: &str, session: &mut Session, ctx: &Context) -> Vec<Effect> {
        let (step, jobs) = self.parts(id);
        step.submit(line, session, ctx, jobs)
    }

    /// Step `id`'s own key `key`.
    pub fn key(&mut self, id: StepId, key: char, session: &mut Session, ctx: &Context) -> Vec<Effect> {
        let (step, jobs) = self.parts(id);
        step.key(key, session, ctx, jobs)
    }

    /// The answer to step `id`'s question.
    pub fn confirmed(&mut self, id: StepId, yes: bool, session: &mut Session, ctx: &Context) -> Vec<Effect> {
        let (step, jobs) = self.parts(id);
        step.confirmed(yes, session, ctx, jobs)
    }

    /// A request to step `id`.
    pub fn request(&mut self, id: StepId, request: Request, session: &mut Session, ctx: &Context) -> Vec<Effect> {
        let (step, jobs) = self.parts(id);
        step.request(request, session, ctx, jobs)
    }

    /// A job's event, to its step while the step owns the job; a last event retires the job.
    pub fn on_event(&mut self, event: JobEvent, session: &mut Session) -> Vec<Effect> {
        let step = self.steps[event.step.index()].as_mut();
        job_table::deliver(step, &mut self.jobs, event, session)
    }

    /// Cancels every job of step `id`: retired from the table and returned (exactly these are to
    /// be stopped); the step hears which kinds.
    pub fn cancel(&mut self, id: StepId, session: &mut Session) -> Vec<Running> {
        job_table::cancel(self.steps[id.index()].as_mut(), &mut self.jobs, session)
    }

    /// Job `job` ended without its last event (it panicked): retired, its step told.
    pub fn failed(&mut self, job: JobId, session: &mut Session) -> Option<Running> {
        let running = self.jobs.retire(job)?;
        self.step_mut(running.step).cancelled(&[running.kind], session);
        Some(running)
    }

    /// A line sent to console job `job` of step `id` did not reach it.
    pub fn undelivered(&mut self, id: StepId, job: JobId, why: Undelivered) {
        job_table::undelivered(self.steps[id.index()].as_mut(), &mut self.jobs, job, why);
    }
}
