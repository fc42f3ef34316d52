//! PTR, forward-confirmed reverse DNS and HELO checks against the in-process DNS server, through
//! the engine and through `mailwiz ptr`.

use crate::mailwiz;
use std::net::IpAddr;
use std::time::Duration;

use mailwiz::config::Config;
use mailwiz::context::Context;
use mailwiz::demo::dns_server::DnsServer;
use mailwiz::dns::ptr::{check_ptr, ptr_findings};
use mailwiz::dns::resolver::{Limits, Resolver};
use mailwiz::helo::check::{check_helo, helo_finding};
use mailwiz::session::{EventKind, Finding, Journal, Severity};

const FORWARD: &str = "\
mail    300 IN A    203.0.113.5
mismatch 300 IN A   198.51.100.1
mx-a    300 IN A    203.0.113.9
mx-b    300 IN A    198.51.100.2
mail6   300 IN AAAA 2001:db8::25
other   300 IN A    198.51.100.3
";

const PROVIDER: &str = "203-0-113-8.dsl 300 IN A 203.0.113.8\n";

const REVERSE4: &str = "\
5 300 IN PTR mail.example.com.
7 300 IN PTR mismatch.example.com.
8 300 IN PTR 203-0-113-8.dsl.provider.example.
9 300 IN PTR mx-a.example.com.
9 300 IN PTR mx-b.example.com.
";

// 2001:db8::25 under 8.b.d.0.1.0.0.2.ip6.arpa.
const REVERSE6: &str = "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 300 IN PTR mail6.example.com.\n";

async fn server() -> DnsServer {
    DnsServer::builder()
        .zone("example.com", FORWARD)
        .zone("provider.example", PROVIDER)
        .zone("113.0.203.in-addr.arpa", REVERSE4)
        .zone("8.b.d.0.1.0.0.2.ip6.arpa", REVERSE6)
        .start()
        .await
        .unwrap()
}

fn resolver(server: &DnsServer, journal: Journal) -> Resolver {
    Resolver::with_servers(&[server.addr()], Limits { timeout: Duration::from_secs(2), attempts: 1 }, journal)
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn ids(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.id.as_str()).collect()
}

#[tokio::test]
async fn a_forward_confirmed_ptr_is_ok_and_journaled() {
    let server = server().await;
    let journal = Journal::in_memory();
    let report = check_ptr(&resolver(&server, journal.clone()), ip("203.0.113.5")).await;
    assert_eq!(report.names.len(), 1);
    assert_eq!(report.names[0].name, "mail.example.com");
    assert!(report.names[0].confirmed);
    let findings = ptr_findings(&report, Some("mail.example.com"));
    assert_eq!(ids(&findings), ["ptr.ok"]);
    assert_eq!(findings[0].summary, "203.0.113.5 has PTR mail.example.com, which resolves back to it");
    assert!(findings[0].evidence.iter().any(|e| e.contains("name = mail.example.com")));
    assert!(findings[0].evidence.iter().any(|e| e.contains("address 203.0.113.5")));
    let events = journal.events();
    assert!(events.iter().any(|e| e.kind == EventKind::DnsQuery && e.text.contains("5.113.0.203.in-addr.arpa")));
    assert!(events.iter().any(|e| e.kind == EventKind::DnsAnswer && e.text.contains("mail.example.com")));
}

#[tokio::test]
async fn a_missing_ptr_fails_naming_the_address_and_the_helo_to_use() {
    let server = server().await;
    let report = check_ptr(&resolver(&server, Journal::in_memory()), ip("203.0.113.6")).await;
    assert!(report.names.is_empty());
    let findings = ptr_findings(&report, Some("mail.example.com"));
    assert_eq!(ids(&findings), ["ptr.missing"]);
    assert_eq!(findings[0].severity, Severity::Fail);
    assert!(findings[0].fix.contains("set its PTR to mail.example.com"), "{}", findings[0].fix);
    assert!(findings[0].evidence[0].contains("NXDOMAIN"), "{:?}", findings[0].evidence);
}

#[tokio::test]
async fn a_ptr_that_does_not_resolve_back_is_an_fcrdns_mismatch() {
    let server = server().await;
    let report = check_ptr(&resolver(&server, Journal::in_memory()), ip("203.0.113.7")).await;
    assert_eq!(report.names[0].addresses, vec![ip("198.51.100.1")]);
    let findings = ptr_findings(&report, None);
    assert_eq!(ids(&findings), ["ptr.fcrdns_mismatch"]);
    assert_eq!(findings[0].severity, Severity::Fail);
    assert!(findings[0].detail.contains("resolves to 198.51.100.1, not 203.0.113.7"), "{}", findings[0].detail);
}

