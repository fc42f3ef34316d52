//! The step list: number, status mark and name of the seven steps.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::tui::app::App;
use crate::wizard::{StepId, StepStatus, Tone};

/// Draws the step list into `area`.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    // Too narrow for names: numbers and marks, the current step's name in the main pane's title.
    let names = area.width >= 12;
    let lines: Vec<Line> = StepId::ALL
        .iter()
        .enumerate()
        .map(|(i, &step)| {
            let (mark, mark_style) = match app.step_status(step) {
                StepStatus::Idle => ("·", theme.tone(Tone::Dim)),
                StepStatus::Running => (super::spinner(app.spinner), theme.tone(Tone::Warn)),
                StepStatus::Done => ("✓", theme.tone(Tone::Ok)),
                StepStatus::Failed => ("✗", theme.tone(Tone::Fail)),
            };
            let current = step == app.current;
            let name_style =
                if current { Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED) } else { Style::new() };
            let mut spans = vec![
                Span::styled(if current { "▶" } else { " " }, theme.focus()),
                Span::raw(format!("{} ", i + 1)),
                Span::styled(mark, mark_style),
            ];
            if names {
                spans.extend([Span::raw(" "), Span::styled(step.label(), name_style)]);
            }
            Line::from(spans)
        })
        .collect();
    let block = Block::bordered().title(if names { " Steps " } else { "" }).border_style(theme.chrome());
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
