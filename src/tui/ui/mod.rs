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
//! The step list is `STEPS_WIDTH` columns, the findings panel a third of the width
//! ([`findings_width`]); below `NARROW_BELOW` columns the step list shows numbers and marks only
//! and the findings panel narrows, so the main pane keeps 50 columns at 80x24. `z` gives the main
//! pane all of it. `help.rs` and `finding_view.rs` draw
//! over the whole screen.

mod finding_view;
mod findings;
mod header;
mod help;
mod input;
mod main_pane;
mod status;
mod steps;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::app::App;

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

/// The regions of `app`'s terminal as last drawn.
pub fn app_regions(app: &App) -> Regions {
    regions(Rect::new(0, 0, app.size.0, app.size.1), app.zoom)
}

/// How many rows of a step's view fit in the main pane.
pub fn main_rows(app: &App) -> usize {
    // Borders and the subtitle line.
    usize::from(app_regions(app).main.height.saturating_sub(3))
}

/// The main pane's text area (rows, columns) on `app`'s terminal.
fn main_text_size(app: &App) -> (usize, usize) {
    let main = app_regions(app).main;
    (usize::from(main.height.saturating_sub(3)), main_pane::text_width(main.width.saturating_sub(2)))
}

/// The first row of `view` the main pane shows now.
pub fn main_first_row(app: &App, view: &crate::wizard::StepView) -> usize {
    let (height, width) = main_text_size(app);
    main_pane::first_visible(view, app.scroll.get(&app.current).copied().unwrap_or_default(), height, width)
}

/// The last first row the main pane may scroll to: from it, the rest of `view` fits, however its
/// rows wrap.
pub fn main_last_first_row(app: &App, view: &crate::wizard::StepView) -> usize {
    let (height, width) = main_text_size(app);
    main_pane::tail_start(view, height, width)
}

/// How many rows of text the full-screen finding view shows on a terminal of `size` (all but
/// the status bar and the view's borders).
pub fn page_rows(size: (u16, u16)) -> usize {
    usize::from(size.1.saturating_sub(3))
}

/// The area of the finding view: the whole screen but the status bar.
fn finding_view_area(size: (u16, u16)) -> Rect {
    Rect::new(0, 0, size.0, size.1.saturating_sub(1))
}

/// The open finding's extent in the finding view: its lines, and how many columns its widest
/// line is wider than the view.
pub fn finding_view_extent(app: &App) -> (usize, u16) {
    let findings = app.findings_sorted();
    let Some(finding) = app.finding_view.and_then(|v| findings.get(v.index).copied()) else { return (0, 0) };
    let width = finding_view::text_width(finding_view_area(app.size));
    let lines = finding_view::lines(app, finding, width);
    let wider = finding_view::widest(&lines).saturating_sub(width);
    (lines.len(), u16::try_from(wider).unwrap_or(u16::MAX))
}

/// How far the help can scroll on `app`'s terminal.
pub fn help_max_scroll(app: &App) -> usize {
    help::max_scroll(Rect::new(0, 0, app.size.0, app.size.1), help::lines(app).len())
}

/// How many lines of the help show at once on `app`'s terminal.
pub fn help_rows(app: &App) -> usize {
    help::rows(Rect::new(0, 0, app.size.0, app.size.1), help::lines(app).len())
}

/// The index (into [`App::findings_sorted`]) of the finding drawn at (`column`, `row`).
pub fn finding_at(app: &App, column: u16, row: u16) -> Option<usize> {
    findings::finding_at(app, app_regions(app).findings, column, row)
}

/// The step whose line in the step list is at (`column`, `row`).
pub fn step_at(app: &App, column: u16, row: u16) -> Option<crate::wizard::StepId> {
    let steps = app_regions(app).steps.inner(ratatui::layout::Margin::new(1, 1));
    if !steps.contains(ratatui::layout::Position::new(column, row)) {
        return None;
    }
    crate::wizard::StepId::ALL.get(usize::from(row - steps.y)).copied()
}

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

/// `text` wrapped at spaces to `width` columns. A word is never split (a URL or an address stays
/// whole, so it can be clicked and copied): one longer than the line goes on a line of its own,
/// wider than `width`.
pub(crate) fn wrap_words(text: &str, width: usize) -> Vec<String> {
    // Spaces only: the default separator also breaks after `/` and `-`, inside URLs. First fit
    // fills each line, so a panel that shows two lines shows the most words.
    let options = textwrap::Options::new(width.max(1))
        .wrap_algorithm(textwrap::WrapAlgorithm::FirstFit)
        .break_words(false)
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    textwrap::wrap(text, options).into_iter().map(std::borrow::Cow::into_owned).collect()
}

/// [`wrap_words`], a word longer than the line cut at the edge with a `…` marker.
pub(crate) fn wrap_cut(text: &str, width: usize) -> Vec<String> {
    wrap_words(text, width).into_iter().map(|line| cut(&line, width.max(1))).collect()
}

/// `text` as lines `width` columns wide behind `lead`, the search matches highlighted. An
/// evidence bar (`│ `) repeats on every line, so one item reads as one; another lead marks the
/// first line only. `cut` cuts a word wider than the line with a marker (a panel); otherwise it
/// stays whole (a view that scrolls sideways).
pub(crate) fn wrapped(app: &App, text: &str, width: usize, lead: &str, style: Style, cut: bool) -> Vec<Line<'static>> {
    let lead_width = lead.chars().count();
    let width = width.saturating_sub(lead_width);
    let lines = if cut { wrap_cut(&safe(text), width) } else { wrap_words(&safe(text), width) };
    let mark = app.theme.tone(crate::wizard::Tone::Selected);
    lines
        .into_iter()
        .enumerate()
        .map(|(n, line)| {
            let lead = if n == 0 || lead.starts_with('│') { lead.to_string() } else { " ".repeat(lead_width) };
            let spans = vec![Span::styled(lead, app.theme.chrome()), Span::styled(line, style)];
            Line::from(highlight(spans, app.search_query(), mark))
        })
        .collect()
}

/// `text` cut to `width` columns, the last one a `…` when anything was cut.
pub(crate) fn cut(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthStr;
    if text.width() <= width {
        return text.to_string();
    }
    let mut out = cut_to_width(text, width.saturating_sub(1));
    out.push('…');
    out
}

/// The longest start of `text` at most `width` columns wide.
pub(crate) fn cut_to_width(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut used = 0;
    text.chars()
        .take_while(|c| {
            used += c.width().unwrap_or(0);
            used <= width
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

/// Text safe to put on the terminal: steps and findings escape what they got from the network,
/// and this makes sure a control byte that slipped through is shown, not executed.
pub(crate) fn safe(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(crate::session::escape::needs_escape) {
        std::borrow::Cow::Owned(crate::session::escape::escape_str(text))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_wrap_at_spaces_and_long_tokens_stay_whole_or_are_marked() {
        let url = "https://www.spamhaus.org/query/ip/203.0.113.5";
        assert_eq!(wrap_words(&format!("see {url} now"), 46), ["see", url, "now"]);
        // Too long for the line: alone and whole, or cut with a marker; never split over two lines.
        assert_eq!(wrap_words(&format!("see {url}"), 20), ["see", url]);
        assert_eq!(wrap_cut(&format!("see {url}"), 20), ["see", "https://www.spamhau…"]);
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("abcd", 3), "ab…");
    }

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
