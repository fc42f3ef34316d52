//! The model of the terminal wizard and `update`, which turns messages into state changes and
//! commands for the runtime. Nothing here performs I/O: journal writes, jobs and saves are
//! [`Cmd`]s the runtime executes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::keys::{self, KeyAction};
use super::search::{self, Hit, Search};
use super::theme::Theme;
use crate::context::Context;
use crate::session::{Event, EventKind, Finding, Session, Severity};
use crate::wizard::{Effect, Job, JobEvent, JobId, Request, StepId, StepStatus, Tone, Wizard};

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
    /// The outcome of a [`Cmd::Save`].
    Saved(Result<Vec<PathBuf>, String>),
    /// SIGTERM/SIGHUP: leave now.
    Terminate,
}

/// Work for the runtime.
pub enum Cmd {
    /// Run a job with a fresh cancellation token.
    Spawn(Job),
    /// Write an event to the journal (before the next draw).
    Record(Event),
    /// Cancel a running job.
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

/// A job the runtime is running for a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningJob {
    pub id: JobId,
    pub step: StepId,
    pub label: String,
    /// [`App::now`] when it started, for the elapsed seconds beside the spinner.
    pub started: Duration,
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
    pub jobs: Vec<RunningJob>,
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
    /// The question of a [`Purpose::Confirm`] input.
    pub question: Option<String>,
    redraw: bool,
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
            jobs: Vec::new(),
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
        !self.jobs.is_empty()
    }

    /// Whether `step` has a job running.
    pub fn step_busy(&self, step: StepId) -> bool {
        self.jobs.iter().any(|j| j.step == step)
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
        if self.step_busy(step) { StepStatus::Running } else { self.wizard.step(step).status() }
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
        super::ui::main_rows(self)
    }

    /// The search query, while a search is active.
    pub fn search_query(&self) -> Option<&str> {
        self.search.as_ref().map(|s| s.query.as_str())
    }

    /// Seconds `job` has been running.
    pub fn elapsed_secs(&self, job: &RunningJob) -> u64 {
        self.now.saturating_sub(job.started).as_secs()
    }

    fn set_message(&mut self, tone: Tone, text: impl Into<String>) {
        self.message = Some(Message { tone, text: text.into() });
    }

    fn goto(&mut self, step: StepId) {
        if self.current != step {
            self.current = step;
            self.message = None;
        }
    }
}

/// Columns one Left/Right moves the main pane.
const HSCROLL_STEP: u16 = 8;
/// Rows are capped at a few KiB by the engines; no need to scroll further.
const MAX_HSCROLL: u16 = 4096;

/// Applies `msg` to `app` and returns what the runtime must do. No I/O.
pub fn update(app: &mut App, msg: Msg) -> Vec<Cmd> {
    let cmds = match msg {
        Msg::Tick => {
            if !app.busy() {
                return Vec::new();
            }
            app.spinner = app.spinner.wrapping_add(1);
            Vec::new()
        }
        Msg::Resize(width, height) => {
            app.size = (width, height);
            Vec::new()
        }
        Msg::Key(key) if keys::is_press(&key) => on_key(app, key),
        Msg::Key(_) => return Vec::new(),
        Msg::Mouse(mouse) => on_mouse(app, mouse),
        Msg::Paste(text) => {
            if !matches!(app.mode, Mode::Input(Purpose::Console | Purpose::Note | Purpose::SavePath | Purpose::Search))
            {
                return Vec::new();
            }
            // One line only, in one pass, within the cap of a console line.
            app.input = super::paste::paste(&app.input, &text);
            Vec::new()
        }
        Msg::Job(event) => on_job_event(app, event),
        Msg::JobFailed { job, step, error } => on_job_failed(app, job, step, &error),
        Msg::Saved(Ok(paths)) => {
            app.unsaved = false;
            let text = match paths.split_first() {
                Some((first, rest)) => {
                    let others: Vec<String> = rest
                        .iter()
                        .filter_map(|p| p.extension().map(|e| format!(".{}", e.to_string_lossy())))
                        .collect();
                    format!("saved {} (and {})", first.display(), others.join(", "))
                }
                None => "saved".to_string(),
            };
            app.set_message(Tone::Ok, text);
            Vec::new()
        }
        Msg::Saved(Err(err)) => {
            app.set_message(Tone::Fail, format!("not saved: {err}"));
            Vec::new()
        }
        Msg::Terminate => {
            app.quit = true;
            vec![Cmd::Quit]
        }
    };
    app.redraw = true;
    cmds
}

