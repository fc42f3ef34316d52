//! `mailwiz bounce FILE|-`: the JSON shape, exit codes, stdin, refusals, and the walk it feeds.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn data(file: &str) -> String {
    format!("{}/tests/bounce/data/{file}", env!("CARGO_MANIFEST_DIR"))
}

fn mailwiz(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mailwiz"))
        .args(args)
        .env_remove("MAILWIZ_CONFIG")
        .env("XDG_CONFIG_HOME", "/nonexistent-mailwiz-test")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mailwiz runs");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin.unwrap_or_default()).expect("stdin written");
    drop(input);
    child.wait_with_output().expect("mailwiz ends")
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
    })
}

#[test]
fn json_has_the_shape_the_issue_gives_and_a_failure_exits_1() {
    let out = mailwiz(&["--json", "bounce", "--no-check", &data("flufl-dsn_10.eml")], None);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json(&out);
    assert_eq!(v["schema"], 1);
    assert_eq!(v["command"], "bounce");
    assert_eq!(v["target"], "dom.ain");
    assert_eq!(v["reporting_mta"], "brainy.example.com");
    assert!(v["arrival"].as_str().is_some_and(|a| a.contains("2002")));
    for key in ["from", "to", "subject", "message_id"] {
        assert!(v["original"].get(key).is_some(), "original.{key}");
    }
    let r = &v["recipients"][0];
    assert_eq!(r["address"], "anne.person@dom.ain");
    assert_eq!(r["action"], "failed");
    assert_eq!(r["status"], "5.0.0");
    assert_eq!(r["stage"], "rcpt");
    assert_eq!(r["said_by"], "receiver");
    assert_eq!(r["reason"]["class"], "recipient_unknown");
    assert_eq!(r["reason"]["code"], 550);
    assert!(r["remote_mta"].as_str().is_some_and(|m| m.contains("mx.dom.ain")));
    let ids: Vec<&str> = v["findings"].as_array().unwrap().iter().filter_map(|f| f["id"].as_str()).collect();
    assert_eq!(ids, ["bounce.refused"]);
}

#[test]
fn a_bounce_on_stdin_reads_as_from_a_file() {
    let bytes = std::fs::read(data("flufl-exim_01.eml")).unwrap();
    let out = mailwiz(&["--json", "bounce", "--no-check", "-"], Some(&bytes));
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json(&out)["recipients"][0]["address"], "delangen@its.tudelft.nl");
}

#[test]
fn a_delay_alone_is_no_failure() {
    let out = mailwiz(&["--json", "bounce", "--no-check", &data("flufl-dsn_17.eml")], None);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(json(&out)["findings"][0]["id"], "bounce.delayed");
}

#[test]
fn a_message_that_is_no_bounce_is_refused_in_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lunch.eml");
    std::fs::write(
        &path,
        "From: alice@example.org\nTo: bob@example.net\nSubject: Lunch\n\nSee you at noon.\nbob@example.net\n",
    )
    .unwrap();
    let out = mailwiz(&["bounce", path.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("lunch.eml is not a bounce"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn empty_missing_and_hostile_inputs_are_input_errors() {
    let out = mailwiz(&["bounce", "-"], Some(b""));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("on stdin is empty"));
    let out = mailwiz(&["bounce", "/nonexistent/bounce.eml"], None);
    assert_eq!(out.status.code(), Some(2));
    let out = mailwiz(&["bounce", "--no-check", "-"], Some(b"Subject: Undelivered Mail\n\n<a\x1b]0;x\x07@example.net>: host mx.example.net[192.0.2.1] said: 550 5.1.1 \x1b[2Jgone\n"));
    assert!(!out.stdout.contains(&0x1b) && !out.stderr.contains(&0x1b));
}

/// The demo world's bank.example greets with `421 4.0.0 Server error`; a bounce of that reply
/// leads to the cause `check` gives for the domain.
#[test]
fn a_demo_bounce_leads_to_the_same_first_cause_as_check() {
    let bounce = "From: MAILER-DAEMON@mail.example.com\nTo: clerk@example.com\nSubject: Undelivered Mail Returned to Sender\n\
MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n\
--B\nContent-Type: text/plain\n\nThe mail system\n\n--B\nContent-Type: message/delivery-status\n\n\
Reporting-MTA: dns; mail.example.com\n\nFinal-Recipient: rfc822; accounts@bank.example\nAction: failed\nStatus: 4.0.0\n\
Remote-MTA: dns; mx1.bank.example\nDiagnostic-Code: X-Postfix; host mx1.bank.example[192.0.2.10] refused to talk to\n    me: 421 4.0.0 Server error\n\n--B--\n";
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bank.eml");
    std::fs::write(&file, bounce).unwrap();
    let out = mailwiz(&["--demo", "--json", "bounce", file.to_str().unwrap()], None);
    let v = json(&out);
    let check = json(&mailwiz(&["--demo", "--json", "check", "bank.example"], None));
    assert_eq!(v["target"], "bank.example");
    assert_eq!(v["recipients"][0]["stage"], "greeting");
    let first = |v: &serde_json::Value| v["diagnosis"][0]["id"].as_str().map(str::to_string);
    assert!(first(&check).is_some());
    assert_eq!(first(&v), first(&check));
    assert_eq!(out.status.code(), Some(1));
    assert!(v["findings"].as_array().unwrap().iter().any(|f| f["id"] == "bounce.refused"));
}

#[test]
fn the_wizard_refuses_a_bounce_it_cannot_read_before_taking_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let lunch = dir.path().join("lunch.eml");
    std::fs::write(&lunch, "From: alice@example.org\nSubject: Lunch\n\nSee you at noon.\n").unwrap();
    for (file, words) in
        [(lunch.to_str().unwrap().to_string(), "is not a bounce"), (data("no-such-file.eml"), "cannot be read")]
    {
        let out = mailwiz(&["--demo", "--bounce", &file], None);
        assert_eq!(out.status.code(), Some(2), "{file}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("mailwiz: --bounce: ") && stderr.contains(words), "{stderr}");
        assert!(out.stdout.is_empty());
    }
}
