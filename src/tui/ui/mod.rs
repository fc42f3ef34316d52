//! Drawing: one render function per region of the screen (header, steps, main pane, findings,
//! input line, key hints), and the help overlay.
//!
//! ```text
//! header.rs     mailwiz │ target: bank.example │ our IP: 203.0.113.5 │ HELO: mta1.example.com
//!             ┌ Steps ───────┐┌ 4 SMTP ───────────────────────────┐┌ Findings (3) ──────────┐
//! steps.rs    │▶1 ✓ Queue    ││<- 220 mx1.bank.example ESMTP      ││✗ ptr.missing           │ findings.rs
//!             │ 2 ✓ MX       ││-> EHLO mta1.example.com           ││  203.0.113.5 has no …  │
//!             │ …            ││           main_pane.rs            ││                        │
//!             └──────────────┘└───────────────────────────────────┘└────────────────────────┘
//! input.rs    smtp> RCPT TO:<user@bank.example>
//! status.rs   Enter run · ? help · q quit
//! ```
//!
//! Where the regions sit and how much they show is [`crate::tui::layout`]'s, shared with
//! `update`. `help.rs` and `finding_view.rs` draw over the whole screen.

mod finding_view;
mod findings;
mod header;
mod help;
mod input;
mod main_pane;
mod status;
mod steps;

use ratatui::Frame;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::app::App;
use super::layout::{finding_view_area, regions};
pub(crate) use super::text::{cut, safe};

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App) {
    let r = regions(frame.area(), app.zoom);
    header::render(frame, r.header, app);
    if !app.zoom {
        steps::render(frame, r.steps, app);
        findings::render(frame, r.findings, app);
    }
    main_pane::render(frame, r.main, app);
    input::render(frame, r.input, app);
    status::render(frame, r.status, app);
    if let Some(view) = &app.finding_view {
        finding_view::render(frame, finding_view_area(app.size).intersection(frame.area()), app, view);
    }
    if app.show_help {
        help::render(frame, frame.area(), app);
    }
}

/// `text` as lines `width` columns wide behind `lead`, the search matches highlighted (see
/// [`super::text::behind_lead`]).
pub(crate) fn wrapped(app: &App, text: &str, width: usize, lead: &str, style: Style, cut: bool) -> Vec<Line<'static>> {
    let mark = app.theme.tone(crate::wizard::Tone::Selected);
    super::text::behind_lead(text, width, lead, cut)
        .into_iter()
        .map(|(lead, line)| {
            let spans = vec![Span::styled(lead, app.theme.chrome()), Span::styled(line, style)];
            Line::from(highlight(spans, app.search_query(), mark))
        })
        .collect()
}

/// `spans` with every case-insensitive occurrence of `needle` restyled with `mark`, for the
/// search highlight.
pub(crate) fn highlight<'a>(spans: Vec<Span<'a>>, needle: Option<&str>, mark: Style) -> Vec<Span<'a>> {
    let Some(needle) = needle.filter(|n| !n.is_empty()) else { return spans };
    let mut out = Vec::new();
    for span in spans {
        let text = span.content.to_string();
        let ranges = crate::tui::search::find_all(&text, needle);
        if ranges.is_empty() {
            out.push(span);
            continue;
        }
        let mut at = 0;
        for (start, end) in ranges {
            if start > at {
                out.push(Span::styled(text[at..start].to_string(), span.style));
            }
            out.push(Span::styled(text[start..end].to_string(), span.style.patch(mark)));
            at = end;
        }
        if at < text.len() {
            out.push(Span::styled(text[at..].to_string(), span.style));
        }
    }
    out
}

/// The spinner frame for `tick`.
pub(crate) fn spinner(tick: usize) -> &'static str {
    const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
    FRAMES[tick % FRAMES.len()]
}