fn on_mouse(app: &mut App, mouse: MouseEvent) -> Vec<Cmd> {
    let overlay = app.show_help || app.finding_view.is_some();
    match mouse.kind {
        MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
            let delta = if mouse.kind == MouseEventKind::ScrollUp { -3 } else { 3 };
            if app.show_help {
                scroll_help(app, delta);
            } else if app.finding_view.is_some() {
                scroll_finding_view(app, delta);
            } else {
                scroll_by(app, delta);
            }
        }
        MouseEventKind::Down(MouseButton::Left) if app.mode == Mode::Navigation && !overlay => {
            if let Some(step) = super::ui::step_at(app, mouse.column, mouse.row) {
                app.goto(step);
            } else if let Some(index) = super::ui::finding_at(app, mouse.column, mouse.row) {
                app.selected_finding = Some(index);
            }
        }
        _ => {}
    }
    Vec::new()
}

fn is_ctrl_c(key: &KeyEvent) -> bool {
    key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL)
}

/// The help scrolls with the movement keys; any other key closes it.
fn on_help_key(app: &mut App, key: KeyEvent) -> Vec<Cmd> {
    let page = super::ui::help_rows(app).cast_signed();
    match keys::action_for(&key) {
        Some(KeyAction::ScrollUp) => scroll_help(app, -1),
        Some(KeyAction::ScrollDown) => scroll_help(app, 1),
        Some(KeyAction::PageUp) => scroll_help(app, -page),
        Some(KeyAction::PageDown) => scroll_help(app, page),
        Some(KeyAction::Top) => app.help_scroll = 0,
        Some(KeyAction::Bottom) => scroll_help(app, isize::MAX / 2),
        _ => {
            app.show_help = false;
            app.help_scroll = 0;
            if is_ctrl_c(&key) {
                return request_quit(app);
            }
        }
    }
    Vec::new()
}

fn scroll_help(app: &mut App, delta: isize) {
    let max = super::ui::help_max_scroll(app);
    app.help_scroll = app.help_scroll.saturating_add_signed(delta).min(max);
}

/// Keys of the full-screen finding view: scroll, move to the next finding, close.
fn on_finding_view_key(app: &mut App, key: KeyEvent) -> Vec<Cmd> {
    let page = super::ui::page_rows(app.size).cast_signed();
    match keys::action_for(&key) {
        Some(KeyAction::ScrollUp) => scroll_finding_view(app, -1),
        Some(KeyAction::ScrollDown) => scroll_finding_view(app, 1),
        Some(KeyAction::PageUp) => scroll_finding_view(app, -page),
        Some(KeyAction::PageDown) => scroll_finding_view(app, page),
        Some(KeyAction::Top) => scroll_finding_view(app, isize::MIN / 2),
        Some(KeyAction::Bottom) => scroll_finding_view(app, isize::MAX / 2),
        Some(action @ (KeyAction::ScrollLeft | KeyAction::ScrollRight)) => {
            let (_, wider) = super::ui::finding_view_extent(app);
            if let Some(view) = &mut app.finding_view {
                view.column = if action == KeyAction::ScrollLeft {
                    view.column.saturating_sub(HSCROLL_STEP)
                } else {
                    view.column.saturating_add(HSCROLL_STEP).min(wider)
                };
            }
        }
        Some(action @ (KeyAction::PrevFinding | KeyAction::NextFinding)) => {
            select_finding(app, if action == KeyAction::PrevFinding { -1 } else { 1 });
            app.finding_view = app.selected_finding.map(|index| FindingView { index, offset: 0, column: 0 });
        }
        Some(KeyAction::Help) => app.show_help = true,
        Some(KeyAction::Quit) if is_ctrl_c(&key) => return request_quit(app),
        Some(KeyAction::Cancel | KeyAction::ViewFinding | KeyAction::Quit) => app.finding_view = None,
        _ => {}
    }
    Vec::new()
}

fn scroll_finding_view(app: &mut App, delta: isize) {
    let max = super::ui::finding_view_extent(app).0.saturating_sub(super::ui::page_rows(app.size));
    if let Some(view) = &mut app.finding_view {
        view.offset = view.offset.saturating_add_signed(delta).min(max);
    }
}

