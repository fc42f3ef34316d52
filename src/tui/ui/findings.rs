//! The findings panel: severity, id and summary of each finding, and the evidence and fix of the
//! selected one. `v` reads a finding whole ([`super::finding_view`]).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::session::Finding;
use crate::tui::app::App;
use crate::tui::layout::findings_panel::{split, summary_lines, visible};
use crate::wizard::Tone;

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
    for index in visible(app, &findings, list_area) {
        lines.extend(entry(app, findings[index], usize::from(list_area.width)));
    }
    frame.render_widget(Paragraph::new(lines), list_area);
    if let (Some(finding), Some(area)) = (app.selected(), detail_area) {
        render_detail(frame, area, app, finding);
    }
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
    for line in summary_lines(finding, width) {
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
