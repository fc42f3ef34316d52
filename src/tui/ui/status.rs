//! The status bar: hints generated from the live key bindings.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::app::{App, Mode, Purpose};
use crate::tui::keys::{self, KeyAction};

/// Draws the status bar into `area`.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let mut spans = Vec::new();
    for (key, hint) in fit(hints(app), usize::from(area.width)) {
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
        Mode::Input(Purpose::Confirm(_)) => vec![("y".into(), "yes".into()), ("any other key".into(), "no".into())],
        Mode::Input(Purpose::Console) => keys::INPUT.iter().map(|(k, h)| (k.to_string(), h.to_string())).collect(),
        Mode::Input(_) => vec![("Enter".into(), "ok".into()), ("Esc".into(), "cancel".into())],
        Mode::Navigation if app.show_help => {
            vec![("↑/↓ PgUp/PgDn".into(), "scroll".into()), ("any other key".into(), "close help".into())]
        }
        Mode::Navigation if app.finding_view.is_some() => {
            let mut hints: Vec<(String, String)> =
                keys::FINDING_VIEW.iter().map(|(k, h)| (k.to_string(), h.to_string())).collect();
            hints.extend(bound(&[KeyAction::Help]));
            hints
        }
        Mode::Navigation => {
            let step = app.wizard.step(app.current);
            let mut hints = bound(&[KeyAction::NextStep, KeyAction::Run]);
            if app.busy()
                && let Some(cancel) = keys::binding(KeyAction::Cancel)
            {
                hints.push((cancel.keys.to_string(), "cancel".into()));
            }
            if app.search.is_some() {
                hints.push(("n/N".into(), "next/prev match".into()));
                hints.push(("Esc".into(), "end search".into()));
            }
            hints.extend(step.bar_keys().iter().map(|k| (k.key.to_string(), k.hint.to_string())));
            if step.prompt().is_some() {
                hints.extend(bound(&[KeyAction::Type]));
            }
            if app.search.is_none() {
                hints.extend(bound(&[KeyAction::Note]));
            }
            hints.extend(bound(&[
                KeyAction::ViewFinding,
                KeyAction::Zoom,
                KeyAction::Search,
                KeyAction::NextFinding,
                KeyAction::Save,
                KeyAction::Help,
                KeyAction::Quit,
            ]));
            hints
        }
    }
}

/// The (keys, hint) of the bindings of `actions` that have a hint.
fn bound(actions: &[KeyAction]) -> Vec<(String, String)> {
    actions
        .iter()
        .filter_map(|&action| keys::binding(action))
        .filter_map(|b| b.hint.map(|hint| (b.keys.to_string(), hint.to_string())))
        .collect()
}

/// Makes the hints fit in `width` columns: first a key named twice is shortened to its first
/// name (`q/Ctrl-C` to `q`), then each hint to its first word, and only then are hints dropped from
/// the end, keeping the help hint, which leads to all the others, and the quit hint, the way out.
fn fit(mut hints: Vec<(String, String)>, width: usize) -> Vec<(String, String)> {
    let kept: Vec<&str> =
        [KeyAction::Help, KeyAction::Quit].iter().filter_map(|&a| keys::binding(a)).map(|b| b.keys).collect();
    let len = |hints: &[(String, String)]| -> usize {
        hints.iter().map(|(k, h)| k.chars().count() + 1 + h.chars().count()).sum::<usize>()
            + 3 * hints.len().saturating_sub(1)
    };
    let shorten: [fn(&mut (String, String)); 2] = [
        // `q/Ctrl-C` and `?/F1` name one action twice; `↑/↓` and `PgUp/PgDn` name two.
        |(key, _)| {
            if let Some((first, rest)) = key.split_once('/')
                && first.chars().count() == 1
                && rest.split('/').all(|other| other.chars().count() > 1)
            {
                *key = first.to_string();
            }
        },
        |(_, hint)| {
            if let Some((first, _)) = hint.split_once(' ') {
                *hint = first.to_string();
            }
        },
    ];
    for step in shorten {
        if len(&hints) <= width {
            return hints;
        }
        let mut short = hints.clone();
        short.iter_mut().for_each(step);
        hints = short;
    }
    while len(&hints) > width {
        let droppable = hints
            .iter()
            .rposition(|(k, _)| !kept.iter().any(|kept| kept == k || kept.split('/').next() == Some(k.as_str())));
        match droppable {
            Some(i) => {
                hints.remove(i);
            }
            None => break,
        }
    }
    hints
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_that_do_not_fit_are_dropped_but_help_and_quit_stay() {
        let hints = vec![
            ("Tab".to_string(), "next step".to_string()),
            ("n".to_string(), "note".to_string()),
            ("?/F1".to_string(), "help".to_string()),
            ("q/Ctrl-C".to_string(), "quit".to_string()),
        ];
        assert_eq!(fit(hints.clone(), 200), hints);
        let keys = |width| fit(hints.clone(), width).into_iter().map(|(k, _)| k).collect::<Vec<_>>();
        // "Tab next step · n note · ?/F1 help · q/Ctrl-C quit" is 50 columns.
        assert_eq!(keys(50), ["Tab", "n", "?/F1", "q/Ctrl-C"]);
        // Shortened before dropped: "Tab next step · n note · ? help · q quit" (40).
        assert_eq!(keys(49), ["Tab", "n", "?", "q"]);
        // Then "Tab next · n note · ? help · q quit" (35).
        assert_eq!(fit(hints.clone(), 35)[0], ("Tab".to_string(), "next".to_string()));
        assert_eq!(keys(34), ["Tab", "?", "q"]);
        assert_eq!(keys(3), ["?", "q"]);
    }
}