fn on_key(app: &mut App, key: KeyEvent) -> Vec<Cmd> {
    if app.show_help {
        return on_help_key(app, key);
    }
    if app.finding_view.is_some() && app.mode == Mode::Navigation {
        return on_finding_view_key(app, key);
    }
    match app.mode {
        Mode::Navigation => on_navigation_key(app, key),
        Mode::Input(purpose) => on_input_key(app, purpose, key),
    }
}

fn on_navigation_key(app: &mut App, key: KeyEvent) -> Vec<Cmd> {
    // While a search is active, n and N move between its matches and Esc ends it.
    if app.search.is_some() && key.modifiers - KeyModifiers::SHIFT == KeyModifiers::NONE {
        match key.code {
            KeyCode::Char('n') => return next_match(app, 1),
            KeyCode::Char('N') => return next_match(app, -1),
            KeyCode::Esc => {
                app.search = None;
                app.message = None;
                return Vec::new();
            }
            _ => {}
        }
    }
    let Some(action) = keys::action_for(&key) else {
        if let KeyCode::Char(c) = key.code
            && app.wizard.step(app.current).keys().iter().any(|k| k.key == c)
        {
            let effects = app.wizard.step_mut(app.current).key(c, &mut app.session, &app.ctx);
            return apply_effects(app, effects);
        }
        return Vec::new();
    };
    match action {
        KeyAction::NextStep => app.goto(app.current.next()),
        KeyAction::PrevStep => app.goto(app.current.prev()),
        KeyAction::GotoStep(n) => app.goto(StepId::ALL[n]),
        KeyAction::ScrollUp => return move_or_scroll(app, -1),
        KeyAction::ScrollDown => return move_or_scroll(app, 1),
        KeyAction::PageUp => return move_or_scroll(app, -app.page_rows().max(1).cast_signed()),
        KeyAction::PageDown => return move_or_scroll(app, app.page_rows().max(1).cast_signed()),
        KeyAction::ScrollLeft | KeyAction::ScrollRight => {
            let scroll = app.scroll.entry(app.current).or_default();
            scroll.column = if action == KeyAction::ScrollLeft {
                scroll.column.saturating_sub(HSCROLL_STEP)
            } else {
                scroll.column.saturating_add(HSCROLL_STEP).min(MAX_HSCROLL)
            };
        }
        KeyAction::Top => return scroll_by(app, isize::MIN / 2),
        KeyAction::Bottom => return scroll_by(app, isize::MAX / 2),
        KeyAction::Run => {
            app.message = None;
            let effects = app.wizard.step_mut(app.current).run(&mut app.session, &app.ctx);
            return apply_effects(app, effects);
        }
        KeyAction::Type | KeyAction::Command => {
            if app.wizard.step(app.current).prompt().is_none() {
                app.set_message(Tone::Dim, format!("the {} step has no console", app.current.label()));
                return Vec::new();
            }
            let prefill = if action == KeyAction::Command { ":" } else { "" };
            app.input = Input::new(prefill.to_string());
            app.mode = Mode::Input(Purpose::Console);
        }
        KeyAction::Note => {
            app.input = Input::default();
            app.mode = Mode::Input(Purpose::Note);
        }
        KeyAction::PrevFinding => select_finding(app, -1),
        KeyAction::NextFinding => select_finding(app, 1),
        KeyAction::ViewFinding => {
            if app.selected_finding.is_none() {
                select_finding(app, 1);
            }
            match app.selected_finding {
                Some(index) => app.finding_view = Some(FindingView { index, offset: 0, column: 0 }),
                None => app.set_message(Tone::Dim, "no finding to read yet"),
            }
        }
        KeyAction::Zoom => app.zoom = !app.zoom,
        KeyAction::Search => {
            app.input = Input::default();
            app.mode = Mode::Input(Purpose::Search);
        }
        // Bound only while searching, above.
        KeyAction::SearchNext => {}
        KeyAction::Help => app.show_help = true,
        KeyAction::Save => {
            app.input = Input::new(app.default_save_base().display().to_string());
            app.mode = Mode::Input(Purpose::SavePath);
        }
        KeyAction::Cancel => return cancel_jobs(app),
        KeyAction::Quit => return request_quit(app),
    }
    Vec::new()
}

