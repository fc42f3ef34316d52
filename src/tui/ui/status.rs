//! The status bar: hints generated from the live key bindings.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::app::{App, Mode, Purpose};
use crate::tui::keys::{self, Action};

/// Draws the status bar into `area`.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let mut spans = Vec::new();
    for (key, hint) in hints(app) {
        if !spans.is_empty() {
            spans.push(Span::styled(" · ", theme.chrome()));
        }
        spans.push(Span::styled(key, theme.key()));
        spans.push(Span::raw(format!(" {hint}")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The (key, hint) pairs that apply right now, most useful first.
pub fn hints(app: &App) -> Vec<(String, String)> {
    match app.mode {
        Mode::Input(Purpose::ConfirmQuit) => {
            vec![("y".into(), "quit".into()), ("s".into(), "save".into()), ("n".into(), "stay".into())]
        }
        Mode::Input(Purpose::Console) => keys::INPUT.iter().map(|(k, h)| (k.to_string(), h.to_string())).collect(),
        Mode::Input(_) => vec![("Enter".into(), "ok".into()), ("Esc".into(), "cancel".into())],
        Mode::Navigation if app.show_help => vec![("any key".into(), "close help".into())],
        Mode::Navigation => {
            let step = app.wizard.step(app.current);
            let mut hints = bound(&[Action::NextStep, Action::Run]);
            if app.busy()
                && let Some(cancel) = keys::binding(Action::Cancel)
            {
                hints.push((cancel.keys.to_string(), "cancel".into()));
            }
            hints.extend(step.keys().iter().map(|k| (k.key.to_string(), k.hint.to_string())));
            if step.prompt().is_some() {
                hints.extend(bound(&[Action::Type]));
            }
            hints.extend(bound(&[Action::Note, Action::NextFinding, Action::Save, Action::Help, Action::Quit]));
            hints
        }
    }
}

/// The (keys, hint) of the bindings of `actions` that have a hint.
fn bound(actions: &[Action]) -> Vec<(String, String)> {
    actions
        .iter()
        .filter_map(|&action| keys::binding(action))
        .filter_map(|b| b.hint.map(|hint| (b.keys.to_string(), hint.to_string())))
        .collect()
}
