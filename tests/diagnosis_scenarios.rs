//! One scenario per diagnosis rule, each a variant of the demo world (DNS zones and SMTP
//! behaviours served on loopback), checked end to end with `check`: the first-ranked cause and
//! the findings its evidence names.

use std::sync::Arc;

use mailwiz::config::Config;
use mailwiz::context::Context;
use mailwiz::demo::attach_world;
use mailwiz::demo::smtp_server::ServerScript;
use mailwiz::demo::world::{SmtpServer, World};
use mailwiz::diagnosis::check::{self, CheckOptions, CheckReport};
use mailwiz::session::{Severity, Target};

const MX1: &str = "192.0.2.10:25";
const MX2: &str = "192.0.2.20:25";
const GOOD: &str = "198.51.100.25:25";

/// The bundled world with a variant applied.
struct Variant(World);

impl Variant {
    fn demo() -> Variant {
        Variant(World::bundled())
    }

    fn zone(mut self, origin: &str, text: &str) -> Variant {
        match self.0.zones.iter_mut().find(|z| z.origin == origin) {
            Some(zone) => zone.text = text.to_string(),
            None => self.0.zones.push(mailwiz::demo::world::Zone { origin: origin.into(), text: text.into() }),
        }
        self
    }

    /// 203.0.113.5 gets the PTR mail.example.com, which resolves back to it.
    fn with_ptr(self) -> Variant {
        self.zone("113.0.203.in-addr.arpa", "5 300 IN PTR mail.example.com.\n")
    }

    fn helo(mut self, helo: &str) -> Variant {
        self.0.identity.helo = helo.to_string();
        self
    }

    fn unlisted(self) -> Variant {
        self.zone("zen.spamhaus.org", "2.0.0.127 300 IN A 127.0.0.2\n")
    }

    /// Both bank.example MX hosts behave as `script` (TOML of a ServerScript).
    fn bank_mx(mut self, script: &str) -> Variant {
        self.0.smtp.retain(|s| ![MX1, MX2].contains(&s.address.to_string().as_str()));
        for (address, host) in [(MX1, "mx1.bank.example"), (MX2, "mx2.bank.example")] {
            let mut script = ServerScript::from_toml(script).expect("valid script");
            script.hostname = host.into();
            script.client_ip = Some("203.0.113.5".parse().unwrap());
            self.0.smtp.push(SmtpServer { address: address.parse().unwrap(), tls: false, script });
        }
        self
    }

    fn no_files(mut self) -> Variant {
        self.0.files.clear();
        self
    }

    async fn check(self, domain: &str, adjust: impl FnOnce(&mut Config)) -> CheckReport {
        let mut config = Config { timeout: 2.0, ..Config::default() };
        config.smtp.connect_timeout = Some(0.5);
        config.smtp.read_timeout = Some(2.0);
        let mut ctx = attach_world(Context::new(config), self.0).await.expect("the world starts");
        adjust(Arc::make_mut(&mut ctx.config));
        let target = Target::parse(domain).unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(30), check::run(&ctx, &target, &CheckOptions::default()))
            .await
            .expect("the check ends")
            .expect("the check runs")
    }
}

fn first(report: &CheckReport) -> &mailwiz::diagnosis::Cause {
    let ranked: Vec<_> = report.causes.iter().map(|c| (c.id.as_str(), c.score)).collect();
    eprintln!("ranked: {ranked:?}");
    report.causes.first().unwrap_or_else(|| panic!("no cause found; findings: {:#?}", report.findings))
}

fn cites(cause: &mailwiz::diagnosis::Cause, ids: &[&str]) {
    for id in ids {
        assert!(cause.finding_ids.iter().any(|f| f == id), "{} does not cite {id}: {:?}", cause.id, cause.finding_ids);
    }
}

#[tokio::test]
async fn the_demo_story_is_a_missing_ptr_then_the_helo() {
    let report = Variant::demo().check("bank.example", |_| {}).await;
    let ids: Vec<&str> = report.causes.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(&ids[..2], ["diagnosis.missing_ptr", "diagnosis.helo_mismatch"], "{ids:?}");
    cites(&report.causes[0], &["ptr.missing", "smtp.banner_4xx", "smtp.closed_before_banner"]);
    assert!(report.causes[0].actions[0].contains("mail.example.com"), "proposes the name that resolves to us");
}

#[tokio::test]
async fn a_ptr_that_does_not_resolve_back() {
    let report = Variant::demo()
        .with_ptr()
        .zone("example.com", "@ 300 IN MX 10 mail\nmail 300 IN A 203.0.113.99\n")
        .helo("mail.example.com")
        .unlisted()
        .check("bank.example", |_| {})
        .await;
    let cause = first(&report);
    assert_eq!(cause.id, "diagnosis.fcrdns_mismatch");
    cites(cause, &["ptr.fcrdns_mismatch", "smtp.banner_4xx"]);
}

#[tokio::test]
async fn a_helo_the_receiver_rejects() {
    let report = Variant::demo()
        .with_ptr()
        .unlisted()
        .bank_mx("ehlo = \"550 5.7.1 <mta1.internal.example.com>: Helo command rejected: Host not found\"\nhelo = \"550 5.7.1 Helo command rejected: Host not found\"")
        .check("bank.example", |_| {})
        .await;
    let cause = first(&report);
    assert_eq!(cause.id, "diagnosis.helo_mismatch");
    cites(cause, &["helo.mismatch"]);
    assert!(report.findings.iter().any(|f| f.id == "smtp.ehlo_rejected"));
}

