//! Every third-party log sample of the corpus is read, with counts of recognised and skipped
//! lines; for chosen files the statuses and codes counted by reading them are asserted.

use crate::common;

use std::path::Path;

use mailwiz::logs::{self, DomainFilter, Format, LogSummary, LogsRequest, Status};

fn analyse(path: &Path, domain: Option<&str>) -> Result<LogSummary, logs::LogsError> {
    let request = LogsRequest {
        paths: vec![path.to_path_buf()],
        filter: domain.map(DomainFilter::new),
        reference: chrono::NaiveDate::from_ymd_opt(2026, 11, 28),
        ..LogsRequest::default()
    };
    logs::analyse(&request, &|| false, &mut |_| {}).map(|a| a.summary)
}

/// What each corpus file is: a log in this format, or not a log at all (queue listings,
/// PowerShell output, NDR texts), which must be refused with one sentence naming the file.
fn expected_format(folder: &str, name: &str) -> Option<Format> {
    match (folder, name) {
        (
            _,
            "exim-bp-doc-samples.txt"
            | "exim-testsuite-stdout-0022-bp-and-smtp.txt"
            | "exchange-queue-lasterror-and-ndr-texts.txt"
            | "msqa-234456-get-queue-fl-and-trackinglog.txt",
        ) => None,
        ("iis-smtp", n) if n.contains("ncsa") => Some(Format::IisNcsa),
        ("iis-smtp", _) => Some(Format::IisW3c),
        ("postfix-log", _) => Some(Format::Postfix),
        ("exim", _) => Some(Format::Exim),
        ("exchange", n) if n.contains("smtp-protocol") => Some(Format::ExchangeSmtp),
        ("exchange", _) => Some(Format::ExchangeMsgtrk),
        _ => panic!("unexpected corpus file {folder}/{name}"),
    }
}

#[test]
fn every_corpus_log_parses_with_counts() {
    let Some(corpus) = common::corpus_dir() else { return };
    let mut files = 0;
    for folder in ["iis-smtp", "postfix-log", "exim", "exchange"] {
        let mut entries: Vec<_> = std::fs::read_dir(corpus.join(folder)).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for path in entries {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            files += 1;
            match (expected_format(folder, &name), analyse(&path, None)) {
                (Some(format), Ok(summary)) => {
                    let file = &summary.files[0];
                    eprintln!(
                        "{folder}/{name}: {format}, {} lines, {} recognised, {} skipped, {} records",
                        file.lines, file.recognised, file.skipped, summary.records
                    );
                    assert_eq!(file.format, Some(format), "{name}");
                    assert!(file.recognised > 0, "{name}: nothing recognised");
                    assert!(file.recognised + file.skipped <= file.lines, "{name}: counts exceed lines");
                }
                (None, Err(err)) => {
                    let message = err.to_string();
                    eprintln!("{folder}/{name}: refused: {message}");
                    assert!(message.contains(&name), "{message}");
                    assert!(!message.contains('\n'));
                }
                (expected, got) => panic!("{folder}/{name}: expected {expected:?}, got {got:?}"),
            }
        }
    }
    assert!(files >= 25, "only {files} corpus files");
}

#[test]
fn iis_yahoo_421_is_a_deferral_for_the_yahoo_host() {
    let Some(path) = common::corpus_file("iis-smtp/toddlichty-blog-smtpsvc1-yahoo-421-deferred.log") else { return };
    let summary = analyse(&path, None).unwrap();
    assert_eq!((summary.files[0].recognised, summary.files[0].skipped), (2, 0));
    assert_eq!(summary.count(Status::Deferred), 1);
    let record = &summary.latest[0].record;
    assert_eq!(record.status, Some(Status::Deferred));
    assert_eq!(record.reply_code, Some(421));
    assert_eq!(record.enhanced_code.as_deref(), Some("4.7.0"));
    assert_eq!(record.remote_ip.as_deref(), Some("66.196.118.34"));
    assert!(record.reply.as_deref().unwrap().starts_with("421 4.7.0 [TSS04] Messages from 192.223.13.201"));
    assert_eq!(record.time.unwrap().to_string(), "2017-02-09T05:28:28+00:00");
}

