//! The terminal front end: app (model + update), runtime (the only place with I/O and
//! `select!`), ui (one render function per region), layout (where the regions sit and how much
//! they show, for ui and update alike), keys (bindings and help), search, text and theme.

pub mod app;
pub mod keys;
pub mod layout;
pub mod paste;
pub mod runtime;
pub mod search;
pub mod text;
pub mod theme;
pub mod ui;

use ratatui::Terminal;
use ratatui::backend::TestBackend;

pub use app::{App, Cmd, Msg, update};
pub use runtime::{Options, run};

/// Renders `app` on a `width` x `height` test terminal and returns the screen as text, one line
/// per row with trailing spaces removed; for snapshot tests.
pub fn render_to_string(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("the test backend never fails");
    terminal.draw(|frame| ui::draw(frame, app)).expect("the test backend never fails");
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let mut line = String::new();
        for x in 0..buffer.area.width {
            line.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
