//! The main pane's rows on screen: how a step's row wraps at the pane's width, the first row
//! shown (a console's tail, the scroll offset, the selection kept in view) and the last row the
//! pane may scroll to.

use crate::tui::app::Scroll;
use crate::wizard::{Row, StepView, Tone};

/// The first row on screen: the tail of a console, the scroll offset, and the selection in view
/// (wrapped rows above it taking all their lines) unless the text was scrolled freely.
pub fn first_visible(view: &StepView, scroll: Scroll, height: usize, width: usize) -> usize {
    let max = tail_start(view, height, width);
    let mut first = if view.follow_tail && !scroll.detached { max } else { scroll.offset.min(max) };
    if let Some(selected) = view.selected.filter(|_| !scroll.free) {
        if selected < first {
            first = selected;
        } else if height > 0 && selected >= first + height {
            first = selected + 1 - height;
        }
        let lines = |first: usize| view.rows[first..=selected].iter().map(|r| wrap_row(r, width).len()).sum::<usize>();
        while first < selected && lines(first) > height {
            first += 1;
        }
    }
    first
}

/// The first row of the tail that fills `height` lines, however many lines wrapped rows take.
pub fn tail_start(view: &StepView, height: usize, width: usize) -> usize {
    let mut lines = 0;
    let mut start = view.rows.len();
    while start > 0 {
        let taken = wrap_row(&view.rows[start - 1], width).len();
        if lines + taken > height && start < view.rows.len() {
            break;
        }
        lines += taken;
        start -= 1;
    }
    start
}

/// `row` as the lines it takes in a pane `width` columns wide: itself when it fits, else its
/// text cut at spaces after the first `hang` columns (its own, or its indentation), later lines
/// indented by as much; a word longer than a line stays whole (←/→ scroll to its end).
pub fn wrap_row(row: &Row, width: usize) -> Vec<Row> {
    let text = row.text();
    // A row that fits keeps its spans; a longer one wraps under its own indentation.
    let hang = match row.hang {
        Some(hang) => hang,
        None if unicode_width::UnicodeWidthStr::width(text.as_str()) <= width => return vec![row.clone()],
        None => text.chars().take_while(|c| *c == ' ').count(),
    };
    let tone = row.spans.first().map_or(Tone::Normal, |(tone, _)| *tone);
    let split = text.char_indices().nth(hang).map_or(text.len(), |(i, _)| i);
    let (head, body) = text.split_at(split);
    if width < hang + 16 || body.is_empty() {
        return vec![Row::new(tone, text)];
    }
    // A word longer than the line stays whole on its own line (←/→ scroll to its end).
    let options = textwrap::Options::new(width - hang)
        .break_words(false)
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    textwrap::wrap(body, options)
        .into_iter()
        .enumerate()
        .map(|(n, line)| {
            let lead = if n == 0 { head.to_string() } else { " ".repeat(hang) };
            Row::new(tone, format!("{lead}{line}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(rows: &[Row]) -> Vec<String> {
        rows.iter().map(Row::text).collect()
    }

    #[test]
    fn a_wrapping_row_keeps_its_head_and_indents_the_rest() {
        let row = Row::wrapped(
            Tone::Explain,
            format!("{:<14}one two three four five six seven eight nine ten", "    2 msgs:"),
            14,
        );
        assert_eq!(
            texts(&wrap_row(&row, 34)),
            ["    2 msgs:   one two three four", "              five six seven eight", "              nine ten"]
        );
        // Too narrow to wrap usefully: one line, cut at the edge like any other.
        assert_eq!(wrap_row(&row, 20).len(), 1);
        // A plain row wraps at spaces under its own indentation; one that fits stays as it is.
        let plain = Row::plain("  a row that is much longer than the pane is wide");
        assert_eq!(texts(&wrap_row(&plain, 24)), ["  a row that is much", "  longer than the pane", "  is wide"]);
        assert_eq!(texts(&wrap_row(&Row::plain("short"), 24)), ["short"]);
    }

    #[test]
    fn the_selected_row_stays_on_screen_below_wrapped_rows() {
        let long = format!("{:<14}{}", "    1 msg:", "word ".repeat(40));
        let rows = vec![Row::plain("group"), Row::wrapped(Tone::Explain, long, 14), Row::plain("selected")];
        let view = StepView { rows, selected: Some(2), ..StepView::default() };
        // At 34 columns the wrapped row takes 10 lines; with 6 lines on screen the selected row
        // would fall off the bottom below it.
        assert_eq!(wrap_row(&view.rows[1], 34).len(), 10);
        assert_eq!(first_visible(&view, Scroll::default(), 6, 34), 2);
        assert_eq!(first_visible(&view, Scroll::default(), 20, 34), 0);
    }

    #[test]
    fn a_console_shows_its_newest_rows_however_they_wrap() {
        let long = format!("  = {}", "word ".repeat(40));
        let rows =
            vec![Row::plain("old"), Row::plain("< 421 busy"), Row::wrapped(Tone::Explain, long, 4), Row::plain("new")];
        let view = StepView { rows, follow_tail: true, ..StepView::default() };
        // The explanation takes 7 lines at 34 columns: in 8 lines, it and the newest row fit.
        assert_eq!(wrap_row(&view.rows[2], 34).len(), 7);
        assert_eq!(first_visible(&view, Scroll::default(), 8, 34), 2);
        assert_eq!(first_visible(&view, Scroll::default(), 9, 34), 1);
        assert_eq!(first_visible(&view, Scroll::default(), 11, 34), 0);
        // Narrower than the newest row's lines: that row still shows.
        assert_eq!(first_visible(&view, Scroll::default(), 0, 34), 3);
    }
}
