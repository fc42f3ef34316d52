//! The status bar: hints generated from the live key bindings.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::app::{App, Mode, Purpose};
use crate::tui::keys::{self, KeyAction};

/// Draws the status bar into `area`.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let (hints, separator) = fit(hints(app), usize::from(area.width));
    let mut spans = Vec::new();
    for hint in hints {
        if !spans.is_empty() {
            spans.push(Span::styled(separator, theme.chrome()));
        }
        spans.push(Span::styled(hint.key, theme.key()));
        spans.push(Span::raw(format!(" {}", hint.text)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// One key hint, and how much it matters on the current pane: when the bar is too narrow, the
/// lowest rank goes first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub key: String,
    pub text: String,
    rank: Rank,
}

/// How much a hint matters, least first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    /// Said in the help and the manual: saving, walking the findings.
    Known,
    /// Moving on: the next step, a note.
    Moving,
    /// What the current step does, and its input line.
    Step,
    /// Reading the pane: read whole, zoom, search.
    Reading,
    /// Running the step, cancelling, answering a question.
    Doing,
    /// Help, which leads to every other key, and the way out.
    Kept,
}

fn hint(key: impl Into<String>, text: impl Into<String>, rank: Rank) -> Hint {
    Hint { key: key.into(), text: text.into(), rank }
}

/// The hints that apply right now, in the order they are shown.
pub fn hints(app: &App) -> Vec<Hint> {
    match app.mode {
        Mode::Input(Purpose::ConfirmQuit) => {
            vec![hint("y", "quit", Rank::Kept), hint("s", "save", Rank::Kept), hint("n", "stay", Rank::Kept)]
        }
        Mode::Input(Purpose::Confirm(_)) => vec![hint("y", "yes", Rank::Kept), hint("any other key", "no", Rank::Kept)],
        Mode::Input(Purpose::Console) => keys::INPUT.iter().map(|(k, h)| hint(*k, *h, Rank::Doing)).collect(),
        Mode::Input(_) => vec![hint("Enter", "ok", Rank::Kept), hint("Esc", "cancel", Rank::Kept)],
        Mode::Navigation if app.show_help => {
            vec![hint("↑/↓ PgUp/PgDn", "scroll", Rank::Kept), hint("any other key", "close help", Rank::Kept)]
        }
        Mode::Navigation if app.finding_view.is_some() => {
            let mut hints: Vec<Hint> = keys::FINDING_VIEW.iter().map(|(k, h)| hint(*k, *h, Rank::Reading)).collect();
            hints.extend(bound(&[KeyAction::Help]));
            hints
        }
        Mode::Navigation => {
            let step = app.wizard.step(app.current);
            let mut hints = bound(&[KeyAction::NextStep, KeyAction::Run]);
            if app.busy()
                && let Some(cancel) = keys::binding(KeyAction::Cancel)
            {
                hints.push(hint(cancel.keys, "cancel", Rank::Doing));
            }
            if app.search.is_some() {
                hints.push(hint("n/N", "next/prev match", Rank::Doing));
                hints.push(hint("Esc", "end search", Rank::Doing));
            }
            // The input line first: of a step's keys, the last go first.
            if step.prompt().is_some() {
                hints.extend(bound(&[KeyAction::Type]));
            }
            hints.extend(app.wizard.bar_keys(app.current).iter().map(|k| hint(k.key.to_string(), k.hint, Rank::Step)));
            if app.search.is_none() {
                hints.extend(bound(&[KeyAction::Note]));
            }
            hints.extend(bound(&[
                KeyAction::ViewFinding,
                KeyAction::Zoom,
                KeyAction::Search,
                KeyAction::NextFinding,
                KeyAction::Save,
                KeyAction::Help,
                KeyAction::Quit,
            ]));
            hints
        }
    }
}

/// The hints of the bindings of `actions` that have one, each ranked by its action.
fn bound(actions: &[KeyAction]) -> Vec<Hint> {
    actions
        .iter()
        .filter_map(|&action| keys::binding(action))
        .filter_map(|b| {
            let rank = match b.action {
                KeyAction::Help | KeyAction::Quit => Rank::Kept,
                KeyAction::Run | KeyAction::Cancel => Rank::Doing,
                KeyAction::ViewFinding | KeyAction::Zoom | KeyAction::Search => Rank::Reading,
                KeyAction::Type => Rank::Step,
                KeyAction::NextStep | KeyAction::Note => Rank::Moving,
                _ => Rank::Known,
            };
            b.hint.map(|text| hint(b.keys, text, rank))
        })
        .collect()
}

/// Makes the hints fit in `width` columns, and gives the separator to draw between them. First a
/// key named twice is shortened to its first name (`q/Ctrl-C` to `q`), then each hint to its
/// first word; then the hints the help lists anyway are left out, then the separator narrows to
/// two spaces, and only then are the others left out, least useful first (see [`Rank`]).
fn fit(mut hints: Vec<Hint>, width: usize) -> (Vec<Hint>, &'static str) {
    let len = |hints: &[Hint], separator: &str| -> usize {
        hints.iter().map(|h| h.key.chars().count() + 1 + h.text.chars().count()).sum::<usize>()
            + separator.chars().count() * hints.len().saturating_sub(1)
    };
    let shorten: [fn(&mut Hint); 2] = [
        // `q/Ctrl-C` and `?/F1` name one action twice; `↑/↓` and `PgUp/PgDn` name two.
        |hint| {
            if let Some((first, rest)) = hint.key.split_once('/')
                && first.chars().count() == 1
                && rest.split('/').all(|other| other.chars().count() > 1)
            {
                hint.key = first.to_string();
            }
        },
        |hint| {
            if let Some((first, _)) = hint.text.split_once(' ') {
                hint.text = first.to_string();
            }
        },
    ];
    for step in shorten {
        if len(&hints, " · ") <= width {
            return (hints, " · ");
        }
        hints.iter_mut().for_each(step);
    }
    // What the help lists anyway goes before the separator narrows; the rest only after.
    if leave_out(&mut hints, |h| len(h, " · ") <= width, Rank::Step) {
        return (hints, " · ");
    }
    leave_out(&mut hints, |h| len(h, "  ") <= width, Rank::Kept);
    (hints, "  ")
}

/// Leaves hints ranked below `floor` out, least useful first and the last of a rank before the
/// first, until `fits`; true when they do.
fn leave_out(hints: &mut Vec<Hint>, fits: impl Fn(&[Hint]) -> bool, floor: Rank) -> bool {
    while !fits(hints) {
        let least = hints.iter().map(|h| h.rank).filter(|r| *r < floor).min();
        match least.and_then(|least| hints.iter().rposition(|h| h.rank == least)) {
            Some(i) => {
                hints.remove(i);
            }
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_are_shortened_before_the_least_useful_are_left_out() {
        let hints = vec![
            hint("Tab", "next step", Rank::Moving),
            hint("g", "group", Rank::Step),
            hint("z", "zoom", Rank::Reading),
            hint("Ctrl-S", "save", Rank::Known),
            hint("?/F1", "help", Rank::Kept),
            hint("q/Ctrl-C", "quit", Rank::Kept),
        ];
        let keys = |width| fit(hints.clone(), width).0.into_iter().map(|h| h.key).collect::<Vec<_>>();
        // "Tab next step · g group · z zoom · Ctrl-S save · ?/F1 help · q/Ctrl-C quit" is 74.
        assert_eq!(fit(hints.clone(), 74), (hints.clone(), " · "));
        // Shortened before anything is left out: "… · ? help · q quit" (64), then "Tab next · …"
        // (59).
        assert_eq!(keys(73), ["Tab", "g", "z", "Ctrl-S", "?", "q"]);
        assert_eq!(fit(hints.clone(), 63).0[0].text, "next");
        // Then what the help lists anyway (45), and moving on (34).
        assert_eq!(keys(58), ["Tab", "g", "z", "?", "q"]);
        assert_eq!(fit(hints.clone(), 44), (fit(hints.clone(), 34).0, " · "));
        assert_eq!(keys(44), ["g", "z", "?", "q"]);
        // Then two spaces between (31), and the step's own keys before reading.
        assert_eq!(fit(hints.clone(), 33).1, "  ");
        assert_eq!(keys(33), ["g", "z", "?", "q"]);
        assert_eq!(keys(30), ["z", "?", "q"]);
        assert_eq!(keys(3), ["?", "q"]);
    }
}
