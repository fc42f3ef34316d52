//! The help overlay, generated from the key bindings and the current step's keys.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::tui::app::App;
use crate::tui::keys;

/// The help's lines: navigation keys, the current step's keys, input-line keys.
fn lines(app: &App) -> Vec<Line<'static>> {
    let theme = app.theme;
    let heading = |text: String| Line::styled(text, Style::new().add_modifier(Modifier::BOLD));
    let entry = |key: &str, help: &str| {
        Line::from(vec![Span::styled(format!("  {key:<10}"), theme.key()), Span::raw(help.to_string())])
    };
    let mut lines = vec![heading("Navigation".into())];
    // A binding without a name shares the line of the one before it (← and →).
    lines.extend(keys::NAVIGATION.iter().filter(|b| !b.keys.is_empty()).map(|b| entry(b.keys, b.help)));
    let step_keys = app.wizard.step(app.current).keys();
    if !step_keys.is_empty() {
        lines.push(Line::default());
        lines.push(heading(format!("{} step", app.current.title())));
        lines.extend(step_keys.iter().map(|k| entry(&k.key.to_string(), k.hint)));
    }
    lines.push(Line::default());
    lines.push(heading("Input line (i or : on a step with a console)".into()));
    lines.extend(keys::INPUT.iter().map(|(k, h)| entry(k, h)));
    lines
}

/// Draws the help centred over `area`, in two columns when one does not fit.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let mut lines = lines(app);
    let room = area.height.saturating_sub(4);
    let two_columns = lines.len() as u16 > room && area.width >= 100;
    let (width, rows) = if two_columns {
        (area.width.saturating_sub(4).min(140), lines.len().div_ceil(2) as u16)
    } else {
        (72.min(area.width.saturating_sub(2)), lines.len() as u16)
    };
    let height = (rows + 2).min(area.height.saturating_sub(2));
    let popup = Rect {
        x: area.x + (area.width.saturating_sub(width)) / 2,
        y: area.y + (area.height.saturating_sub(height)) / 2,
        width,
        height,
    };
    let block = Block::bordered().title(" Help · any key closes ").border_style(app.theme.focus());
    let inner = block.inner(popup);
    frame.render_widget(Clear, popup);
    frame.render_widget(block, popup);
    if two_columns {
        let right = lines.split_off(lines.len().div_ceil(2));
        let [left_area, right_area] = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(inner);
        frame.render_widget(Paragraph::new(lines), left_area);
        frame.render_widget(Paragraph::new(right), right_area);
    } else {
        frame.render_widget(Paragraph::new(lines), inner);
    }
}
