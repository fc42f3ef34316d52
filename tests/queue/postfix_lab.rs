//! `mailwiz queue` against the real Postfix of the lab (.ci/postfix-lab.sh): mail to
//! connect421.test, rcpt421.test, rcpt450.test and refused.test sits in the deferred queue.

use crate::common;

use std::process::Command;

use common::{queue_deferred, queued, unique};

use serde_json::Value;

/// The lab's domains and a part of the reason Postfix gives for each.
const EXPECTED: &[(&str, &str)] = &[
    ("connect421.test", "refused to talk to me: 421 4.0.0 Server closing connection"),
    ("rcpt421.test", "said: 421 4.0.0 Server closing connection (in reply to RCPT TO command)"),
    ("rcpt450.test", "said: 450 4.3.0 Error: command failed (in reply to RCPT TO command)"),
    ("refused.test", "connect to 127.0.0.1[127.0.0.1]:2529: Connection refused"),
];

fn queue_json(args: &[&str]) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_mailwiz"))
        .args(["queue", "--json"])
        .args(args)
        .output()
        .expect("mailwiz runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.code().is_some_and(|c| c <= 1), "exit {:?}: {stderr}", output.status);
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("one JSON object ({e}): {stderr}"))
}

fn assert_lab_domains(json: &Value, format: &str) {
    assert_eq!(json["command"], "queue");
    assert_eq!(json["format"], format);
    let domains = json["domains"].as_array().expect("domains");
    for (domain, reason) in EXPECTED {
        let group =
            domains.iter().find(|d| d["key"] == *domain).unwrap_or_else(|| panic!("{domain} is listed: {json}"));
        assert!(group["messages"].as_u64().unwrap() >= 1);
        assert!(group["delayed"].as_u64().unwrap() >= 1, "{domain} is delayed");
        let example = group["example"].as_str().unwrap_or_default();
        assert!(example.contains(reason), "{domain}: {example:?} should contain {reason:?}");
        let finding = json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == "queue.stuck_domain" && f["summary"].as_str().unwrap().contains(domain))
            .unwrap_or_else(|| panic!("a stuck_domain finding for {domain}"));
        assert!(finding["summary"].as_str().unwrap().contains(reason));
        // The entries carry the recipient and the reason too.
        let entry = json["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["recipients"].as_array().unwrap().iter().any(|r| r["domain"] == *domain))
            .expect("an entry");
        assert_eq!(entry["queue"], "deferred");
        assert_eq!(entry["sender"], "lab@lab.mailwiz.test");
        let recipient = &entry["recipients"][0];
        assert_eq!(recipient["address"], format!("user@{domain}"));
        assert!(recipient["reason"].as_str().unwrap().contains(reason));
    }
    assert_eq!(json["skipped"]["count"], 0);
}

#[test]
fn postqueue_json_run_by_mailwiz() {
    if !common::postfix_lab() {
        return;
    }
    let json = queue_json(&[]);
    assert_eq!(json["source"], "postqueue -j");
    assert_lab_domains(&json, "postfix-json");
    // Debian's default maximal_queue_lifetime, read from postconf.
    assert_eq!(json["lifetime"]["source"], "postconf maximal_queue_lifetime");
    assert_eq!(json["lifetime"]["days"], 5.0);
}

#[test]
fn postqueue_p_text_run_by_mailwiz() {
    if !common::postfix_lab() {
        return;
    }
    let json = queue_json(&["--format", "postfix-text"]);
    assert_eq!(json["source"], "postqueue -p");
    assert_lab_domains(&json, "postfix-text");
}

#[test]
fn mailq_output_read_from_a_file() {
    if !common::postfix_lab() {
        return;
    }
    let mailq = Command::new("mailq").output().expect("mailq runs");
    assert!(mailq.status.success());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mailq.txt");
    std::fs::write(&path, &mailq.stdout).unwrap();
    let json = queue_json(&["--file", path.to_str().unwrap()]);
    assert_lab_domains(&json, "postfix-text");
}

// Acting on the queue. Each test queues its own mail to its own lab domain (act.test and
// retry.test, routed to closed ports) and touches only that mail.

