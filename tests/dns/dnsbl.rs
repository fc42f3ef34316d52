//! Block-list checks against the in-process DNS server: listings with their meaning, TXT reason
//! and delisting page, clean answers, refusals that are never listings, a list that never answers
//! (the check ends at its deadline and names it), the self-test, and `mailwiz blocklist`.

use crate::mailwiz;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use mailwiz::demo::dns_server::DnsServer;
use mailwiz::dns::dnsbl::{Exposure, Subject, ZoneStatus, check, dnsbl_findings, self_test, self_test_findings};
use mailwiz::dns::dnsbl_zones::{Zone, ZoneList};
use mailwiz::dns::resolver::{Limits, Resolver};
use mailwiz::session::{Finding, Journal, Severity};

/// Spamhaus-like zone: 203.0.113.5 is on the PBL (127.0.0.10) and the SBL (127.0.0.2).
const ZEN: &str = "\
5.113.0.203   300 IN A   127.0.0.2
5.113.0.203   300 IN A   127.0.0.10
5.113.0.203   300 IN TXT \"Listed by SBL, see https://check.spamhaus.org/sbl/query/SBL1\"
2.0.0.127     300 IN A   127.0.0.2
2.0.0.127     300 IN TXT \"test entry\"
";
/// A list answering "clean" for everything but its test entry.
const CLEAN: &str = "2.0.0.127 300 IN A 127.0.0.2\n";
/// A list refusing us as if we came through a public resolver.
const REFUSING: &str = "* 300 IN A 127.255.255.254\n";

async fn server() -> DnsServer {
    DnsServer::builder()
        .zone("zen.spamhaus.org", ZEN)
        .zone("bl.spamcop.net", CLEAN)
        .zone("b.barracudacentral.org", REFUSING)
        .zone("dead.bl.test", CLEAN)
        .silent_for("dead.bl.test")
        .start()
        .await
        .unwrap()
}

fn resolver(server: &DnsServer) -> Resolver {
    // The resolver alone would wait 10 s: the check's own deadline must end it sooner.
    Resolver::with_servers(
        &[server.addr()],
        Limits { timeout: Duration::from_secs(10), attempts: 1 },
        Journal::in_memory(),
    )
}

fn zones(names: &[&str]) -> Vec<Zone> {
    let names: Vec<String> = names.iter().map(ToString::to_string).collect();
    ZoneList::bundled().select(&names).unwrap()
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn find<'a>(findings: &'a [Finding], id: &str) -> Vec<&'a Finding> {
    findings.iter().filter(|f| f.id == id).collect()
}

#[tokio::test]
async fn listed_clean_refused_and_silent_zones_under_one_deadline() {
    let server = server().await;
    let zones = zones(&["zen.spamhaus.org", "bl.spamcop.net", "b.barracudacentral.org", "dead.bl.test"]);
    let started = Instant::now();
    let deadline = Duration::from_millis(800);
    let report = check(&resolver(&server), &Subject::Ip(ip("203.0.113.5")), &zones, deadline, Exposure::Any).await;
    let elapsed = started.elapsed();
    // It ends at the deadline, not at the resolver's 10 s.
    assert!(elapsed >= deadline && elapsed < Duration::from_secs(5), "{elapsed:?}");

    let status: Vec<(&str, &ZoneStatus)> = report.results.iter().map(|r| (r.zone.as_str(), &r.status)).collect();
    let ZoneStatus::Listed { codes, txt } = status[0].1 else { panic!("{status:?}") };
    let codes: Vec<String> = codes.iter().map(|c| c.code.to_string()).collect();
    assert_eq!(codes, ["127.0.0.2", "127.0.0.10"]);
    assert_eq!(txt, &["Listed by SBL, see https://check.spamhaus.org/sbl/query/SBL1".to_string()]);
    assert_eq!(status[1].1, &ZoneStatus::Clean);
    assert!(matches!(status[2].1, ZoneStatus::Refused { code, .. } if code == "127.255.255.254"));
    assert_eq!(status[3].1, &ZoneStatus::Timeout);

    let findings = dnsbl_findings(&report);
    let listed = find(&findings, "dnsbl.listed");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].severity, Severity::Fail);
    assert!(listed[0].summary.starts_with("203.0.113.5 is listed on zen.spamhaus.org: SBL"), "{}", listed[0].summary);
    assert!(listed[0].summary.contains("PBL (ISP)"), "{}", listed[0].summary);
    assert!(listed[0].fix.contains("https://check.spamhaus.org/results/?query=203.0.113.5"), "{}", listed[0].fix);
    assert!(listed[0].detail.contains("Its reason: Listed by SBL"), "{}", listed[0].detail);
    assert!(
        listed[0].evidence.iter().any(|e| e.contains("A 5.113.0.203.zen.spamhaus.org")),
        "{:?}",
        listed[0].evidence
    );

    let refused = find(&findings, "dnsbl.query_refused");
    assert_eq!(refused.len(), 1);
    assert!(refused[0].summary.contains("b.barracudacentral.org refused the query (127.255.255.254)"));
    assert!(refused[0].summary.contains("public or open resolvers"), "{}", refused[0].summary);
    assert!(find(&findings, "dnsbl.listed").iter().all(|f| !f.summary.contains("barracuda")));

    let timeout = find(&findings, "dnsbl.timeout");
    assert_eq!(timeout.len(), 1);
    assert_eq!(timeout[0].summary, "dead.bl.test did not answer within 0.8 s");
    // Listed somewhere: no "clean" verdict.
    assert!(find(&findings, "dnsbl.clean").is_empty());
}

