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
