//! Step 1 in the demo world and on large queues: the job loads the queue, the list shows groups
//! and the selected group's messages, and choosing one sets the target and the observed error.

use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use mailwiz::config::Config;
use mailwiz::context::Context;
use mailwiz::session::{Journal, Session};
use mailwiz::tui::{App, Cmd, Msg, render_to_string, update};
use mailwiz::wizard::queue::{GroupBy, QueueStep};
use mailwiz::wizard::{Effect, SoloStep, Step, StepId, StepStatus, job::run_collect};

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// Sends `msg` and runs the jobs it spawns to their end, feeding their events back.
async fn press(app: &mut App, msg: Msg) {
    for cmd in update(app, msg) {
        if let Cmd::Spawn(job) = cmd {
            for event in run_collect(job, app.ctx.clone()).await {
                update(app, Msg::Job(event));
            }
        }
    }
}

async fn demo_app() -> App {
    let ctx = mailwiz::demo::attach(Context::new(Config::default())).await.expect("the demo world starts");
    let mut app = App::new(ctx, Session::new(Journal::in_memory()));
    update(&mut app, Msg::Resize(120, 40));
    assert_eq!(app.current, StepId::Queue);
    press(&mut app, key(KeyCode::Enter)).await;
    assert_eq!(app.wizard.status(StepId::Queue), StepStatus::Done);
    app
}

#[tokio::test]
async fn step1_in_the_demo_world() {
    let app = demo_app().await;
    let ids: Vec<&str> = app.session.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["queue.expired_soon", "queue.stuck_domain", "queue.stuck_domain"]);
    assert!(
        app.session.findings[0].summary.starts_with("1 message(s) to old-partner.example will bounce within a day")
    );
    assert!(app.session.findings[1].summary.starts_with("3 message(s) to bank.example stuck for up to 4h 20m"));
    insta::assert_snapshot!(render_to_string(&app, 120, 40));
}

#[tokio::test]
async fn choosing_a_group_sets_the_target() {
    let mut app = demo_app().await;
    assert_eq!(app.session.target, None);
    press(&mut app, key(KeyCode::Enter)).await;
    assert_eq!(app.session.target.as_ref().map(|t| t.domain.as_str()), Some("bank.example"));
    assert_eq!(
        app.session.observed_error.as_deref(),
        Some("host mx1.bank.example[192.0.2.10] refused to talk to me: 421 4.0.0 Server error")
    );
    assert_eq!(app.current, StepId::Mx);
    let screen = render_to_string(&app, 120, 40);
    assert!(screen.contains("bank.example"), "the header shows the target:\n{screen}");
}

#[tokio::test]
async fn choosing_a_message_sets_its_error() {
    let mut app = demo_app().await;
    // Down twice: the bank.example group's second message, 7C1E3B2D90.
    press(&mut app, key(KeyCode::Down)).await;
    press(&mut app, key(KeyCode::Down)).await;
    let screen = render_to_string(&app, 120, 40);
    assert!(screen.contains("▶ 7C1E3B2D90"), "{screen}");
    press(&mut app, key(KeyCode::Enter)).await;
    assert_eq!(app.session.target.as_ref().map(|t| t.domain.as_str()), Some("bank.example"));
    assert_eq!(
        app.session.observed_error.as_deref(),
        Some("lost connection with mx2.bank.example[192.0.2.20] while receiving the initial server greeting")
    );
    assert_eq!(app.current, StepId::Mx);
}

#[tokio::test]
async fn regrouping_by_reason_and_choosing() {
    let mut app = demo_app().await;
    press(&mut app, key(KeyCode::Char('g'))).await;
    // Down until the MX lookup failure of old-partner.example is selected.
    for _ in 0..10 {
        let screen = render_to_string(&app, 120, 40);
        if screen.lines().any(|l| l.contains("▶") && l.contains("Host or domain name not found")) {
            break;
        }
        press(&mut app, key(KeyCode::Down)).await;
    }
    let screen = render_to_string(&app, 120, 40);
    assert!(screen.contains("reason (domains)"), "{screen}");
    press(&mut app, key(KeyCode::Enter)).await;
    assert_eq!(app.session.target.as_ref().map(|t| t.domain.as_str()), Some("old-partner.example"));
    assert!(app.session.observed_error.as_deref().unwrap().starts_with("Host or domain name not found."));
}

