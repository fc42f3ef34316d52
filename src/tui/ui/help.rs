//! The help overlay, generated from the key bindings and the current step's keys.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::tui::app::App;
use crate::tui::keys::{self, HelpLine};
use crate::tui::layout::help;

/// The help's lines, styled.
fn lines(app: &App) -> Vec<Line<'static>> {
    let heading = |text: String| Line::styled(text, Style::new().add_modifier(Modifier::BOLD));
    keys::help_lines(app.current, &app.wizard.keys(app.current))
        .into_iter()
        .map(|line| match line {
            HelpLine::Heading(text) => heading(text),
            HelpLine::Entry(key, help) => {
                Line::from(vec![Span::styled(format!("  {key:<10}"), app.theme.key()), Span::raw(help)])
            }
            HelpLine::Blank => Line::default(),
        })
        .collect()
}

/// Draws the help centred over `area`, in two columns when one does not fit and the screen is
/// wide, scrolled by [`App::help_scroll`] when even that does not fit.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let mut lines = lines(app);
    let two_columns = help::two_columns(area, lines.len());
    let (per_column, visible) = help::columns(area, lines.len());
    let width = if two_columns { area.width.saturating_sub(4).min(140) } else { 72.min(area.width.saturating_sub(2)) };
    let height = u16::try_from(visible).unwrap_or(u16::MAX).saturating_add(2).min(area.height.saturating_sub(2));
    let popup = Rect {
        x: area.x + (area.width.saturating_sub(width)) / 2,
        y: area.y + (area.height.saturating_sub(height)) / 2,
        width,
        height,
    };
    let scrolls = visible < per_column;
    let offset = app.help_scroll.min(per_column - visible);
    let title =
        if scrolls { " Help · ↑↓ PgUp PgDn scroll · other keys close " } else { " Help · any key closes " };
    let mut block = Block::bordered().title(title).border_style(app.theme.focus());
    if scrolls {
        let shown = format!(" {}-{}/{} ", offset + 1, offset + visible, per_column);
        block = block.title_bottom(Line::from(shown).right_aligned());
    }
    let inner = block.inner(popup);
    frame.render_widget(Clear, popup);
    frame.render_widget(block, popup);
    let scroll = (u16::try_from(offset).unwrap_or(u16::MAX), 0);
    if two_columns {
        let right = lines.split_off(per_column);
        let [left_area, right_area] = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(inner);
        frame.render_widget(Paragraph::new(lines).scroll(scroll), left_area);
        frame.render_widget(Paragraph::new(right).scroll(scroll), right_area);
    } else {
        frame.render_widget(Paragraph::new(lines).scroll(scroll), inner);
    }
}
