//! Every queue listing of the third-party corpus parses, with the entries and reasons a person
//! reading the file counts.

use crate::common;

use std::fs::File;
use std::io::BufReader;

use chrono::{Datelike, Local, Utc};
use mailwiz::queue::{
    DetectError, EntryRef, Format, Parsed, QueueName, detect, group::group, parse_reader, reason::normalise,
};

fn parse(relative: &str, format: Option<Format>) -> Option<Parsed> {
    let path = common::corpus_file(relative)?;
    let file = File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Some(parse_reader(BufReader::new(file), format, Utc::now()).expect("the format is known"))
}

fn sample(relative: &str) -> Option<String> {
    let path = common::corpus_file(relative)?;
    Some(String::from_utf8_lossy(&std::fs::read(path).expect("readable")).into_owned())
}

fn ids(parsed: &Parsed) -> Vec<&str> {
    parsed.entries.iter().map(EntryRef::id).collect()
}

#[test]
fn postqueue_json_from_postqf() {
    let Some(p) = parse("postfix-queue/postqf-tests-qdata.jsonl", None) else { return };
    assert_eq!(p.format, Format::PostfixJson);
    assert_eq!(p.skipped.count, 0);
    assert_eq!(
        ids(&p),
        ["4Jgt2V6BKNz1xy5", "4JgtdG4SPrz1y14", "4Jgt2V6Twsz1y0d", "4JgtdG3s0yz1y0v", "4JfdNQ5stDz1yJf"]
    );
    assert!(p.entries.to_vec().iter().all(|e| e.queue == QueueName::Active));
    let counts: Vec<usize> = p.entries.to_vec().iter().map(|e| e.recipients.len()).collect();
    assert_eq!(counts, [47, 1, 48, 1, 1]);
    let with_reason: Vec<usize> =
        p.entries.to_vec().iter().map(|e| e.recipients.iter().filter(|r| r.reason.is_some()).count()).collect();
    assert_eq!(with_reason, [10, 0, 9, 0, 0]);
    assert_eq!(p.entries.to_vec()[0].arrival.unwrap().timestamp(), 1_642_847_778);
    assert_eq!(p.entries.to_vec()[0].size, Some(2272));

    // The 19 reasons differ only in a time stamp: one group.
    let g = group(&p.entries, Utc::now());
    let delayed: Vec<_> = g.by_reason.iter().filter(|r| !r.key.is_empty()).collect();
    assert_eq!(delayed.len(), 1);
    assert_eq!(delayed[0].messages, 2);
    assert!(
        delayed[0].key.contains("450-4.7.1 <host.example.net>: Unverified Client host rejected"),
        "{}",
        delayed[0].key
    );
    let domains: Vec<(&str, u64, u64)> =
        g.by_domain.iter().map(|d| (d.key.as_str(), d.messages, d.recipients)).collect();
    assert_eq!(domains, [("example.com", 2, 95), ("example.org", 2, 2), ("9gmail.com", 1, 1)]);
}