#[tokio::test]
async fn a_clean_address_is_clean_on_every_answering_list() {
    let server = server().await;
    let zones = zones(&["zen.spamhaus.org", "bl.spamcop.net"]);
    let report =
        check(&resolver(&server), &Subject::Ip(ip("198.51.100.20")), &zones, Duration::from_secs(3), Exposure::Any)
            .await;
    let findings = dnsbl_findings(&report);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].summary, "198.51.100.20 is on none of the 2 block lists checked");
}

#[tokio::test]
async fn answers_outside_loopback_are_refusals_not_listings() {
    // A resolver that rewrites NXDOMAIN to an advertising page answers with a public address.
    let server = DnsServer::builder().zone("bl.spamcop.net", "* 300 IN A 198.51.100.80\n").start().await.unwrap();
    let report = check(
        &resolver(&server),
        &Subject::Ip(ip("203.0.113.5")),
        &zones(&["bl.spamcop.net"]),
        Duration::from_secs(3),
        Exposure::Any,
    )
    .await;
    let findings = dnsbl_findings(&report);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].id, "dnsbl.query_refused");
    assert!(findings[0].summary.contains("127.0.0.0/8"), "{}", findings[0].summary);
}

#[tokio::test]
async fn private_and_documentation_addresses_are_not_sent() {
    let server = server().await;
    let zones = zones(&["zen.spamhaus.org"]);
    for (subject, exposure) in [
        ("192.168.1.20", Exposure::PublicOnly),
        ("203.0.113.5", Exposure::PublicOnly),
        ("10.1.1.1", Exposure::Documentation),
        ("100.64.3.4", Exposure::PublicOnly),
    ] {
        let before = server.queries();
        let report =
            check(&resolver(&server), &Subject::Ip(ip(subject)), &zones, Duration::from_secs(3), exposure).await;
        assert!(report.not_queried.is_some(), "{subject}");
        assert_eq!(server.queries(), before, "{subject} reached the list");
        assert_eq!(dnsbl_findings(&report)[0].id, "ip.private");
    }
    // The demo world's lists are local: documentation addresses may be asked there.
    let report = check(
        &resolver(&server),
        &Subject::Ip(ip("203.0.113.5")),
        &zones,
        Duration::from_secs(3),
        Exposure::Documentation,
    )
    .await;
    assert!(report.not_queried.is_none());
    assert_eq!(report.listed().len(), 1);
}

#[tokio::test]
async fn ipv6_uses_nibbles_and_skips_ipv4_only_lists() {
    let v6 = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2 300 IN A 127.0.0.3\n";
    let server = DnsServer::builder().zone("zen.spamhaus.org", v6).zone("bl.spamcop.net", CLEAN).start().await.unwrap();
    let report = check(
        &resolver(&server),
        &Subject::Ip(ip("2001:db8::1")),
        &zones(&["zen.spamhaus.org", "bl.spamcop.net"]),
        Duration::from_secs(3),
        Exposure::Any,
    )
    .await;
    assert!(
        matches!(&report.results[0].status, ZoneStatus::Listed { codes, .. } if codes[0].meaning.starts_with("SBL CSS"))
    );
    assert!(matches!(&report.results[1].status, ZoneStatus::Skipped { reason } if reason.contains("IPv4")));
}

