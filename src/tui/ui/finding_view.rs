//! A finding read whole, full screen: summary, detail, every piece of evidence, the fix, and
//! the user's notes; scrolled with the movement keys.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::session::Finding;
use crate::tui::app::{App, FindingView};
use crate::tui::layout::finding_text::{self, Part};
use crate::tui::layout::finding_view_width;
use crate::wizard::Tone;

/// The lines of `finding` for a view `width` columns wide, styled.
fn lines(app: &App, finding: &Finding, width: usize) -> Vec<Line<'static>> {
    let theme = app.theme;
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let mark = theme.tone(Tone::Selected);
    finding_text::lines(&app.session.findings, finding, width)
        .into_iter()
        .map(|line| {
            let style = match line.part {
                Part::Title => {
                    return Line::from(vec![
                        Span::styled(line.lead, theme.severity(finding.severity)),
                        Span::raw(" "),
                        Span::styled(line.text, bold),
                    ]);
                }
                Part::Blank => return Line::default(),
                Part::Heading => return Line::styled(line.text, bold),
                Part::Detail => theme.tone(Tone::Dim),
                Part::Fix => theme.tone(Tone::Ok),
                Part::Summary | Part::Evidence | Part::Note => Style::new(),
            };
            let spans = vec![Span::styled(line.lead, theme.chrome()), Span::styled(line.text, style)];
            Line::from(super::highlight(spans, app.search_query(), mark))
        })
        .collect()
}

/// Draws the finding of `view` over `area`.
pub fn render(frame: &mut Frame, area: Rect, app: &App, view: &FindingView) {
    let findings = app.findings_sorted();
    let Some(finding) = findings.get(view.index) else { return };
    let all = lines(app, finding, finding_view_width(area));
    let rows = usize::from(area.height.saturating_sub(2));
    let offset = view.offset.min(all.len().saturating_sub(rows));
    let mut position = String::new();
    if all.len() > rows {
        position = format!(" {}-{}/{} ", offset + 1, (offset + rows).min(all.len()), all.len());
    }
    // A word wider than the view (a long URL) stays whole; ←/→ bring its end into view.
    if view.column > 0 || all.iter().any(|l| l.width() > finding_view_width(area)) {
        position = format!(" ←/→ long lines · col {}{position}", view.column + 1);
    }
    let block = Block::bordered()
        .title(format!(" Finding {} of {} · Esc closes ", view.index + 1, findings.len()))
        .title_bottom(Line::from(position).right_aligned())
        .border_style(app.theme.focus());
    let inner = block.inner(area).inner(ratatui::layout::Margin::new(1, 0));
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    let visible: Vec<Line> = all.into_iter().skip(offset).take(rows).collect();
    frame.render_widget(Paragraph::new(visible).scroll((0, view.column)), inner);
}
