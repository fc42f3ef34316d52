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
    } else {
        journal.finding(&Finding::new("ptr.ok", &[("ip", "203.0.113.5"), ("name", "mail.example.com")]));
    }
    journal.finding(&Finding::note("asked the bank"));
    path
}

#[test]
fn renders_text_markdown_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal_file(dir.path(), true);
    let path = path.to_str().unwrap();

    // The text report puts the verdict and the findings first; the transcript is its own format.
    let report = mailwiz(&["report", path]);
    assert_eq!(report.status.code(), Some(1), "a fail finding makes exit code 1");
    let stdout = String::from_utf8(report.stdout).unwrap();
    assert!(stdout.starts_with("Mail to bank.example\n"), "{stdout}");
    let ptr = stdout.find("✗ ptr.missing").expect("the finding");
    assert!(ptr < stdout.find("asked the bank").unwrap(), "findings before notes: {stdout}");
    assert!(!stdout.contains("-> EHLO"), "no transcript in the report: {stdout}");
    assert!(stdout.trim_end().ends_with("--format transcript"), "{stdout}");

    let text = mailwiz(&["report", path, "--format", "transcript"]);
    assert_eq!(text.status.code(), Some(1), "a fail finding makes exit code 1");
    let stdout = String::from_utf8(text.stdout).unwrap();
    assert!(stdout.contains(" -> EHLO mail.example.com\n"));
    assert!(stdout.contains(" <** 421 4.0.0 Server error\n"), "an error reply, marked as swaks does: {stdout}");
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
    let out = mailwiz(&["report", path.to_str().unwrap(), "--format", "transcript"]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("skipped 1 line of"), "{stderr}");
    assert!(String::from_utf8(out.stdout).unwrap().contains("%%% asked the bank"));
    // A session of notes only checked nothing: could not look.
    let notes = dir.path().join("notes.jsonl");
    let journal = Journal::create(&notes).unwrap();
    journal.finding(&Finding::note("asked the bank"));
    assert_eq!(mailwiz(&["report", notes.to_str().unwrap()]).status.code(), Some(3));
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