#[test]
fn mailq_showq_from_postfix_exporter() {
    let Some(p) = parse("postfix-queue/kumina-postfix_exporter-showq.txt", None) else { return };
    assert_eq!(p.format, Format::PostfixText);
    assert_eq!(p.skipped.count, 0);
    assert_eq!(p.entries.len(), 24);
    assert_eq!(p.entries.to_vec().iter().filter(|e| e.queue == QueueName::Active).count(), 16);
    assert!(p.entries.to_vec().iter().all(|e| e.recipients.len() == 1 && e.sender == "sender@example.com"));
    let entries = p.entries.to_vec();
    let reasons: Vec<&str> = entries.iter().filter_map(|e| e.recipients[0].reason.as_deref()).collect();
    assert_eq!(reasons.len(), 8);
    // Reasons at column 1 and indented by 19 and 11 spaces.
    assert!(
        reasons[0]
            .starts_with("host mail.wekudata.com[37.208.0.7] said: 452 4.2.2 Quota exceeded (rehanna@stahlstierna.se)")
    );
    assert!(reasons.contains(&"connect to gafe.se[151.252.30.111]:25: Connection refused"));
    assert!(reasons.contains(&"connect to smtp.falun.se[192.121.234.25]:25: Connection timed out"));
    let arrival = p.entries.to_vec()[0].arrival.unwrap().with_timezone(&Local);
    assert_eq!((arrival.month(), arrival.day(), arrival.weekday()), (2, 24, chrono::Weekday::Mon));

    let g = group(&p.entries, Utc::now());
    let domains: Vec<(&str, u64)> = g.by_domain.iter().take(2).map(|d| (d.key.as_str(), d.messages)).collect();
    assert_eq!(domains, [("lerum.se", 12), ("gmail.com", 5)]);
    // Five over-quota replies from Gmail with different ids and MX hosts are one reason.
    let gmail = &g.by_domain[1];
    assert_eq!(gmail.top.len(), 1);
    assert_eq!(gmail.top[0].messages, 5);
    assert_eq!(gmail.delayed, 5);
    assert_eq!(g.by_domain.iter().find(|d| d.key == "lerum.se").unwrap().delayed, 0);
}

