//! The shell over the demo world, without a terminal: steps run their jobs against the
//! in-process DNS server and the findings panel fills with the story's findings.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use mailwiz::config::Config;
use mailwiz::context::Context;
use mailwiz::session::{EventKind, Session};
use mailwiz::tui::runtime::run_to_idle;
use mailwiz::tui::{App, Msg, render_to_string, update};

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn enter() -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE))
}

/// The app in the demo world with `target` chosen, on a terminal of `size`.
async fn demo_app_for(target: &str, size: (u16, u16)) -> App {
    let ctx = mailwiz::demo::attach(Context::new(Config::default())).await.unwrap();
    let mut session = Session::new(ctx.journal.clone());
    session.target = Some(mailwiz::session::Target::parse(target).unwrap());
    let mut app = App::new(ctx, session);
    update(&mut app, Msg::Resize(size.0, size.1));
    app
}

#[tokio::test]
async fn identity_and_blocklists_fill_the_findings_panel() {
    let ctx = mailwiz::demo::attach(Context::new(Config::default())).await.unwrap();
    let session = Session::new(ctx.journal.clone());
    let mut app = App::new(ctx, session);
    update(&mut app, Msg::Resize(120, 40));

    for step in ['5', '6'] {
        update(&mut app, key(step));
        let cmds = update(&mut app, enter());
        assert!(!cmds.is_empty(), "step {step} starts a job");
        assert!(app.busy());
        run_to_idle(&mut app, cmds).await;
        assert!(!app.busy(), "step {step}'s job ended");
    }

    let ids: Vec<&str> = app.session.findings.iter().map(|f| f.id.as_str()).collect();
    for id in ["ptr.missing", "helo.mismatch", "dnsbl.listed"] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    let screen = render_to_string(&app, 120, 40);
    assert!(screen.contains("✗ ptr.missing"), "{screen}");
    assert!(screen.contains("✗ dnsbl.listed"), "{screen}");
    assert!(screen.contains("│ 5 ✓ Identity"), "{screen}");
    assert!(screen.contains("│▶6 ✓ Blocklists"), "{screen}");

    // Every finding shown was journaled, and the DNS exchanges behind them too.
    let events = app.ctx.journal.events();
    for finding in &app.session.findings {
        assert!(
            events.iter().any(|e| e.kind == EventKind::Finding && e.finding().is_some_and(|f| f.id == finding.id)),
            "{} is on screen but not in the journal",
            finding.id
        );
    }
    assert!(events.iter().any(|e| e.kind == EventKind::DnsQuery));

    // The selected finding shows its evidence and fix, whole with v.
    update(&mut app, key(']'));
    update(&mut app, key('v'));
    let screen = render_to_string(&app, 120, 40);
    assert!(screen.contains("Evidence") && screen.contains("Fix"), "{screen}");
}

