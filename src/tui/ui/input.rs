//! The input line: a step's console, the note or save prompt, or the last message.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::app::{App, Mode};
use crate::wizard::Tone;

/// Draws the input line into `area` and places the cursor while it has the focus.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let prompt = app.input_prompt().unwrap_or_default();
    match app.mode {
        Mode::Input(_) => {
            let prompt_width = u16::try_from(prompt.chars().count()).unwrap_or(u16::MAX);
            let field = usize::from(area.width.saturating_sub(prompt_width + 1)).max(1);
            let scroll = app.input.visual_scroll(field);
            let visible = super::safe(&skip_columns(app.input.value(), scroll)).into_owned();
            let line = Line::from(vec![Span::styled(prompt, theme.key()), Span::raw(visible)]);
            frame.render_widget(Paragraph::new(line), area);
            let cursor = u16::try_from(app.input.visual_cursor().saturating_sub(scroll)).unwrap_or(u16::MAX);
            let x = area.x.saturating_add(prompt_width).saturating_add(cursor);
            frame.set_cursor_position((x.min(area.right().saturating_sub(1)), area.y));
        }
        Mode::Navigation => {
            let line = if let Some(message) = &app.message {
                let style = theme.tone(message.tone);
                let mark = match message.tone {
                    Tone::Fail => "✗ ",
                    Tone::Ok => "✓ ",
                    _ => "",
                };
                Line::styled(format!("{mark}{}", super::safe(&message.text)), style)
            } else if !prompt.is_empty() {
                Line::from(vec![
                    Span::styled(prompt, theme.tone(Tone::Dim)),
                    Span::styled("(i to type)", theme.tone(Tone::Dim)),
                ])
            } else {
                Line::default()
            };
            frame.render_widget(Paragraph::new(line), area);
        }
    }
}

/// `text` without its first `columns` display columns.
fn skip_columns(text: &str, columns: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut skipped = 0;
    text.chars()
        .skip_while(|c| {
            if skipped >= columns {
                return false;
            }
            skipped += c.width().unwrap_or(0);
            true
        })
        .collect()
}
