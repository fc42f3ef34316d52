//! The findings panel: severity, id and summary of each finding, and the evidence and fix of the
//! selected one. `v` reads a finding whole ([`super::finding_view`]).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::session::Finding;
use crate::tui::app::App;
use crate::wizard::Tone;

/// Lines of summary a finding shows in the list; the rest is read with `v`.
const SUMMARY_LINES: usize = 2;

/// Draws the findings panel into `area`.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let findings = app.findings_sorted();
    let title = if findings.is_empty() { " Findings ".to_string() } else { format!(" Findings ({}) ", findings.len()) };
    let block = Block::bordered().title(title).border_style(theme.chrome());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if findings.is_empty() {
        let hint = "None yet. Run a step with Enter, or add a note with n.";
        frame.render_widget(Paragraph::new(hint).style(theme.tone(Tone::Dim)).wrap(Wrap { trim: true }), inner);
        return;
    }
    let (list_area, detail_area) = split(app, inner);
    let mut lines = Vec::new();
    for (_, entry) in visible(app, &findings, list_area) {
        lines.extend(entry);
    }
    frame.render_widget(Paragraph::new(lines), list_area);
    if let (Some(finding), Some(area)) = (app.selected(), detail_area) {
        render_detail(frame, area, app, finding);
    }
}

/// The list's area and, when a finding is selected and there is room, its detail's.
fn split(app: &App, inner: Rect) -> (Rect, Option<Rect>) {
    match app.selected() {
        Some(_) if inner.height >= 8 => {
            let [list, detail] = Layout::vertical([Constraint::Percentage(45), Constraint::Fill(1)]).areas(inner);
            (list, Some(detail))
        }
        _ => (inner, None),
    }
}

/// The finding drawn at (`column`, `row`) in the panel drawn into `area`.
pub fn finding_at(app: &App, area: Rect, column: u16, row: u16) -> Option<usize> {
    let findings = app.findings_sorted();
    let (list, _) = split(app, Block::bordered().inner(area));
    if findings.is_empty() || !list.contains(Position::new(column, row)) {
        return None;
    }
    let mut y = list.y;
    for (index, entry) in visible(app, &findings, list) {
        y = y.saturating_add(u16::try_from(entry.len()).unwrap_or(u16::MAX));
        if row < y {
            return Some(index);
        }
    }
    None
}

/// The findings that fit in `area`, each with its lines (mark and id, then the summary wrapped
/// at spaces), the selected one kept in view.
fn visible(app: &App, findings: &[&Finding], area: Rect) -> Vec<(usize, Vec<Line<'static>>)> {
    let height = usize::from(area.height);
    let entries: Vec<Vec<Line<'static>>> = findings.iter().map(|f| entry(app, f, usize::from(area.width))).collect();
    // Start where the selected finding's entry still ends on screen.
    let mut first = 0;
    if let Some(selected) = app.selected_finding.filter(|&s| s < entries.len()) {
        let mut used = 0;
        first = selected + 1;
        while first > 0 && used + entries[first - 1].len() <= height {
            used += entries[first - 1].len();
            first -= 1;
        }
        first = first.min(selected);
    }
    let mut used = 0;
    let mut out = Vec::new();
    for (index, entry) in entries.into_iter().enumerate().skip(first) {
        if used + entry.len() > height && !out.is_empty() {
            break;
        }
        used += entry.len();
        out.push((index, entry));
    }
    out
}

fn entry(app: &App, finding: &Finding, width: usize) -> Vec<Line<'static>> {
    let theme = app.theme;
    let query = app.search_query();
    let mark = theme.tone(Tone::Selected);
    let is_selected = app.selected().is_some_and(|s| std::ptr::eq(s, finding));
    let id_style = if is_selected { Style::new().add_modifier(Modifier::REVERSED) } else { Style::new() };
    let head = vec![
        Span::styled(finding.severity.mark(), theme.severity(finding.severity)),
        Span::raw(" "),
        Span::styled(
            super::cut(&super::safe(&finding.id), width.saturating_sub(2)),
            id_style.add_modifier(Modifier::BOLD),
        ),
    ];
    let mut lines = vec![Line::from(super::highlight(head, query, mark))];
    let text_width = width.saturating_sub(2);
    let mut summary = super::wrap_cut(&super::safe(&finding.summary), text_width);
    if summary.len() > SUMMARY_LINES {
        let rest = summary.split_off(SUMMARY_LINES - 1).join(" ");
        summary.push(super::cut(&rest, text_width));
    }
    for line in summary {
        let spans = vec![Span::raw("  "), Span::styled(line, theme.tone(Tone::Dim))];
        lines.push(Line::from(super::highlight(spans, query, mark)));
    }
    lines
}

fn render_detail(frame: &mut Frame, area: Rect, app: &App, finding: &Finding) {
    let theme = app.theme;
    let width = usize::from(area.width);
    let mut lines = vec![Line::from(vec![
        Span::styled(finding.severity.as_str(), theme.severity(finding.severity)),
        Span::raw(" "),
        Span::styled(super::safe(&finding.id).into_owned(), Style::new().add_modifier(Modifier::BOLD)),
    ])];
    let push = |lines: &mut Vec<Line<'static>>, lead: &str, text: &str, style: Style| {
        lines.extend(super::wrapped(app, text, width, lead, style, true));
    };
    push(&mut lines, "", &finding.summary, Style::new());
    if !finding.detail.is_empty() {
        push(&mut lines, "", &finding.detail, theme.tone(Tone::Dim));
    }
    for evidence in &finding.evidence {
        push(&mut lines, "│ ", evidence, Style::new());
    }
    if !finding.fix.is_empty() {
        lines.push(Line::styled("Fix", theme.tone(Tone::Ok)));
        push(&mut lines, "", &finding.fix, Style::new());
    }
    let block = Block::new().borders(Borders::TOP).title(" v reads it whole ").border_style(theme.chrome());
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
