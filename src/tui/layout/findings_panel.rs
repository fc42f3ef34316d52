//! The findings panel's layout: the list above the selected finding's detail, how many lines
//! each finding takes in the list, which findings fit (the selected one kept in view), and which
//! one a click lands on.

use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::widgets::Block;

use crate::session::Finding;
use crate::tui::app::App;
use crate::tui::text::{cut, safe, wrap_cut};

/// Lines of summary a finding shows in the list; the rest is read with `v`.
const SUMMARY_LINES: usize = 2;

/// The list's area and, when a finding is selected and there is room, its detail's, inside the
/// panel's border.
pub fn split(app: &App, inner: Rect) -> (Rect, Option<Rect>) {
    match app.selected() {
        Some(_) if inner.height >= 8 => {
            let [list, detail] = Layout::vertical([Constraint::Percentage(45), Constraint::Fill(1)]).areas(inner);
            (list, Some(detail))
        }
        _ => (inner, None),
    }
}

/// The summary of `finding` as it shows under its id in a list `width` columns wide: wrapped
/// at spaces behind a two-column indent, at most `SUMMARY_LINES` of them, the last one cut.
pub fn summary_lines(finding: &Finding, width: usize) -> Vec<String> {
    let text_width = width.saturating_sub(2);
    let mut summary = wrap_cut(&safe(&finding.summary), text_width);
    if summary.len() > SUMMARY_LINES {
        let rest = summary.split_off(SUMMARY_LINES - 1).join(" ");
        summary.push(cut(&rest, text_width));
    }
    summary
}

/// The findings (indices into `findings`) that fit in a list `area`: from the first, or from
/// where the selected finding's entry still ends on screen.
pub fn visible(app: &App, findings: &[&Finding], area: Rect) -> Vec<usize> {
    let height = usize::from(area.height);
    // Each entry: its id line, then its summary.
    let heights: Vec<usize> = findings.iter().map(|f| 1 + summary_lines(f, usize::from(area.width)).len()).collect();
    let mut first = 0;
    if let Some(selected) = app.selected_finding.filter(|&s| s < heights.len()) {
        let mut used = 0;
        first = selected + 1;
        while first > 0 && used + heights[first - 1] <= height {
            used += heights[first - 1];
            first -= 1;
        }
        first = first.min(selected);
    }
    let mut used = 0;
    let mut out = Vec::new();
    for (index, lines) in heights.into_iter().enumerate().skip(first) {
        if used + lines > height && !out.is_empty() {
            break;
        }
        used += lines;
        out.push(index);
    }
    out
}

/// The finding drawn at (`column`, `row`) in the panel drawn into `area`.
pub fn finding_at(app: &App, area: Rect, column: u16, row: u16) -> Option<usize> {
    let findings = app.findings_sorted();
    let (list, _) = split(app, Block::bordered().inner(area));
    if findings.is_empty() || !list.contains(Position::new(column, row)) {
        return None;
    }
    let mut y = list.y;
    for index in visible(app, &findings, list) {
        let lines = 1 + summary_lines(findings[index], usize::from(list.width)).len();
        y = y.saturating_add(u16::try_from(lines).unwrap_or(u16::MAX));
        if row < y {
            return Some(index);
        }
    }
    None
}
