//! How the help overlay lays out its lines: one column, or two on a wide screen when one does
//! not fit, scrolled when even that does not fit.

use ratatui::layout::Rect;

/// Whether `len` lines of help go in two columns on a screen of `area`: when one column does
/// not fit and the screen is wide enough.
pub fn two_columns(area: Rect, len: usize) -> bool {
    len > usize::from(area.height.saturating_sub(4)) && area.width >= 100
}

/// The help's layout on a screen of `area` for `len` lines: lines per column, and how many of
/// them show at once (the rest scroll).
pub fn columns(area: Rect, len: usize) -> (usize, usize) {
    let per_column = if two_columns(area, len) { len.div_ceil(2) } else { len };
    (per_column, per_column.min(usize::from(area.height.saturating_sub(4))))
}

/// How far the help can scroll on a screen of `area` for `len` lines.
pub fn max_scroll(area: Rect, len: usize) -> usize {
    let (per_column, visible) = columns(area, len);
    per_column - visible
}

/// How many lines of the help show at once on a screen of `area` for `len` lines.
pub fn rows(area: Rect, len: usize) -> usize {
    columns(area, len).1
}
