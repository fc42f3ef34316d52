//! The address family of the peer our MTA tried, read from real log lines and delay reasons:
//! the corpus files in place, and texts from public posts named beside each case.

use crate::common;

use std::net::IpAddr;
use std::path::Path;

use mailwiz::config::Family;
use mailwiz::logs::peer::remote_address;
use mailwiz::logs::{self, DomainFilter, LogSummary, LogsRequest};

fn analyse(path: &Path, domain: Option<&str>) -> LogSummary {
    let request = LogsRequest {
        paths: vec![path.to_path_buf()],
        filter: domain.map(DomainFilter::new),
        reference: chrono::NaiveDate::from_ymd_opt(2026, 11, 28),
        ..LogsRequest::default()
    };
    logs::analyse(&request, &|| false, &mut |_| {}).expect("the file is read").summary
}

fn counts(summary: &LogSummary, family: Family) -> (u64, u64, u64) {
    summary.families.iter().find(|f| f.family == family).map_or((0, 0, 0), |f| (f.outcomes, f.delivered, f.failed))
}

#[test]
fn postfix_grok_messages_split_by_family() {
    let Some(path) = common::corpus_file("postfix-log/whyscream-grok-test-messages.tsv") else { return };
    let summary = analyse(&path, None);
    // IPv4: nine deliveries (lmtp_0001, smtp_0001, smtp_0002, tls_features_0001…0006), the deferral
    // of smtp_0026 and eight error lines with a queue id (smtp_0006, 0020, 0021, 0023, 0024, 0033,
    // 0034 and the `conversation with … timed out` of smtp_0022). The `connect to` lines there carry
    // no queue id and no program, so they are not read as Postfix lines.
    assert_eq!(counts(&summary, Family::V4), (18, 9, 9));
    // IPv6: Gmail's bounce of smtp_0018, relayed to gmail-smtp-in.l.google.com[2607:f8b0:400e:c04::1b].
    assert_eq!(counts(&summary, Family::V6), (1, 0, 1));
    let v6 = summary.families.iter().find(|f| f.family == Family::V6).unwrap();
    let top = v6.top_failure.as_ref().unwrap();
    assert!(top.line.starts_with("smtp_0018.yaml"), "{}", top.line);
    assert_eq!(top.reason.class.as_str(), "content");

    // For gmail.com alone the one failure is over IPv6, and the finding says so.
    let summary = analyse(&path, Some("gmail.com"));
    assert_eq!(summary.failures[0].family, Some(Family::V6));
    let findings = summary.findings(&[]);
    let reply = findings.iter().find(|f| f.id == "log.reply_code").unwrap();
    assert_eq!(reply.arg("family"), Some("IPv6"));
    assert!(!findings.iter().any(|f| f.id == "log.family_differs"), "one family only");
}

#[test]
fn postfix_issue_snippets_name_ipv6_and_ipv4_peers() {
    let Some(path) = common::corpus_file("postfix-log/github-issues-postfix-log-snippets.txt") else { return };
    let summary = analyse(&path, None);
    // huan/docker-simple-mail-forwarder#42: `connect to gmail-smtp-in.l.google.com[2607:f8b0:400d:c0e::1a]:25:
    // Network is unreachable`; every other peer of the file is an IPv4 address.
    assert_eq!(counts(&summary, Family::V6), (1, 0, 1));
    let (v4, delivered, failed) = counts(&summary, Family::V4);
    assert_eq!((delivered, failed), (0, v4));
    assert!(v4 >= 16, "{v4}");
    let v6 = summary.families.iter().find(|f| f.family == Family::V6).unwrap();
    assert_eq!(v6.top_failure.as_ref().unwrap().reply, "Network is unreachable");
}

#[test]
fn a_retry_not_tried_again_names_no_path() {
    // serveraide.com's CentOS sample: `delivery temporarily suspended: connect to
    // ALT2.ASPMX.L.GOOGLE.com[2607:f8b0:4001:c08::1a]:25` is an earlier failure repeated.
    let Some(path) = common::corpus_file("postfix-log/web-pages-postfix-log-snippets.txt") else { return };
    let summary = analyse(&path, None);
    assert_eq!(counts(&summary, Family::V6), (0, 0, 0));
    assert_eq!(counts(&summary, Family::V4), (1, 1, 0));
}

#[test]
fn exim_mainlog_peers_are_read_from_h_equals() {
    let Some(path) = common::corpus_file("exim/exim_exporter-test-mainlog.log") else { return };
    let summary = analyse(&path, None);
    // `H=mail.foo.corp [1.1.1.1]` and the like; the malformed `[4.4.4.4:` of the file is no address.
    let (outcomes, delivered, failed) = counts(&summary, Family::V4);
    assert_eq!(outcomes, delivered + failed);
    assert!(delivered >= 1 && failed >= 1, "{outcomes} {delivered} {failed}");
    assert!(summary.families.iter().all(|f| f.family == Family::V4));
}

/// Replies and reasons from public posts: the peer is the MTA's, never the address the
/// receiver quotes (ours).
#[test]
fn the_peer_and_not_our_quoted_address() {
    let cases: [(&str, &str, Option<&str>); 5] = [
        (
            "NANOG list, 2014-01-15 (mail-archive.com/nanog@nanog.org/msg64339.html), Postfix",
            "host gmail-smtp-in.l.google.com[2607:f8b0:4002:c01::1a] said: 550-5.7.1 [2607:fc50:1000:1f00::2      16] Our system has detected that this 550-5.7.1 message does not meet IPv6 sending guidelines...",
            Some("2607:f8b0:4002:c01::1a"),
        ),
        (
            "dnorth.net, 'Google and IPv6 e-mail' (2013-12), Exim's bounce",
            "SMTP error from remote mail server after end of data: host ASPMX.L.GOOGLE.COM [2a00:1450:400c:c05::1a]: 550-5.7.1 [2001:41c8:10a:400::1 16] Our system has detected that this 550-5.7.1 message does not meet IPv6 sending guidelines regarding PTR records",
            Some("2a00:1450:400c:c05::1a"),
        ),
        (
            "nazo.osakana.net/?p=1830, Postfix bounce",
            "host gmail-smtp-in.l.google.com[2404:6800:4008:c04::1b] said: 550-5.7.1 This message does not have authentication information or fails to pass 550-5.7.1 authentication checks.",
            Some("2404:6800:4008:c04::1b"),
        ),
        (
            "nodemailer/nodemailer#236, qmail's bounce: no peer named, only our address in the reply",
            "Remote host said: 550-5.7.1 [2a01:4f8:d16:1250::2] Our system has detected that this message does",
            None,
        ),
        (
            "docker-mailserver/docker-mailserver#2991, Postfix bounce over IPv4",
            "host gmail-smtp-in.l.google.com[108.177.15.27] said: 550-5.7.25 [144.76.109.34] The IP address sending this message does not have a 550-5.7.25 PTR record setup",
            Some("108.177.15.27"),
        ),
    ];
    for (source, text, want) in cases {
        let want: Option<IpAddr> = want.map(|w| w.parse().unwrap());
        assert_eq!(remote_address(text), want, "{source}");
    }
}
