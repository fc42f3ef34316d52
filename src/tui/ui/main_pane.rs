//! The main pane: the current step's view, of which only the visible rows are built.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::tui::app::App;
use crate::wizard::{Row, StepView, Tone};

/// Draws the current step into `area`.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let view = app.wizard.step(app.current).view(&app.session);
    let mut block = Block::bordered()
        .title(format!(" {} {} ", app.current.index() + 1, app.current.title()))
        .border_style(theme.focus());
    if let Some(job) = app.jobs.iter().rev().find(|j| j.step == app.current) {
        let progress = view.progress.map(|p| format!(" {:>3.0}%", p.clamp(0.0, 1.0) * 100.0)).unwrap_or_default();
        block = block.title_top(
            Line::from(format!(" {} {}{progress} · Esc cancels ", super::spinner(app.spinner), job.label))
                .right_aligned(),
        );
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let height = usize::from(inner.height.saturating_sub(1));
    let mut lines = vec![Line::styled(super::safe(&view.subtitle), theme.tone(Tone::Dim))];
    let scroll = app.scroll.get(&app.current).copied().unwrap_or_default();
    let first = first_visible(&view, scroll, height);
    lines.extend(view.rows.iter().enumerate().skip(first).take(height).map(|(i, row)| {
        let selected = view.selected == Some(i);
        row_line(app, row, selected)
    }));
    if view.rows.len() > height || scroll.column > 0 {
        let mut shown = format!(" {}-{}/{} ", first + 1, (first + height).min(view.rows.len()), view.rows.len());
        if scroll.column > 0 {
            shown.push_str(&format!("· col {} ", scroll.column + 1));
        }
        frame.render_widget(
            Paragraph::new(Line::styled(shown, theme.chrome()).right_aligned()),
            Rect { y: area.bottom().saturating_sub(1), height: 1, ..area }.inner(ratatui::layout::Margin::new(1, 0)),
        );
    }
    frame.render_widget(Paragraph::new(lines).scroll((0, scroll.column)), inner);
}

/// The first row on screen: the tail of a console, the scroll offset, and the selection in view.
fn first_visible(view: &StepView, scroll: crate::tui::app::Scroll, height: usize) -> usize {
    let max = view.rows.len().saturating_sub(height);
    let mut first = if view.follow_tail && !scroll.detached { max } else { scroll.offset.min(max) };
    if let Some(selected) = view.selected {
        if selected < first {
            first = selected;
        } else if height > 0 && selected >= first + height {
            first = selected + 1 - height;
        }
    }
    first
}

fn row_line<'a>(app: &App, row: &'a Row, selected: bool) -> Line<'a> {
    let theme = app.theme;
    let spans: Vec<Span> =
        row.spans.iter().map(|(tone, text)| Span::styled(super::safe(text), theme.tone(*tone))).collect();
    let line = Line::from(spans);
    if selected { line.style(theme.tone(Tone::Selected)) } else { line }
}
