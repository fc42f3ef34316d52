//! The title bar: target, our IP, HELO name, and the demo banner.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::session::escape::escape_str;
use crate::tui::app::App;

/// Draws the header into `area` (one row).
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let sep = || Span::styled(" │ ", theme.chrome());
    let mut spans = vec![Span::styled(" mailwiz", Style::new().add_modifier(Modifier::BOLD))];
    if app.ctx.demo {
        spans.push(Span::raw(" "));
        let banner = if area.width >= 110 { " DEMO WORLD · nothing leaves this machine " } else { " DEMO " };
        spans.push(Span::styled(banner, theme.banner()));
    }
    if app.session.journal.write_error().is_some() {
        spans.push(Span::raw(" "));
        spans.push(Span::styled("journal not written!", theme.tone(crate::wizard::Tone::Fail)));
    }
    let target = app.session.target.as_ref().map_or("—".to_string(), |t| escape_str(&t.display));
    let ip = app.session.identity.ip.map_or("unknown".to_string(), |ip| ip.to_string());
    let helo = app.session.identity.helo.as_deref().map_or("—".to_string(), escape_str);
    for (label, value) in [("target", target), ("our IP", ip), ("HELO", helo)] {
        spans.push(sep());
        spans.push(Span::styled(format!("{label}: "), theme.chrome()));
        spans.push(Span::raw(value));
    }
    if app.unsaved {
        spans.push(sep());
        spans.push(Span::styled("unsaved", theme.tone(crate::wizard::Tone::Warn)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