fn on_input_key(app: &mut App, purpose: Purpose, key: KeyEvent) -> Vec<Cmd> {
    if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
        return if purpose == Purpose::ConfirmQuit { quit_now(app) } else { request_quit(app) };
    }
    if let Purpose::Confirm(step) = purpose {
        app.mode = Mode::Navigation;
        let yes = matches!(key.code, KeyCode::Char('y' | 'Y'));
        let question = app.question.take().unwrap_or_default();
        let answer = if yes { "yes" } else { "no" };
        app.unsaved = true;
        let mut cmds = vec![Cmd::Record(Event::new(EventKind::Info, format!("asked: {question} answered: {answer}")))];
        let effects = app.wizard.step_mut(step).confirmed(yes, &mut app.session, &app.ctx);
        cmds.extend(apply_effects(app, effects));
        return cmds;
    }
    if purpose == Purpose::ConfirmQuit {
        return match key.code {
            KeyCode::Char('y' | 'Y' | 'q') => quit_now(app),
            KeyCode::Char('s' | 'S') => {
                app.input = Input::new(app.default_save_base().display().to_string());
                app.mode = Mode::Input(Purpose::SavePath);
                Vec::new()
            }
            _ => {
                app.mode = Mode::Navigation;
                Vec::new()
            }
        };
    }
    match key.code {
        KeyCode::Esc => {
            app.mode = Mode::Navigation;
            app.input = Input::default();
            Vec::new()
        }
        KeyCode::Enter => {
            let line = app.input.value_and_reset();
            submit(app, purpose, &line)
        }
        KeyCode::Up | KeyCode::Down if purpose == Purpose::Console => {
            browse_history(app, key.code == KeyCode::Up);
            Vec::new()
        }
        // The line keeps within the cap of a console line.
        KeyCode::Char(c) if super::paste::full(&app.input, c) => Vec::new(),
        _ => {
            app.input.handle_event(&crossterm::event::Event::Key(key));
            Vec::new()
        }
    }
}

fn submit(app: &mut App, purpose: Purpose, line: &str) -> Vec<Cmd> {
    match purpose {
        Purpose::Console => {
            let kept = app.wizard.step(app.current).history_entry(line);
            let history = app.history.entry(app.current).or_default();
            if let Some(kept) = kept.filter(|k| !k.trim().is_empty() && history.lines.last() != Some(k)) {
                history.lines.push(kept);
            }
            history.cursor = None;
            // A console follows its newest lines after the user typed.
            app.scroll.entry(app.current).or_default().detached = false;
            let effects = app.wizard.step_mut(app.current).submit(line, &mut app.session, &app.ctx);
            apply_effects(app, effects)
        }
        Purpose::Note => {
            app.mode = Mode::Navigation;
            add_note(app, line)
        }
        Purpose::SavePath => {
            app.mode = Mode::Navigation;
            let trimmed = line.trim();
            let base = if trimmed.is_empty() { app.default_save_base() } else { save_base(Path::new(trimmed)) };
            app.set_message(Tone::Dim, format!("saving to {}…", base.display()));
            vec![Cmd::Save { base, state: state_event(&app.session), note: postmaster_note(&app.session) }]
        }
        Purpose::Search => {
            app.mode = Mode::Navigation;
            let query = line.trim().to_string();
            app.search = (!query.is_empty()).then_some(Search { query, current: None });
            if app.search.is_some() {
                return next_match(app, 1);
            }
            app.message = None;
            Vec::new()
        }
        Purpose::ConfirmQuit | Purpose::Confirm(_) => Vec::new(),
    }
}

