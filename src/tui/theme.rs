//! Styles for the tones steps use and for finding severities; plain attributes without colour.

use ratatui::style::{Color, Modifier, Style};

use crate::session::Severity;
use crate::wizard::Tone;

/// Maps tones and severities to styles. Without colour (`--no-color`, `NO_COLOR`) only bold,
/// dim and reverse are used, so the screen stays readable on any terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Default for Theme {
    fn default() -> Theme {
        Theme { color: true }
    }
}

impl Theme {
    /// A theme honouring `--no-color` and the `NO_COLOR` convention (set and not empty).
    pub fn from_env(no_color_flag: bool) -> Theme {
        let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme { color: !(no_color_flag || no_color_env) }
    }

    fn fg(self, color: Color) -> Style {
        if self.color { Style::new().fg(color) } else { Style::new() }
    }

    /// The style of a piece of step text.
    pub fn tone(self, tone: Tone) -> Style {
        match tone {
            Tone::Dim => Style::new().add_modifier(Modifier::DIM),
            Tone::Heading => Style::new().add_modifier(Modifier::BOLD),
            Tone::Ok => self.fg(Color::Green),
            Tone::Warn => self.fg(Color::Yellow),
            Tone::Fail => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            Tone::Sent => self.fg(Color::Cyan),
            Tone::Normal | Tone::Received => Style::new(),
            Tone::Explain => self.fg(Color::Blue).add_modifier(Modifier::ITALIC),
            Tone::Selected => Style::new().add_modifier(Modifier::REVERSED),
        }
    }

    /// The style of a finding's mark and id.
    pub fn severity(self, severity: Severity) -> Style {
        match severity {
            Severity::Fail => self.tone(Tone::Fail),
            Severity::Warn => self.tone(Tone::Warn),
            Severity::Info => self.fg(Color::Blue),
            Severity::Ok => self.tone(Tone::Ok),
            Severity::Note => self.fg(Color::Magenta),
        }
    }

    /// Borders and the title bar.
    pub fn chrome(self) -> Style {
        self.fg(Color::DarkGray)
    }

    /// The border of the region that has the focus.
    pub fn focus(self) -> Style {
        if self.color { Style::new().fg(Color::Cyan) } else { Style::new().add_modifier(Modifier::BOLD) }
    }

    /// The demo banner.
    pub fn banner(self) -> Style {
        if self.color {
            Style::new().fg(Color::Black).bg(Color::Yellow).add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    }

    /// A key name in hints and help.
    pub fn key(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_colour_only_attributes_remain() {
        let plain = Theme { color: false };
        for tone in [Tone::Ok, Tone::Warn, Tone::Fail, Tone::Sent, Tone::Explain] {
            assert_eq!(plain.tone(tone).fg, None, "{tone:?}");
        }
        assert!(plain.tone(Tone::Selected).add_modifier.contains(Modifier::REVERSED));
        assert_eq!(plain.banner().bg, None);
        assert_eq!(Theme { color: true }.severity(Severity::Fail).fg, Some(Color::Red));
        assert!(Theme::from_env(true) == plain, "--no-color wins");
    }
}
