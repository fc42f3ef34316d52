//! Step 3 without a UI: the job reads the configured logs with progress, the step shows the
//! summary and puts findings and the observed error into the session; Esc cancels.

use std::io::Write;
use std::path::PathBuf;

use mailwiz::config::Config;
use mailwiz::context::Context;
use mailwiz::session::{Journal, Session, Target};
use mailwiz::wizard::logs::{LogsEvent, LogsStep};
use mailwiz::wizard::{Effect, Job, JobCtx, SoloStep, StepStatus, job::run_collect};
use tokio_util::sync::CancellationToken;

fn log_file(dir: &std::path::Path) -> PathBuf {
    let mut text = String::new();
    for (i, minute) in (0..50).enumerate() {
        let hour = 8 + i / 20;
        text.push_str(&format!(
            "Jan 10 {hour:02}:{:02}:01 mail postfix/smtp[1]: {:010X}: to=<u{i}@bank.example>, relay=mx1.bank.example[192.0.2.10]:25, delay=1, delays=0/0/1/0, dsn=4.7.0, status=deferred (host mx1.bank.example[192.0.2.10] said: 421 4.7.0 Too many connections from 203.0.113.5 (in reply to MAIL FROM command))\n",
            minute % 60,
            0xA000 + i
        ));
        text.push_str(&format!(
            "Jan 10 {hour:02}:{:02}:02 mail postfix/smtp[1]: {:010X}: to=<u{i}@other.example>, relay=mx.other.example[198.51.100.5]:25, delay=1, delays=0/0/1/0, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n",
            minute % 60,
            0xB000 + i
        ));
    }
    let path = dir.join("mail.log");
    std::fs::write(&path, text).unwrap();
    path
}

fn setup(paths: Vec<PathBuf>) -> (SoloStep<LogsStep>, Session, Context) {
    let mut config = Config::default();
    config.logs.paths = paths;
    let ctx = Context::new(config);
    let mut session = Session::new(Journal::in_memory());
    session.target = Some(Target::parse("bank.example").unwrap());
    (SoloStep::default(), session, ctx)
}

fn spawned(effects: Vec<Effect>) -> Job {
    match effects.into_iter().next() {
        Some(Effect::Spawn(job)) => job,
        other => panic!("expected a job, got {other:?}"),
    }
}

#[tokio::test]
async fn reads_configured_logs_and_fills_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let (mut step, mut session, ctx) = setup(vec![log_file(dir.path())]);
    assert_eq!(step.status(), StepStatus::Idle);
    let job = spawned(step.run(&mut session, &ctx));
    assert_eq!(step.status(), StepStatus::Running);
    assert!(step.view(&session).progress.is_some());
    let events = run_collect(job, ctx.clone()).await;
    assert!(events.iter().any(|e| !e.done), "no progress event");
    for event in events {
        step.on_event(event, &mut session);
    }
    assert_eq!(step.status(), StepStatus::Done);
    let ids: Vec<&str> = session.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["log.deferrals", "log.undelivered", "log.reply_code"]);
    assert!(session.findings[0].summary.starts_with("50 of 50 logged attempt(s) to bank.example were deferred"));
    assert_eq!(
        session.observed_error.as_deref(),
        Some("421 4.7.0 Too many connections from 203.0.113.5 (in reply to MAIL FROM command)")
    );
    let view = step.view(&session);
    let text: Vec<String> = view.rows.iter().map(mailwiz::wizard::Row::text).collect();
    assert!(text.iter().any(|t| t.starts_with("  01-10 08:00 │") && t.ends_with(" 20")), "{text:#?}");
    assert!(text.iter().any(|t| t.starts_with("  01-10 10:00 │") && t.ends_with(" 10")), "{text:#?}");
    assert!(text.iter().any(|t| t.contains("deferred 50")), "{text:#?}");
    assert_eq!(view.progress, None);

    // A second run replaces the log findings instead of adding to them, and keeps the observed error.
    session.observed_error = Some("from the queue".into());
    let job = spawned(step.run(&mut session, &ctx));
    for event in run_collect(job, ctx.clone()).await {
        step.on_event(event, &mut session);
    }
    assert_eq!(session.findings.len(), 3);
    assert_eq!(session.observed_error.as_deref(), Some("from the queue"));
}