#[tokio::test]
async fn a_listing_the_receiver_names() {
    let report = Variant::demo()
        .with_ptr()
        .helo("mail.example.com")
        .bank_mx("banner = \"554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org\"\nclose_after = \"banner\"")
        .check("bank.example", |_| {})
        .await;
    let cause = first(&report);
    assert_eq!(cause.id, "diagnosis.blocklisted");
    cites(cause, &["dnsbl.listed", "smtp.banner_5xx"]);
    assert!(cause.actions.iter().any(|a| a.contains("check.spamhaus.org")));
}

#[tokio::test]
async fn a_receiver_filter_when_we_are_in_order() {
    let report = Variant::demo().with_ptr().helo("mail.example.com").unlisted().check("bank.example", |_| {}).await;
    let cause = first(&report);
    assert_eq!(cause.id, "diagnosis.receiver_filter");
    cites(cause, &["smtp.banner_4xx"]);
    assert!(report.findings.iter().any(|f| f.id == "ptr.ok"));
}

#[tokio::test]
async fn timeouts_everywhere_are_our_firewall() {
    let mut variant = Variant::demo().with_ptr().helo("mail.example.com").unlisted();
    variant.0.smtp.clear();
    variant.0.blackholes = vec![MX1.parse().unwrap(), MX2.parse().unwrap(), GOOD.parse().unwrap()];
    let report = variant.check("bank.example", |c| c.identity.known_good_host = Some(GOOD.into())).await;
    let cause = first(&report);
    assert_eq!(cause.id, "diagnosis.firewall");
    cites(cause, &["smtp.timeout"]);
    assert_eq!(report.smtp.len(), 3, "both MX and the known-good host were tried");
}

#[tokio::test]
async fn timeouts_at_the_receiver_only_are_not_our_firewall() {
    let mut variant = Variant::demo().with_ptr().helo("mail.example.com").unlisted();
    variant.0.smtp.retain(|s| s.address.to_string() == GOOD);
    variant.0.blackholes = vec![MX1.parse().unwrap(), MX2.parse().unwrap()];
    let report = variant.check("bank.example", |c| c.identity.known_good_host = Some(GOOD.into())).await;
    assert!(report.causes.iter().all(|c| c.id != "diagnosis.firewall"), "{:?}", report.causes);
}

#[tokio::test]
async fn broken_dns_at_the_receiver() {
    let report = Variant::demo().with_ptr().helo("mail.example.com").check("old-partner.example", |_| {}).await;
    let cause = first(&report);
    assert_eq!(cause.id, "diagnosis.dns_broken");
    cites(cause, &["dns.servfail"]);
}

#[tokio::test]
async fn a_null_mx_is_broken_dns_too() {
    let report = Variant::demo()
        .zone("noreply.example", "@ 300 IN MX 0 .\n")
        .with_ptr()
        .helo("mail.example.com")
        .check("noreply.example", |_| {})
        .await;
    let cause = first(&report);
    assert_eq!(cause.id, "diagnosis.dns_broken");
    cites(cause, &["mx.null"]);
}

#[tokio::test]
async fn tls_required_and_not_possible() {
    let report = Variant::demo()
        .with_ptr()
        .helo("mail.example.com")
        .unlisted()
        .no_files()
        .bank_mx("extensions = [\"STARTTLS\", \"ENHANCEDSTATUSCODES\"]\nstarttls = \"454 4.7.0 TLS not available due to local problem\"\nmail = \"530 5.7.0 Must issue a STARTTLS command first\"")
        .check("bank.example", |_| {})
        .await;
    let cause = first(&report);
    assert_eq!(cause.id, "diagnosis.tls_problem");
    cites(cause, &["smtp.starttls_failed"]);
}

#[tokio::test]
async fn the_recipient_does_not_exist() {
    let report = Variant::demo()
        .with_ptr()
        .helo("mail.example.com")
        .unlisted()
        .bank_mx("rcpt = \"550 5.1.1 <alice@bank.example>: Recipient address rejected: User unknown in local recipient table\"")
        .check("alice@bank.example", |_| {})
        .await;
    let cause = first(&report);
    assert_eq!(cause.id, "diagnosis.recipient_rejected");
    cites(cause, &["smtp.rcpt_rejected"]);
}

#[tokio::test]
async fn every_mx_refuses_the_connection() {
    let mut variant = Variant::demo().with_ptr().helo("mail.example.com").unlisted();
    variant.0.smtp.retain(|s| s.address.to_string() == GOOD);
    variant.0.refused = vec![MX1.parse().unwrap(), MX2.parse().unwrap()];
    let report = variant.check("bank.example", |_| {}).await;
    let cause = first(&report);
    assert_eq!(cause.id, "diagnosis.receiver_down");
    cites(cause, &["smtp.refused"]);
}

#[tokio::test]
async fn everything_right_gives_no_failure() {
    let report = Variant::demo()
        .with_ptr()
        .helo("mail.example.com")
        .unlisted()
        .no_files()
        .bank_mx("")
        .check("bank.example", |_| {})
        .await;
    assert!(report.causes.is_empty(), "{:?}", report.causes);
    let fails: Vec<_> = report.findings.iter().filter(|f| f.severity == Severity::Fail).collect();
    assert!(fails.is_empty(), "{fails:#?}");
    for id in ["mx.ok", "smtp.ok", "ptr.ok", "helo.ok", "dnsbl.clean"] {
        assert!(report.findings.iter().any(|f| f.id == id), "{id} missing");
    }
}
