//! The help overlay, generated from the key bindings and the current step's keys.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::tui::app::App;
use crate::tui::keys;

/// The help's lines: the current step's own keys (first, so a small screen shows them without
/// scrolling), navigation keys, the finding view's and the input line's keys.
pub fn lines(app: &App) -> Vec<Line<'static>> {
    let theme = app.theme;
    let heading = |text: String| Line::styled(text, Style::new().add_modifier(Modifier::BOLD));
    let entry = |key: &str, help: &str| {
        Line::from(vec![Span::styled(format!("  {key:<10}"), theme.key()), Span::raw(help.to_string())])
    };
    let mut lines = Vec::new();
    let step_keys = app.wizard.keys(app.current);
    if !step_keys.is_empty() {
        lines.push(heading(format!("{} step", app.current.label())));
        lines.extend(step_keys.iter().map(|k| entry(&k.key.to_string(), k.hint)));
        lines.push(Line::default());
    }
    lines.push(heading("Navigation".into()));
    // A binding without a name shares the line of the one before it (← and →).
    lines.extend(keys::NAVIGATION.iter().filter(|b| !b.keys.is_empty()).map(|b| entry(b.keys, b.help)));
    lines.push(Line::default());
    lines.push(heading("Reading a finding (v)".into()));
    lines.extend(keys::FINDING_VIEW.iter().map(|(k, h)| entry(k, h)));
    lines.push(Line::default());
    lines.push(heading("Input line (i or : on a step with a console)".into()));
    lines.extend(keys::INPUT.iter().map(|(k, h)| entry(k, h)));
    lines
}

/// Whether `len` lines of help go in two columns on a screen of `area`: when one column does
/// not fit and the screen is wide enough.
fn two_columns(area: Rect, len: usize) -> bool {
    len > usize::from(area.height.saturating_sub(4)) && area.width >= 100
}

/// The help's layout on a screen of `area` for `len` lines: lines per column, and how many of
/// them show at once (the rest scroll).
fn layout(area: Rect, len: usize) -> (usize, usize) {
    let per_column = if two_columns(area, len) { len.div_ceil(2) } else { len };
    (per_column, per_column.min(usize::from(area.height.saturating_sub(4))))
}

/// How far the help can scroll on a screen of `area` for `len` lines.
pub fn max_scroll(area: Rect, len: usize) -> usize {
    let (per_column, visible) = layout(area, len);
    per_column - visible
}

/// How many lines of the help show at once on a screen of `area` for `len` lines.
pub fn rows(area: Rect, len: usize) -> usize {
    layout(area, len).1
}

/// Draws the help centred over `area`, in two columns when one does not fit and the screen is
/// wide, scrolled by [`App::help_scroll`] when even that does not fit.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let mut lines = lines(app);
    let two_columns = two_columns(area, lines.len());
    let (per_column, visible) = layout(area, lines.len());
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