#[tokio::test]
async fn a_generic_ptr_is_flagged_even_when_confirmed() {
    let server = server().await;
    let report = check_ptr(&resolver(&server, Journal::in_memory()), ip("203.0.113.8")).await;
    let findings = ptr_findings(&report, Some("mail.example.com"));
    assert_eq!(ids(&findings), ["ptr.ok", "ptr.generic"]);
    assert!(findings[1].detail.contains("203-0-113-8"), "{}", findings[1].detail);
    assert!(findings[1].fix.contains("e.g. mail.example.com"));
}

#[tokio::test]
async fn two_ptrs_are_each_checked() {
    let server = server().await;
    let report = check_ptr(&resolver(&server, Journal::in_memory()), ip("203.0.113.9")).await;
    let mut names: Vec<&str> = report.names.iter().map(|n| n.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["mx-a.example.com", "mx-b.example.com"]);
    let findings = ptr_findings(&report, None);
    let ok = findings.iter().find(|f| f.id == "ptr.ok").unwrap();
    assert!(ok.summary.contains("mx-a.example.com"));
    assert!(ok.detail.contains("2 PTR records"), "{}", ok.detail);
    let mismatch = findings.iter().find(|f| f.id == "ptr.fcrdns_mismatch").unwrap();
    assert!(mismatch.summary.contains("mx-b.example.com"));
    // One name confirms, so the other is a warning, not a failure.
    assert_eq!(mismatch.severity, Severity::Warn);
}

#[tokio::test]
async fn ipv6_reverse_and_forward() {
    let server = server().await;
    let report = check_ptr(&resolver(&server, Journal::in_memory()), ip("2001:db8::25")).await;
    assert!(report.reply.name.ends_with(".8.b.d.0.1.0.0.2.ip6.arpa"), "{}", report.reply.name);
    assert_eq!(report.names[0].name, "mail6.example.com");
    assert!(report.names[0].confirmed);
    assert_eq!(ids(&ptr_findings(&report, None)), ["ptr.ok"]);
}

#[tokio::test]
async fn helo_matching_and_not() {
    let server = server().await;
    let resolver = resolver(&server, Journal::in_memory());
    let ptr = check_ptr(&resolver, ip("203.0.113.5")).await;

    let good = check_helo(&resolver, "mail.example.com", "--helo").await;
    let finding = helo_finding(&good, ip("203.0.113.5"), Some(&ptr));
    assert_eq!(finding.id, "helo.ok");

    let other = check_helo(&resolver, "other.example.com", "--helo").await;
    let finding = helo_finding(&other, ip("203.0.113.5"), Some(&ptr));
    assert_eq!(finding.id, "helo.mismatch");
    assert!(
        finding.summary.contains("other.example.com resolves to 198.51.100.3, not to 203.0.113.5"),
        "{}",
        finding.summary
    );

    // Resolves to us, but the PTR names another host.
    let ptr7 = check_ptr(&resolver, ip("203.0.113.7")).await;
    let finding = helo_finding(&good, ip("203.0.113.7"), Some(&ptr7));
    assert_eq!(finding.id, "helo.mismatch");

    let missing = check_helo(&resolver, "nothing.example.com", "--helo").await;
    let finding = helo_finding(&missing, ip("203.0.113.5"), Some(&ptr));
    assert!(finding.summary.contains("does not resolve (NXDOMAIN)"), "{}", finding.summary);

    let short = check_helo(&resolver, "localhost", "--helo").await;
    assert_eq!(helo_finding(&short, ip("203.0.113.5"), Some(&ptr)).id, "helo.not_fqdn");
    let literal = check_helo(&resolver, "[203.0.113.5]", "--helo").await;
    assert_eq!(helo_finding(&literal, ip("203.0.113.5"), Some(&ptr)).id, "helo.ip_literal");
}

#[tokio::test]
async fn ptr_command_readable_and_json() {
    let server = server().await;
    let dns = server.addr().to_string();

    let out = mailwiz(&["ptr", "203.0.113.5", "--helo", "other.example.com", "--dns-server", &dns]).await;
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("mail.example.com → 203.0.113.5  forward-confirmed"), "{stdout}");
    assert!(stdout.contains("  other.example.com → 198.51.100.3\n    from --helo/config"), "{stdout}");
    assert!(stdout.contains("helo.mismatch"), "{stdout}");

    let out = mailwiz(&["ptr", "203.0.113.6", "--json", "--dns-server", &dns]).await;
    assert_eq!(out.status.code(), Some(1), "ptr.missing fails");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["command"], "ptr");
    assert_eq!(json["target"], "203.0.113.6");
    assert_eq!(json["ptr"]["reply"]["outcome"]["status"], "nx_domain");
    assert_eq!(json["findings"][0]["id"], "ptr.missing");
    assert_eq!(json["findings"][0]["severity"], "fail");
}

