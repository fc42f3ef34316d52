//! The main pane's rows on screen: how a step's row wraps at the pane's width, the first row
//! shown (a console's tail, the scroll offset, the selection kept in view) and the last row the
//! pane may scroll to.

use crate::tui::app::Scroll;
use crate::wizard::{Row, StepView, Tone};

/// The columns of text in a pane `inner` columns wide inside its borders: all but the last,
/// which stays blank so that no word touches the edge and a wrapped line never reads as a cut one.
pub fn text_width(inner: u16) -> usize {
    usize::from(inner.saturating_sub(1))
}

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
    if row.table {
        return vec![row.clone()];
    }
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
    // A word longer than the line (a URL) goes on lines of its own, broken at its punctuation,
    // so none of it is lost at the pane's edge.
    let options = textwrap::Options::new(width - hang)
        .wrap_algorithm(textwrap::WrapAlgorithm::FirstFit)
        .break_words(false)
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    textwrap::wrap(body, options)
        .iter()
        .flat_map(|line| break_long_word(line, width - hang))
        .enumerate()
        .map(|(n, line)| {
            let lead = if n == 0 { head.to_string() } else { " ".repeat(hang) };
            Row::new(tone, format!("{lead}{line}"))
        })
        .collect()
}

/// A table row cut to `width` columns, ending in `…` when it is wider.
pub fn cut_row(row: &Row, width: usize) -> Row {
    use unicode_width::UnicodeWidthStr;
    if row.text().width() <= width {
        return row.clone();
    }
    let mut left = width.saturating_sub(1);
    let mut cut = Row { spans: Vec::new(), ..row.clone() };
    for (tone, text) in &row.spans {
        let kept = crate::tui::text::cut_to_width(text, left);
        left -= kept.width();
        let whole = kept.len() == text.len();
        cut.spans.push((*tone, kept));
        if !whole {
            break;
        }
    }
    if let Some((_, last)) = cut.spans.last_mut() {
        last.push('…');
    }
    cut
}

/// `word` in pieces no wider than `width`, each ending at a URL's punctuation where one fits
/// (a piece cut elsewhere only when none does).
fn break_long_word(word: &str, width: usize) -> Vec<&str> {
    use unicode_width::UnicodeWidthChar;
    let mut pieces = Vec::new();
    let mut rest = word;
    while unicode_width::UnicodeWidthStr::width(rest) > width {
        let (mut fit, mut used, mut at_mark) = (0, 0, None);
        for (i, c) in rest.char_indices() {
            used += c.width().unwrap_or(0);
            if used > width {
                break;
            }
            // A query or fragment begins a line; other punctuation ends one.
            if "?&#".contains(c) && i > 0 {
                at_mark = Some(i);
            }
            fit = i + c.len_utf8();
            if "/=.-_@:,;+~".contains(c) {
                at_mark = Some(fit);
            }
        }
        // At least one character per piece, so the loop always moves on.
        let cut = at_mark.unwrap_or(fit).max(rest.chars().next().map_or(1, char::len_utf8));
        pieces.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    pieces.push(rest);
    pieces
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
        // A URL longer than the line breaks at its punctuation, on lines of its own.
        let url = Row::plain("   request delisting at https://check.spamhaus.org/results/?query=203.0.113.5");
        assert_eq!(
            texts(&wrap_row(&url, 40)),
            ["   request delisting at", "   https://check.spamhaus.org/results/", "   ?query=203.0.113.5"]
        );
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

    proptest::proptest! {
        #[test]
        fn a_long_word_is_broken_into_pieces_that_fit_and_lose_nothing(word in "\\PC{0,200}", width in 2usize..60) {
            let pieces = break_long_word(&word, width);
            proptest::prop_assert_eq!(pieces.concat(), word.as_str());
            for piece in pieces {
                proptest::prop_assert!(unicode_width::UnicodeWidthStr::width(piece) <= width, "{piece:?}");
            }
        }
    }
}
