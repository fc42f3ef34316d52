//! Where each region of the screen sits and how much of the model it shows: pure functions of
//! the model and the terminal's size. The view draws with them; `update` scrolls, pages and
//! hit-tests clicks with them, so the two agree without `update` asking the view, and a test
//! that drives `update` without drawing sees what the screen would.
//!
//! The step list is `STEPS_WIDTH` columns, the findings panel a third of the width
//! ([`findings_width`]); below `NARROW_BELOW` columns the step list shows numbers and marks only
//! and the findings panel narrows, so the main pane keeps 50 columns at 80x24. `z` gives the main
//! pane all of it.

pub mod finding_text;
pub mod findings_panel;
pub mod help;
pub mod rows;

use ratatui::layout::{Constraint, Layout, Margin, Position, Rect};

use crate::tui::app::App;
use crate::tui::keys;
use crate::wizard::{StepId, StepView};

/// Width of the step list.
const STEPS_WIDTH: u16 = 17;
/// Width of the step list collapsed to numbers and marks.
const STEPS_NARROW: u16 = 7;
/// Below this many columns the step list collapses and the findings panel narrows, so the main
/// pane keeps [`MAIN_AT_LEAST`] columns (an 80-column ssh session or console).
const NARROW_BELOW: u16 = 100;
/// The main pane's width the narrow layout keeps.
const MAIN_AT_LEAST: u16 = 50;

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

/// The findings panel's width on a terminal `width` columns wide: a third of it, so findings
/// read better as the terminal grows, within bounds that keep the main pane usable.
pub fn findings_width(width: u16) -> u16 {
    if width < NARROW_BELOW {
        return width.saturating_sub(STEPS_NARROW + MAIN_AT_LEAST).clamp(20, 28);
    }
    (width / 3).clamp(28, 72)
}

/// The step list's width on a terminal `width` columns wide.
pub fn steps_width(width: u16) -> u16 {
    if width < NARROW_BELOW { STEPS_NARROW } else { STEPS_WIDTH }
}

/// Splits `area` into the regions; `zoom` gives the main pane the whole width (the step list
/// and the findings panel get none).
pub fn regions(area: Rect, zoom: bool) -> Regions {
    let [header, body, input, status] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(3), Constraint::Length(1), Constraint::Length(1)])
            .areas(area);
    let (steps_width, findings_width) =
        if zoom { (0, 0) } else { (steps_width(area.width), findings_width(area.width)) };
    let [steps, main, findings] =
        Layout::horizontal([Constraint::Length(steps_width), Constraint::Min(10), Constraint::Length(findings_width)])
            .areas(body);
    Regions { header, steps, main, findings, input, status }
}

/// The whole screen of `app`'s terminal.
fn screen(app: &App) -> Rect {
    Rect::new(0, 0, app.size.0, app.size.1)
}

/// The regions of `app`'s terminal.
pub fn app_regions(app: &App) -> Regions {
    regions(screen(app), app.zoom)
}

/// How many rows of a step's view fit in the main pane.
pub fn main_rows(app: &App) -> usize {
    main_text_size(app).0
}

/// The main pane's text area (rows, columns) on `app`'s terminal: inside the borders, under
/// the subtitle line.
fn main_text_size(app: &App) -> (usize, usize) {
    let main = app_regions(app).main;
    (usize::from(main.height.saturating_sub(3)), rows::text_width(main.width.saturating_sub(2)))
}

/// The first row of `view` the main pane shows now.
pub fn main_first_row(app: &App, view: &StepView) -> usize {
    let (height, width) = main_text_size(app);
    rows::first_visible(view, app.scroll.get(&app.current).copied().unwrap_or_default(), height, width)
}

/// The last first row the main pane may scroll to: from it, the rest of `view` fits, however its
/// rows wrap.
pub fn main_last_first_row(app: &App, view: &StepView) -> usize {
    let (height, width) = main_text_size(app);
    rows::tail_start(view, height, width)
}

/// How many rows of text the full-screen finding view shows on a terminal of `size` (all but
/// the status bar and the view's borders).
pub fn page_rows(size: (u16, u16)) -> usize {
    usize::from(size.1.saturating_sub(3))
}

/// The area of the finding view: the whole screen but the status bar.
pub fn finding_view_area(size: (u16, u16)) -> Rect {
    Rect::new(0, 0, size.0, size.1.saturating_sub(1))
}

/// The width of the finding view's text in `area`.
pub fn finding_view_width(area: Rect) -> usize {
    usize::from(area.width.saturating_sub(4))
}

/// The open finding's extent in the finding view: its lines, and how many columns its widest
/// line is wider than the view.
pub fn finding_view_extent(app: &App) -> (usize, u16) {
    let findings = app.findings_sorted();
    let Some(finding) = app.finding_view.and_then(|v| findings.get(v.index).copied()) else { return (0, 0) };
    let width = finding_view_width(finding_view_area(app.size));
    let lines = finding_text::lines(&app.session.findings, finding, width);
    let wider = finding_text::widest(&lines).saturating_sub(width);
    (lines.len(), u16::try_from(wider).unwrap_or(u16::MAX))
}

/// How many lines the help has for `app`'s current step.
fn help_len(app: &App) -> usize {
    keys::help_lines(app.current, &app.wizard.keys(app.current)).len()
}

/// How far the help can scroll on `app`'s terminal.
pub fn help_max_scroll(app: &App) -> usize {
    help::max_scroll(screen(app), help_len(app))
}

/// How many lines of the help show at once on `app`'s terminal.
pub fn help_rows(app: &App) -> usize {
    help::rows(screen(app), help_len(app))
}

/// The index (into [`App::findings_sorted`]) of the finding drawn at (`column`, `row`).
pub fn finding_at(app: &App, column: u16, row: u16) -> Option<usize> {
    findings_panel::finding_at(app, app_regions(app).findings, column, row)
}

/// The step whose line in the step list is at (`column`, `row`).
pub fn step_at(app: &App, column: u16, row: u16) -> Option<StepId> {
    let steps = app_regions(app).steps.inner(Margin::new(1, 1));
    if !steps.contains(Position::new(column, row)) {
        return None;
    }
    StepId::ALL.get(usize::from(row - steps.y)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_panel_grows_with_the_terminal() {
        assert_eq!(findings_width(80), 23);
        assert_eq!(findings_width(99), 28);
        assert_eq!(findings_width(120), 40);
        assert_eq!(findings_width(200), 66);
        assert_eq!(findings_width(400), 72);
        // At 80x24 and up to 100 columns the main pane keeps 50 columns.
        for width in [80, 90, 99, 100, 120] {
            assert!(regions(Rect::new(0, 0, width, 24), false).main.width >= 50, "{width}");
        }
        let zoomed = regions(Rect::new(0, 0, 80, 24), true);
        assert_eq!((zoomed.main.width, zoomed.findings.width, zoomed.steps.width), (80, 0, 0));
    }
}