#[test]
fn iis_need_fqdn_and_inbound_rcpts() {
    let Some(path) = common::corpus_file("iis-smtp/nkdagility-blog-iis7-smtpsvc1-504-need-fqdn.log") else { return };
    let summary = analyse(&path, Some("hinshelwood.com")).unwrap();
    // The inbound RCPT from the application, and the outbound RCPT refused with 504 5.5.2.
    assert_eq!(summary.count(Status::Received), 1);
    assert_eq!(summary.count(Status::Bounced), 1);
    let failure = &summary.failures[0];
    assert_eq!(failure.code, "504 5.5.2");
    assert!(failure.reply.contains("need fully-qualified hostname"));
    let bounced = summary.latest.iter().find(|a| a.record.status == Some(Status::Bounced)).unwrap();
    assert_eq!(bounced.record.remote_ip.as_deref(), Some("216.146.33.4"));
    assert_eq!(bounced.record.line, 15);

    let Some(path) = common::corpus_file("iis-smtp/ossec-exchange2000-smtp-ncsa.log") else { return };
    let summary = analyse(&path, None).unwrap();
    // Ten inbound RCPT lines answered 250; one outbound message to AOL accepted after DATA.
    assert_eq!(summary.count(Status::Received), 10);
    assert_eq!(summary.count(Status::Sent), 1);
    let sent = summary.latest.iter().find(|a| a.record.status == Some(Status::Sent)).unwrap();
    assert_eq!(sent.record.recipient.as_deref(), Some("kbee923@aol.com"));

    let Some(path) = common::corpus_file("iis-smtp/ossec-exchange2000-smtpsvc1-w3c.log") else { return };
    let summary = analyse(&path, Some("meelift.com")).unwrap();
    assert_eq!(summary.count(Status::Received), 6);
    assert_eq!(summary.files[0].skipped, 0);
}

#[test]
fn postfix_issue_snippets() {
    let Some(path) = common::corpus_file("postfix-log/github-issues-postfix-log-snippets.txt") else { return };
    let summary = analyse(&path, None).unwrap();
    let file = &summary.files[0];
    // The eight `##### source:` headers are not Postfix lines; the rest, whatever their prefix, are.
    assert_eq!((file.lines, file.recognised, file.skipped), (40, 32, 8));
    assert_eq!(summary.count(Status::Deferred), 8);
    // 14 `connect to … timed out/unreachable/refused`, one `host … said`, one `lost connection`.
    assert_eq!(summary.count(Status::Error), 16);
    let code = |label: &str| summary.codes.iter().find(|c| c.code == label).map_or(0, |c| c.count);
    assert_eq!(code("421 4.7.0"), 3);
    assert_eq!(code("4.4.1"), 6);

    let summary = analyse(&path, Some("yahoo.com.mx")).unwrap();
    assert_eq!(summary.count(Status::Deferred), 1);
    assert_eq!(summary.latest[0].record.remote_host.as_deref(), Some("mta5.am0.yahoodns.net"));
}

#[test]
fn postfix_exporter_lines() {
    let Some(path) = common::corpus_file("postfix-log/kumina-postfix_exporter-test-lines.log") else { return };
    let summary = analyse(&path, None).unwrap();
    assert_eq!((summary.files[0].recognised, summary.files[0].skipped), (51, 0));
    assert_eq!(summary.count(Status::Sent), 2);
    assert_eq!(summary.count(Status::Expired), 2);
    assert_eq!(summary.count(Status::Deferred), 1);
    assert_eq!(summary.count(Status::Bounced), 1);
    let summary = analyse(&path, Some("domain.com")).unwrap();
    let deferred = summary.latest.iter().find(|a| a.record.status == Some(Status::Deferred)).unwrap();
    assert_eq!(deferred.record.reply_code, Some(451));
    assert_eq!(deferred.record.enhanced_code.as_deref(), Some("4.0.0"));
    assert_eq!(deferred.record.time.unwrap().to_string(), "2025-12-29T02:54:12");
}

