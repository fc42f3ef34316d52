//! Snapshots of the terminal shell (TestBackend): the four regions, the status bar and the help.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use mailwiz::config::Config;
use mailwiz::context::Context;
use mailwiz::session::{Finding, Journal, Session, Target};
use mailwiz::tui::{App, Msg, render_to_string, update};

fn app(width: u16, height: u16) -> App {
    let config = Config {
        ip: Some("203.0.113.5".parse().unwrap()),
        helo: Some("mta1.internal.example.com".into()),
        ..Config::default()
    };
    let mut ctx = Context::new(config);
    ctx.demo = true;
    let mut session = Session::new(Journal::in_memory());
    session.target = Some(Target::parse("bank.example").unwrap());
    let mut app = App::new(ctx, session);
    update(&mut app, Msg::Resize(width, height));
    app.session.push_finding(
        Finding::new("ptr.missing", &[("ip", "203.0.113.5"), ("helo", "mail.example.com")])
            .with_evidence(["5.113.0.203.in-addr.arpa. PTR -> NXDOMAIN"]),
    );
    app.session.push_finding(Finding::note("bank.example support says their filter is strict"));
    app
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

#[test]
fn shell_at_120x40() {
    let app = app(120, 40);
    insta::assert_snapshot!(render_to_string(&app, 120, 40));
}

#[test]
fn shell_at_80x24_with_a_selected_finding() {
    let mut app = app(80, 24);
    update(&mut app, key(KeyCode::Char(']')));
    update(&mut app, key(KeyCode::Tab));
    insta::assert_snapshot!(render_to_string(&app, 80, 24));
}

#[test]
fn help_overlay() {
    let mut app = app(120, 40);
    update(&mut app, key(KeyCode::Char('?')));
    let screen = render_to_string(&app, 120, 40);
    // Every navigation binding is listed from the live table.
    for binding in mailwiz::tui::keys::NAVIGATION {
        assert!(screen.contains(binding.help), "help lacks {:?}", binding.help);
    }
    insta::assert_snapshot!(screen);
    update(&mut app, key(KeyCode::Char('x')));
    assert!(!render_to_string(&app, 120, 40).contains("any key closes"));
}

#[test]
fn control_bytes_in_findings_are_shown_escaped() {
    let mut app = app(120, 40);
    app.session.push_finding(mailwiz::session::Finding::note("evil\x1b[2J\x07 banner"));
    update(&mut app, key(KeyCode::Char('[')));
    let screen = render_to_string(&app, 120, 40);
    assert!(screen.contains("evil\\x1b[2J\\x07 banner"), "{screen}");
    assert!(!screen.contains('\x1b') && !screen.contains('\x07'));
}

#[test]
fn help_fits_a_small_terminal_in_two_columns() {
    let mut app = app(100, 24);
    update(&mut app, key(KeyCode::Char('?')));
    let screen = render_to_string(&app, 100, 24);
    for needle in ["next step", "quit (asks if work is unsaved)", "send the line", "leave the input line"] {
        assert!(screen.contains(needle), "{needle:?} missing:\n{screen}");
    }
}

#[test]
fn tiny_terminals_do_not_panic() {
    let mut app = app(120, 40);
    for (w, h) in [(1, 1), (10, 3), (30, 8), (60, 12), (80, 24)] {
        update(&mut app, Msg::Resize(w, h));
        let screen = render_to_string(&app, w, h);
        assert_eq!(screen.lines().count(), usize::from(h));
        update(&mut app, key(KeyCode::Char('?')));
        render_to_string(&app, w, h);
        update(&mut app, key(KeyCode::Esc));
        update(&mut app, key(KeyCode::PageDown));
    }
}
