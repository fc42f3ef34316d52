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

/// No line holds a piece of the URL without its start: it is never split over two lines (a
/// line too narrow for it cuts it with a marker instead).
fn assert_url_whole(screen: &str) {
    for line in screen.lines() {
        for tail in ["searchterm", "delisting-request", "listed/?"] {
            assert!(
                !line.contains(tail) || line.contains("https://check.spamhaus.org/"),
                "split URL in {line:?}:\n{screen}"
            );
        }
    }
}

const DELIST: &str = "https://check.spamhaus.org/listed/?searchterm=203.0.113.5&from=mailwiz-delisting-request";

/// The demo app with findings whose summary, detail, evidence and fix are long, one of them a
/// URL longer than a narrow panel.
fn long_findings(width: u16, height: u16) -> App {
    let mut app = app(width, height);
    app.session.push_finding(
        Finding::new(
            "dnsbl.listed",
            &[
                ("ip", "203.0.113.5"),
                ("zone", "zen.spamhaus.org"),
                ("meaning", "Spamhaus SBL, a direct spam source or spam operation"),
                ("delist", DELIST),
            ],
        )
        .with_detail(format!(
            "Spamhaus SBL lists the address; the list's page explains why and how to ask for removal: {DELIST}"
        ))
        .with_evidence([
            "2.0.0.127.zen.spamhaus.org? no: 5.113.0.203.zen.spamhaus.org. A 127.0.0.2".to_string(),
            format!("5.113.0.203.zen.spamhaus.org. TXT \"Listed by SBL, see {DELIST}\""),
            "a third piece of evidence that is long enough to wrap over several lines of a narrow panel".to_string(),
        ]),
    );
    app.session.push_finding(Finding::note(
        "postmaster@bank.example answered that their inbound filter rejects any sender without a matching PTR and HELO",
    ));
    app
}

#[test]
fn long_findings_at_80x24() {
    let mut app = long_findings(80, 24);
    update(&mut app, key(KeyCode::Char(']')));
    update(&mut app, key(KeyCode::Char(']')));
    let screen = render_to_string(&app, 80, 24);
    assert_url_whole(&screen);
    insta::assert_snapshot!(screen);
}

#[test]
fn long_findings_at_200x50() {
    let mut app = long_findings(200, 50);
    update(&mut app, key(KeyCode::Char(']')));
    update(&mut app, key(KeyCode::Char(']')));
    let screen = render_to_string(&app, 200, 50);
    assert_url_whole(&screen);
    assert!(screen.contains("https://check.spamhaus.org/listed/?searchterm=203.0.113.5&from="), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn finding_view_at_80x24_and_200x50() {
    for (w, h) in [(80, 24), (200, 50)] {
        let mut app = long_findings(w, h);
        // dnsbl.listed, the second finding.
        update(&mut app, key(KeyCode::Char(']')));
        update(&mut app, key(KeyCode::Char(']')));
        update(&mut app, key(KeyCode::Char('v')));
        let screen = render_to_string(&app, w, h);
        update(&mut app, key(KeyCode::End));
        let end = render_to_string(&app, w, h);
        for part in [
            "Evidence",
            "Fix",
            "Notes",
            "https://check.spamhaus.org/listed/",
            "a third piece of evidence",
            "matching PTR and HELO",
        ] {
            assert!(screen.contains(part) || end.contains(part), "{part:?} missing at {w}x{h}:\n{screen}\n{end}");
        }
        assert_url_whole(&screen);
        assert_url_whole(&end);
        insta::assert_snapshot!(format!("finding_view_{w}x{h}"), screen);
        // Where the URL is wider than the view, → brings its end into view.
        for _ in 0..4 {
            update(&mut app, key(KeyCode::Right));
        }
        assert!(render_to_string(&app, w, h).contains("delisting-request"), "at {w}x{h}");
    }
}

#[test]
fn help_at_80x24_scrolls_and_lists_the_steps_keys() {
    let mut app = app(80, 24);
    update(&mut app, key(KeyCode::Char('4')));
    update(&mut app, key(KeyCode::Char('?')));
    let screen = render_to_string(&app, 80, 24);
    // The step's own keys come first, so they show without scrolling.
    for part in ["SMTP step", "probe MX", "connect", "swaks", "↑↓ PgUp PgDn scroll"] {
        assert!(screen.contains(part), "{part:?} missing:\n{screen}");
    }
    for _ in 0..60 {
        update(&mut app, key(KeyCode::Down));
    }
    let end = render_to_string(&app, 80, 24);
    assert!(end.contains("leave the input line"), "the last line is reachable:\n{end}");
    insta::assert_snapshot!(end);
}

#[test]
fn at_80x24_quit_and_help_stay_in_the_hints_and_the_header_shortens() {
    let app = long_findings(80, 24);
    let screen = render_to_string(&app, 80, 24);
    let lines: Vec<&str> = screen.lines().collect();
    let (header, hints) = (lines[0], lines[23]);
    // Shortened before anything is dropped: help, quit, zoom, read and search all stay.
    for hint in ["? help", "q quit", "z zoom", "v read", "/ search"] {
        assert!(hints.contains(hint), "{hint} missing: {hints}");
    }
    // Every value of the header that is shown is whole.
    assert!(header.contains("bank.example") && header.contains("203.0.113.5"), "{header}");
    assert!(!header.contains("mta1.intern") || header.contains("mta1.internal.example.com"), "{header}");
}

#[test]
fn search_highlights_matches_in_the_panel_and_the_pane() {
    let mut app = long_findings(120, 40);
    update(&mut app, key(KeyCode::Char('/')));
    for c in "spamhaus".chars() {
        update(&mut app, key(KeyCode::Char(c)));
    }
    update(&mut app, key(KeyCode::Enter));
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    terminal.draw(|frame| mailwiz::tui::ui::draw(frame, &app)).unwrap();
    let buffer = terminal.backend().buffer();
    let reversed = (0..buffer.area.height)
        .flat_map(|y| (0..buffer.area.width).map(move |x| (x, y)))
        .filter(|&(x, y)| buffer[(x, y)].modifier.contains(ratatui::style::Modifier::REVERSED))
        .count();
    // "spamhaus" is highlighted where the panel shows it (not only the selected id).
    assert!(reversed >= "spamhaus".len() * 2, "{reversed} highlighted cells");
}
