//! The real Postfix log written by the lab of `.ci/postfix-lab.sh`: deferrals with 421 at
//! connect and at RCPT, 450 at RCPT, and a refused port.

use crate::common;

use std::path::PathBuf;

use mailwiz::logs::{self, DomainFilter, LogSummary, LogsRequest, Status};

const LAB_LOG: &str = "/var/log/postfix.log";

fn analyse(domain: Option<&str>) -> LogSummary {
    let request = LogsRequest {
        paths: vec![PathBuf::from(LAB_LOG)],
        filter: domain.map(DomainFilter::new),
        ..LogsRequest::default()
    };
    logs::analyse(&request, &|| false, &mut |_| {}).expect("the lab log is readable").summary
}

#[test]
fn lab_deferrals_have_the_sink_codes() {
    if !common::postfix_lab() {
        return;
    }
    let whole = analyse(None);
    let file = &whole.files[0];
    assert_eq!(file.format, Some(logs::Format::Postfix));
    assert_eq!(file.skipped, 0, "every line of a Postfix log is a Postfix line");
    assert_eq!(file.recognised, file.lines);

    for (domain, code, enhanced) in
        [("connect421.test", 421, "4.0.0"), ("rcpt421.test", 421, "4.0.0"), ("rcpt450.test", 450, "4.3.0")]
    {
        let summary = analyse(Some(domain));
        assert!(summary.count(Status::Deferred) >= 1, "{domain}: no deferral");
        assert_eq!(summary.count(Status::Sent), 0, "{domain}");
        for attempt in &summary.latest {
            let record = &attempt.record;
            assert_eq!(record.domain.as_deref(), Some(domain));
            assert_eq!(record.status, Some(Status::Deferred));
            assert_eq!(record.reply_code, Some(code), "{domain}: {}", record.raw);
            assert_eq!(record.enhanced_code.as_deref(), Some(enhanced), "{domain}: {}", record.raw);
            assert_eq!(record.remote_ip.as_deref(), Some("127.0.0.1"));
            assert!(record.time.is_some());
        }
        let findings = summary.findings(&[]);
        assert_eq!(findings[0].id, "log.deferrals");
        let reply = findings.iter().find(|f| f.id == "log.reply_code").expect("log.reply_code");
        assert!(reply.summary.contains(&code.to_string()), "{}", reply.summary);
    }

    let refused = analyse(Some("refused.test"));
    assert!(refused.count(Status::Deferred) >= 1);
    let record = &refused.latest.last().unwrap().record;
    assert_eq!(record.enhanced_code.as_deref(), Some("4.4.1"));
    assert!(record.reply.as_deref().unwrap().contains("Connection refused"));
}

#[test]
fn lab_log_through_the_command() {
    if !common::postfix_lab() {
        return;
    }
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_mailwiz"))
        .args(["logs", LAB_LOG, "--domain", "rcpt450.test", "--json"])
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .output()
        .unwrap();
    // Every attempt to rcpt450.test is deferred: none delivered is a failure (exit 1).
    assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["target"], "rcpt450.test");
    assert_eq!(json["codes"][0]["code"], "450 4.3.0");
    let findings = json["findings"].as_array().unwrap();
    let reply = findings.iter().find(|f| f["id"] == "log.reply_code").unwrap()["summary"].as_str().unwrap();
    assert!(reply.contains("450 4.3.0 Error: command failed"), "{reply}");
}
