//! One exit rule for every headless command: 0 ran and found no failure, 1 found a failure,
//! 2 usage or input, 3 could not look (no answer, nothing checked). Each command is run in the
//! demo world (or against a resolver that is not there) once for each code it can give.

use crate::common::FakeMta;

/// A loopback UDP port where nothing listens: every query to it fails at once.
fn dead_resolver() -> String {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.local_addr().unwrap().to_string()
}

fn journal(dir: &std::path::Path, name: &str, findings: &[&str]) -> String {
    use mailwiz::session::{Event, EventKind, Finding, Journal};
    let path = dir.join(name);
    let journal = Journal::create(&path).unwrap();
    journal.record(Event::new(EventKind::Start, "started").with_data(serde_json::json!({"target": "bank.example"})));
    for id in findings {
        let finding = match *id {
            "note" => Finding::note("asked the bank"),
            "ptr.ok" => Finding::new("ptr.ok", &[("ip", "203.0.113.5"), ("name", "mail.example.com")]),
            _ => Finding::new(id, &[("ip", "203.0.113.5"), ("helo", "mail.example.com")]),
        };
        journal.finding(&finding);
    }
    path.to_str().unwrap().to_string()
}

#[test]
fn every_command_follows_the_one_exit_rule() {
    let mta = FakeMta::new();
    let dir = tempfile::tempdir().unwrap();
    let dead = dead_resolver();
    let empty_queue = dir.path().join("empty.jsonl");
    std::fs::write(&empty_queue, "").unwrap();
    let empty_queue = empty_queue.to_str().unwrap();
    let clean = journal(dir.path(), "clean.jsonl", &["ptr.ok", "note"]);
    let failed = journal(dir.path(), "failed.jsonl", &["ptr.missing"]);
    let notes = journal(dir.path(), "notes.jsonl", &["note"]);
    let no_dns: &[&str] = &["--dns-server", &dead, "--timeout", "1", "--ip", "8.8.8.8", "--helo", "mail.example.com"];
    let with =
        |extra: &[&str], args: &[&str]| -> Vec<String> { extra.iter().chain(args).map(|s| (*s).to_string()).collect() };
    let cases: Vec<(Vec<String>, u8)> = vec![
        (with(&["--demo"], &["check", "good.example"]), 0),
        (with(&["--demo"], &["check", "bank.example"]), 1),
        (with(&["--demo"], &["check", "bad..example"]), 2),
        (with(&["--demo"], &["mx", "good.example"]), 0),
        (with(&["--demo"], &["mx", "old-partner.example"]), 1),
        (with(&["--demo"], &["mx", "bad..example"]), 2),
        (with(no_dns, &["mx", "example.com"]), 3),
        (with(&["--demo"], &["dns", "mx", "good.example"]), 0),
        (with(&["--demo"], &["dns", "nxd.good.example"]), 1),
        (with(&["--demo"], &["dns", "mx", "bad..example"]), 2),
        (with(no_dns, &["dns", "mx", "example.com"]), 3),
        (with(&["--demo"], &["ptr", "198.51.100.25", "--helo", "mx.good.example"]), 0),
        (with(&["--demo"], &["ptr", "203.0.113.5"]), 1),
        (with(&["--demo"], &["ptr", "999.1.1.1"]), 2),
        (with(no_dns, &["ptr", "8.8.8.8"]), 3),
        (with(&["--demo"], &["blocklist", "198.51.100.25"]), 0),
        (with(&["--demo"], &["blocklist", "203.0.113.5"]), 1),
        (with(&["--demo"], &["blocklist", "not-an-ip"]), 2),
        (with(no_dns, &["blocklist", "8.8.8.8"]), 3),
        (with(&["--demo"], &["auth", "example.com"]), 0),
        (with(&["--demo"], &["auth", "good.example"]), 1),
        (with(&["--demo"], &["auth", "example.com", "--selector", "bad selector"]), 2),
        (with(no_dns, &["auth", "example.com"]), 3),
        (with(&["--demo"], &["smtp", "good.example", "--ehlo", "mail.example.com"]), 0),
        (with(&["--demo"], &["smtp", "bank.example", "--ehlo", "mail.example.com"]), 1),
        (with(&["--demo"], &["smtp", "good.example", "--ehlo", "bad name"]), 2),
        (with(no_dns, &["smtp", "example.com", "--ehlo", "mail.example.com"]), 3),
        (with(&[], &["queue", "--file", empty_queue, "--format", "postfix-json"]), 0),
        (with(&["--demo"], &["queue"]), 1),
        (with(&[], &["queue", "--file", "/nonexistent/queue"]), 2),
        (with(&["--demo"], &["logs", "--domain", "good.example"]), 0),
        (with(&["--demo"], &["logs", "--domain", "bank.example"]), 1),
        (with(&[], &["logs", "/nonexistent/maillog"]), 2),
        (with(&[], &["report", &clean]), 0),
        (with(&[], &["report", &failed]), 1),
        (with(&[], &["report", "/nonexistent/journal.jsonl"]), 2),
        (with(&[], &["report", &notes]), 3),
    ];
    let mut wrong = Vec::new();
    for (args, expected) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = mta.mailwiz(&args);
        if output.status.code() != Some(i32::from(*expected)) {
            wrong.push(format!(
                "{args:?}: exit {:?}, expected {expected}: {}",
                output.status.code(),
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(mta.calls(), Vec::<String>::new(), "no MTA program runs for these");
}

#[test]
fn a_name_outside_the_demo_world_is_said_to_be_outside_it() {
    let mta = FakeMta::new();
    let output = mta.mailwiz(&["--demo", "--json", "mx", "nosuch.example"]);
    assert_eq!(output.status.code(), Some(3), "could not look");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["findings"][0]["id"], "dns.outside_demo", "{json}");
    assert!(!json.to_string().contains("--dns-server"), "no advice the demo refuses: {json}");
}
