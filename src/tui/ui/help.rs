//! The help overlay, generated from the key bindings and the current step's keys.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::tui::app::App;
use crate::tui::keys;

/// Draws the help centred over `area`.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let heading = |text: String| Line::styled(text, Style::new().add_modifier(Modifier::BOLD));
    let entry = |key: &str, help: &str| {
        Line::from(vec![Span::styled(format!("  {key:<10}"), theme.key()), Span::raw(help.to_string())])
    };
    let mut lines = vec![heading("Navigation".into())];
    lines.extend(keys::NAVIGATION.iter().map(|b| entry(b.keys, b.help)));
    let step = app.wizard.step(app.current);
    let step_keys = step.keys();
    if !step_keys.is_empty() {
        lines.push(Line::default());
        lines.push(heading(format!("{} step", app.current.title())));
        lines.extend(step_keys.iter().map(|k| entry(&k.key.to_string(), k.hint)));
    }
    lines.push(Line::default());
    lines.push(heading("Input line (i or : on a step with a console)".into()));
    lines.extend(keys::INPUT.iter().map(|(k, h)| entry(k, h)));
    let width = 72.min(area.width.saturating_sub(2));
    let height = (lines.len() as u16 + 2).min(area.height.saturating_sub(2));
    let popup = Rect {
        x: area.x + (area.width.saturating_sub(width)) / 2,
        y: area.y + (area.height.saturating_sub(height)) / 2,
        width,
        height,
    };
    let block = Block::bordered().title(" Help · any key closes ").border_style(theme.focus());
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}
