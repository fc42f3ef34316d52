//! The main pane: the current step's view, of which only the visible rows are built.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::tui::app::App;
use crate::tui::layout::rows::{cut_row, first_visible, text_width, wrap_row};
use crate::wizard::{Row, Tone};

/// Draws the current step into `area`.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let view = app.wizard.view(app.current, &app.session);
    let mut block = Block::bordered()
        .title(format!(" {} {} ", app.current.index() + 1, app.current.label()))
        .border_style(theme.focus());
    if let Some(job) = app.wizard.jobs().iter().rev().find(|j| j.step == app.current).filter(|_| !view.idle) {
        let progress = view.progress.map(|p| format!(" {:>3.0}%", p.clamp(0.0, 1.0) * 100.0)).unwrap_or_default();
        block = block.title_top(
            Line::from(format!(
                " {} {} {}s{progress} · Esc cancels ",
                super::spinner(app.spinner),
                job.label,
                app.elapsed_secs(job)
            ))
            .right_aligned(),
        );
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let height = usize::from(inner.height.saturating_sub(1));
    let width = text_width(inner.width);
    let scroll = app.scroll.get(&app.current).copied().unwrap_or_default();
    // The subtitle ends in `…` rather than mid-word; scrolled sideways, it is read whole.
    let subtitle = super::safe(&view.subtitle);
    let subtitle = if scroll.column == 0 { super::cut(&subtitle, width) } else { subtitle.into_owned() };
    let mut lines = vec![Line::styled(subtitle, theme.tone(Tone::Dim))];
    let first = first_visible(&view, scroll, height, width);
    // A console's tail ends at the bottom: the row above it shows its last lines when it does
    // not fit whole.
    let tail = view.follow_tail && !scroll.detached;
    let mut body = Vec::new();
    // The last row whose every line is on screen, for a position that tells the truth.
    let mut last = first;
    for (i, row) in view.rows.iter().enumerate().skip(if tail { first.saturating_sub(1) } else { first }) {
        if !tail && body.len() >= height {
            break;
        }
        let selected = view.selected == Some(i);
        // Scrolled sideways, a table row is drawn whole so that the rest can be read.
        let rows = if row.table && scroll.column == 0 { vec![cut_row(row, width)] } else { wrap_row(row, width) };
        body.extend(rows.iter().map(|row| row_line(app, row, selected)));
        if tail || body.len() <= height {
            last = i + 1;
        }
    }
    let skip = if tail { body.len().saturating_sub(height) } else { 0 };
    lines.extend(body.into_iter().skip(skip).take(height));
    if first > 0 || last < view.rows.len() || scroll.column > 0 {
        let mut shown = format!(" {}-{last}/{} ", first + 1, view.rows.len());
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

fn row_line(app: &App, row: &Row, selected: bool) -> Line<'static> {
    let theme = app.theme;
    let spans: Vec<Span> =
        row.spans.iter().map(|(tone, text)| Span::styled(super::safe(text).into_owned(), theme.tone(*tone))).collect();
    let line = Line::from(super::highlight(spans, app.search_query(), theme.tone(Tone::Selected)));
    if selected { line.style(theme.tone(Tone::Selected)) } else { line }
}
