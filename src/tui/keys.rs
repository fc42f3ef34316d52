//! Key bindings of navigation and input mode; the status-bar hints and the help overlay are
//! generated from these tables, so they always tell the truth.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::session::StepId;
use crate::wizard::StepKey;

/// What a key does in navigation mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAction {
    NextStep,
    PrevStep,
    /// Go to step number n (0-based).
    GotoStep(usize),
    ScrollUp,
    ScrollDown,
    PageUp,
    PageDown,
    ScrollLeft,
    ScrollRight,
    Top,
    Bottom,
    Run,
    Type,
    Command,
    Note,
    PrevFinding,
    NextFinding,
    /// Open the selected finding whole, full screen.
    ViewFinding,
    /// The main pane to the full width and back.
    Zoom,
    /// Open the search prompt.
    Search,
    /// `n`/`N` while a search is active; listed in help, matched in [`crate::tui::app`].
    SearchNext,
    Help,
    Save,
    Cancel,
    Quit,
}

/// One key (code and modifiers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chord {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const fn key(code: KeyCode) -> Chord {
    Chord { code, mods: KeyModifiers::NONE }
}

const fn ctrl(c: char) -> Chord {
    Chord { code: KeyCode::Char(c), mods: KeyModifiers::CONTROL }
}

/// A binding: the keys, what they do, how help names them, and the short status-bar hint.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub chords: &'static [Chord],
    pub action: KeyAction,
    /// Key names as shown ("Tab", "Ctrl-S").
    pub keys: &'static str,
    /// One line for the help overlay.
    pub help: &'static str,
    /// A word or two for the status bar; `None` keeps the binding out of the bar.
    pub hint: Option<&'static str>,
}

/// Navigation-mode bindings, in help order. Digits 1–7 are handled by [`action_for`].
pub const NAVIGATION: &[Binding] = &[
    Binding {
        chords: &[key(KeyCode::Tab)],
        action: KeyAction::NextStep,
        keys: "Tab",
        help: "next step",
        hint: Some("next step"),
    },
    Binding {
        chords: &[key(KeyCode::BackTab), Chord { code: KeyCode::BackTab, mods: KeyModifiers::SHIFT }],
        action: KeyAction::PrevStep,
        keys: "Shift-Tab",
        help: "previous step",
        hint: None,
    },
    Binding { chords: &[], action: KeyAction::GotoStep(0), keys: "1-7", help: "go to step 1 to 7", hint: None },
    Binding {
        chords: &[key(KeyCode::Enter)],
        action: KeyAction::Run,
        keys: "Enter",
        help: "run the step / act on the selection",
        hint: Some("run"),
    },
    Binding {
        chords: &[key(KeyCode::Up), key(KeyCode::Char('k'))],
        action: KeyAction::ScrollUp,
        keys: "↑/k",
        help: "scroll up / select the row above",
        hint: None,
    },
    Binding {
        chords: &[key(KeyCode::Down), key(KeyCode::Char('j'))],
        action: KeyAction::ScrollDown,
        keys: "↓/j",
        help: "scroll down / select the row below",
        hint: None,
    },
    Binding { chords: &[key(KeyCode::PageUp)], action: KeyAction::PageUp, keys: "PgUp", help: "page up", hint: None },
    Binding {
        chords: &[key(KeyCode::PageDown)],
        action: KeyAction::PageDown,
        keys: "PgDn",
        help: "page down",
        hint: None,
    },
    Binding {
        chords: &[key(KeyCode::Left)],
        action: KeyAction::ScrollLeft,
        keys: "←/→",
        help: "scroll long lines sideways",
        hint: None,
    },
    Binding { chords: &[key(KeyCode::Right)], action: KeyAction::ScrollRight, keys: "", help: "", hint: None },
    Binding { chords: &[key(KeyCode::Home)], action: KeyAction::Top, keys: "Home", help: "to the top", hint: None },
    Binding {
        chords: &[key(KeyCode::End)],
        action: KeyAction::Bottom,
        keys: "End",
        help: "to the end (follow new lines)",
        hint: None,
    },
    Binding {
        chords: &[key(KeyCode::Char('i'))],
        action: KeyAction::Type,
        keys: "i",
        help: "type in the step's console",
        hint: Some("type"),
    },
    Binding {
        chords: &[key(KeyCode::Char(':'))],
        action: KeyAction::Command,
        keys: ":",
        help: "type a :command in the console",
        hint: None,
    },
    Binding {
        chords: &[key(KeyCode::Char('n'))],
        action: KeyAction::Note,
        keys: "n",
        help: "add a note to the findings",
        hint: Some("note"),
    },
    Binding {
        chords: &[key(KeyCode::Char('['))],
        action: KeyAction::PrevFinding,
        keys: "[",
        help: "previous finding",
        hint: None,
    },
    Binding {
        chords: &[key(KeyCode::Char(']'))],
        action: KeyAction::NextFinding,
        keys: "]",
        help: "next finding, with evidence and fix",
        hint: Some("finding"),
    },
    Binding {
        chords: &[key(KeyCode::Char('v'))],
        action: KeyAction::ViewFinding,
        keys: "v",
        help: "read the selected finding whole",
        hint: Some("read"),
    },
    Binding {
        chords: &[key(KeyCode::Char('z'))],
        action: KeyAction::Zoom,
        keys: "z",
        help: "zoom the main pane to the full width and back",
        hint: Some("zoom"),
    },
    Binding {
        chords: &[key(KeyCode::Char('/'))],
        action: KeyAction::Search,
        keys: "/",
        help: "search the findings and the pane",
        hint: Some("search"),
    },
    Binding {
        chords: &[],
        action: KeyAction::SearchNext,
        keys: "n/N",
        help: "next/previous match while searching",
        hint: None,
    },
    Binding {
        chords: &[key(KeyCode::Char('?')), key(KeyCode::F(1))],
        action: KeyAction::Help,
        keys: "?/F1",
        help: "this help",
        hint: Some("help"),
    },
    Binding {
        chords: &[ctrl('s')],
        action: KeyAction::Save,
        keys: "Ctrl-S",
        help: "save transcript, report, journal",
        hint: Some("save"),
    },
    Binding {
        chords: &[key(KeyCode::Esc)],
        action: KeyAction::Cancel,
        keys: "Esc",
        help: "cancel the running job",
        hint: None,
    },
    Binding {
        chords: &[key(KeyCode::Char('q')), ctrl('c')],
        action: KeyAction::Quit,
        keys: "q/Ctrl-C",
        help: "quit (asks if work is unsaved)",
        hint: Some("quit"),
    },
];