#[test]
fn postqueue_p_forum_and_issue_samples() {
    let Some(p) = parse("postfix-queue/forum-and-issue-postqueue-p-samples.txt", None) else { return };
    assert_eq!(p.format, Format::PostfixText);
    assert_eq!(
        ids(&p),
        ["04A1B14F61A", "8F0F2401F5F", "8D01B401F84", "9BBD8401F92", "E8427401F86", "8551B132C2", "C293F132B1"]
    );
    // Three "##### source" lines and three shell prompts.
    assert_eq!(p.skipped.count, 6);
    assert_eq!(
        p.entries.to_vec()[0].recipients[0].reason.as_deref(),
        Some("connect to cyan.nei.local[10.200.8.205]:25: No route to host")
    );
    assert_eq!(&*p.entries.to_vec()[0].recipients[0].domain, "nei-ky.com");
    assert_eq!(&*p.entries.to_vec()[1].recipients[0].domain, "gmail.com");
    assert!(
        p.entries.to_vec()[4].recipients[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("[2404:6800:4008:c06::1b]:25: Connection timed out")
    );
    assert_eq!(p.entries.to_vec()[5].queue, QueueName::Active);
    assert_eq!(p.entries.to_vec()[5].recipients[0].reason, None);

    let g = group(&p.entries, Utc::now());
    let gmail = &g.by_domain[0];
    assert_eq!((gmail.key.as_str(), gmail.messages), ("gmail.com", 4));
    // Timeouts to an IPv4 and an IPv6 address of two Gmail MX hosts: one reason.
    assert_eq!(gmail.top.len(), 1);
    assert_eq!(
        gmail.top[0].key,
        normalise("connect to alt2.gmail-smtp-in.l.google.com[64.233.188.26]:25: Connection timed out")
    );
}

#[test]
fn qshape_output_is_not_a_listing() {
    let Some(text) = sample("postfix-queue/postfix-QSHAPE_README-qshape-examples.txt") else { return };
    assert_eq!(detect::detect(&text), Err(DetectError::Qshape));
    // Forced through the text parser: nothing is an entry, so it is not that listing.
    let path = common::corpus_file("postfix-queue/postfix-QSHAPE_README-qshape-examples.txt").unwrap();
    let forced = parse_reader(BufReader::new(File::open(path).unwrap()), Some(Format::PostfixText), Utc::now());
    assert_eq!(forced.unwrap_err(), DetectError::Mismatch { given: Format::PostfixText, detected: None });
}

#[test]
fn sendmail_mailq_msp_and_mta() {
    let Some(p) = parse("sendmail/ubuntu-forums-archive-sendmail-mailq-samples.txt", None) else { return };
    assert_eq!(p.format, Format::Sendmail);
    assert_eq!(ids(&p), ["r3U4eRSH223276", "r3U0S9Mt115878", "m066rTow015094"]);
    // Source lines, two shell prompts, two SYSERR and two sm-msp-queue log lines.
    assert_eq!(p.skipped.count, 9);
    let queues: Vec<QueueName> = p.entries.to_vec().iter().map(|e| e.queue).collect();
    assert_eq!(queues, [QueueName::Deferred, QueueName::Active, QueueName::Deferred]);
    assert_eq!(p.entries.to_vec()[0].sender, "MAILER-DAEMON");
    assert_eq!(p.entries.to_vec()[0].size, Some(410_812));
    let first = &p.entries.to_vec()[0].recipients[0];
    assert_eq!((first.address.as_str(), &*first.domain), ("user1@domain.com", "domain.com"));
    assert_eq!(first.reason.as_deref(), Some("reply: read error from mailserver2.domain.com."));
    assert_eq!(
        p.entries.to_vec()[1].recipients[0].reason.as_deref(),
        Some("Deferred: Connection timed out with mailserver2.domain.com")
    );
    assert!(
        p.entries.to_vec()[2].recipients[0]
            .reason
            .as_deref()
            .unwrap()
            .starts_with("Deferred: Connection timed out with -----dashed")
    );
}

#[test]
fn sendmail_log_is_not_a_listing() {
    let Some(text) = sample("sendmail/fail2ban-tests-sendmail-reject.log") else { return };
    assert_eq!(detect::detect(&text), Err(DetectError::Unknown));
    let path = common::corpus_file("sendmail/fail2ban-tests-sendmail-reject.log").unwrap();
    let forced = parse_reader(BufReader::new(File::open(path).unwrap()), Some(Format::Sendmail), Utc::now());
    assert_eq!(forced.unwrap_err(), DetectError::Mismatch { given: Format::Sendmail, detected: None });
}

#[test]
fn exim_bp_documentation_samples() {
    let Some(p) = parse("exim/exim-bp-doc-samples.txt", None) else { return };
    assert_eq!(p.format, Format::Exim);
    assert_eq!(ids(&p), ["12EwGE-0005jD-00", "0t5C6f-0000c8-00"]);
    // Two source lines, the prompt, and the "<other addresses>" placeholder.
    assert_eq!(p.skipped.count, 4);
    let first = &p.entries.to_vec()[0];
    assert_eq!(first.sender, "sam@vbrew.com");
    assert_eq!(first.size, Some(52 * 1024));
    assert!(first.recipients[0].delivered);
    assert_eq!(first.pending().map(|r| r.address.as_str()).collect::<Vec<_>>(), ["harry@example.net"]);
    let age = Utc::now() - p.entries.to_vec()[1].arrival.unwrap();
    assert!((24..=26).contains(&age.num_minutes()));
}

#[test]
fn exim_bp_testsuite_listings_with_frozen_messages() {
    let Some(p) = parse("exim/exim-testsuite-stdout-0022-bp-and-smtp.txt", None) else { return };
    assert_eq!(p.format, Format::Exim);
    assert_eq!(
        ids(&p),
        [
            "10HmaX-000000005vi-0000",
            "10HmaZ-000000005vi-0000",
            "10HmaX-000000005vi-0000",
            "10HmaZ-000000005vi-0000",
            "10HmbB-000000005vi-0000",
            "10HmbC-000000005vi-0000",
            "10HmbD-000000005vi-0000",
            "10HmbE-000000005vi-0000",
        ]
    );
    let frozen: Vec<&str> = p.entries.iter().filter(|e| e.queue() == QueueName::Frozen).map(EntryRef::id).collect();
    assert_eq!(frozen, ["10HmaX-000000005vi-0000", "10HmaX-000000005vi-0000", "10HmbB-000000005vi-0000"]);
    assert_eq!(p.entries.to_vec().iter().map(|e| e.recipients.len()).sum::<usize>(), 14);
    // Ages and sizes are masked (TTT, sss) by the test harness.
    assert!(p.entries.to_vec().iter().all(|e| e.arrival.is_none() && e.size.is_none()));
    // 211 non-empty lines: 8 message lines, 14 recipients, the SMTP dialogues skipped.
    assert_eq!(p.skipped.count, 211 - 8 - 14);
}

#[test]
fn exchange_get_queue_list_form() {
    let Some(p) = parse("exchange/msqa-234456-get-queue-fl-and-trackinglog.txt", None) else { return };
    assert_eq!(p.format, Format::Exchange);
    assert_eq!(p.entries.len(), 1);
    let queue = &p.entries.to_vec()[0];
    assert_eq!(queue.id, "DAGSERVER5\\322120");
    assert_eq!(queue.queue, QueueName::Deferred);
    assert_eq!(queue.messages, 1);
    assert_eq!(&*queue.recipients[0].domain, "destination.com");
    // LastError wraps over three lines; its LED part is the reason.
    assert_eq!(
        queue.recipients[0].reason.as_deref(),
        Some(
            "450 4.7.0 Proxy session setup failed on Frontend with '451 4.4.0 Primary target IP address responded with: \
             \"451 4.4.0 Security status InvalidToken.\" Attempted failover to alternate host, but that did not succeed. \
             Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint attempted \
             was 2a0X:3cXX:XX2:XXX::XX00:25'"
        )
    );
    let first_retry = queue.arrival.unwrap().with_timezone(&Local);
    assert_eq!((first_retry.year(), first_retry.month(), first_retry.day()), (2021, 1, 15));
    // The four Get-MessageTrackingLog records (21 + 24 + 19 + 17 lines) are not queue data.
    assert_eq!(p.skipped.count, 81);
}

#[test]
fn the_queue_listing_of_the_forum_names_both_families_for_gmail() {
    use mailwiz::config::Family;
    use mailwiz::logs::peer::remote_family;
    use mailwiz::queue::family;
    let Some(text) = sample("postfix-queue/forum-and-issue-postqueue-p-samples.txt") else { return };
    let reasons: Vec<&str> = text.lines().filter(|l| l.starts_with("(connect to alt2.gmail-smtp-in")).collect();
    let families: Vec<Option<Family>> = reasons.iter().map(|r| remote_family(r)).collect();
    assert_eq!(families, [Some(Family::V4), Some(Family::V4), Some(Family::V4), Some(Family::V6)], "{reasons:?}");
    // ReneVeerman's listing (Ubuntu Forums, 2019-07-22): four messages to gmail.com, the last tried over IPv6.
    let now = chrono::Utc::now();
    let parsed = parse_reader(text.as_bytes(), Some(Format::PostfixText), now).unwrap();
    let grouping = group(&parsed.entries, now);
    let gmail = grouping.by_domain.iter().find(|g| g.key == "gmail.com").expect("gmail.com is queued");
    let shares = family::split(&parsed.entries, gmail);
    assert_eq!((shares[0].messages, shares[1].messages), (3, 1));
    assert_eq!(family::only(&shares), None);
    // The stuck-domain finding splits its messages by family, with one reason of each.
    let findings = mailwiz::queue::findings::findings(
        &parsed.entries,
        &grouping,
        &parsed.skipped,
        &mailwiz::queue::Lifetime::default_lifetime(),
        now,
    );
    let stuck = findings.iter().find(|f| f.id == "queue.stuck_domain" && f.arg("domain") == Some("gmail.com")).unwrap();
    assert!(stuck.detail.contains("3 message(s) over IPv4, 1 over IPv6"), "{}", stuck.detail);
    assert!(
        stuck.evidence.iter().any(|e| e.starts_with("over IPv6: 1 message(s), e.g. connect to alt2.gmail-smtp-in"))
    );
    assert_eq!(stuck.arg("family"), None);
}
