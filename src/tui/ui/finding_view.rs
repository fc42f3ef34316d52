//! A finding read whole, full screen: summary, detail, every piece of evidence, the fix, and
//! the user's notes; scrolled with the movement keys.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::session::{Finding, Severity};
use crate::tui::app::{App, FindingView};
use crate::wizard::Tone;

/// The lines of `finding` for a view `width` columns wide, words never split.
pub fn lines(app: &App, finding: &Finding, width: usize) -> Vec<Line<'static>> {
    let theme = app.theme;
    let heading = |text: &str| Line::styled(text.to_string(), Style::new().add_modifier(Modifier::BOLD));
    let mut out = vec![
        Line::from(vec![
            Span::styled(
                format!("{} {}", finding.severity.mark(), finding.severity.as_str()),
                theme.severity(finding.severity),
            ),
            Span::raw(" "),
            Span::styled(super::safe(&finding.id).into_owned(), Style::new().add_modifier(Modifier::BOLD)),
        ]),
        Line::default(),
    ];
    let text = |out: &mut Vec<Line<'static>>, text: &str, lead: &str, style: Style| {
        out.extend(super::wrapped(app, text, width, lead, style, false));
    };
    text(&mut out, &finding.summary, "", Style::new());
    if !finding.detail.is_empty() {
        out.push(Line::default());
        text(&mut out, &finding.detail, "", theme.tone(Tone::Dim));
    }
    if !finding.evidence.is_empty() {
        out.push(Line::default());
        out.push(heading("Evidence"));
        for evidence in &finding.evidence {
            text(&mut out, evidence, "│ ", Style::new());
        }
    }
    if !finding.fix.is_empty() {
        out.push(Line::default());
        out.push(heading("Fix"));
        text(&mut out, &finding.fix, "", theme.tone(Tone::Ok));
    }
    let notes: Vec<&Finding> =
        app.session.findings.iter().filter(|f| f.severity == Severity::Note && !std::ptr::eq(*f, finding)).collect();
    if !notes.is_empty() {
        out.push(Line::default());
        out.push(heading("Notes"));
        for note in notes {
            text(&mut out, &note.summary, "✎ ", Style::new());
        }
    }
    out
}

/// The widest line of `lines`, for how far the view scrolls sideways.
pub fn widest(lines: &[Line]) -> usize {
    lines.iter().map(Line::width).max().unwrap_or(0)
}

/// The inner width of the view on a screen `area` wide.
pub fn text_width(area: Rect) -> usize {
    usize::from(area.width.saturating_sub(4))
}

/// Draws the finding of `view` over `area`.
pub fn render(frame: &mut Frame, area: Rect, app: &App, view: &FindingView) {
    let findings = app.findings_sorted();
    let Some(finding) = findings.get(view.index) else { return };
    let all = lines(app, finding, text_width(area));
    let rows = usize::from(area.height.saturating_sub(2));
    let offset = view.offset.min(all.len().saturating_sub(rows));
    let mut position = String::new();
    if all.len() > rows {
        position = format!(" {}-{}/{} ", offset + 1, (offset + rows).min(all.len()), all.len());
    }
    // A word wider than the view (a long URL) stays whole; ←/→ bring its end into view.
    if view.column > 0 || all.iter().any(|l| l.width() > text_width(area)) {
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
