//! Step 1's `bounce>` prompt: `o` opens it, a path typed or a bounce pasted is read by a job,
//! which sets the target and the real recipient as `--bounce` does; step 7 cites the bounce;
//! a bounce that cannot be read is one sentence in the status line and changes nothing.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use mailwiz::config::Config;
use mailwiz::context::Context;
use mailwiz::session::{EventKind, Session};
use mailwiz::tui::app::{Mode, Purpose};
use mailwiz::tui::runtime::run_to_idle;
use mailwiz::tui::{App, Cmd, Msg, render_to_string, update};
use mailwiz::wizard::{StepId, Tone};

/// The demo world's bank.example greets with `421 4.0.0 Server error`; a Postfix bounce of
/// that reply, in the shape of Postfix's RFC 3464 reports (see `tests/bounce/cli.rs`).
const BANK_BOUNCE: &str = "From: MAILER-DAEMON@mail.example.com\nTo: clerk@example.com\n\
Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n\
--B\nContent-Type: text/plain\n\nThe mail system\n\n--B\nContent-Type: message/delivery-status\n\n\
Reporting-MTA: dns; mail.example.com\n\nFinal-Recipient: rfc822; accounts@bank.example\nAction: failed\n\
Status: 4.0.0\nRemote-MTA: dns; mx1.bank.example\nDiagnostic-Code: X-Postfix; host mx1.bank.example[192.0.2.10] \
refused to talk to\n    me: 421 4.0.0 Server error\n\n--B--\n";

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn type_line(app: &mut App, text: &str) -> Vec<Cmd> {
    for c in text.chars() {
        update(app, key(KeyCode::Char(c)));
    }
    update(app, key(KeyCode::Enter))
}

async fn demo_app() -> App {
    let ctx = mailwiz::demo::attach(Context::new(Config::default())).await.unwrap();
    let session = Session::new(ctx.journal.clone());
    let mut app = App::new(ctx, session);
    update(&mut app, Msg::Resize(140, 50));
    app
}

fn message(app: &App) -> (Tone, String) {
    let message = app.message.clone().expect("a status line");
    (message.tone, message.text)
}

#[tokio::test]
async fn o_reads_a_bounce_file_sets_target_and_recipient_and_step_7_cites_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bank.eml");
    std::fs::write(&path, BANK_BOUNCE).unwrap();
    let mut app = demo_app().await;

    assert!(update(&mut app, key(KeyCode::Char('o'))).is_empty());
    assert_eq!(app.mode, Mode::Input(Purpose::Console));
    assert_eq!(app.input_prompt().as_deref(), Some("bounce> "));
    let cmds = type_line(&mut app, &path.display().to_string());
    assert_eq!(app.mode, Mode::Navigation, "the prompt closes once the bounce is given");
    assert!(matches!(cmds.as_slice(), [Cmd::Spawn(_)]), "the file is read by a job, not in update: {cmds:?}");
    assert!(app.busy());
    run_to_idle(&mut app, cmds).await;

    assert_eq!(app.session.target.as_ref().map(|t| t.domain.as_str()), Some("bank.example"));
    assert_eq!(app.session.queued_recipient.as_deref(), Some("accounts@bank.example"));
    assert!(app.session.observed_error.as_deref().is_some_and(|e| e.contains("421 4.0.0 Server error")));
    assert!(app.session.findings.iter().any(|f| f.id == "bounce.refused"));
    let (tone, text) = message(&app);
    assert_eq!(tone, Tone::Ok);
    assert!(text.contains("target bank.example, real recipient accounts@bank.example"), "{text}");
    let screen = render_to_string(&app, 140, 50);
    assert!(screen.contains("accounts@bank.example Failed 4.0.0"), "{screen}");
    assert!(screen.contains("the receiver said: 421 4.0.0 Server error"), "{screen}");
    // The engine journaled the finding; the front end only the note of what was read.
    let events = app.ctx.journal.events();
    assert!(
        events.iter().any(|e| e.kind == EventKind::Finding && e.finding().is_some_and(|f| f.id == "bounce.refused"))
    );
    assert!(events.iter().any(|e| e.kind == EventKind::Info && e.text.starts_with("bounce: Bounce ")));

    // Step 7 diagnoses the bounce's domain and cites the bounce.
    update(&mut app, key(KeyCode::Char('7')));
    let cmds = update(&mut app, key(KeyCode::Enter));
    run_to_idle(&mut app, cmds).await;
    let screen = render_to_string(&app, 140, 50);
    assert!(screen.contains("Why mail to bank.example is stuck"), "{screen}");
    assert!(screen.contains("· bounce.refused: accounts@bank.example"), "the cause cites the bounce:\n{screen}");
    // Reading the queue again (step 7 read it once) keeps the bounce's finding and recipient.
    update(&mut app, key(KeyCode::Char('1')));
    let cmds = update(&mut app, key(KeyCode::Char('r')));
    assert!(!cmds.is_empty());
    run_to_idle(&mut app, cmds).await;
    assert!(app.session.findings.iter().any(|f| f.id == "bounce.refused"));
    assert_eq!(app.session.queued_recipient.as_deref(), Some("accounts@bank.example"));
}