/// Moves to the next (`delta` 1) or previous (-1) match of the active search: a row of the pane
/// is scrolled into view, a finding is selected.
fn next_match(app: &mut App, delta: isize) -> Vec<Cmd> {
    let Some(query) = app.search_query().map(str::to_string) else { return Vec::new() };
    let view = app.wizard.step(app.current).view(&app.session);
    let hits = search::hits(&view, &app.findings_sorted(), &query);
    if hits.is_empty() {
        app.set_message(Tone::Warn, format!("/{query}: no match (Esc ends the search)"));
        return Vec::new();
    }
    let count = hits.len();
    let current = app.search.as_ref().and_then(|s| s.current);
    let step = delta.unsigned_abs() % count;
    let next = match current {
        None if delta < 0 => count - 1,
        None => 0,
        Some(i) if delta < 0 => (i + count - step) % count,
        Some(i) => (i + step) % count,
    };
    if let Some(search) = &mut app.search {
        search.current = Some(next);
    }
    match hits[next] {
        Hit::Row(row) => {
            let max = view.rows.len().saturating_sub(app.page_rows());
            let scroll = app.scroll.entry(app.current).or_default();
            scroll.offset = row.min(max);
            scroll.detached = scroll.offset < max || view.follow_tail;
        }
        Hit::Finding(index) => app.selected_finding = Some(index),
    }
    let place = match hits[next] {
        Hit::Row(row) => format!("row {} of the pane", row + 1),
        Hit::Finding(index) => format!("finding {}", index + 1),
    };
    app.set_message(Tone::Normal, format!("/{query}: match {} of {count}, {place} · n/N next/previous", next + 1));
    Vec::new()
}

/// The session's target, identity and findings now, so a report of the journal names them and
/// lists the findings as the session held them (a re-run step replaces its earlier findings).
/// The note for the receiver's postmaster, once a target and some findings are known.
fn postmaster_note(session: &Session) -> Option<String> {
    let target = session.target.as_ref()?;
    let about_target = session.findings.iter().any(|f| matches!(f.family(), "smtp" | "ptr" | "helo"));
    about_target.then(|| {
        crate::diagnosis::note::Note::from_findings(&target.domain, &session.findings, &[], chrono::Utc::now()).render()
    })
}

pub fn state_event(session: &Session) -> Event {
    let target = session.target.as_ref().map(|t| t.domain.clone());
    let ip = session.identity.ip.map(|ip| ip.to_string());
    let text = format!(
        "session state: target {}, our IP {}, HELO {}",
        target.as_deref().unwrap_or("none"),
        ip.as_deref().unwrap_or("unknown"),
        session.identity.helo.as_deref().unwrap_or("unknown")
    );
    Event::new(EventKind::Info, text).with_data(serde_json::json!({
        "target": target,
        "ip": ip,
        "helo": session.identity.helo,
        "observed_error": session.observed_error,
        "findings": session.findings,
    }))
}

/// A note becomes a finding of severity `note`: journaled through a command, then shown.
fn add_note(app: &mut App, text: &str) -> Vec<Cmd> {
    let text = crate::session::escape::escape_str(text.trim());
    if text.is_empty() {
        app.set_message(Tone::Dim, "empty note dropped");
        return Vec::new();
    }
    let mut note = Finding::note(&text);
    if let Some(target) = &app.session.target {
        note = note.with_detail(format!("while looking at {} ({} step)", target.display, app.current.label()));
    }
    let event = Event::of_finding(&note);
    app.session.push_finding(note);
    app.unsaved = true;
    app.selected_finding = app.findings_sorted().iter().rposition(|f| f.severity == Severity::Note);
    vec![Cmd::Record(event)]
}

/// `report.txt`, `report.md` and `report.jsonl` all mean the base `report`.
fn save_base(path: &Path) -> PathBuf {
    match path.extension().and_then(|e| e.to_str()) {
        Some("txt" | "md" | "jsonl" | "json") => path.with_extension(""),
        _ => path.to_path_buf(),
    }
}

fn browse_history(app: &mut App, older: bool) {
    let history = app.history.entry(app.current).or_default();
    if history.lines.is_empty() {
        return;
    }
    let last = history.lines.len() - 1;
    history.cursor = match (history.cursor, older) {
        (None, true) => Some(last),
        (None, false) => None,
        (Some(i), true) => Some(i.saturating_sub(1)),
        (Some(i), false) if i >= last => None,
        (Some(i), false) => Some(i + 1),
    };
    let text = history.cursor.map(|i| history.lines[i].clone()).unwrap_or_default();
    app.input = Input::new(text);
}