#[tokio::test]
async fn self_test_finds_the_zone_that_does_not_work() {
    let server = server().await;
    let zones = zones(&["zen.spamhaus.org", "bl.spamcop.net", "b.barracudacentral.org", "dead.bl.test"]);
    let deadline = Duration::from_millis(600);
    let tests = self_test(&resolver(&server), &zones, deadline).await;
    let problems: Vec<(&str, Option<&str>)> = tests.iter().map(|t| (t.zone.as_str(), t.problem.as_deref())).collect();
    assert_eq!(problems[0], ("zen.spamhaus.org", None));
    assert_eq!(problems[1], ("bl.spamcop.net", None));
    assert!(problems[2].1.unwrap().contains("refused (127.255.255.254"), "{problems:?}");
    assert!(problems[3].1.unwrap().contains("no answer before the deadline"), "{problems:?}");
    let findings = self_test_findings(&tests, deadline);
    let ids: Vec<&str> = findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["dnsbl.query_refused", "dnsbl.timeout"]);
    assert!(findings.iter().all(|f| f.severity == Severity::Fail));
}

#[tokio::test]
async fn blocklist_command_readable_json_and_bad_input() {
    let server = server().await;
    let dns = server.addr().to_string();
    let zones = "zen.spamhaus.org,bl.spamcop.net,b.barracudacentral.org,dead.bl.test";

    let out = mailwiz(&["blocklist", "203.0.113.5", "--zones", zones, "--dns-server", &dns, "--timeout", "1"]).await;
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("203.0.113.5 against 4 block list(s), all at once (deadline 1.0 s"), "{stdout}");
    assert!(stdout.contains("✗ zen.spamhaus.org        listed 127.0.0.10: PBL (ISP)"), "{stdout}");
    assert!(stdout.contains("reason: Listed by SBL"), "{stdout}");
    assert!(stdout.contains("delist: https://check.spamhaus.org/results/?query=203.0.113.5"), "{stdout}");
    assert!(stdout.contains("✓ bl.spamcop.net          not listed"), "{stdout}");
    assert!(stdout.contains("⚠ dead.bl.test            no answer within 1.0 s"), "{stdout}");

    let out =
        mailwiz(&["blocklist", "203.0.113.5", "--zones", zones, "--dns-server", &dns, "--timeout", "1", "--json"])
            .await;
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["command"], "blocklist");
    assert_eq!(json["target"], "203.0.113.5");
    let results = json["blocklist"]["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    assert_eq!(results[0]["status"], "listed");
    assert_eq!(results[2]["status"], "refused");
    assert_eq!(results[3]["status"], "timeout");
    let ids: Vec<&str> = json["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["dnsbl.listed", "dnsbl.query_refused", "dnsbl.timeout"]);

    // Without --zones, a documentation address is said, not sent.
    let before = server.queries();
    let out = mailwiz(&["blocklist", "203.0.113.5", "--dns-server", &dns]).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("203.0.113.5 not checked: 203.0.113.5 is a documentation address")
    );
    assert_eq!(server.queries(), before);

    let out = mailwiz(&["blocklist", "203.0.113.5", "--zones", "zen.spamhaus.org,", "--dns-server", &dns]).await;
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8(out.stderr).unwrap(), "mailwiz: a block list zone name is empty\n");

    let out = mailwiz(&["blocklist", "999.1.1.1", "--dns-server", &dns]).await;
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "mailwiz: \"999.1.1.1\" is neither an IP address nor a domain name\n"
    );
}

#[tokio::test]
async fn blocklist_self_test_command() {
    let server = server().await;
    let out = mailwiz(&[
        "blocklist",
        "--self-test",
        "--zones",
        "zen.spamhaus.org,b.barracudacentral.org",
        "--dns-server",
        &server.addr().to_string(),
    ])
    .await;
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("✓ zen.spamhaus.org        works"), "{stdout}");
    assert!(
        stdout.contains("✗ b.barracudacentral.org  test entry 127.0.0.2 must be listed but is refused"),
        "{stdout}"
    );
}
