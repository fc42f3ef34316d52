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
            let mut hints = Vec::new();
            let mut push = |action: Action| {
                if let Some(b) = keys::binding(action)
                    && let Some(hint) = b.hint
                {
                    hints.push((b.keys.to_string(), hint.to_string()));
                }
            };
            push(Action::NextStep);
            push(Action::Run);
            let mut hints_out = hints;
            if app.busy() {
                hints_out.push(("Esc".into(), "cancel".into()));
            }
            hints_out.extend(step.keys().iter().map(|k| (k.key.to_string(), k.hint.to_string())));
            let mut rest = Vec::new();
            let mut push = |action: Action| {
                if let Some(b) = keys::binding(action)
                    && let Some(hint) = b.hint
                {
                    rest.push((b.keys.to_string(), hint.to_string()));
                }
            };
            if step.prompt().is_some() {
                push(Action::Type);
            }
            for action in [Action::Note, Action::NextFinding, Action::Save, Action::Help, Action::Quit] {
                push(action);
            }
            hints_out.extend(rest);
            hints_out
        }
    }
}
