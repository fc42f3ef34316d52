//! Text put into the input line at once (a bracketed paste), in one pass: the line is rebuilt
//! around the cursor instead of inserting character by character (quadratic in `tui-input`),
//! and kept within [`MAX_INPUT`], the cap of a console line.

use tui_input::Input;

/// Longest input line, in bytes: the cap of a console line on stdin.
pub const MAX_INPUT: usize = crate::session::MAX_INPUT_LINE;

/// `input` with `text` inserted at its cursor: its first line only (a pasted newline must not
/// send half a command), control characters dropped, cut to keep the line within
/// [`MAX_INPUT`]. The cursor ends after what was inserted.
pub fn paste(input: &Input, text: &str) -> Input {
    let value = input.value();
    let at = value.char_indices().nth(input.cursor()).map_or(value.len(), |(i, _)| i);
    let room = MAX_INPUT.saturating_sub(value.len());
    let line = text.lines().next().unwrap_or_default();
    let mut inserted = String::with_capacity(line.len().min(room));
    let mut chars = 0;
    for c in line.chars().filter(|c| !c.is_control()) {
        if inserted.len() + c.len_utf8() > room {
            break;
        }
        inserted.push(c);
        chars += 1;
    }
    let mut rebuilt = String::with_capacity(value.len() + inserted.len());
    rebuilt.push_str(&value[..at]);
    rebuilt.push_str(&inserted);
    rebuilt.push_str(&value[at..]);
    Input::new(rebuilt).with_cursor(input.cursor() + chars)
}

/// True when a typed character would make the line longer than [`MAX_INPUT`].
pub fn full(input: &Input, c: char) -> bool {
    input.value().len() + c.len_utf8() > MAX_INPUT
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_paste_goes_in_at_the_cursor_in_one_line() {
        let input = Input::new("EHLO .example".into()).with_cursor(5);
        let pasted = paste(&input, "mail\u{1b}[2J\nDATA\n");
        assert_eq!(pasted.value(), "EHLO mail[2J.example");
        assert_eq!(pasted.cursor(), 12);
    }

    #[test]
    fn a_huge_paste_is_cut_at_the_cap() {
        let input = Input::new("é".into());
        let pasted = paste(&input, &"ü".repeat(1 << 20));
        assert!(pasted.value().len() <= MAX_INPUT);
        assert!(pasted.value().len() > MAX_INPUT - 4);
        assert_eq!(pasted.cursor(), pasted.value().chars().count());
        assert!(full(&pasted, 'x'));
    }

    proptest! {
        #[test]
        fn a_paste_keeps_the_text_around_the_cursor(before in ".{0,40}", after in ".{0,40}", text in ".{0,200}") {
            let input = Input::new(format!("{before}{after}")).with_cursor(before.chars().count());
            let pasted = paste(&input, &text);
            prop_assert!(pasted.value().starts_with(&before));
            prop_assert!(pasted.value().ends_with(&after));
            prop_assert!(pasted.value().len() <= MAX_INPUT);
            prop_assert!(!pasted.value()[before.len()..pasted.value().len() - after.len()].contains(['\n', '\r']));
        }
    }
}
