//! Text for the terminal, before any style: made safe to show, wrapped at spaces, cut with a
//! marker. The view draws it; the layout measures it.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// `text` wrapped at spaces to `width` columns. A word is never split (a URL or an address stays
/// whole, so it can be clicked and copied): one longer than the line goes on a line of its own,
/// wider than `width`.
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
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
pub fn wrap_cut(text: &str, width: usize) -> Vec<String> {
    wrap_words(text, width).into_iter().map(|line| cut(&line, width.max(1))).collect()
}

/// `text` made safe and wrapped to `width` columns behind `lead`, as (lead, text) per line. An
/// evidence bar (`│ `) repeats on every line, so one item reads as one; another lead marks the
/// first line only. `cut` cuts a word wider than the line with a marker (a panel); otherwise it
/// stays whole (a view that scrolls sideways).
pub fn behind_lead(text: &str, width: usize, lead: &str, cut: bool) -> Vec<(String, String)> {
    let lead_width = lead.chars().count();
    let width = width.saturating_sub(lead_width);
    let lines = if cut { wrap_cut(&safe(text), width) } else { wrap_words(&safe(text), width) };
    lines
        .into_iter()
        .enumerate()
        .map(|(n, line)| {
            let lead = if n == 0 || lead.starts_with('│') { lead.to_string() } else { " ".repeat(lead_width) };
            (lead, line)
        })
        .collect()
}

/// `text` cut to `width` columns, the last one a `…` when anything was cut.
pub fn cut(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let mut out = cut_to_width(text, width.saturating_sub(1));
    out.push('…');
    out
}

/// The longest start of `text` at most `width` columns wide.
pub fn cut_to_width(text: &str, width: usize) -> String {
    let mut used = 0;
    text.chars()
        .take_while(|c| {
            used += c.width().unwrap_or(0);
            used <= width
        })
        .collect()
}

/// Text safe to put on the terminal: steps and findings escape what they got from the network,
/// and this makes sure a control byte that slipped through is shown, not executed.
pub fn safe(text: &str) -> std::borrow::Cow<'_, str> {
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
    fn an_evidence_bar_repeats_and_another_lead_marks_the_first_line() {
        let bar = behind_lead("one two three", 9, "│ ", false);
        assert_eq!(bar, [("│ ".to_string(), "one two".to_string()), ("│ ".into(), "three".into())]);
        let note = behind_lead("one two three", 9, "✎ ", false);
        assert_eq!(note[1], ("  ".to_string(), "three".to_string()));
    }
}
