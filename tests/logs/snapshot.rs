//! Step 3 in the demo world: the TUI after reading the world's MTA log (`TestBackend` snapshot).

use chrono::{TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use mailwiz::config::Config;
use mailwiz::context::Context;
use mailwiz::demo::world::{FileRole, World, fill_times};
use mailwiz::session::{Journal, Session, Target};
use mailwiz::tui::{App, Cmd, Msg, render_to_string, update};
use mailwiz::wizard::job::run_collect;

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

#[tokio::test]
async fn step3_in_the_demo_world() {
    // The world's log, with its relative times fixed so the snapshot does not move.
    let now = Utc.with_ymd_and_hms(2026, 3, 10, 12, 0, 0).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let world = World::bundled();
    let mut config =
        Config { ip: Some(world.identity.ip), helo: Some(world.identity.helo.clone()), ..Config::default() };
    for file in world.files.iter().filter(|f| f.role == FileRole::Log) {
        let path = dir.path().join(&file.name);
        std::fs::write(&path, fill_times(&file.text, now)).unwrap();
        config.logs.paths.push(path);
    }
    assert!(!config.logs.paths.is_empty(), "the demo world has a log");
    let mut ctx = Context::new(config);
    ctx.demo = true;
    let mut session = Session::new(Journal::in_memory());
    session.target = Some(Target::parse("bank.example").unwrap());
    let mut app = App::new(ctx.clone(), session);
    update(&mut app, Msg::Resize(120, 40));
    update(&mut app, key(KeyCode::Char('3')));
    let cmds = update(&mut app, key(KeyCode::Enter));
    let job = cmds
        .into_iter()
        .find_map(|cmd| match cmd {
            Cmd::Spawn(job) => Some(job),
            _ => None,
        })
        .expect("Enter starts the logs job");
    for event in run_collect(job, ctx).await {
        update(&mut app, Msg::Job(event));
    }
    assert_eq!(app.session.observed_error.as_deref(), Some("421 4.0.0 Server error"));
    let ids: Vec<&str> = app.session.findings.iter().map(|f| f.id.as_str()).collect();
    assert!(ids.contains(&"log.deferrals") && ids.contains(&"log.reply_code"), "{ids:?}");
    let screen = render_to_string(&app, 120, 40).replace(&dir.path().display().to_string(), "[demo]");
    insta::assert_snapshot!(screen);
}