#[test]
fn postfix_rfc3339_and_bodies_without_header() {
    let Some(path) = common::corpus_file("postfix-log/web-pages-postfix-log-snippets.txt") else { return };
    let summary = analyse(&path, Some("yopmail.com")).unwrap();
    assert_eq!(summary.count(Status::Sent), 1);
    assert_eq!(summary.latest[0].record.time.unwrap().to_string(), "2024-03-05T05:40:53+00:00");
    let Some(path) = common::corpus_file("postfix-log/sekoia-intake-formats-postfix-test-messages.tsv") else { return };
    let summary = analyse(&path, Some("corp.com")).unwrap();
    let deferred = summary.latest.iter().find(|a| a.record.program.as_deref() == Some("postfix/error")).unwrap();
    assert_eq!(deferred.record.status, Some(Status::Deferred));
    assert!(deferred.record.not_attempted);
}

#[test]
fn exim_deferrals_retry_times_and_message_ids() {
    let Some(path) = common::corpus_file("exim/exim-testsuite-mainlog-0099.log") else { return };
    let summary = analyse(&path, None).unwrap();
    assert_eq!(summary.count(Status::Deferred), 10);
    assert_eq!(summary.count(Status::Received), 8);
    assert_eq!(summary.count(Status::Error), 7);
    assert_eq!(summary.not_attempted, 2);

    let Some(path) = common::corpus_file("exim/exim-testsuite-mainlog-9901.log") else { return };
    let summary = analyse(&path, Some("no.delay")).unwrap();
    let with_code = summary.latest.iter().find(|a| a.record.reply_code == Some(421)).unwrap();
    assert_eq!(with_code.record.status, Some(Status::Deferred));
    assert_eq!(with_code.record.queue_id.as_deref(), Some("10HmaY-0005vi-00"));

    let Some(path) = common::corpus_file("exim/exim_exporter-test-mainlog.log") else { return };
    let summary = analyse(&path, None).unwrap();
    assert_eq!(summary.count(Status::Received), 14);
    assert_eq!(summary.count(Status::Bounced), 7);
    assert_eq!(summary.count(Status::Sent), 4);
    assert_eq!(summary.count(Status::Deferred), 2);
    let code = |label: &str| summary.codes.iter().find(|c| c.code == label).map_or(0, |c| c.count);
    assert_eq!(code("554 5.2.0"), 3);
    assert_eq!(code("450 4.7.1"), 1);
    assert_eq!(code("540 5.7.1"), 1);
}

#[test]
fn exchange_tracking_and_protocol_logs() {
    let Some(path) = common::corpus_file("exchange/elastic-integrations-exchange-test-messagetracking.log") else {
        return;
    };
    let summary = analyse(&path, None).unwrap();
    assert_eq!(summary.count(Status::Sent), 2);
    assert_eq!(summary.count(Status::Received), 2);
    let external = summary.latest.iter().find(|a| a.record.recipient.as_deref() == Some("email@email.com")).unwrap();
    assert_eq!(external.record.remote_host.as_deref(), Some("global-mail-onmicrosoft-com.mail.protection.outlook.com"));
    assert_eq!(external.record.code_label(), "250 2.1.5");

    let Some(path) = common::corpus_file("exchange/elastic-integrations-exchange-test-smtp-protocol.json") else {
        return;
    };
    let summary = analyse(&path, Some("internalproxy")).unwrap();
    assert!(summary.files[0].json);
    assert_eq!(summary.count(Status::Error), 1);
    assert!(summary.failures[0].reply.contains("Winsock error code: 10061"));
}
