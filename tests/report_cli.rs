//! `mailwiz report JOURNAL` renders a saved journal; bad journals are clear input errors.

use std::process::Command;

use mailwiz::session::Finding;
use mailwiz::session::journal::{Event, EventKind, Journal};

fn mailwiz(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mailwiz")).args(args).env("NO_COLOR", "1").output().unwrap()
}

fn journal_file(dir: &std::path::Path, with_fail: bool) -> std::path::PathBuf {
    let path = dir.join("session.jsonl");
    let journal = Journal::create(&path).unwrap();
    journal.record(Event::new(EventKind::Start, "started").with_data(serde_json::json!({"target": "bank.example"})));
    journal.log(EventKind::Sent, "EHLO mail.example.com");
    journal.log(EventKind::Received, "421 4.0.0 Server error");
    if with_fail {
        journal.finding(&Finding::new("ptr.missing", &[("ip", "203.0.113.5"), ("helo", "mail.example.com")]));
    }
    journal.finding(&Finding::note("asked the bank"));
    path
}

#[test]
fn renders_text_markdown_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal_file(dir.path(), true);
    let path = path.to_str().unwrap();

    let text = mailwiz(&["report", path]);
    assert_eq!(text.status.code(), Some(1), "a fail finding makes exit code 1");
    let stdout = String::from_utf8(text.stdout).unwrap();
    assert!(stdout.contains(" -> EHLO mail.example.com\n"));
    assert!(stdout.contains(" <- 421 4.0.0 Server error\n"));
    assert!(stdout.contains(" ### fail ptr.missing: 203.0.113.5 has no PTR record\n"));
    assert!(stdout.contains(" %%% asked the bank\n"));

    let md = mailwiz(&["report", path, "--format", "markdown"]);
    let stdout = String::from_utf8(md.stdout).unwrap();
    assert!(stdout.starts_with("# Mail to bank.example"), "{stdout}");
    assert!(stdout.contains("`ptr.missing`"));

    let forms: [&[&str]; 2] = [&["report", "--format", "json", path], &["--json", "report", path, "--format", "text"]];
    for args in forms {
        let json = mailwiz(args);
        let stdout = String::from_utf8(json.stdout).unwrap();
        assert_eq!(stdout.lines().count(), 1, "exactly one JSON object for {args:?}");
        let value: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(value["schema"], 1);
        assert_eq!(value["command"], "report");
    }
    let value: serde_json::Value =
        serde_json::from_slice(&mailwiz(&["report", "--format", "json", path]).stdout).unwrap();
    assert_eq!(value["target"], "bank.example");
    assert_eq!(value["findings"][0]["id"], "ptr.missing");
}

#[test]
fn a_clean_session_exits_0_and_a_cut_last_line_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal_file(dir.path(), false);
    let mut contents = std::fs::read(&path).unwrap();
    contents.extend_from_slice(br#"{"time":"2026-11-28T10:00:00Z","kind":"se"#);
    std::fs::write(&path, contents).unwrap();
    let out = mailwiz(&["report", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("skipped 1 line of"), "{stderr}");
    assert!(String::from_utf8(out.stdout).unwrap().contains("%%% asked the bank"));
}

#[test]
fn missing_or_foreign_files_are_input_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.jsonl");
    let out = mailwiz(&["report", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("cannot read the journal") && stderr.contains("nope.jsonl"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1);

    let foreign = dir.path().join("notes.txt");
    std::fs::write(&foreign, "just some text\n").unwrap();
    let out = mailwiz(&["report", foreign.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr).unwrap().contains("is not a mailwiz journal"));
}

#[test]
fn an_endless_source_is_refused_without_filling_memory() {
    let out = mailwiz(&["report", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("/dev/zero is not a mailwiz journal: line 1"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn a_named_pipe_without_a_writer_does_not_hang_report_queue_or_logs() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let fifo = fifo.to_str().unwrap();
    for args in [&["report", fifo][..], &["queue", "--file", fifo], &["logs", fifo]] {
        let out = mailwiz(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains("is a named pipe and no writer gave anything"), "{args:?}: {stderr}");
    }
}