fn write_queue(dir: &Path, messages: usize) -> std::path::PathBuf {
    use std::io::Write;
    let path = dir.join("big.jsonl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let now = chrono::Utc::now().timestamp();
    for i in 0..messages {
        writeln!(
            out,
            r#"{{"queue_name": "deferred", "queue_id": "Q{i:09X}", "arrival_time": {}, "message_size": 1000, "sender": "s@example.com", "recipients": [{{"address": "u{i}@d{}.example", "delay_reason": "host mx.d{}.example[198.51.100.{}] said: 421 4.7.0 Try later (id {i})"}}]}}"#,
            now - i64::try_from(i % 7200).unwrap(),
            i % 1500,
            i % 1500,
            i % 250
        )
        .unwrap();
    }
    out.flush().unwrap();
    path
}

#[tokio::test]
async fn large_queue_keeps_the_view_small() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.queue.file = Some(write_queue(dir.path(), 30_000));
    let ctx = Context::new(config);
    let mut session = Session::new(Journal::in_memory());
    let mut step = SoloStep::<QueueStep>::default();
    let Some(Effect::Spawn(job)) = step.run(&mut session, &ctx).into_iter().next() else { panic!("a job") };
    for event in run_collect(job, ctx.clone()).await {
        step.on_event(event, &mut session);
    }
    let report = step.report().expect("loaded");
    assert_eq!(report.grouping.messages, 30_000);
    assert_eq!(report.grouping.by_domain.len(), 1500);
    // One reason once ids and addresses are masked.
    assert_eq!(report.grouping.by_reason.len(), 1);
    let view = step.view(&session);
    // 500 groups, the 20 messages of the selected group, a few heading and summary rows.
    assert!(view.rows.len() <= 500 + 20 + 10, "{} rows", view.rows.len());
    assert!(view.rows.iter().any(|r| r.text().contains("1000 more group(s)")));
    assert_eq!(view.selected, Some(3));
    // The cursor walks into the group's messages and on to the next group.
    assert!(step.select(21));
    assert_eq!(step.cursor().group, 1);
    assert_eq!(step.cursor().entry, None);
    // Up from a group goes to the previous group, whose messages then open below it.
    assert!(step.select(-1));
    assert_eq!(step.cursor(), mailwiz::wizard::queue::Cursor { group: 0, entry: None });
    assert!(step.select(20));
    assert_eq!(step.cursor(), mailwiz::wizard::queue::Cursor { group: 0, entry: Some(19) });
    step.key('g', &mut session, &ctx);
    assert_eq!(step.group_by(), GroupBy::Reason);
    let view = step.view(&session);
    // The one reason group holds all 30,000 messages; only 100 are listed under it.
    assert!(view.rows.len() <= 1 + 100 + 10, "{} rows", view.rows.len());
    assert!(view.rows.iter().any(|r| r.text().contains("29900 more message(s)")));
}

#[tokio::test]
async fn unreadable_queue_fails_with_one_sentence() {
    let mut config = Config::default();
    config.queue.file = Some("/nonexistent/postqueue.jsonl".into());
    let ctx = Context::new(config);
    let mut session = Session::new(Journal::in_memory());
    let mut step = SoloStep::<QueueStep>::default();
    let Some(Effect::Spawn(job)) = step.run(&mut session, &ctx).into_iter().next() else { panic!("a job") };
    for event in run_collect(job, ctx.clone()).await {
        step.on_event(event, &mut session);
    }
    assert_eq!(step.status(), StepStatus::Failed);
    let rows: Vec<String> = step.view(&session).rows.iter().map(mailwiz::wizard::Row::text).collect();
    assert_eq!(rows, ["the queue file /nonexistent/postqueue.jsonl does not exist"]);
    assert!(session.findings.is_empty());
}

#[tokio::test]
async fn in_the_demo_an_action_shows_what_it_would_run_and_runs_nothing() {
    let mut app = demo_app().await;
    let keys: Vec<char> = app.wizard.keys(StepId::Queue).iter().map(|k| k.key).collect();
    assert_eq!(keys, ['o', 'g', 'r', 't', 'h', 'u', 'D']);
    let cmds = update(&mut app, key(KeyCode::Char('h')));
    assert_eq!(app.mode, mailwiz::tui::app::Mode::Navigation, "a dry run asks nothing");
    assert!(matches!(cmds.as_slice(), [Cmd::Spawn(_)]), "{cmds:?}");
    for cmd in cmds {
        if let Cmd::Spawn(job) = cmd {
            for event in run_collect(job, app.ctx.clone()).await {
                update(&mut app, Msg::Job(event));
            }
        }
    }
    let rows: Vec<String> =
        app.wizard.view(StepId::Queue, &app.session).rows.iter().map(mailwiz::wizard::Row::text).collect();
    assert!(rows.iter().any(|r| r.contains("Demo: hold with Postfix would run — nothing was run")), "{rows:?}");
    assert!(rows.iter().any(|r| r.contains("$ postsuper -h ")), "{rows:?}");
    let journal = app.ctx.journal.events();
    assert!(journal.iter().any(|e| e.text.contains("queue: would run (demo: nothing is run) postsuper -h ")));
    assert!(!journal.iter().any(|e| e.text.contains("queue: running")));
}

#[tokio::test]
async fn a_listing_read_from_a_file_is_not_acted_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_queue(dir.path(), 3);
    let mut config = Config::default();
    config.queue.file = Some(path);
    let mut app = App::new(Context::new(config), Session::new(Journal::in_memory()));
    update(&mut app, Msg::Resize(120, 40));
    press(&mut app, key(KeyCode::Enter)).await;
    assert_eq!(app.wizard.status(StepId::Queue), StepStatus::Done);
    let cmds = update(&mut app, key(KeyCode::Char('h')));
    assert!(cmds.is_empty(), "nothing runs: {cmds:?}");
    assert_eq!(app.mode, mailwiz::tui::app::Mode::Navigation, "nothing to confirm");
    let rows: Vec<String> =
        app.wizard.view(StepId::Queue, &app.session).rows.iter().map(mailwiz::wizard::Row::text).collect();
    assert!(
        rows.iter().any(|r| r.contains("read from a file: mailwiz acts only on the local MTA's live queue")),
        "{rows:?}"
    );
}