/// The demo story after the fix: 203.0.113.5 has the PTR mail.example.com and announces that name.
fn fixed_world() -> mailwiz::demo::world::World {
    let text = mailwiz::demo::world::BUNDLED
        .replace(
            "6        300 IN PTR static-6.pool.isp.example.",
            "6        300 IN PTR static-6.pool.isp.example.\n5        300 IN PTR mail.example.com.",
        )
        .replace("helo = \"mta1.internal.example.com\"", "helo = \"mail.example.com\"");
    assert_ne!(text, mailwiz::demo::world::BUNDLED);
    mailwiz::demo::world::World::from_toml(&text).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn diff_of_two_check_journals_lists_what_cleared_and_what_appeared() {
    let dir = tempfile::tempdir().unwrap();
    let before = dir.path().join("before.jsonl");
    let after = dir.path().join("after.jsonl");
    let out = mailwiz(&["--demo", "check", "bank.example", "--json", "--journal", before.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    // The same check after the PTR and HELO fix, against the fixed demo world.
    let ctx = mailwiz::context::Context {
        journal: Journal::create(&after).unwrap(),
        ..mailwiz::context::Context::new(mailwiz::config::Config::default())
    };
    let ctx = mailwiz::demo::attach_world(ctx, fixed_world()).await.unwrap();
    let args = mailwiz::cli::args::CheckArgs {
        domain: Some("bank.example".into()),
        from: None,
        to: None,
        report: None,
        note: None,
    };
    mailwiz::cli::check::run(args, &ctx, true).await.unwrap();

    let json = mailwiz(&["report", "--diff", before.to_str().unwrap(), after.to_str().unwrap(), "--json"]);
    let stdout = String::from_utf8(json.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "one JSON object: {}", String::from_utf8_lossy(&json.stderr));
    let value: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(value["command"], "report");
    assert_eq!(value["target"], "bank.example");
    let ids = |key: &str| -> Vec<String> {
        value[key].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_string()).collect()
    };
    let gone = ids("gone");
    for cleared in ["ptr.missing", "helo.mismatch", "diagnosis.missing_ptr"] {
        assert!(gone.iter().any(|g| g == cleared), "{cleared} cleared: {gone:?}");
    }
    let new = ids("new");
    assert!(new.iter().any(|n| n == "ptr.ok"), "ptr.ok appeared: {new:?}");
    assert!(!gone.iter().chain(&new).any(|id| id == "dnsbl.listed"), "the listing is unchanged");
    assert!(value["unchanged"].as_u64().unwrap() >= 3);
    assert_eq!(json.status.code(), Some(1), "the block listing still fails");

    let text = mailwiz(&["report", "--diff", before.to_str().unwrap(), after.to_str().unwrap()]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("cleared  ✗ ptr.missing 203.0.113.5 has no PTR record"), "{text}");
    assert!(text.contains("\nLikely causes\n") && text.contains("cleared  ✗ diagnosis.missing_ptr"), "{text}");
    assert!(text.contains("new      ✓ ptr.ok"), "{text}");

    let md = mailwiz(&["report", "--diff", before.to_str().unwrap(), after.to_str().unwrap(), "--format", "markdown"]);
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(md.starts_with("# mailwiz: what changed for bank.example"), "{md}");
    assert!(md.contains("### Cleared") && md.contains("`ptr.missing`"), "{md}");

    // A missing file is bad input, named.
    let missing = mailwiz(&["report", "--diff", before.to_str().unwrap(), "/nonexistent/new.jsonl"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/new.jsonl"));
}

#[test]
fn a_later_session_that_checked_nothing_clears_nothing_and_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let before = dir.path().join("before.jsonl");
    let out = mailwiz(&["--demo", "check", "bank.example", "--json", "--journal", before.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let empty = dir.path().join("empty.jsonl");
    let journal = Journal::create(&empty).unwrap();
    journal.record(Event::new(EventKind::Start, "started").with_data(serde_json::json!({"target": "bank.example"})));
    drop(journal);
    let out = mailwiz(&["report", "--diff", before.to_str().unwrap(), empty.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(3), "nothing was checked: {}", String::from_utf8_lossy(&out.stderr));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["gone"], serde_json::json!([]), "nothing is cleared by not looking");
    let unchecked = value["not_checked_again"].as_array().unwrap();
    assert!(unchecked.iter().any(|f| f["id"] == "ptr.missing"), "{unchecked:?}");
    assert!(unchecked.iter().any(|f| f["id"] == "diagnosis.missing_ptr"), "{unchecked:?}");
    let text = mailwiz(&["report", "--diff", before.to_str().unwrap(), empty.to_str().unwrap()]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(!text.contains("cleared"), "{text}");
    assert!(text.contains("Not checked again") && text.contains("unknown  ✗ ptr.missing"), "{text}");
}

#[test]
fn a_step_not_run_again_is_not_checked_again_while_a_step_run_again_clears() {
    // Before: the identity and the block lists failed. After: only the identity step ran, and passed.
    let before = vec![
        Finding::new("ptr.missing", &[("ip", "203.0.113.5"), ("helo", "mail.example.com")]),
        Finding::new("dnsbl.listed", &[("ip", "203.0.113.5"), ("zone", "zen.spamhaus.org"), ("meaning", "SBL")]),
    ];
    let after = vec![Finding::new("ptr.ok", &[("ip", "203.0.113.5"), ("name", "mail.example.com")])];
    let diff = mailwiz::session::diff::diff(&before, &after);
    assert_eq!(diff.gone.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(), ["ptr.missing"]);
    assert_eq!(diff.not_checked_again.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(), ["dnsbl.listed"]);
}

#[test]
fn a_report_names_the_steps_not_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal_file(dir.path(), true);
    let out = mailwiz(&["report", path.to_str().unwrap(), "--format", "json"]);
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Only the identity step left a finding (ptr.missing).
    assert_eq!(value["not_checked"], serde_json::json!(["Queue", "MX", "Logs", "SMTP", "Block lists"]));
    let md = mailwiz(&["report", path.to_str().unwrap(), "--format", "markdown"]);
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(md.contains("Not checked: Queue, MX, Logs, SMTP, Block lists."), "{md}");
}

#[test]
fn a_line_over_the_cap_is_skipped_and_counted_and_the_rest_is_read() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let old = journal_file(dir.path(), true);
    let new = dir.path().join("new.jsonl");
    std::fs::copy(&old, &new).unwrap();
    {
        // A line of 17 MiB in the middle, then the finding that comes after it.
        let mut file = std::fs::OpenOptions::new().append(true).open(&new).unwrap();
        let mut long = vec![b'x'; 17 << 20];
        long.push(b'\n');
        file.write_all(&long).unwrap();
        let listed = Finding::new("dnsbl.listed", &[("ip", "203.0.113.5"), ("zone", "zen.spamhaus.org")]);
        let event = Event::new(EventKind::Finding, "").with_data(serde_json::to_value(&listed).unwrap());
        writeln!(file, "{}", serde_json::to_string(&event).unwrap()).unwrap();
    }
    let new = new.to_str().unwrap();
    let out = mailwiz(&["report", "--format", "json", new]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 6 of") && stderr.contains("is longer than 16 MiB; it was skipped"), "{stderr}");
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["skipped_lines"], 1);
    let ids: Vec<&str> = value["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"ptr.missing") && ids.contains(&"dnsbl.listed"), "{ids:?}");
    // Compared with the session before: nothing is gone, the listing is new.
    let out = mailwiz(&["report", "--diff", old.to_str().unwrap(), new, "--format", "json"]);
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["gone"], serde_json::json!([]), "{value}");
    assert_eq!(value["new"][0]["id"], "dnsbl.listed");
}

#[test]
fn compare_reads_the_earlier_session_event_by_event() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = journal_file(dir.path(), true);
    {
        // A state event that no longer holds the PTR finding, a line over the cap, a finding.
        let mut file = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
        let ok = Finding::new("ptr.ok", &[("ip", "203.0.113.5"), ("name", "mail.example.com")]);
        let state = Event::new(EventKind::Info, "session state").with_data(serde_json::json!({ "findings": [ok] }));
        writeln!(file, "{}", serde_json::to_string(&state).unwrap()).unwrap();
        file.write_all(&vec![b'{'; 17 << 20]).unwrap();
        writeln!(file).unwrap();
        let listed = Finding::new("dnsbl.listed", &[("ip", "203.0.113.5"), ("zone", "zen.spamhaus.org")]);
        let event = Event::new(EventKind::Finding, "").with_data(serde_json::to_value(&listed).unwrap());
        writeln!(file, "{}", serde_json::to_string(&event).unwrap()).unwrap();
    }
    let earlier = mailwiz::cli::report::read_earlier(&path).unwrap();
    let ids: Vec<&str> = earlier.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["dnsbl.listed", "ptr.ok"]);
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    assert!(mailwiz::cli::report::read_earlier(&empty).unwrap_err().to_string().contains("holds no journal events"));
}