#[tokio::test]
async fn bad_addresses_are_one_sentence_and_exit_2() {
    let out = mailwiz(&["ptr", "999.1.1.1", "--dns-server", "127.0.0.1:9"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8(out.stderr).unwrap(), "mailwiz: \"999.1.1.1\" is not an IP address\n");
    assert!(out.stdout.is_empty());
}

#[tokio::test]
async fn a_private_address_is_said_to_be_private() {
    let server = server().await;
    let out = mailwiz(&["ptr", "192.168.1.20", "--json", "--dns-server", &server.addr().to_string()]).await;
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["findings"][0]["id"], "ip.private");
}

#[tokio::test]
async fn identity_check_gathers_candidates_from_config_myip_and_ehlo() {
    let server = DnsServer::builder()
        .zone("example.com", FORWARD)
        .zone("113.0.203.in-addr.arpa", REVERSE4)
        .zone("myip.test", "@ 60 IN A 203.0.113.5\ntxt 60 IN TXT \"198.51.100.77\"\n")
        .start()
        .await
        .unwrap();
    let toml = format!(
        "dns_servers = [\"{0}\"]\nhelo = \"mail.example.com\"\n[identity]\nask_mta = false\n\
         [[identity.myip]]\nname = \"myip.test\"\nrecord = \"A\"\nserver = \"{0}\"\n\
         [[identity.myip]]\nname = \"txt.myip.test\"\nrecord = \"TXT\"\nserver = \"{0}\"\n",
        server.addr()
    );
    let config: Config = toml::from_str(&toml).unwrap();
    let ctx = Context::new(config);
    let resolver = Resolver::from_context(&ctx).unwrap();
    let mut known = mailwiz::session::Identity::default();
    known.add_candidate(ip("203.0.113.5"), "ehlo:mx1.bank.example");
    let report = mailwiz::dns::identity::check_identity(&ctx, &resolver, &known).await;
    let sources: Vec<&str> = report.candidates.iter().map(|c| c.source.as_str()).collect();
    assert_eq!(sources, ["ehlo:mx1.bank.example", "dns:myip.test", "dns:txt.myip.test"]);
    assert_eq!(report.chosen, vec![ip("203.0.113.5")]);
    assert!(!report.agree, "198.51.100.77 disagrees");
    let found = ids(&report.findings);
    assert_eq!(found, ["ip.candidates_disagree", "ptr.ok", "helo.ok"]);
    assert!(report.findings[0].summary.contains("198.51.100.77 (dns:txt.myip.test)"));
}

#[tokio::test]
async fn a_thousand_ptr_names_stay_bounded() {
    let reverse: String = (0..1000).map(|n| format!("77 300 IN PTR host{n}.example.com.\n")).collect();
    // The names resolve to nothing (NXDOMAIN): none is forward-confirmed.
    let server = DnsServer::builder()
        .zone("113.0.203.in-addr.arpa", &reverse)
        .zone("example.com", "mail 300 IN A 203.0.113.5\n")
        .start()
        .await
        .unwrap();
    let report = check_ptr(&resolver(&server, Journal::in_memory()), ip("203.0.113.77")).await;
    assert_eq!(report.reply.ptr_names().len(), 1000, "{:?}", report.reply.outcome);
    assert_eq!(report.names.len(), mailwiz::dns::ptr::MAX_PTR_NAMES);
    let findings = ptr_findings(&report, Some("mail.example.com"));
    let size: usize = findings.iter().map(|f| serde_json::to_string(f).unwrap().len()).sum();
    assert!(size < 100_000, "{} findings, {size} bytes", findings.len());
    assert!(findings[0].detail.contains("has 1000 PTR records"), "{}", findings[0].detail);
    assert!(findings[0].evidence.iter().any(|e| e.contains("990 more record(s)")), "{:?}", findings[0].evidence);
}

#[tokio::test]
async fn a_ptr_that_could_not_be_looked_up_is_not_known_not_missing() {
    // A bound socket that is never read: a resolver that never answers.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let dns = silent.local_addr().unwrap().to_string();
    let out = mailwiz(&["ptr", "203.0.113.5", "--dns-server", &dns, "--timeout", "1"]).await;
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("Reverse DNS of 203.0.113.5\n  not known: no answer within"), "{stdout}");
    assert!(
        stdout.contains("ptr.unknown") && !stdout.contains("ptr.missing") && !stdout.contains("no PTR ("),
        "{stdout}"
    );
    assert_eq!(out.status.code(), Some(3), "the check could not run: {stdout}");
}
