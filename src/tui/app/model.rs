//! The model of the terminal wizard: what the screen holds, the messages `update` takes and the
//! commands it gives the runtime.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use crossterm::event::{KeyEvent, MouseEvent};
use tui_input::Input;

use crate::context::Context;
use crate::session::{Event, Finding, Session};
use crate::tui::search::Search;
use crate::tui::theme::Theme;
use crate::wizard::{Job, JobEvent, JobId, Running, StepId, StepStatus, Tone, Undelivered, Wizard};

/// Something that happened: a key, the mouse, a job's event, a finished save.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    /// Text pasted into the terminal (bracketed paste).
    Paste(String),
    /// The terminal has a new size (columns, rows).
    Resize(u16, u16),
    Job(JobEvent),
    /// The spinner timer.
    Tick,
    /// A job ended without its final event: it panicked (a bug), with the panic's message.
    JobFailed {
        job: JobId,
        step: StepId,
        error: String,
    },
    /// A line of a [`Cmd::Send`] did not reach its console job.
    Undelivered {
        step: StepId,
        job: JobId,
        why: Undelivered,
    },
    /// The outcome of a [`Cmd::Save`].
    Saved(Result<Vec<PathBuf>, String>),
    /// SIGTERM/SIGHUP: leave now.
    Terminate,
}

/// Work for the runtime.
pub enum Cmd {
    /// Run a job with a fresh cancellation token.
    Spawn(Job),
    /// Send a typed line to the console job `job` of `step`.
    Send { step: StepId, job: JobId, line: String },
    /// Close the input of the console job `job`.
    CloseInput(JobId),
    /// Write an event to the journal (before the next draw).
    Record(Event),
    /// Cancel a running job (the job table has retired it).
    Cancel(JobId),
    /// Journal `state` (target and identity at this moment), then save transcript, report and
    /// journal next to `base` (`base.txt`, `.md`, `.jsonl`).
    Save { base: PathBuf, state: Event, note: Option<String> },
    /// Leave the program.
    Quit,
}

impl std::fmt::Debug for Cmd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cmd::Spawn(job) => write!(f, "Spawn({:?} {})", job.step, job.label),
            Cmd::Send { job, line, .. } => write!(f, "Send({} {line:?})", job.0),
            Cmd::CloseInput(job) => write!(f, "CloseInput({})", job.0),
            Cmd::Record(event) => write!(f, "Record({:?} {})", event.kind, event.text),
            Cmd::Cancel(id) => write!(f, "Cancel({})", id.0),
            Cmd::Save { base, .. } => write!(f, "Save({})", base.display()),
            Cmd::Quit => write!(f, "Quit"),
        }
    }
}

/// What the input line is for while it has the focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The current step's console.
    Console,
    /// The text of a note.
    Note,
    /// Where to save.
    SavePath,
    /// Unsaved work: quit anyway?
    ConfirmQuit,
    /// A step's yes/no question (a queue change); any answer but y is no.
    Confirm(StepId),
    /// What to search for.
    Search,
}

/// Navigation (keys drive the wizard) or input (keys go to the input line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Navigation,
    Input(Purpose),
}

/// Scroll position of one step's main pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scroll {
    /// First visible row when not following the tail.
    pub offset: usize,
    /// Columns scrolled to the right, for long lines.
    pub column: u16,
    /// The user scrolled away from the end of a console.
    pub detached: bool,
    /// PgUp/PgDn, Home/End or a search moved the text: a list's selection may leave the screen
    /// (↑↓ bring it back).
    pub free: bool,
}

/// Lines typed in one step's console, for Up/Down.
#[derive(Debug, Clone, Default)]
pub struct History {
    pub lines: Vec<String>,
    /// Position while browsing; `None` when editing a new line.
    pub cursor: Option<usize>,
}

/// A one-line message under the main pane (saved, could not save, cancelled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub tone: Tone,
    pub text: String,
}

/// The finding open full screen, and how far it is scrolled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FindingView {
    /// Index into [`App::findings_sorted`].
    pub index: usize,
    /// First visible line.
    pub offset: usize,
    /// Columns scrolled to the right, for a word wider than the screen.
    pub column: u16,
}