#[tokio::test]
async fn a_pasted_bounce_is_read_on_an_empty_enter() {
    let mut app = demo_app().await;
    update(&mut app, key(KeyCode::Char('o')));
    // Terminals end the lines of a bracketed paste with CR.
    assert!(update(&mut app, Msg::Paste(BANK_BOUNCE.replace('\n', "\r"))).is_empty());
    assert!(app.input.value().is_empty(), "the paste is not squeezed into the line");
    assert!(app.input_prompt().is_some_and(|p| p.starts_with("bounce (") && p.contains(" lines)")));
    let cmds = update(&mut app, key(KeyCode::Enter));
    assert!(matches!(cmds.as_slice(), [Cmd::Spawn(_)]), "{cmds:?}");
    run_to_idle(&mut app, cmds).await;
    assert_eq!(app.session.target.as_ref().map(|t| t.domain.as_str()), Some("bank.example"));
    let (tone, text) = message(&app);
    assert_eq!(tone, Tone::Ok, "{text}");
    assert!(text.starts_with("Bounce the pasted text read"), "{text}");
}

#[tokio::test]
async fn what_cannot_be_read_is_one_sentence_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let lunch = dir.path().join("lunch.eml");
    std::fs::write(&lunch, "From: alice@example.org\nSubject: Lunch\n\nSee you at noon.\n").unwrap();
    let mut app = demo_app().await;
    app.session.target = mailwiz::session::Target::parse("good.example").ok();
    for (typed, words) in [
        (lunch.display().to_string(), "lunch.eml is not a bounce"),
        (dir.path().join("none.eml").display().to_string(), "none.eml cannot be read"),
        (dir.path().display().to_string(), "is a directory, not a bounce message"),
    ] {
        update(&mut app, key(KeyCode::Char('o')));
        let cmds = type_line(&mut app, &typed);
        run_to_idle(&mut app, cmds).await;
        let (tone, text) = message(&app);
        assert_eq!(tone, Tone::Fail, "{text}");
        assert!(text.contains(words), "{text}");
        assert_eq!(text.trim_end_matches('.').matches(". ").count(), 0, "one sentence: {text}");
        assert!(!text.contains('\n'));
    }
    // A pasted text that is no bounce.
    update(&mut app, key(KeyCode::Char('o')));
    update(&mut app, Msg::Paste("Subject: Lunch\n\nSee you at noon.\n".into()));
    let cmds = update(&mut app, key(KeyCode::Enter));
    run_to_idle(&mut app, cmds).await;
    let (tone, text) = message(&app);
    assert_eq!((tone, text.starts_with("the pasted text is not a bounce")), (Tone::Fail, true), "{text}");

    assert_eq!(app.session.target.as_ref().map(|t| t.domain.as_str()), Some("good.example"));
    assert!(app.session.findings.iter().all(|f| !f.id.starts_with("bounce.")));
    assert_eq!(app.current, StepId::Queue);
}

#[tokio::test]
async fn esc_drops_what_was_pasted_and_o_is_in_the_pane_and_the_help() {
    let mut app = demo_app().await;
    let screen = render_to_string(&app, 140, 50);
    assert!(screen.contains("Or o: start from a bounce"), "{screen}");
    update(&mut app, key(KeyCode::Char('o')));
    update(&mut app, Msg::Paste("Subject: x\nbody\n".into()));
    update(&mut app, key(KeyCode::Esc));
    assert_eq!(app.mode, Mode::Navigation);
    assert_eq!(app.input_prompt(), None, "the prompt is closed");
    update(&mut app, key(KeyCode::Char('o')));
    assert_eq!(app.input_prompt().as_deref(), Some("bounce> "), "nothing pasted is left");
    update(&mut app, key(KeyCode::Esc));
    update(&mut app, key(KeyCode::Char('?')));
    let help = render_to_string(&app, 140, 50);
    assert!(help.contains("o         start from a bounce (file or pasted text)"), "{help}");
}
