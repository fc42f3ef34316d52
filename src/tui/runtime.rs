//! The runtime: owns the terminal, waits on keys, job events, signals and the spinner timer in
//! one `select!`, runs `update`, executes its commands, and draws after each change.

use std::collections::{HashMap, VecDeque};
use std::io::{Stdout, stdout};
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use anyhow::Context as _;
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event as TermEvent,
    EventStream, KeyCode,
};
use crossterm::execute;
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};
use futures::{FutureExt, StreamExt};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use serde_json::json;
use tokio::sync::mpsc::{self, UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::app::{App, Cmd, Msg, update};
use super::theme::Theme;
use super::ui;
use crate::context::Context;
use crate::session::journal::JournalError;
use crate::session::{Event, EventKind, Journal, Session, Target, export};
use crate::wizard::{JobCtx, JobEvent, JobId, Undelivered};

/// How the terminal front end was started.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--no-color`.
    pub no_color: bool,
    /// A line to show at start (e.g. the journal could not be opened).
    pub notice: Option<String>,
    /// An earlier session to compare with (`--compare`).
    pub earlier: Option<crate::session::Earlier>,
    /// The bounce the session starts from (`--bounce`).
    pub bounce: Option<crate::bounce::Bounce>,
}

/// Names the key that panics on purpose, so tests can prove the terminal is restored and the
/// journal kept.
const TEST_PANIC_KEY: &str = "MAILWIZ_TEST_PANIC_KEY";

/// Runs the wizard in the terminal until the user quits or a signal ends it.
pub async fn run(ctx: Context, target: Option<Target>, options: Options) -> anyhow::Result<()> {
    let mut session = Session::new(ctx.journal.clone());
    session.target = target;
    session.earlier = options.earlier;
    if let Some(bounce) = &options.bounce {
        crate::bounce::seed::seed(&mut session, bounce);
    }
    let mut app = App::new(ctx.clone(), session);
    app.theme = Theme::from_env(options.no_color);
    if let Some(notice) = options.notice {
        app.message = Some(super::app::Message { tone: crate::wizard::Tone::Warn, text: notice });
    }
    ctx.journal.record(start_event(&app));

    let mut terminal = enter().context("cannot set up the terminal")?;
    install_panic_hook();
    let result = event_loop(&mut terminal, &mut app).await;
    restore();
    ctx.journal.record(crate::session::state::state_event(&app.session));
    ctx.journal.log(EventKind::Info, "session ended");
    if let Some(path) = ctx.journal.path() {
        eprintln!("mailwiz: the session journal is {}", path.display());
    }
    if let Some(err) = ctx.journal.write_error() {
        eprintln!("mailwiz: the journal could not be written completely: {err}");
    }
    result
}

fn start_event(app: &App) -> Event {
    let s = &app.session;
    Event::new(EventKind::Start, format!("mailwiz {} session started", env!("CARGO_PKG_VERSION"))).with_data(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "target": s.target.as_ref().map(|t| t.domain.clone()),
        "ip": s.identity.ip.map(|ip| ip.to_string()),
        "helo": s.identity.helo,
        "demo": app.ctx.demo,
    }))
}

type Term = Terminal<CrosstermBackend<Stdout>>;

fn enter() -> std::io::Result<Term> {
    enable_raw_mode()?;
    if let Err(err) = execute!(stdout(), EnterAlternateScreen, EnableMouseCapture, EnableBracketedPaste) {
        restore();
        return Err(err);
    }
    Terminal::new(CrosstermBackend::new(stdout()))
}

/// Gives the terminal back: cooked mode, main screen, no mouse capture, visible cursor.
fn restore() {
    let _ =
        execute!(stdout(), DisableBracketedPaste, DisableMouseCapture, LeaveAlternateScreen, crossterm::cursor::Show);
    let _ = disable_raw_mode();
}

/// A panic of the UI thread restores the terminal before the message is printed, so it can be
/// read. A panic elsewhere (a job, a demo server) goes to the log file: printing it would tear
/// the screen, and the runtime reports a job's panic in the UI.
fn install_panic_hook() {
    let ui_thread = std::thread::current().id();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == ui_thread {
            restore();
            previous(info);
        } else {
            tracing::error!("panic in a background task: {info}");
        }
    }));
}

/// The message of a caught panic.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(ToString::to_string)
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_string())
}

/// The means to act on a spawned job. Whether it still counts is the job table's word (in the
/// model); this only holds what stops it and what feeds it typed lines.
struct Handle {
    cancel: CancellationToken,
    input: Option<mpsc::Sender<String>>,
    task: JoinHandle<()>,
}

