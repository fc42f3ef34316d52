//! The terminal wizard's model and `update`, which turns messages into state changes and
//! commands for the runtime. Nothing here performs I/O: journal writes, jobs and saves are
//! [`Cmd`]s the runtime executes. The model is `model.rs`, keys and the mouse `key_handling.rs`,
//! the bridge to the wizard's steps and jobs `bridge.rs`.

mod bridge;
mod key_handling;
mod model;

pub use model::{App, Cmd, FindingView, History, Message, Mode, Msg, Purpose, Scroll};

use crate::wizard::Tone;

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
        Msg::Key(key) if crate::tui::keys::is_press(&key) => key_handling::on_key(app, key),
        Msg::Key(_) => return Vec::new(),
        Msg::Mouse(mouse) => key_handling::on_mouse(app, mouse),
        Msg::Paste(text) => {
            if !matches!(app.mode, Mode::Input(Purpose::Console | Purpose::Note | Purpose::SavePath | Purpose::Search))
            {
                return Vec::new();
            }
            // A console may take a paste whole (a bounce's text at `bounce>`); anything else
            // goes in as one line, in one pass, within the cap of a console line.
            if !(app.mode == Mode::Input(Purpose::Console) && app.wizard.step_mut(app.current).paste(&text)) {
                app.input = crate::tui::paste::paste(&app.input, &text);
            }
            Vec::new()
        }
        Msg::Job(event) => bridge::on_job_event(app, event),
        Msg::JobFailed { job, step, error } => bridge::on_job_failed(app, job, step, &error),
        Msg::Undelivered { step, job, why } => {
            app.wizard.undelivered(step, job, why);
            Vec::new()
        }
        Msg::Saved(Ok(paths)) => {
            app.unsaved = false;
            app.set_message(Tone::Ok, saved_message(&paths));
            if std::mem::take(&mut app.quit_after_save) {
                app.quit = true;
                return vec![Cmd::Quit];
            }
            Vec::new()
        }
        Msg::Saved(Err(err)) => {
            app.quit_after_save = false;
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

/// What a save wrote, the endings first so a narrow status line still names every file:
/// "saved .txt .md .jsonl .note.txt as /dir/session-…".
fn saved_message(paths: &[std::path::PathBuf]) -> String {
    let Some(first) = paths.first() else { return "saved".to_string() };
    let base = first.with_extension("");
    let shown = base.display().to_string();
    let endings: Vec<String> = paths
        .iter()
        .map(|path| path.display().to_string())
        .map(|path| path.strip_prefix(&shown).map_or_else(|| path.clone(), str::to_string))
        .collect();
    format!("saved {} as {shown}", endings.join(" "))
}
