//! The title bar: target, our IP, HELO name, and the demo banner.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::session::escape::escape_str;
use crate::tui::app::App;

/// Draws the header into `area` (one row). When the whole does not fit it shortens, in this
/// order: the short demo banner, short labels, without the HELO name, without our IP, and only
/// then the target cut with a marker.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let width = usize::from(area.width);
    let line = (0..LEVELS)
        .map(|level| line(app, area.width, level))
        .find(|line| line.width() <= width)
        .unwrap_or_else(|| line(app, area.width, LEVELS));
    frame.render_widget(Paragraph::new(line), area);
}

/// Shortening levels before the last, which cuts the target.
const LEVELS: u8 = 5;

/// The header at shortening `level` (0 whole, [`LEVELS`] shortest).
fn line(app: &App, width: u16, level: u8) -> Line<'static> {
    let theme = app.theme;
    let sep = || Span::styled(" │ ", theme.chrome());
    let mut spans = vec![Span::styled(" mailwiz", Style::new().add_modifier(Modifier::BOLD))];
    if app.ctx.demo {
        spans.push(Span::raw(" "));
        let banner = if level == 0 && width >= 110 { " DEMO WORLD · nothing leaves this machine " } else { " DEMO " };
        spans.push(Span::styled(banner, theme.banner()));
    }
    if app.session.journal.write_error().is_some() {
        spans.push(Span::raw(" "));
        spans.push(Span::styled("journal not written!", theme.tone(crate::wizard::Tone::Fail)));
    }
    let target = app.session.target.as_ref().map_or("—".to_string(), |t| escape_str(&t.display));
    let ip = app.session.identity.ip.map_or("unknown".to_string(), |ip| ip.to_string());
    let helo = app.session.identity.helo.as_deref().map_or("—".to_string(), escape_str);
    let fields = [("target", "→", target), ("our IP", "IP", ip), ("HELO", "HELO", helo)];
    let shown = match level {
        0..=2 => 3,
        3 => 2,
        _ => 1,
    };
    for (long, short, value) in fields.into_iter().take(shown) {
        spans.push(sep());
        let label = if level <= 1 { format!("{long}: ") } else { format!("{short} ") };
        spans.push(Span::styled(label, theme.chrome()));
        // At the last level the target alone is cut, with a marker, to what is left.
        let used: usize = spans.iter().map(ratatui::prelude::Span::width).sum();
        let value = if level >= LEVELS { super::cut(&value, usize::from(width).saturating_sub(used)) } else { value };
        spans.push(Span::raw(value));
    }
    if app.unsaved && level < LEVELS {
        spans.push(sep());
        spans.push(Span::styled("unsaved", theme.tone(crate::wizard::Tone::Warn)));
    }
    Line::from(spans)
}