/// Keys of the full-screen finding view.
pub const FINDING_VIEW: &[(&str, &str)] = &[
    ("Esc", "close"),
    ("↑/↓", "scroll"),
    ("PgUp/PgDn", "page"),
    ("←/→", "long lines"),
    ("[/]", "previous/next finding"),
];

/// Input-mode keys, for hints and help (the input line itself handles editing keys).
pub const INPUT: &[(&str, &str)] =
    &[("Enter", "send the line"), ("↑/↓", "history"), ("Esc", "leave the input line"), ("Ctrl-C", "quit")];

/// One line of the help overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpLine {
    Heading(String),
    /// Keys as shown and what they do.
    Entry(String, String),
    Blank,
}

/// The help's lines: the current step's own keys (first, so a small screen shows them without
/// scrolling), navigation keys, the finding view's and the input line's keys.
pub fn help_lines(step: StepId, step_keys: &[StepKey]) -> Vec<HelpLine> {
    let entry = |keys: &str, help: &str| HelpLine::Entry(keys.to_string(), help.to_string());
    let mut lines = Vec::new();
    if !step_keys.is_empty() {
        lines.push(HelpLine::Heading(format!("{} step", step.label())));
        lines.extend(step_keys.iter().map(|k| entry(&k.key.to_string(), k.hint)));
        lines.push(HelpLine::Blank);
    }
    lines.push(HelpLine::Heading("Navigation".into()));
    // A binding without a name shares the line of the one before it (← and →).
    lines.extend(NAVIGATION.iter().filter(|b| !b.keys.is_empty()).map(|b| entry(b.keys, b.help)));
    lines.push(HelpLine::Blank);
    lines.push(HelpLine::Heading("Reading a finding (v)".into()));
    lines.extend(FINDING_VIEW.iter().map(|(k, h)| entry(k, h)));
    lines.push(HelpLine::Blank);
    lines.push(HelpLine::Heading("Input line (i or : on a step with a console)".into()));
    lines.extend(INPUT.iter().map(|(k, h)| entry(k, h)));
    lines
}

/// Every key table as plain rows, for the manual page: navigation, the input line, the finding
/// view, then each step's own keys.
pub fn manual() -> Vec<(String, Vec<(String, String)>)> {
    let rows = |table: &[(&str, &str)]| table.iter().map(|(k, h)| ((*k).to_string(), (*h).to_string())).collect();
    let mut sections = vec![
        ("Navigation".to_string(), NAVIGATION.iter().map(|b| (b.keys.to_string(), b.help.to_string())).collect()),
        ("The input line".to_string(), rows(INPUT)),
        ("The finding view (v)".to_string(), rows(FINDING_VIEW)),
    ];
    let wizard = crate::wizard::Wizard::new();
    for step in StepId::ALL {
        let keys = wizard.step(step).all_keys();
        if !keys.is_empty() {
            let info = step.info();
            let title = format!("Step {} ({})", info.key, info.title);
            sections.push((title, keys.iter().map(|k| (k.key.to_string(), k.hint.to_string())).collect()));
        }
    }
    sections
}

