//! `mailwiz check` as a user runs it: the demo story, exit codes, JSON and the report file.

use std::process::Command;

fn mailwiz(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mailwiz"))
        .args(args)
        .env("XDG_CONFIG_HOME", "/nonexistent-mailwiz-config")
        .output()
        .expect("mailwiz runs")
}

#[test]
fn demo_check_ranks_the_missing_ptr_first_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("bank.md");
    let out = mailwiz(&["--demo", "check", "bank.example", "--json", "--report", report.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "exactly one JSON object");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["command"], "check");
    assert_eq!(json["target"], "bank.example");
    assert_eq!(json["diagnosis"][0]["id"], "diagnosis.missing_ptr");
    assert_eq!(json["diagnosis"][1]["id"], "diagnosis.helo_mismatch");
    let findings = json["findings"].as_array().unwrap();
    for id in ["queue.stuck_domain", "mx.ok", "log.deferrals", "smtp.banner_4xx", "ptr.missing", "dnsbl.listed"] {
        assert!(findings.iter().any(|f| f["id"] == id), "{id} missing");
    }
    let markdown = std::fs::read_to_string(&report).unwrap();
    assert!(markdown.contains("diagnosis.missing_ptr"));
    assert!(markdown.contains("203.0.113.5"));
}

#[test]
fn check_without_a_domain_is_a_usage_error() {
    let out = mailwiz(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("needs the domain"), "{stderr}");
}

#[test]
fn check_refuses_a_malformed_domain() {
    let out = mailwiz(&["--demo", "check", "bank..example"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty label"));
}

#[test]
fn the_demo_world_makes_no_connection_outside_itself() {
    let out = mailwiz(&["--demo", "smtp", "192.0.2.99:25", "--ehlo", "mail.example.com", "--json"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("unreachable"), "{stdout}");
    assert!(stdout.contains("not part of the demo world"), "{stdout}");
}

#[test]
fn a_receiver_that_accepts_us_is_said_so_and_exits_0() {
    let out = mailwiz(&["--demo", "check", "good.example"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let headline = stdout.lines().next().unwrap();
    assert!(headline.contains("should flow now") && !headline.contains("stuck"), "{headline}");
    assert!(stdout.contains("diagnosis.deliverable"), "{stdout}");
    assert!(!stdout.contains("diagnosis.helo_mismatch"), "{stdout}");
}

#[test]
fn the_note_for_the_receivers_postmaster_tells_the_demo_story() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("note.txt");
    let out = mailwiz(&["--demo", "check", "bank.example", "--note", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let note = std::fs::read_to_string(&path).unwrap();
    for expected in [
        "203.0.113.5",
        "PTR         none (no PTR record)",
        "HELO name   mta1.internal.example.com",
        "mx1.bank.example (192.0.2.10) answered: 421 4.0.0 Server error",
        "mx2.bank.example (192.0.2.20) closed the connection before any banner",
        "4F2B81A0C3",
        " UTC",
        "reverse DNS: our address has no PTR record yet",
    ] {
        assert!(note.contains(expected), "{expected:?} missing from:\n{note}");
    }
    assert!(note.lines().count() <= 32, "about 30 lines:\n{note}");
    for noise in ["ptr.missing", "diagnosis.", "smtp.", "/tmp", "mailwiz-demo", "\\n", "@127.0.0.1"] {
        assert!(!note.contains(noise), "{noise:?} in:\n{note}");
    }
}

#[test]
fn the_markdown_report_reads_well_in_a_ticket() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bank.md");
    mailwiz(&["--demo", "check", "bank.example", "--report", path.to_str().unwrap()]);
    let report = std::fs::read_to_string(&path).unwrap();
    let (body, appendix) = report.split_once("## Appendix").expect("DNS answers and the transcript in an appendix");
    assert!(body.lines().count() < 100, "{} lines before the appendix:\n{body}", body.lines().count());
    assert!(body.starts_with("# Why mail to bank.example is stuck"), "{body}");
    for id in ["ptr.missing", "smtp.banner_4xx", "queue.stuck_domain", "dnsbl.listed"] {
        let listed = body.lines().filter(|l| l.starts_with("- ") && l.contains(&format!("`{id}`"))).count();
        assert_eq!(listed, 1, "{id} is listed once among the findings:\n{body}");
    }
    assert!(!body.contains("@127.0.0.1"), "DNS answers are in the appendix, not the body:\n{body}");
    assert!(appendix.contains("@127.0.0.1"), "{appendix}");
    assert!(!report.contains("\\n") && !report.contains("\\[") && !report.contains("\\_"), "{report}");
    assert!(!report.contains("mailwiz-demo-"), "no temporary paths: {report}");
}

#[test]
fn conventions_man_page_example_config_and_the_demo_log() {
    let man = mailwiz(&["man"]);
    assert_eq!(man.status.code(), Some(0));
    let page = String::from_utf8(man.stdout).unwrap();
    assert!(page.contains(".TH mailwiz 1") && page.contains("check"), "{page}");

    let example = mailwiz(&["config", "--example"]);
    assert_eq!(example.status.code(), Some(0));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, &example.stdout).unwrap();
    // The example is used as it stands: the same story as without it.
    let out = mailwiz(&["--config", config.to_str().unwrap(), "--demo", "check", "bank.example", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["schema"], 1);
    assert_eq!(json["diagnosis"][0]["id"], "diagnosis.missing_ptr");
    let score = json["diagnosis"][0]["score"].as_f64().unwrap();
    assert_eq!(score, (score * 100.0).round() / 100.0, "scores are rounded");
    assert_eq!(mailwiz(&["config"]).status.code(), Some(2));

    let logs = mailwiz(&["--demo", "logs", "--domain", "bank.example", "--json"]);
    assert_eq!(logs.status.code(), Some(0), "{}", String::from_utf8_lossy(&logs.stderr));
    let json: serde_json::Value = serde_json::from_slice(&logs.stdout).unwrap();
    assert!(json["attempts"].as_u64().unwrap() > 0, "the demo world's log is read: {json}");
    let bare = mailwiz(&["logs"]);
    assert_eq!(bare.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bare.stderr).contains("needs a log FILE"));
}
