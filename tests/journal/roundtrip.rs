//! A journal written to disk, read back, and exported as transcript, Markdown and JSON.

use mailwiz::session::journal::{self, Event, EventKind, Journal};
use mailwiz::session::{Finding, export, json_report, markdown};
use serde_json::json;

fn write_session(journal: &Journal) -> Finding {
    journal.record(
        Event::new(EventKind::Start, "mailwiz session started")
            .with_data(json!({"target": "bank.example", "ip": "203.0.113.5", "helo": "mta1.internal", "demo": true})),
    );
    journal.log(EventKind::DnsQuery, "MX bank.example");
    journal.log(EventKind::DnsAnswer, "bank.example. 300 MX 10 mx1.bank.example.");
    journal.log(EventKind::Received, "220 mx.good.example ESMTP\x1b]0;pwned\x07");
    journal.log(EventKind::Sent, "EHLO mta1.internal");
    journal.log(EventKind::TlsSent, "MAIL FROM:<a@example.com>");
    journal.log(EventKind::TlsReceived, "250 2.1.0 Ok");
    journal.log(EventKind::Error, "mx2.bank.example: connection closed before the banner");
    let finding = Finding::new("ptr.missing", &[("ip", "203.0.113.5"), ("helo", "mail.example.com")])
        .with_evidence(["5.113.0.203.in-addr.arpa. PTR: NXDOMAIN"]);
    journal.finding(&finding);
    journal.finding(&Finding::note("bank support says: 'we reject hosts without PTR'"));
    finding
}

#[test]
fn journal_round_trip_and_exports() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions/s.jsonl");
    let journal = Journal::create(&path).unwrap();
    let finding = write_session(&journal);

    // Every event is on disk, in order, as the handle recorded it.
    let events = journal::read(&path).unwrap();
    assert_eq!(events, journal.events());
    assert_eq!(events.len(), 10);
    // The JSON shape of the finding survives (template arguments are not part of it).
    let back = events[8].finding().unwrap();
    assert_eq!(serde_json::to_value(&back).unwrap(), serde_json::to_value(&finding).unwrap());

    let text = export::transcript(&events);
    let expect_markers = ["===", "===", "===", "<-", "->", "~>", "<~", "***", "###"];
    let lines: Vec<&str> = text.lines().collect();
    for (line, marker) in lines.iter().zip(expect_markers) {
        let (stamp, rest) = line.split_once(' ').unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(stamp).is_ok(), "{line}");
        assert!(rest.starts_with(marker), "{line} should carry {marker}");
    }
    assert!(text.contains("<- 220 mx.good.example ESMTP\\x1b]0;pwned\\x07"));
    assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "no raw control characters");
    assert!(text.contains("### fail ptr.missing: 203.0.113.5 has no PTR record"));
    assert!(text.contains("###   | 5.113.0.203.in-addr.arpa. PTR: NXDOMAIN"));
    assert!(text.contains("%%% bank support says: 'we reject hosts without PTR'"));
    assert!(text.lines().all(|l| chrono::DateTime::parse_from_rfc3339(l.split(' ').next().unwrap()).is_ok()));

    let md = markdown::markdown(&events);
    assert!(md.starts_with("# Mail to bank.example\n"), "{md}");
    assert!(md.contains("from 203.0.113.5"), "{md}");
    assert!(md.contains("1 fail, 0 warn, 0 info, 0 ok."), "{md}");
    assert!(md.contains("- ✗ `ptr.missing` 203.0.113.5 has no PTR record"), "{md}");
    assert!(md.contains(&format!("**Fix:** {}", finding.fix)));
    assert!(md.contains("## Notes"));
    assert!(md.contains("bank support says: 'we reject hosts without PTR'"));
    assert!(md.contains("## Appendix: transcript\n\n```text\n"), "{md}");

    let value = json_report::json(&events);
    assert_eq!(value["command"], "report");
    assert_eq!(value["target"], "bank.example");
    assert_eq!(value["events"].as_array().unwrap().len(), 10);
    let findings = value["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2);
    assert_eq!(findings[0]["id"], "ptr.missing");
    assert_eq!(findings[0]["severity"], "fail");
    assert_eq!(findings[1]["id"], "note");
    assert_eq!(findings[1]["severity"], "note");
    assert_eq!(findings[0]["evidence"][0], "5.113.0.203.in-addr.arpa. PTR: NXDOMAIN");
}

#[test]
fn save_writes_three_files_that_match_the_exports() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::in_memory();
    write_session(&journal);
    let events = journal.events();
    let base = dir.path().join("new/dir/report");
    let written = export::save(&base, &events).unwrap();
    let names: Vec<String> = written.iter().map(|p| p.file_name().unwrap().to_string_lossy().into()).collect();
    assert_eq!(names, ["report.txt", "report.md", "report.jsonl"]);
    assert_eq!(std::fs::read_to_string(&written[0]).unwrap(), export::transcript(&events));
    assert_eq!(std::fs::read_to_string(&written[1]).unwrap(), markdown::markdown(&events));
    assert_eq!(journal::read(&written[2]).unwrap(), events);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("new/dir")).unwrap().collect();
    assert_eq!(leftovers.len(), 3, "no temporary file is left behind");
}