#[tokio::test]
async fn cancelling_stops_the_job_and_stale_events_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let (mut step, mut session, ctx) = setup(vec![log_file(dir.path())]);
    let job = spawned(step.run(&mut session, &ctx));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let cancel = CancellationToken::new();
    cancel.cancel();
    (job.run)(JobCtx::new(job.id, job.step, ctx.clone(), cancel, tx)).await;
    let mut events = Vec::new();
    while let Ok(event) = rx.try_recv() {
        events.push(event);
    }
    let last = events.pop().unwrap();
    assert!(last.done);
    assert!(matches!(last.take::<LogsEvent>(), Some(LogsEvent::Done(Err(mailwiz::logs::LogsError::Cancelled)))));
    step.cancel(&mut session);

    // Esc in the step: it stops waiting; the job's late result is ignored.
    let job = spawned(step.run(&mut session, &ctx));
    step.cancel(&mut session);
    assert_eq!(step.status(), StepStatus::Failed);
    for event in run_collect(job, ctx.clone()).await {
        step.on_event(event, &mut session);
    }
    assert!(session.findings.is_empty());
    assert!(step.view(&session).rows.iter().any(|r| r.text().contains("cancelled")));
}

#[tokio::test]
async fn no_paths_and_unreadable_paths_say_so() {
    let (mut step, mut session, ctx) = setup(Vec::new());
    assert!(step.run(&mut session, &ctx).is_empty());
    assert_eq!(step.status(), StepStatus::Failed);
    assert!(step.view(&session).rows[0].text().starts_with("No log files to read"));

    let job = spawned(step.submit("/nonexistent/mail.log", &mut session, &ctx));
    for event in run_collect(job, ctx.clone()).await {
        step.on_event(event, &mut session);
    }
    assert_eq!(step.status(), StepStatus::Failed);
    let rows: Vec<String> = step.view(&session).rows.iter().map(mailwiz::wizard::Row::text).collect();
    assert!(rows.iter().any(|r| r.starts_with("cannot read /nonexistent/mail.log")), "{rows:?}");
}

#[tokio::test]
async fn f_follows_the_logs_and_a_new_reason_becomes_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    let path = log_file(dir.path());
    let (mut step, mut session, ctx) = setup(vec![path.clone()]);
    // The logs as they were: their reasons are known.
    let job = spawned(step.run(&mut session, &ctx));
    for event in run_collect(job, ctx.clone()).await {
        step.on_event(event, &mut session);
    }
    assert!(step.keys().iter().any(|k| k.key == 'f'));
    let effects = step.key('f', &mut session, &ctx);
    let Some(Effect::Spawn(job)) = effects.into_iter().find(|e| matches!(e, Effect::Spawn(_))) else {
        panic!("a follow job")
    };
    assert!(step.keys().is_empty(), "Esc stops a follow");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let cancel = CancellationToken::new();
    let jc = JobCtx::new(job.id, job.step, ctx.clone(), cancel.clone(), tx);
    let running = tokio::spawn((job.run)(jc));
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let mut log = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
    writeln!(log, "Jan 10 11:00:01 mail postfix/smtp[1]: C0FFEE0001: to=<z@bank.example>, relay=mx1.bank.example[192.0.2.10]:25, delay=1, delays=0/0/1/0, dsn=4.7.0, status=deferred (host mx1.bank.example[192.0.2.10] said: 421 4.7.0 Too many connections from 203.0.113.5 (in reply to MAIL FROM command))").unwrap();
    writeln!(log, "Jan 10 11:00:02 mail postfix/smtp[1]: C0FFEE0002: to=<y@bank.example>, relay=mx1.bank.example[192.0.2.10]:25, delay=1, delays=0/0/1/0, dsn=5.7.1, status=bounced (host mx1.bank.example[192.0.2.10] said: 550 5.7.1 Service unavailable; client [203.0.113.5] blocked using zen.spamhaus.org (in reply to RCPT TO command))").unwrap();
    let event = tokio::time::timeout(std::time::Duration::from_secs(20), rx.recv()).await.unwrap().unwrap();
    let effects = step.on_event(event, &mut session);
    cancel.cancel();
    running.await.unwrap();
    let rows: Vec<String> = step.view(&session).rows.iter().map(mailwiz::wizard::Row::text).collect();
    assert!(rows.iter().any(|r| r.contains("C0FFEE0001")), "{rows:?}");
    let new: Vec<_> = session.findings.iter().filter(|f| f.id == "log.new_reason").collect();
    assert_eq!(new.len(), 1, "only the 550 is new: {new:?}");
    assert!(new[0].summary.contains("550 5.7.1"), "{}", new[0].summary);
    let journaled = ctx.journal.events().into_iter().filter(|e| e.text.starts_with("log.new_reason")).count();
    assert_eq!(journaled, 1, "the follower journals the new reason once");
    assert!(!effects.iter().any(|e| matches!(e, Effect::Record(r) if r.text.starts_with("log.new_reason"))));
}