/// What the runtime waits on besides the terminal.
struct Runtime {
    ctx: Context,
    jobs_tx: UnboundedSender<JobEvent>,
    /// Messages from tasks the runtime started (a job's panic, a finished save).
    internal_tx: UnboundedSender<Msg>,
    /// The jobs spawned whose task was running at the last command.
    handles: HashMap<JobId, Handle>,
    /// Saves being written; awaited before the program ends.
    saves: Vec<tokio::task::JoinHandle<()>>,
    panic_key: Option<char>,
}

async fn event_loop(terminal: &mut Term, app: &mut App) -> anyhow::Result<()> {
    let (jobs_tx, mut jobs_rx) = unbounded_channel();
    let (internal_tx, mut internal_rx) = unbounded_channel();
    let mut rt = Runtime {
        ctx: app.ctx.clone(),
        jobs_tx,
        internal_tx,
        handles: HashMap::new(),
        saves: Vec::new(),
        panic_key: std::env::var(TEST_PANIC_KEY).ok().and_then(|v| v.chars().next()),
    };
    let mut events = EventStream::new();
    let mut spinner = tokio::time::interval(Duration::from_millis(100));
    spinner.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut signals = Signals::new()?;
    let size = terminal.size()?;
    let mut pending = VecDeque::from([Msg::Resize(size.width, size.height)]);
    let clock = std::time::Instant::now();
    loop {
        while let Some(msg) = pending.pop_front() {
            app.now = clock.elapsed();
            rt.check_panic_key(&msg);
            for cmd in update(app, msg) {
                // What a command answers at once (a line not delivered) is handled before the
                // next draw.
                pending.extend(rt.execute(cmd));
            }
        }
        if app.quit {
            break;
        }
        if app.take_redraw() {
            terminal.draw(|frame| ui::draw(frame, app))?;
        }
        let msg = tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => match to_msg(event) {
                    Some(msg) => msg,
                    None => continue,
                },
                Some(Err(err)) => return Err(err).context("cannot read the terminal"),
                None => break,
            },
            Some(event) = jobs_rx.recv() => Msg::Job(event),
            Some(msg) = internal_rx.recv() => msg,
            _ = spinner.tick(), if app.busy() => Msg::Tick,
            () = signals.recv() => Msg::Terminate,
        };
        pending.push_back(msg);
    }
    for handle in rt.handles.values() {
        handle.cancel.cancel();
    }
    // A save asked for just before quitting still completes.
    for save in rt.saves.drain(..) {
        let _ = save.await;
    }
    Ok(())
}

fn to_msg(event: TermEvent) -> Option<Msg> {
    match event {
        TermEvent::Key(key) => Some(Msg::Key(key)),
        TermEvent::Mouse(mouse) => Some(Msg::Mouse(mouse)),
        TermEvent::Resize(width, height) => Some(Msg::Resize(width, height)),
        TermEvent::Paste(text) => Some(Msg::Paste(text)),
        _ => None,
    }
}

impl Runtime {
    fn check_panic_key(&self, msg: &Msg) {
        if let (Some(c), Msg::Key(key)) = (self.panic_key, msg)
            && key.code == KeyCode::Char(c)
        {
            panic!("test panic: {TEST_PANIC_KEY} key {c:?} pressed");
        }
    }