fn apply_effects(app: &mut App, effects: Vec<Effect>) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    for effect in effects {
        match effect {
            Effect::Spawn(job) => {
                app.jobs.push(RunningJob { id: job.id, step: job.step, label: job.label.clone(), started: app.now });
                app.unsaved = true;
                cmds.push(Cmd::Spawn(job));
            }
            Effect::Record(event) => {
                app.unsaved = true;
                cmds.push(Cmd::Record(event));
            }
            Effect::Goto(step) => app.goto(step),
            Effect::Confirm { step, question } => {
                app.question = Some(question);
                app.input = Input::default();
                app.mode = Mode::Input(Purpose::Confirm(step));
            }
            // Step 7 waits for the steps it asked to run: while any of theirs runs, the
            // request comes again when the last job ends (see `on_job_event`).
            Effect::Request(StepId::Diagnosis, Request::Settled) if others_running(app) => {}
            Effect::Request(step, request) => {
                let effects = app.wizard.step_mut(step).request(request, &mut app.session, &app.ctx);
                cmds.extend(apply_effects(app, effects));
            }
        }
    }
    cmds
}

fn on_job_event(app: &mut App, event: JobEvent) -> Vec<Cmd> {
    if event.done {
        app.jobs.retain(|j| j.id != event.job);
    }
    app.unsaved = true;
    let step = event.step;
    let mut effects = app.wizard.step_mut(step).on_event(event, &mut app.session);
    if let Some(i) = app.selected_finding
        && i >= app.session.findings.len()
    {
        app.selected_finding = app.session.findings.len().checked_sub(1);
    }
    if step != StepId::Diagnosis {
        effects.push(Effect::Request(StepId::Diagnosis, Request::Settled));
    }
    apply_effects(app, effects)
}

/// True while a job of a step other than the diagnosis runs.
fn others_running(app: &App) -> bool {
    app.jobs.iter().any(|j| j.step != StepId::Diagnosis)
}

fn on_job_failed(app: &mut App, job: JobId, step: StepId, error: &str) -> Vec<Cmd> {
    let label = app.jobs.iter().find(|j| j.id == job).map_or_else(|| "a job".to_string(), |j| j.label.clone());
    app.jobs.retain(|j| j.id != job);
    // The step waits for an event that will never come; cancelling puts it back to rest.
    app.wizard.step_mut(step).cancel(&mut app.session);
    let text = format!("{label} failed unexpectedly: {error}");
    app.set_message(Tone::Fail, text.clone());
    vec![Cmd::Record(Event::new(EventKind::Error, text))]
}

fn cancel_jobs(app: &mut App) -> Vec<Cmd> {
    // The current step's jobs, else the newest job of any step.
    let step = if app.step_busy(app.current) {
        app.current
    } else if let Some(job) = app.jobs.last() {
        job.step
    } else {
        app.message = None;
        return Vec::new();
    };
    let (cancelled, kept): (Vec<_>, Vec<_>) = app.jobs.drain(..).partition(|j| j.step == step);
    app.jobs = kept;
    app.wizard.step_mut(step).cancel(&mut app.session);
    let labels: Vec<&str> = cancelled.iter().map(|j| j.label.as_str()).collect();
    app.set_message(Tone::Warn, format!("cancelled: {}", labels.join(", ")));
    cancelled.into_iter().map(|j| Cmd::Cancel(j.id)).collect()
}

fn select_finding(app: &mut App, delta: isize) {
    let count = app.session.findings.len();
    if count == 0 {
        app.selected_finding = None;
        return;
    }
    app.selected_finding = Some(match app.selected_finding {
        None if delta > 0 => 0,
        None => count - 1,
        Some(i) => i.saturating_add_signed(delta).min(count - 1),
    });
}

fn move_or_scroll(app: &mut App, delta: isize) -> Vec<Cmd> {
    if app.wizard.step_mut(app.current).select(delta) {
        return Vec::new();
    }
    scroll_by(app, delta)
}

fn scroll_by(app: &mut App, delta: isize) -> Vec<Cmd> {
    let view = app.wizard.step(app.current).view(&app.session);
    let page = app.page_rows();
    let max = view.rows.len().saturating_sub(page);
    let scroll = app.scroll.entry(app.current).or_default();
    let start = if view.follow_tail && !scroll.detached { max } else { scroll.offset.min(max) };
    let offset = start.saturating_add_signed(delta).min(max);
    scroll.offset = offset;
    scroll.detached = offset < max;
    Vec::new()
}

fn request_quit(app: &mut App) -> Vec<Cmd> {
    if app.unsaved {
        app.mode = Mode::Input(Purpose::ConfirmQuit);
        app.input = Input::default();
        Vec::new()
    } else {
        quit_now(app)
    }
}

fn quit_now(app: &mut App) -> Vec<Cmd> {
    app.quit = true;
    vec![Cmd::Quit]
}
