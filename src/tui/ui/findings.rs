//! The findings panel: severity, id and summary of each finding, and the evidence and fix of the
//! selected one.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::session::Finding;
use crate::tui::app::App;
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
    let selected = app.selected();
    let (list_area, detail_area) = match selected {
        Some(_) if inner.height >= 8 => {
            let [list, detail] = Layout::vertical([Constraint::Percentage(45), Constraint::Fill(1)]).areas(inner);
            (list, Some(detail))
        }
        _ => (inner, None),
    };
    render_list(frame, list_area, app, &findings);
    if let (Some(finding), Some(area)) = (selected, detail_area) {
        render_detail(frame, area, app, finding);
    }
}

fn render_list(frame: &mut Frame, area: Rect, app: &App, findings: &[&Finding]) {
    let theme = app.theme;
    let width = usize::from(area.width);
    // Two rows per finding; keep the selected one in view.
    let per_page = (usize::from(area.height) / 2).max(1);
    let first = app.selected_finding.map_or(0, |s| (s + 1).saturating_sub(per_page));
    let mut lines = Vec::new();
    for (i, finding) in findings.iter().enumerate().skip(first).take(per_page) {
        let is_selected = app.selected_finding == Some(i);
        let id_style = if is_selected { Style::new().add_modifier(Modifier::REVERSED) } else { Style::new() };
        lines.push(Line::from(vec![
            Span::styled(finding.severity.mark(), theme.severity(finding.severity)),
            Span::raw(" "),
            Span::styled(super::safe(&finding.id), id_style.add_modifier(Modifier::BOLD)),
        ]));
        lines.push(Line::styled(
            format!("  {}", truncate(&super::safe(&finding.summary), width.saturating_sub(2))),
            theme.tone(Tone::Dim),
        ));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn render_detail(frame: &mut Frame, area: Rect, app: &App, finding: &Finding) {
    let theme = app.theme;
    let mut lines = vec![Line::from(vec![
        Span::styled(finding.severity.as_str(), theme.severity(finding.severity)),
        Span::raw(" "),
        Span::styled(super::safe(&finding.id), Style::new().add_modifier(Modifier::BOLD)),
    ])];
    lines.push(Line::raw(super::safe(&finding.summary)));
    if !finding.detail.is_empty() {
        lines.push(Line::styled(super::safe(&finding.detail), theme.tone(Tone::Dim)));
    }
    // Evidence keeps its bar on every wrapped line, so one item reads as one.
    let width = usize::from(area.width).saturating_sub(2).max(8);
    let options = textwrap::Options::new(width).word_splitter(textwrap::WordSplitter::NoHyphenation);
    for evidence in &finding.evidence {
        for line in textwrap::wrap(&super::safe(evidence), &options) {
            lines.push(Line::from(vec![Span::styled("│ ", theme.chrome()), Span::raw(line.into_owned())]));
        }
    }
    if !finding.fix.is_empty() {
        lines.push(Line::from(vec![Span::styled("Fix: ", theme.tone(Tone::Ok)), Span::raw(super::safe(&finding.fix))]));
    }
    let block = Block::new().borders(Borders::TOP).border_style(theme.chrome());
    frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), area);
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}