    /// Runs one command; what it starts answers later through the channels of the loop, what
    /// it can answer at once is returned.
    fn execute(&mut self, cmd: Cmd) -> Option<Msg> {
        // A job whose task ended needs no handle any more.
        self.handles.retain(|_, handle| !handle.task.is_finished());
        match cmd {
            Cmd::Spawn(job) => {
                let cancel = CancellationToken::new();
                let jc = JobCtx::new(job.id, job.step, self.ctx.clone(), cancel.clone(), self.jobs_tx.clone());
                let body = AssertUnwindSafe((job.run)(jc)).catch_unwind();
                let failed = self.internal_tx.clone();
                let (id, step) = (job.id, job.step);
                let task = tokio::spawn(async move {
                    if let Err(panic) = body.await {
                        let _ = failed.send(Msg::JobFailed { job: id, step, error: panic_message(panic.as_ref()) });
                    }
                });
                self.handles.insert(id, Handle { cancel, input: job.input, task });
            }
            Cmd::Send { step, job, line } => {
                let why = match self.handles.get(&job).and_then(|handle| handle.input.as_ref()) {
                    Some(input) => match input.try_send(line) {
                        Ok(()) => return None,
                        Err(mpsc::error::TrySendError::Full(_)) => Undelivered::Busy,
                        Err(mpsc::error::TrySendError::Closed(_)) => Undelivered::Ended,
                    },
                    None => Undelivered::Ended,
                };
                return Some(Msg::Undelivered { step, job, why });
            }
            Cmd::CloseInput(job) => {
                if let Some(handle) = self.handles.get_mut(&job) {
                    handle.input = None;
                }
            }
            Cmd::Record(event) => {
                self.ctx.journal.record(event);
            }
            Cmd::Cancel(id) => {
                if let Some(handle) = self.handles.remove(&id) {
                    handle.cancel.cancel();
                }
            }
            Cmd::Save { base, state, note } => {
                self.ctx.journal.record(state);
                let events = self.ctx.journal.events();
                let journal = self.ctx.journal.clone();
                let done = self.internal_tx.clone();
                // Off the UI task: a long session takes a moment to render and sync.
                self.saves.retain(|save| !save.is_finished());
                self.saves.push(tokio::task::spawn_blocking(move || {
                    let saved = export::save_with_note(&base, &events, note.as_deref()).map_err(|err| err.to_string());
                    match &saved {
                        Ok(paths) => journal.log(EventKind::Info, format!("saved to {}", paths[0].display())),
                        Err(err) => journal.log(EventKind::Error, format!("save failed: {err}")),
                    }
                    let _ = done.send(Msg::Saved(saved));
                }));
            }
            Cmd::Quit => {}
        }
        None
    }
}

/// SIGTERM and SIGHUP end the session cleanly (the journal is already on disk).
#[cfg(unix)]
struct Signals {
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn new() -> std::io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals { term: signal(SignalKind::terminate())?, hup: signal(SignalKind::hangup())? })
    }

    async fn recv(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.hup.recv() => {}
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn new() -> std::io::Result<Signals> {
        Ok(Signals)
    }

    async fn recv(&mut self) {
        std::future::pending::<()>().await
    }
}

/// A new journal file in the sessions directory, named for the moment the session starts.
pub fn default_journal_path() -> Option<std::path::PathBuf> {
    let dir = crate::config::paths::sessions_dir()?;
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
    let pid = std::process::id();
    Some(dir.join(format!("session-{stamp}-{pid}.jsonl")))
}

/// The TUI's journal: `--journal FILE` (which must be writable), else a new file in the
/// sessions directory; when that cannot be written the session runs with the journal in memory
/// and the returned notice says so on screen (Ctrl-S still saves).
pub fn open_journal(explicit: Option<&std::path::Path>) -> Result<(Journal, Option<String>), JournalError> {
    if let Some(path) = explicit {
        return Journal::create(path).map(|journal| (journal, None));
    }
    let Some(path) = default_journal_path() else {
        return Ok((Journal::in_memory(), Some("no state directory: the journal is kept in memory only".into())));
    };
    match Journal::create(&path) {
        Ok(journal) => Ok((journal, None)),
        Err(err) => Ok((Journal::in_memory(), Some(format!("the journal is kept in memory only: {err}")))),
    }
}

/// Executes `cmds` without a terminal until nothing is left to do: jobs run to their end (their
/// events fed back through `update`), records go to the journal, saves are written. For tests
/// and scripted use, so a step can be driven and snapshotted as the runtime would show it. A
/// console job reads the end of its input at once, so a line sent to it is not delivered: drive
/// a console session through `update` and the runtime instead.
pub async fn run_to_idle(app: &mut App, cmds: Vec<Cmd>) {
    let mut queue: VecDeque<Cmd> = cmds.into();
    while let Some(cmd) = queue.pop_front() {
        let msgs = match cmd {
            Cmd::Spawn(job) => {
                let ctx = app.ctx.clone();
                crate::wizard::job::run_collect(job, ctx).await.into_iter().map(Msg::Job).collect()
            }
            Cmd::Record(event) => {
                app.ctx.journal.record(event);
                Vec::new()
            }
            Cmd::Save { base, state, note } => {
                app.ctx.journal.record(state);
                let events = app.ctx.journal.events();
                vec![Msg::Saved(export::save_with_note(&base, &events, note.as_deref()).map_err(|err| err.to_string()))]
            }
            Cmd::Send { step, job, .. } => vec![Msg::Undelivered { step, job, why: Undelivered::Ended }],
            Cmd::Cancel(_) | Cmd::CloseInput(_) | Cmd::Quit => Vec::new(),
        };
        for msg in msgs {
            queue.extend(update(app, msg));
        }
    }
}