/// True for key presses (and repeats); releases are ignored everywhere.
pub fn is_press(key: &KeyEvent) -> bool {
    matches!(key.kind, KeyEventKind::Press | KeyEventKind::Repeat)
}

fn chord_matches(chord: &Chord, key: &KeyEvent) -> bool {
    // Terminals report some characters with SHIFT ('?', ':'); the character already says it.
    let mods = match key.code {
        KeyCode::Char(_) => key.modifiers - KeyModifiers::SHIFT,
        _ => key.modifiers,
    };
    chord.code == key.code && chord.mods == mods
}

/// The navigation-mode action of `key`, if it has one.
pub fn action_for(key: &KeyEvent) -> Option<KeyAction> {
    if let KeyCode::Char(c) = key.code
        && key.modifiers - KeyModifiers::SHIFT == KeyModifiers::NONE
        && let Some(step) = StepId::from_key(c)
    {
        return Some(KeyAction::GotoStep(step.index()));
    }
    NAVIGATION.iter().find(|b| b.chords.iter().any(|c| chord_matches(c, key))).map(|b| b.action)
}

/// The binding of `action`, for its key name.
pub fn binding(action: KeyAction) -> Option<&'static Binding> {
    NAVIGATION.iter().find(|b| b.action == action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_actions() {
        let k = |code, mods| KeyEvent::new(code, mods);
        assert_eq!(action_for(&k(KeyCode::Tab, KeyModifiers::NONE)), Some(KeyAction::NextStep));
        assert_eq!(action_for(&k(KeyCode::BackTab, KeyModifiers::SHIFT)), Some(KeyAction::PrevStep));
        assert_eq!(action_for(&k(KeyCode::Char('3'), KeyModifiers::NONE)), Some(KeyAction::GotoStep(2)));
        assert_eq!(action_for(&k(KeyCode::Char('s'), KeyModifiers::CONTROL)), Some(KeyAction::Save));
        assert_eq!(action_for(&k(KeyCode::Char('?'), KeyModifiers::SHIFT)), Some(KeyAction::Help));
        assert_eq!(action_for(&k(KeyCode::Char('c'), KeyModifiers::CONTROL)), Some(KeyAction::Quit));
        assert_eq!(action_for(&k(KeyCode::Char('8'), KeyModifiers::NONE)), None);
        assert_eq!(action_for(&k(KeyCode::Char('s'), KeyModifiers::NONE)), None);
        assert_eq!(action_for(&k(KeyCode::Char('/'), KeyModifiers::NONE)), Some(KeyAction::Search));
        assert_eq!(action_for(&k(KeyCode::Char('v'), KeyModifiers::NONE)), Some(KeyAction::ViewFinding));
        assert_eq!(action_for(&k(KeyCode::Char('N'), KeyModifiers::SHIFT)), None);
    }

    #[test]
    fn no_key_is_bound_twice_or_shadowed_by_a_global_one() {
        let mut seen: Vec<Chord> = Vec::new();
        for binding in NAVIGATION {
            for chord in binding.chords {
                assert!(!seen.contains(chord), "{chord:?} is bound twice in the global table");
                seen.push(*chord);
            }
        }
        let wizard = crate::wizard::Wizard::new();
        for step in StepId::ALL {
            let keys = wizard.step(step).all_keys();
            for (at, key) in keys.iter().enumerate() {
                let press = KeyEvent::new(KeyCode::Char(key.key), KeyModifiers::NONE);
                let global = action_for(&press);
                assert_eq!(global, None, "{step:?}'s {:?} ({}) is shadowed by {global:?}", key.key, key.hint);
                assert!(keys[..at].iter().all(|k| k.key != key.key), "{step:?} binds {:?} twice", key.key);
            }
        }
    }

    #[test]
    fn the_help_names_the_keys_of_the_first_and_last_step() {
        let goto = binding(KeyAction::GotoStep(0)).expect("listed");
        let (first, last) = (StepId::ALL[0].info().key, StepId::ALL[StepId::ALL.len() - 1].info().key);
        assert_eq!(goto.keys, format!("{first}-{last}"));
        assert_eq!(goto.help, format!("go to step {first} to {last}"));
    }
}
