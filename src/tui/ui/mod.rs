//! Drawing: one render function per region of the screen (header, steps, main pane, findings,
//! input line, key hints), and the help overlay.

mod findings;
mod header;
mod help;
mod input;
mod main_pane;
mod status;
mod steps;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

use super::app::App;

/// Width of the step list.
const STEPS_WIDTH: u16 = 17;

/// The screen's regions for a terminal of `area`.
#[derive(Debug, Clone, Copy)]
pub struct Regions {
    pub header: Rect,
    pub steps: Rect,
    pub main: Rect,
    pub findings: Rect,
    pub input: Rect,
    pub status: Rect,
}

/// Splits `area` into the regions.
pub fn regions(area: Rect) -> Regions {
    let [header, body, input, status] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(3), Constraint::Length(1), Constraint::Length(1)])
            .areas(area);
    let findings_width = (area.width * 28 / 100).clamp(24, 44);
    let [steps, main, findings] =
        Layout::horizontal([Constraint::Length(STEPS_WIDTH), Constraint::Min(10), Constraint::Length(findings_width)])
            .areas(body);
    Regions { header, steps, main, findings, input, status }
}

/// How many rows of a step's view fit in the main pane of a terminal of `size`.
pub fn main_rows(size: (u16, u16)) -> usize {
    let r = regions(Rect::new(0, 0, size.0, size.1));
    // Borders and the subtitle line.
    usize::from(r.main.height.saturating_sub(3))
}

/// The step whose line in the step list is at (`column`, `row`) on a terminal of `size`.
pub fn step_at(size: (u16, u16), column: u16, row: u16) -> Option<crate::wizard::StepId> {
    let steps = regions(Rect::new(0, 0, size.0, size.1)).steps.inner(ratatui::layout::Margin::new(1, 1));
    if !steps.contains(ratatui::layout::Position::new(column, row)) {
        return None;
    }
    crate::wizard::StepId::ALL.get(usize::from(row - steps.y)).copied()
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App) {
    let r = regions(frame.area());
    header::render(frame, r.header, app);
    steps::render(frame, r.steps, app);
    main_pane::render(frame, r.main, app);
    findings::render(frame, r.findings, app);
    input::render(frame, r.input, app);
    status::render(frame, r.status, app);
    if app.show_help {
        help::render(frame, frame.area(), app);
    }
}

/// The spinner frame for `tick`.
pub(crate) fn spinner(tick: usize) -> &'static str {
    const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
    FRAMES[tick % FRAMES.len()]
}

/// Text safe to put on the terminal: steps and findings escape what they got from the network,
/// and this makes sure a control byte that slipped through is shown, not executed.
pub(crate) fn safe(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(crate::session::escape::needs_escape) {
        std::borrow::Cow::Owned(crate::session::escape::escape_str(text))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}
