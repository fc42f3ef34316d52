//! Keys and the mouse: navigation, the input line and what it submits, search, scrolling and
//! quitting.

use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::bridge::{apply_effects, cancel_jobs};
use super::model::{App, Cmd, FindingView, Mode, Purpose};
use crate::session::{Event, EventKind, Finding, Severity};
use crate::tui::keys::{self, KeyAction};
use crate::tui::layout;
use crate::tui::search::{self, Hit, Search};
use crate::wizard::{StepId, Tone};

/// Columns one Left/Right moves the main pane.
const HSCROLL_STEP: u16 = 8;

/// Rows are capped at a few KiB by the engines; no need to scroll further.
const MAX_HSCROLL: u16 = 4096;

pub(super) fn on_mouse(app: &mut App, mouse: MouseEvent) -> Vec<Cmd> {
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
            if let Some(step) = layout::step_at(app, mouse.column, mouse.row) {
                app.goto(step);
            } else if let Some(index) = layout::finding_at(app, mouse.column, mouse.row) {
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
    let page = layout::help_rows(app).cast_signed();
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
    let max = layout::help_max_scroll(app);
    app.help_scroll = app.help_scroll.saturating_add_signed(delta).min(max);
}

/// Keys of the full-screen finding view: scroll, move to the next finding, close.
fn on_finding_view_key(app: &mut App, key: KeyEvent) -> Vec<Cmd> {
    let page = layout::page_rows(app.size).cast_signed();
    match keys::action_for(&key) {
        Some(KeyAction::ScrollUp) => scroll_finding_view(app, -1),
        Some(KeyAction::ScrollDown) => scroll_finding_view(app, 1),
        Some(KeyAction::PageUp) => scroll_finding_view(app, -page),
        Some(KeyAction::PageDown) => scroll_finding_view(app, page),
        Some(KeyAction::Top) => scroll_finding_view(app, isize::MIN / 2),
        Some(KeyAction::Bottom) => scroll_finding_view(app, isize::MAX / 2),
        Some(action @ (KeyAction::ScrollLeft | KeyAction::ScrollRight)) => {
            let (_, wider) = layout::finding_view_extent(app);
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
    let max = layout::finding_view_extent(app).0.saturating_sub(layout::page_rows(app.size));
    if let Some(view) = &mut app.finding_view {
        view.offset = view.offset.saturating_add_signed(delta).min(max);
    }
}

pub(super) fn on_key(app: &mut App, key: KeyEvent) -> Vec<Cmd> {
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
            && app.wizard.keys(app.current).iter().any(|k| k.key == c)
        {
            let effects = app.wizard.key(app.current, c, &mut app.session, &app.ctx);
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
        // Pages and ends scroll the text in every pane; ↑↓ move within a pane's list.
        KeyAction::PageUp => return scroll_by(app, -app.page_rows().max(1).cast_signed()),
        KeyAction::PageDown => return scroll_by(app, app.page_rows().max(1).cast_signed()),
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
            let effects = app.wizard.run(app.current, &mut app.session, &app.ctx);
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
            // The pane's own selection first (step 7's cause), else the side panel's.
            let focused = app
                .wizard
                .step(app.current)
                .focused_finding()
                .and_then(|id| app.findings_sorted().iter().position(|f| f.id == id));
            if let Some(index) = focused {
                app.selected_finding = Some(index);
            } else if app.selected_finding.is_none() {
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
        let effects = app.wizard.confirmed(step, yes, &mut app.session, &app.ctx);
        cmds.extend(apply_effects(app, effects));
        return cmds;
    }
    if purpose == Purpose::ConfirmQuit {
        return match key.code {
            KeyCode::Char('y' | 'Y' | 'q') => quit_now(app),
            KeyCode::Char('s' | 'S') => {
                app.input = Input::new(app.default_save_base().display().to_string());
                app.mode = Mode::Input(Purpose::SavePath);
                app.quit_after_save = true;
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
            app.quit_after_save = false;
            if purpose == Purpose::Console {
                app.wizard.step_mut(app.current).input_left();
            }
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
        KeyCode::Char(c) if crate::tui::paste::full(&app.input, c) => Vec::new(),
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
            let effects = app.wizard.submit(app.current, line, &mut app.session, &app.ctx);
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
            vec![Cmd::Save {
                base,
                state: crate::session::state::state_event(&app.session),
                note: crate::wizard::postmaster_note::postmaster_note(&app.session),
            }]
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
    let view = app.wizard.view(app.current, &app.session);
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
            let max = layout::main_last_first_row(app, &view);
            let scroll = app.scroll.entry(app.current).or_default();
            scroll.offset = row.min(max);
            scroll.detached = scroll.offset < max || view.follow_tail;
            scroll.free = true;
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
        // The selection comes back into view.
        app.scroll.entry(app.current).or_default().free = false;
        return Vec::new();
    }
    scroll_by(app, delta)
}

/// Scrolls the main pane's text by `delta` rows from where it shows now, up to the row from which
/// the rest fits.
fn scroll_by(app: &mut App, delta: isize) -> Vec<Cmd> {
    let view = app.wizard.view(app.current, &app.session);
    let start = layout::main_first_row(app, &view);
    let max = layout::main_last_first_row(app, &view);
    let offset = start.saturating_add_signed(delta).min(max);
    let scroll = app.scroll.entry(app.current).or_default();
    scroll.offset = offset;
    scroll.detached = offset < max;
    scroll.free = true;
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
