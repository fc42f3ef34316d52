//! `mailwiz queue` against the real Postfix of the lab (.ci/postfix-lab.sh): mail to
//! connect421.test, rcpt421.test, rcpt450.test and refused.test sits in the deferred queue.

mod common;

use std::process::Command;

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