/// The whole state of the terminal wizard.
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent switches of the screen (help, zoom, unsaved, quit), not a state machine"
)]
pub struct App {
    pub ctx: Context,
    pub session: Session,
    pub wizard: Wizard,
    /// The step on screen.
    pub current: StepId,
    pub mode: Mode,
    pub input: Input,
    pub history: HashMap<StepId, History>,
    pub scroll: HashMap<StepId, Scroll>,
    /// Index into [`App::findings_sorted`] of the finding whose details are shown.
    pub selected_finding: Option<usize>,
    pub show_help: bool,
    /// First visible line of the help.
    pub help_scroll: usize,
    /// The finding read full screen.
    pub finding_view: Option<FindingView>,
    /// The main pane has the whole width.
    pub zoom: bool,
    /// The active search, highlighted until Esc.
    pub search: Option<Search>,
    /// Monotonic time since the runtime started, set by the runtime before each message; jobs'
    /// elapsed time is measured against it.
    pub now: Duration,
    pub message: Option<Message>,
    /// Something happened since the last save.
    pub unsaved: bool,
    /// The terminal's size (columns, rows).
    pub size: (u16, u16),
    /// Spinner frame, advanced by [`Msg::Tick`] while jobs run.
    pub spinner: usize,
    pub theme: Theme,
    /// Where saves go by default.
    pub save_dir: PathBuf,
    pub quit: bool,
    /// `s` at the quit prompt: quit once the save has succeeded.
    pub quit_after_save: bool,
    /// The question of a [`Purpose::Confirm`] input.
    pub question: Option<String>,
    pub(super) redraw: bool,
}

impl App {
    /// The wizard at step 1 over `session`. Our IP and HELO name from the configuration seed the
    /// session's identity.
    pub fn new(ctx: Context, mut session: Session) -> App {
        if let Some(ip) = ctx.config.ip {
            session.identity.add_candidate(ip.to_canonical(), crate::dns::identity::SOURCE_CONFIG);
        }
        if session.identity.helo.is_none() {
            session.identity.helo.clone_from(&ctx.config.helo);
        }
        let save_dir = crate::config::paths::sessions_dir().unwrap_or_else(|| PathBuf::from("."));
        App {
            ctx,
            session,
            wizard: Wizard::new(),
            current: StepId::Queue,
            mode: Mode::Navigation,
            input: Input::default(),
            history: HashMap::new(),
            scroll: HashMap::new(),
            selected_finding: None,
            show_help: false,
            help_scroll: 0,
            finding_view: None,
            zoom: false,
            search: None,
            now: Duration::ZERO,
            message: None,
            unsaved: false,
            size: (120, 40),
            spinner: 0,
            theme: Theme::default(),
            save_dir,
            quit: false,
            quit_after_save: false,
            question: None,
            redraw: true,
        }
    }

    /// True once after every change that must be drawn.
    pub fn take_redraw(&mut self) -> bool {
        std::mem::take(&mut self.redraw)
    }

    /// True while any job runs.
    pub fn busy(&self) -> bool {
        self.wizard.jobs().busy()
    }

    /// Whether `step` has a job running.
    pub fn step_busy(&self, step: StepId) -> bool {
        self.wizard.jobs().of(step).any()
    }

    /// The findings in panel order: worst first, then in the order found.
    pub fn findings_sorted(&self) -> Vec<&Finding> {
        let mut findings: Vec<&Finding> = self.session.findings.iter().collect();
        findings.sort_by_key(|f| f.severity);
        findings
    }

    /// The finding whose details are shown.
    pub fn selected(&self) -> Option<&Finding> {
        self.selected_finding.and_then(|i| self.findings_sorted().get(i).copied())
    }

    /// The default save path (without extension) for this session.
    pub fn default_save_base(&self) -> PathBuf {
        self.save_dir.join(format!("mailwiz-{}", self.session.started.format("%Y%m%d-%H%M%S")))
    }

    /// The status shown for `step` in the step list.
    pub fn step_status(&self, step: StepId) -> StepStatus {
        self.wizard.status(step)
    }

    /// The prompt of the input line in its current use.
    pub fn input_prompt(&self) -> Option<String> {
        match self.mode {
            Mode::Input(Purpose::Note) => Some("note> ".into()),
            Mode::Input(Purpose::SavePath) => Some("save to> ".into()),
            Mode::Input(Purpose::ConfirmQuit) => Some("unsaved work; quit anyway? (y quit, s save, n stay) ".into()),
            Mode::Input(Purpose::Confirm(_)) => Some(format!("{} [y/N] ", self.question.as_deref().unwrap_or("?"))),
            Mode::Input(Purpose::Search) => Some("/".into()),
            _ => self.wizard.step(self.current).prompt(),
        }
    }

    /// Rows of the main pane that fit on screen, from the terminal size.
    pub fn page_rows(&self) -> usize {
        crate::tui::layout::main_rows(self)
    }

    /// The search query, while a search is active.
    pub fn search_query(&self) -> Option<&str> {
        self.search.as_ref().map(|s| s.query.as_str())
    }

    /// Seconds `job` has been running.
    pub fn elapsed_secs(&self, job: &Running) -> u64 {
        self.now.saturating_sub(job.started).as_secs()
    }

    pub(super) fn set_message(&mut self, tone: Tone, text: impl Into<String>) {
        self.message = Some(Message { tone, text: text.into() });
    }

    pub(super) fn goto(&mut self, step: StepId) {
        if self.current != step {
            self.current = step;
            self.message = None;
        }
    }
}
