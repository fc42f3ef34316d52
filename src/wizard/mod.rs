//! The seven steps as UI-free state: what each step shows, what Enter does, which engine call it
//! makes. Front ends render [`StepView`]s and feed [`JobEvent`]s back; nothing here draws or
//! performs I/O.

pub mod blocklists;
pub mod bounce_input;
pub mod diagnosis;
pub mod identity;
pub mod job;
pub mod logs;
pub mod logs_follow;
pub mod mx;
pub mod postmaster_note;
pub mod queue;
pub mod queue_act;
pub mod smtp;
pub mod view;

use crate::context::Context;
use crate::session::{Event, Session};

pub use crate::session::StepId;
pub use job::{Job, JobCtx, JobEvent, JobId};
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
    /// The status of a step that has a job running or not, and whose last run succeeded
    /// (`Some(true)`), failed (`Some(false)`) or never happened (`None`).
    pub fn of_run(running: bool, last: Option<bool>) -> StepStatus {
        match (running, last) {
            (true, _) => StepStatus::Running,
            (false, Some(true)) => StepStatus::Done,
            (false, Some(false)) => StepStatus::Failed,
            (false, None) => StepStatus::Idle,
        }
    }
}

/// What a step asks the front end to do.
pub enum Effect {
    /// Run an engine job; its events come back through [`Step::on_event`].
    Spawn(Job),
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

/// One step of the wizard. Implementations hold the step's UI-free state.
pub trait Step: Send {
    /// Which step this is.
    fn id(&self) -> StepId;

    /// Where it stands.
    fn status(&self) -> StepStatus;

    /// What the main pane shows.
    fn view(&self, session: &Session) -> StepView;

    /// The console prompt (e.g. `"> "`, `"smtp> "`) when the step takes typed lines.
    fn prompt(&self) -> Option<String> {
        None
    }

    /// Enter in navigation mode: run the automatic part (or act on the selected row).
    fn run(&mut self, session: &mut Session, ctx: &Context) -> Vec<Effect>;

    /// What the input history keeps of a typed line; `None` keeps nothing (a secret).
    fn history_entry(&self, line: &str) -> Option<String> {
        Some(line.to_string())
    }

    /// A line typed in the console.
    fn submit(&mut self, _line: &str, _session: &mut Session, _ctx: &Context) -> Vec<Effect> {
        Vec::new()
    }

    /// Text pasted into the step's console at once: true when the step takes it whole (a bounce
    /// pasted at `bounce>`); false leaves its first line to the input line.
    fn paste(&mut self, _text: &str) -> bool {
        false
    }

    /// The user left the step's console (Esc): what it was collecting is dropped.
    fn input_left(&mut self) {}

    /// A step-specific key pressed in navigation mode.
    fn key(&mut self, _key: char, _session: &mut Session, _ctx: &Context) -> Vec<Effect> {
        Vec::new()
    }

    /// The step's own keys, for the status bar and help.
    fn keys(&self) -> Vec<StepKey> {
        Vec::new()
    }

    /// The step's keys the status bar names (the help names them all): by default all of
    /// [`Step::keys`].
    fn bar_keys(&self) -> Vec<StepKey> {
        self.keys()
    }

    /// Every key the step may bind in any state (its [`Step::keys`] at one time are some of
    /// them): what the check for keys shadowed by the global ones reads.
    fn all_keys(&self) -> Vec<StepKey> {
        self.keys()
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

    /// An event from one of this step's jobs. Events of a job the step no longer waits for are
    /// stale and must be ignored.
    fn on_event(&mut self, event: JobEvent, session: &mut Session) -> Vec<Effect>;

    /// The user cancelled (Esc) the running job.
    fn cancel(&mut self, _session: &mut Session) {}

    /// The answer to this step's [`Effect::Confirm`] question.
    fn confirmed(&mut self, _yes: bool, _session: &mut Session, _ctx: &Context) -> Vec<Effect> {
        Vec::new()
    }

    /// A [`Request`] from another step. Every step answers [`Request::RunIfIdle`]; a step
    /// that takes other requests answers this one the same way.
    fn request(&mut self, request: Request, session: &mut Session, ctx: &Context) -> Vec<Effect> {
        self.run_if_idle(&request, session, ctx)
    }

    /// [`Step::run`] when `request` is [`Request::RunIfIdle`] and the step has not run.
    fn run_if_idle(&mut self, request: &Request, session: &mut Session, ctx: &Context) -> Vec<Effect> {
        if matches!(request, Request::RunIfIdle) && self.status() == StepStatus::Idle {
            self.run(session, ctx)
        } else {
            Vec::new()
        }
    }
}

/// The seven steps.
pub struct Wizard {
    steps: Vec<Box<dyn Step>>,
}

impl Default for Wizard {
    fn default() -> Wizard {
        Wizard::new()
    }
}

impl Wizard {
    /// The wizard with every step in its initial state.
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
        Wizard { steps }
    }

    /// The step `id`.
    pub fn step(&self, id: StepId) -> &dyn Step {
        self.steps[id.index()].as_ref()
    }

    /// The step `id`, mutable.
    pub fn step_mut(&mut self, id: StepId) -> &mut dyn Step {
        self.steps[id.index()].as_mut()
    }
}