#[tokio::test]
async fn step_7_run_first_runs_the_steps_it_needs_and_never_says_nothing_was_found() {
    let mut app = demo_app_for("bank.example", (160, 60)).await;
    update(&mut app, key('7'));
    let cmds = update(&mut app, enter());
    // Before any job has reported, the step waits for the others; it shows no verdict.
    let waiting = render_to_string(&app, 160, 60);
    assert!(!waiting.contains("Nothing found"), "{waiting}");
    assert!(cmds.len() > 1, "the other steps start their jobs: {cmds:?}");
    run_to_idle(&mut app, cmds).await;
    assert!(!app.busy());
    let ids: Vec<&str> = app.session.findings.iter().map(|f| f.id.as_str()).collect();
    for id in ["queue.stuck_domain", "mx.ok", "smtp.banner_4xx", "ptr.missing", "dnsbl.listed", "diagnosis.missing_ptr"]
    {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert!(!ids.contains(&"diagnosis.helo_mismatch"), "refused at the greeting: {ids:?}");
    let screen = render_to_string(&app, 160, 60);
    assert!(screen.contains("Why mail to bank.example is stuck"), "{screen}");
    assert!(screen.contains("Also fix before the retry"), "{screen}");
    assert!(!screen.contains("Nothing found"), "{screen}");
}

#[tokio::test]
async fn steps_5_and_6_judge_our_address_of_each_family_for_a_dual_stack_receiver() {
    let mut app = demo_app_for("dualstack.example", (160, 60)).await;
    for step in ['5', '6'] {
        update(&mut app, key(step));
        let cmds = update(&mut app, enter());
        run_to_idle(&mut app, cmds).await;
    }
    let about = |id: &str, ip: &str| app.session.findings.iter().any(|f| f.id == id && f.summary.contains(ip));
    assert!(about("ptr.missing", "2001:db8::5") && about("ptr.missing", "203.0.113.5"));
    assert!(about("dnsbl.listed", "203.0.113.5"), "the IPv4 address is listed on zen");
    assert!(about("dnsbl.not_ipv6", "2001:db8::5"), "lists of IPv4 addresses only are said to be skipped");
    let screen = render_to_string(&app, 160, 60);
    assert!(screen.contains("Enter: check 203.0.113.5 and 2001:db8::5 against the block lists"), "{screen}");
}

#[tokio::test]
async fn step_7_tells_the_dual_stack_story_ipv6_refused_first() {
    let mut app = demo_app_for("dualstack.example", (160, 60)).await;
    update(&mut app, key('7'));
    let cmds = update(&mut app, enter());
    run_to_idle(&mut app, cmds).await;
    let ids: Vec<&str> = app.session.findings.iter().map(|f| f.id.as_str()).collect();
    assert!(ids.contains(&"smtp.family_differs"), "{ids:?}");
    let first = app.session.findings.iter().find(|f| f.family() == "diagnosis").expect("a cause");
    assert_eq!(first.id, "diagnosis.ipv6_refused", "{ids:?}");
    let screen = render_to_string(&app, 160, 60);
    assert!(screen.contains("refuses us over IPv6 and accepts us over IPv4"), "{screen}");
    assert!(screen.contains("smtp_address_preference = ipv4"), "{screen}");
}

#[tokio::test]
async fn step_7_at_80x24_reads_a_cause_to_its_last_action_and_v_opens_it() {
    let mut app = demo_app_for("bank.example", (80, 24)).await;
    update(&mut app, key('7'));
    let cmds = update(&mut app, enter());
    run_to_idle(&mut app, cmds).await;
    let page = |code| Msg::Key(KeyEvent::new(code, KeyModifiers::NONE));
    // Cause 2 is the block list; its last action names the delisting page.
    update(&mut app, page(KeyCode::Down));
    let mut seen = String::new();
    for _ in 0..20 {
        let screen = render_to_string(&app, 80, 24);
        seen.push_str(&screen);
        if screen.contains("request delisting at") {
            break;
        }
        update(&mut app, page(KeyCode::PageDown));
    }
    let screen = render_to_string(&app, 80, 24);
    assert!(screen.contains("request delisting at"), "PgDn never reached the last action:\n{screen}");
    // The URL is longer than the pane is wide at 80 columns: it goes on lines of its own, broken
    // at its punctuation, and z gives it the width to be read on one.
    let url = seen.lines().position(|l| l.contains("https://check.spamhaus.org/results/"));
    let rest = url.and_then(|at| seen.lines().nth(at + 1));
    assert!(rest.is_some_and(|l| l.contains("203.0.113.5.")), "{seen}");
    update(&mut app, key('z'));
    let zoomed = render_to_string(&app, 80, 24);
    assert!(zoomed.contains("https://check.spamhaus.org/results/?query=203.0.113.5"), "{zoomed}");
    update(&mut app, key('z'));
    // The position tells how far the text goes.
    let shown = screen.lines().find_map(|l| l.rsplit_once(" ┘").and_then(|(head, _)| head.rsplit(' ').next()));
    assert!(shown.is_some_and(|s| s.contains('/')), "{screen}");
    // v opens the cause being read, not the finding selected in the side panel.
    update(&mut app, key('v'));
    let view = render_to_string(&app, 80, 24);
    assert!(view.contains("diagnosis.blocklisted"), "{view}");
}
