//! The runtime: owns the terminal, waits on keys, job events, signals and the spinner timer in
//! one `select!`, runs `update`, executes its commands, and draws after each change.

use std::collections::{HashMap, VecDeque};
use std::io::{Stdout, stdout};
use std::time::Duration;

use anyhow::Context as _;
use crossterm::event::{DisableMouseCapture, EnableMouseCapture, Event as TermEvent, EventStream, KeyCode};
use crossterm::execute;
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use serde_json::json;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio_util::sync::CancellationToken;

use super::app::{App, Cmd, Msg, update};
use super::theme::Theme;
use super::ui;
use crate::context::Context;
use crate::session::{Event, EventKind, Session, Target, export};
use crate::wizard::{JobCtx, JobEvent, JobId};

/// How the terminal front end was started.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--no-color`.
    pub no_color: bool,
}

/// Names the key that panics on purpose, so tests can prove the terminal is restored and the
/// journal kept.
const TEST_PANIC_KEY: &str = "MAILWIZ_TEST_PANIC_KEY";

/// Runs the wizard in the terminal until the user quits or a signal ends it.
pub async fn run(ctx: Context, target: Option<Target>, options: Options) -> anyhow::Result<()> {
    let mut session = Session::new(ctx.journal.clone());
    session.target = target;
    let mut app = App::new(ctx.clone(), session);
    app.theme = Theme::from_env(options.no_color);
    ctx.journal.record(start_event(&app));

    let mut terminal = enter().context("cannot set up the terminal")?;
    install_panic_hook();
    let result = event_loop(&mut terminal, &mut app).await;
    restore();
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
    if let Err(err) = execute!(stdout(), EnterAlternateScreen, EnableMouseCapture) {
        restore();
        return Err(err);
    }
    Terminal::new(CrosstermBackend::new(stdout()))
}

/// Gives the terminal back: cooked mode, main screen, no mouse capture, visible cursor.
fn restore() {
    let _ = execute!(stdout(), DisableMouseCapture, LeaveAlternateScreen, crossterm::cursor::Show);
    let _ = disable_raw_mode();
}

/// A panic restores the terminal before the message is printed, so it can be read.
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}

/// What the runtime waits on besides the terminal.
struct Runtime {
    ctx: Context,
    jobs_tx: UnboundedSender<JobEvent>,
    tokens: HashMap<JobId, CancellationToken>,
    panic_key: Option<char>,
}

async fn event_loop(terminal: &mut Term, app: &mut App) -> anyhow::Result<()> {
    let (jobs_tx, mut jobs_rx) = unbounded_channel();
    let mut rt = Runtime {
        ctx: app.ctx.clone(),
        jobs_tx,
        tokens: HashMap::new(),
        panic_key: std::env::var(TEST_PANIC_KEY).ok().and_then(|v| v.chars().next()),
    };
    let mut events = EventStream::new();
    let mut spinner = tokio::time::interval(Duration::from_millis(100));
    spinner.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut signals = Signals::new()?;
    let size = terminal.size()?;
    let mut pending = VecDeque::from([Msg::Resize(size.width, size.height)]);
    loop {
        while let Some(msg) = pending.pop_front() {
            rt.check_panic_key(&msg);
            if let Msg::Job(event) = &msg
                && event.done
            {
                rt.tokens.remove(&event.job);
            }
            for cmd in update(app, msg) {
                if let Some(msg) = rt.execute(cmd) {
                    pending.push_back(msg);
                }
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
            _ = spinner.tick(), if app.busy() => Msg::Tick,
            () = signals.recv() => Msg::Terminate,
        };
        pending.push_back(msg);
    }
    for token in rt.tokens.values() {
        token.cancel();
    }
    Ok(())
}

fn to_msg(event: TermEvent) -> Option<Msg> {
    match event {
        TermEvent::Key(key) => Some(Msg::Key(key)),
        TermEvent::Mouse(mouse) => Some(Msg::Mouse(mouse)),
        TermEvent::Resize(width, height) => Some(Msg::Resize(width, height)),
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

    /// Runs one command; a save answers with a message for `update`.
    fn execute(&mut self, cmd: Cmd) -> Option<Msg> {
        match cmd {
            Cmd::Spawn(job) => {
                let token = CancellationToken::new();
                self.tokens.insert(job.id, token.clone());
                let jc = JobCtx::new(job.id, job.step, self.ctx.clone(), token, self.jobs_tx.clone());
                tokio::spawn((job.run)(jc));
                None
            }
            Cmd::Record(event) => {
                self.ctx.journal.record(event);
                None
            }
            Cmd::Cancel(id) => {
                if let Some(token) = self.tokens.remove(&id) {
                    token.cancel();
                }
                None
            }
            Cmd::Save { base, state } => {
                self.ctx.journal.record(state);
                let saved = export::save(&base, &self.ctx.journal.events()).map_err(|err| err.to_string());
                match &saved {
                    Ok(paths) => self.ctx.journal.log(EventKind::Info, format!("saved to {}", paths[0].display())),
                    Err(err) => self.ctx.journal.log(EventKind::Error, format!("save failed: {err}")),
                }
                Some(Msg::Saved(saved))
            }
            Cmd::Quit => None,
        }
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