/// `mailwiz queue ACTION ARGS... --json` with stdin closed (no terminal to ask on).
fn act(args: &[&str]) -> (Option<i32>, Value, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_mailwiz"))
        .args(["queue"])
        .args(args)
        .args(["--json"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("mailwiz runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let json = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (output.status.code(), json, stderr)
}

fn done_ids(json: &Value) -> Vec<String> {
    json["done"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_string()).collect()
}

#[test]
fn hold_release_and_delete_a_deferred_message_and_postqueue_agrees() {
    if !common::postfix_lab() {
        return;
    }
    let address = unique("act.test", "hold");
    let id = queue_deferred(&address);

    // Without a terminal and without --yes nothing changes.
    let (code, json, stderr) = act(&["hold", &id]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(json, Value::Null, "no JSON when nothing ran");
    assert!(stderr.contains("--yes") && stderr.contains(&format!("postsuper -h {id}")), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one sentence: {stderr}");
    assert_eq!(queued(&address).unwrap()["queue_name"], "deferred");

    let (code, json, stderr) = act(&["hold", &id, "--yes"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(json["action"], "hold");
    assert_eq!(json["mta"], "postfix");
    assert_eq!(done_ids(&json), std::slice::from_ref(&id));
    assert_eq!(json["done"][0]["command"], format!("postsuper -h {id}"));
    assert!(stderr.contains(&format!("running postsuper -h {id}")), "the command is shown: {stderr}");
    assert_eq!(queued(&address).unwrap()["queue_name"], "hold");

    // Held again: said not done, with the reason.
    let (code, json, _) = act(&["hold", &id, "--yes"]);
    assert_eq!(code, Some(1));
    assert_eq!(json["not_done"][0]["id"], id.as_str());
    assert_eq!(json["not_done"][0]["reason"], "already on hold");

    let (code, json, stderr) = act(&["release", &id, "--yes"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(done_ids(&json), std::slice::from_ref(&id));
    assert_eq!(queued(&address).unwrap()["queue_name"], "deferred");

    let (code, json, stderr) = act(&["delete", &id, "--yes"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(done_ids(&json), std::slice::from_ref(&id));
    assert!(queued(&address).is_none(), "deleted");

    // Gone now: said, not silently skipped.
    let (code, json, _) = act(&["delete", &id, "--yes"]);
    assert_eq!(code, Some(1));
    assert!(json["not_done"][0]["reason"].as_str().unwrap().contains("not in the queue"), "{json}");

    // An id that is not one is bad input, refused before anything runs.
    let (code, _, stderr) = act(&["delete", "-d", "--yes"]);
    assert_eq!(code, Some(2), "{stderr}");
}

/// Kills and reaps the sink when the test ends, whatever happens.
struct Sink(std::process::Child);

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn retry_a_domain_after_its_receiver_is_fixed_and_its_messages_leave() {
    if !common::postfix_lab() {
        return;
    }
    let first = unique("retry.test", "one");
    let second = unique("retry.test", "two");
    let ids = [queue_deferred(&first), queue_deferred(&second)];
    let reason = queued(&first).unwrap()["recipients"][0]["delay_reason"].as_str().unwrap().to_string();
    assert!(reason.contains("2531: Connection refused"), "{reason}");

    // Not confirmed: nothing retried.
    let (code, _, stderr) = act(&["retry", "retry.test"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--yes"), "{stderr}");

    // The receiver is fixed: a sink now listens where the connection was refused.
    let mut command = Command::new("smtp-sink");
    command.args(["-u", "nobody", "127.0.0.1:2531", "10"]).stdout(std::process::Stdio::null());
    let _sink = Sink(command.spawn().expect("smtp-sink runs"));
    std::thread::sleep(std::time::Duration::from_millis(300));

    let started = std::time::Instant::now();
    let (code, json, stderr) = act(&["retry", "retry.test", "--yes"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(json["target"], "retry.test");
    let done = done_ids(&json);
    for id in &ids {
        assert!(done.contains(id), "{id} retried: {json}");
        assert!(stderr.contains(&format!("running postqueue -i {id}")), "{stderr}");
    }
    let mut left = true;
    for _ in 0..300 {
        left = queued(&first).is_some() || queued(&second).is_some();
        if !left {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(!left, "the messages to retry.test left the queue within 30 s");
    eprintln!("retry.test drained {:?} after mailwiz queue retry started", started.elapsed());
}

// The wizard acting on the lab's queue: keys, confirmation, re-read, journal.

mod wizard {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use mailwiz::context::Context;
    use mailwiz::session::{Journal, Session, Target};
    use mailwiz::tui::app::{Mode, Purpose};
    use mailwiz::tui::{App, Cmd, Msg, update};
    use mailwiz::wizard::{StepId, job::run_collect};

    use super::{Sink, queue_deferred, queued, unique};

    fn app(target: Option<&str>) -> App {
        let mut session = Session::new(Journal::in_memory());
        session.target = target.map(|t| Target::parse(t).unwrap());
        let mut app = App::new(Context::default(), session);
        update(&mut app, Msg::Resize(160, 50));
        app
    }

    /// Does what the runtime does with `cmds`: journals events and runs the jobs, feeding their
    /// events back, until no job is left. Follow jobs (which never end) are not run.
    async fn drive(app: &mut App, cmds: Vec<Cmd>) {
        let mut pending: std::collections::VecDeque<Cmd> = cmds.into();
        while let Some(cmd) = pending.pop_front() {
            match cmd {
                Cmd::Record(event) => app.ctx.journal.record(event),
                Cmd::Spawn(job) if !job.label.starts_with("Following") => {
                    for event in run_collect(job, app.ctx.clone()).await {
                        pending.extend(update(app, Msg::Job(event)));
                    }
                }
                _ => {}
            }
        }
    }

    fn key(app: &mut App, c: char) -> Vec<Cmd> {
        update(app, Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)))
    }

    /// Moves the queue step's selection onto the row that contains `text`.
    fn select(app: &mut App, text: &str) {
        for _ in 0..500 {
            let view = app.wizard.view(StepId::Queue, &app.session);
            if view.selected.is_some_and(|i| view.rows[i].text().contains(text)) {
                return;
            }
            key(app, 'j');
        }
        panic!("no queue row with {text}");
    }

    fn journal(app: &App) -> String {
        app.ctx.journal.events().iter().map(|e| e.text.clone()).collect::<Vec<_>>().join("\n")
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn keys_hold_and_delete_the_selected_message_after_confirmation() {
        if !crate::common::postfix_lab() {
            return;
        }
        let address = unique("act.test", "tui");
        let id = queue_deferred(&address);
        let mut app = app(None);
        let cmds = update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
        drive(&mut app, cmds).await;
        let hints: Vec<char> = app.wizard.keys(StepId::Queue).iter().map(|k| k.key).collect();
        assert!(hints.contains(&'h') && hints.contains(&'D') && hints.contains(&'t'), "{hints:?}");

        select(&mut app, &id);
        assert!(key(&mut app, 'h').is_empty(), "nothing runs before the answer");
        assert_eq!(app.mode, Mode::Input(Purpose::Confirm(StepId::Queue)));
        let prompt = app.input_prompt().unwrap();
        assert!(prompt.contains(&format!("postsuper -h {id} for 1 message(s)")), "{prompt}");
        let cmds = key(&mut app, 'y');
        drive(&mut app, cmds).await;
        assert_eq!(queued(&address).unwrap()["queue_name"], "hold");
        // Other tests share the lab's queue: find the message again in the re-read listing.
        select(&mut app, &id);
        let shown: Vec<String> =
            app.wizard.view(StepId::Queue, &app.session).rows.iter().map(mailwiz::wizard::Row::text).collect();
        assert!(shown.iter().any(|r| r.contains("Last action: hold with Postfix — 1 done")), "{shown:?}");
        assert!(shown.iter().any(|r| r.contains(&id) && r.contains("hold")), "re-read: {shown:?}");

        // Declined: nothing changes.
        select(&mut app, &id);
        key(&mut app, 'D');
        let cmds = key(&mut app, 'n');
        assert!(cmds.iter().all(|c| !matches!(c, Cmd::Spawn(_))));
        drive(&mut app, cmds).await;
        assert_eq!(queued(&address).unwrap()["queue_name"], "hold");

        select(&mut app, &id);
        key(&mut app, 'D');
        let cmds = key(&mut app, 'y');
        drive(&mut app, cmds).await;
        assert!(queued(&address).is_none(), "deleted");
        let journal = journal(&app);
        for line in [
            format!("queue: running postsuper -h {id}"),
            format!("queue: hold {id}: done"),
            "answered: no".to_string(),
            format!("queue: running postsuper -d {id}"),
        ] {
            assert!(journal.contains(&line), "{line} journaled:\n{journal}");
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn step_7_retries_the_target_and_step_1_sees_its_mail_leave() {
        if !crate::common::postfix_lab() {
            return;
        }
        let address = unique("watch.test", "tui");
        queue_deferred(&address);
        let mut command = std::process::Command::new("smtp-sink");
        command.args(["-u", "nobody", "127.0.0.1:2532", "10"]).stdout(std::process::Stdio::null());
        let _sink = Sink(command.spawn().expect("smtp-sink runs"));
        std::thread::sleep(std::time::Duration::from_millis(300));

        let mut app = app(Some("watch.test"));
        key(&mut app, '7');
        let hints: Vec<char> = app.wizard.keys(StepId::Diagnosis).iter().map(|k| k.key).collect();
        assert!(hints.contains(&'t'), "{hints:?}");
        let cmds = key(&mut app, 't');
        assert_eq!(app.current, StepId::Queue);
        // The queue is read first, then the retry is asked for.
        drive(&mut app, cmds).await;
        assert_eq!(app.mode, Mode::Input(Purpose::Confirm(StepId::Queue)));
        assert!(app.input_prompt().unwrap().contains("postqueue -i"), "{:?}", app.input_prompt());
        let started = std::time::Instant::now();
        let cmds = key(&mut app, 'y');
        drive(&mut app, cmds).await;
        assert!(queued(&address).is_none(), "delivered once the receiver listens");
        let journal = journal(&app);
        assert!(journal.contains("queue: every message to watch.test has left the queue"), "{journal}");
        eprintln!("watch.test: the wizard saw the queue drain {:?} after the confirmation", started.elapsed());
    }
}
