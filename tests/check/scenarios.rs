//! One scenario per diagnosis rule, each a variant of the demo world (DNS zones and SMTP
//! behaviours served on loopback), checked end to end with `check`: the first-ranked cause and
//! the findings its evidence names.

use crate::common;

use std::sync::Arc;

use mailwiz::check::{self, CheckOptions, CheckReport};
use mailwiz::config::Config;
use mailwiz::context::Context;
use mailwiz::demo::attach_world;
use mailwiz::demo::smtp_server::ServerScript;
use mailwiz::demo::world::{SmtpServer, World};
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
            None => self.0.zones.push(mailwiz::demo::world::Zone {
                origin: origin.into(),
                text: text.into(),
                signed: false,
            }),
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

    /// Both bank.example MX hosts behave as `script` (TOML of a `ServerScript`).
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
async fn the_demo_story_is_a_missing_ptr_with_the_listing_and_the_helo_left_to_fix() {
    let report = Variant::demo().check("bank.example", |_| {}).await;
    let ids: Vec<&str> = report.causes.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["diagnosis.missing_ptr", "diagnosis.blocklisted"], "{ids:?}");
    let also: Vec<&str> = report.also_fix.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(also, ["helo.mismatch"]);
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
    cites(cause, &["smtp.mail_rejected", "smtp.starttls_failed"]);
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
    let ids: Vec<&str> = report.causes.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["diagnosis.deliverable"]);
    let fails: Vec<_> = report.findings.iter().filter(|f| f.severity == Severity::Fail).collect();
    assert!(fails.is_empty(), "{fails:#?}");
    for id in ["mx.ok", "smtp.ok", "ptr.ok", "helo.ok", "dnsbl.clean"] {
        assert!(report.findings.iter().any(|f| f.id == id), "{id} missing");
    }
}

/// Where the receiver's reply reaches us: the probe at one stage, or an MTA's record of an
/// attempt (a log line, a queue delay reason) that the probe, which never sends DATA, cannot see.
#[derive(Debug, Clone, Copy)]
enum Via {
    Greeting,
    Ehlo,
    Mail,
    Rcpt,
    /// Both MX hosts close before any banner; the reply is unused.
    Drop,
    /// A Postfix log line `status=deferred (… said: REPLY (in reply to STAGE command))`.
    Log(&'static str),
    /// A `postqueue -j` delay reason `host … said: REPLY (in reply to STAGE command)`.
    Queue(&'static str),
}

/// The DNS state of our address 203.0.113.5.
#[derive(Debug, Clone, Copy)]
enum Dns {
    /// PTR mail.example.com, which resolves back; HELO mail.example.com; on no list.
    PtrOk,
    PtrMissing,
    /// PTR mail.example.com, which resolves elsewhere.
    Fcrdns,
    /// PTR 203-0-113-5.dyn.isp.example, resolving back.
    Generic,
    /// PTR ok, listed on zen.spamhaus.org as a spam source (SBL).
    Listed,
    /// PTR ok, listed on zen.spamhaus.org's PBL (127.0.0.10).
    Pbl,
    /// PTR ok, HELO mta1.internal.example.com, which resolves to nothing.
    HeloBad,
}

struct Case {
    name: &'static str,
    via: Via,
    reply: &'static str,
    dns: Dns,
    first: &'static str,
}

/// Real receivers' texts (their error-code pages and the corpus in ../shared/corpus), at the
/// stage they come, with our DNS state, and the cause that must rank first.
const CASES: &[Case] = &[
    // A refusal no rule reads: T-Online's wording (postmaster.t-online.de, "A problem occurred"),
    // with our PTR, HELO and listings in order. Its words are the cause.
    Case {
        name: "t-online's problem occurred",
        via: Via::Rcpt,
        dns: Dns::PtrOk,
        first: "diagnosis.unexplained_refusal",
        reply: "554 IP=203.0.113.5 - A problem occurred. (Ask your postmaster for help or to contact tosa@rx.t-online.de to clarify.)",
    },
    // Our reverse DNS.
    Case {
        name: "gmail 5.7.25 at RCPT, no PTR",
        via: Via::Rcpt,
        dns: Dns::PtrMissing,
        first: "diagnosis.missing_ptr",
        reply: "550 5.7.25 [203.0.113.5] The IP address sending this message does not have a PTR record setup, or the corresponding forward DNS entry does not point to the sending IP. As a policy, Gmail does not accept messages from IPs with missing PTR records. - gsmtp",
    },
    Case {
        name: "comcast PTR at greeting",
        via: Via::Greeting,
        dns: Dns::PtrMissing,
        first: "diagnosis.missing_ptr",
        reply: "554 mx.comcast.net comcast 203.0.113.5 Comcast requires that all mail servers must have a PTR record with a valid Reverse DNS entry. Currently your mail server does not fill that requirement.",
    },
    Case {
        name: "AT&T fix reverse DNS",
        via: Via::Mail,
        dns: Dns::PtrMissing,
        first: "diagnosis.missing_ptr",
        reply: "550 5.7.1 Connections not accepted from servers without a valid sender domain.flph829 Fix reverse DNS for 203.0.113.5",
    },
    Case {
        name: "web.de bad PTR",
        via: Via::Rcpt,
        dns: Dns::PtrMissing,
        first: "diagnosis.missing_ptr",
        reply: "550 <alice@bank.example>: Bad DNS PTR resource record",
    },
    Case {
        name: "a silent drop without a PTR",
        via: Via::Drop,
        dns: Dns::PtrMissing,
        first: "diagnosis.missing_ptr",
        reply: "",
    },
    Case {
        name: "postfix unknown client, PTR not forward-confirmed",
        via: Via::Rcpt,
        dns: Dns::Fcrdns,
        first: "diagnosis.fcrdns_mismatch",
        reply: "450 4.7.25 Client host rejected: cannot find your hostname, [203.0.113.5]",
    },
    Case {
        name: "gmail 5.7.25, PTR not forward-confirmed",
        via: Via::Queue("RCPT TO"),
        dns: Dns::Fcrdns,
        first: "diagnosis.fcrdns_mismatch",
        reply: "550-5.7.25 [203.0.113.5] The IP address sending this message does not have a PTR record setup, or the corresponding forward DNS entry does not point to the sending IP. - gsmtp",
    },
    Case {
        name: "postfix unknown client via the log",
        via: Via::Log("RCPT TO"),
        dns: Dns::Fcrdns,
        first: "diagnosis.fcrdns_mismatch",
        reply: "450 4.7.1 Client host rejected: cannot find your hostname, [203.0.113.5]",
    },
    // Our HELO.
    Case {
        name: "postfix need FQDN at RCPT",
        via: Via::Rcpt,
        dns: Dns::PtrOk,
        first: "diagnosis.helo_mismatch",
        reply: "504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname",
    },
    Case {
        name: "postfix HELO host not found at EHLO",
        via: Via::Ehlo,
        dns: Dns::HeloBad,
        first: "diagnosis.helo_mismatch",
        reply: "550 5.7.1 <mta1.internal.example.com>: Helo command rejected: Host not found",
    },
    Case {
        // Dropped before the banner: the receiver never saw our HELO, so the HELO is no cause.
        name: "a silent drop with a bad HELO",
        via: Via::Drop,
        dns: Dns::HeloBad,
        first: "diagnosis.unexplained_refusal",
        reply: "",
    },
    // Public block lists.
    Case {
        name: "spamhaus named at greeting",
        via: Via::Greeting,
        dns: Dns::Listed,
        first: "diagnosis.blocklisted",
        reply: "554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.5",
    },
    Case {
        name: "exchange online names spamhaus",
        via: Via::Rcpt,
        dns: Dns::PtrOk,
        first: "diagnosis.blocklisted",
        reply: "550 5.7.1 Service unavailable, Client host [203.0.113.5] blocked using Spamhaus. To request removal from this list see https://www.spamhaus.org/query/ip/203.0.113.5 (AS16012611)",
    },
    Case {
        name: "a silent drop while listed",
        via: Via::Drop,
        dns: Dns::Listed,
        first: "diagnosis.blocklisted",
        reply: "",
    },
    Case {
        name: "spamcop named via the queue",
        via: Via::Queue("RCPT TO"),
        dns: Dns::PtrOk,
        first: "diagnosis.blocklisted",
        reply: "554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using bl.spamcop.net; Blocked - see https://www.spamcop.net/bl.shtml?203.0.113.5",
    },
    // The receiver's own lists and reputation systems.
    Case {
        name: "outlook S3150",
        via: Via::Rcpt,
        dns: Dns::PtrOk,
        first: "diagnosis.receiver_blocklist",
        reply: "550 5.7.1 Unfortunately, messages from [203.0.113.5] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors.",
    },
    Case {
        name: "exchange online 5.7.606",
        via: Via::Rcpt,
        dns: Dns::PtrMissing,
        first: "diagnosis.receiver_blocklist",
        reply: "550 5.7.606 Access denied, banned sending IP [203.0.113.5]. To request removal from this list please visit https://sender.office.com/ and follow the directions. For more information please go to  http://go.microsoft.com/fwlink/?LinkID=526655 (AS16012609)",
    },
    Case {
        name: "outlook AS3140 via the queue",
        via: Via::Queue("MAIL FROM"),
        dns: Dns::PtrOk,
        first: "diagnosis.receiver_blocklist",
        reply: "550 5.7.1 Unfortunately, messages from [203.0.113.5] weren't sent. Please contact your Internet service provider since part of their network is on our block list (AS3140). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors.",
    },
    Case {
        name: "barracuda reputation at greeting",
        via: Via::Greeting,
        dns: Dns::PtrOk,
        first: "diagnosis.receiver_blocklist",
        reply: "554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using Barracuda Reputation; http://www.barracudanetworks.com/reputation/?pr=1&ip=203.0.113.5",
    },
    Case {
        name: "proofpoint",
        via: Via::Rcpt,
        dns: Dns::PtrOk,
        first: "diagnosis.receiver_blocklist",
        reply: "550 5.7.1 Service unavailable; client [203.0.113.5] blocked using prs.proofpoint.com",
    },
    Case {
        name: "cloudmark through proofpoint",
        via: Via::Rcpt,
        dns: Dns::Listed,
        first: "diagnosis.receiver_blocklist",
        reply: "550 5.7.1 Service unavailable; client [203.0.113.5] blocked using Cloudmark Sender Intelligence (Visit http://csi.cloudmark.com/reset-request/ if you feel this is in error)",
    },
    Case {
        name: "mimecast",
        via: Via::Rcpt,
        dns: Dns::PtrOk,
        first: "diagnosis.receiver_blocklist",
        reply: "550 Administrative prohibition - envelope blocked - https://community.mimecast.com/docs/DOC-1369#550 [x1Yz]",
    },
    Case {
        name: "trend micro ERS",
        via: Via::Rcpt,
        dns: Dns::PtrOk,
        first: "diagnosis.receiver_blocklist",
        reply: "550 5.7.1 <alice@bank.example>: Recipient address rejected: ERS-Customized-Block.",
    },
    Case {
        name: "comcast block for spam",
        via: Via::Greeting,
        dns: Dns::PtrOk,
        first: "diagnosis.receiver_blocklist",
        reply: "554 mx.comcast.net comcast 203.0.113.5 Comcast block for spam. Please see http://postmaster.comcast.net/smtp-error-codes.php#BL000000",
    },
    // Rate limits and reputation deferrals.
    Case {
        name: "gmail 4.7.28",
        via: Via::Rcpt,
        dns: Dns::PtrOk,
        first: "diagnosis.rate_limited",
        reply: "421 4.7.28 [203.0.113.5] Our system has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been temporarily rate limited. Please visit https://support.google.com/mail/?p=UnsolicitedRateLimitError to review our Bulk Email Senders Guidelines. - gsmtp",
    },
    Case {
        name: "yahoo TSS04 at MAIL",
        via: Via::Mail,
        dns: Dns::PtrMissing,
        first: "diagnosis.rate_limited",
        reply: "421 4.7.0 [TSS04] Messages from 203.0.113.5 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
    },
    Case {
        name: "yahoo TSS04 via the log",
        via: Via::Log("MAIL FROM"),
        dns: Dns::PtrOk,
        first: "diagnosis.rate_limited",
        reply: "421 4.7.0 [TSS04] Messages from 203.0.113.5 temporarily deferred due to user complaints - 4.16.55.1; see https://help.yahoo.com/kb/postmaster/SLN3434.html",
    },
    Case {
        name: "outlook 4.7.650",
        via: Via::Rcpt,
        dns: Dns::PtrOk,
        first: "diagnosis.rate_limited",
        reply: "451 4.7.650 The mail server [203.0.113.5] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://postmaster.live.com (S843)",
    },
    Case {
        name: "exchange online concurrency",
        via: Via::Greeting,
        dns: Dns::PtrOk,
        first: "diagnosis.rate_limited",
        reply: "421 4.3.2 The maximum number of concurrent connections per resource forest has exceeded a limit, closing transmission channel.",
    },
    // Greylisting.
    Case {
        name: "postgrey",
        via: Via::Rcpt,
        dns: Dns::PtrOk,
        first: "diagnosis.greylisted",
        reply: "450 4.2.0 <alice@bank.example>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/bank.example.html",
    },
    Case {
        name: "barracuda greylisting without a PTR",
        via: Via::Rcpt,
        dns: Dns::PtrMissing,
        first: "diagnosis.greylisted",
        reply: "451 4.7.1 <alice@bank.example>: Recipient address rejected: Greylisted for 5 minutes",
    },
    Case {
        name: "zerospam greylisting via the queue",
        via: Via::Queue("RCPT TO"),
        dns: Dns::PtrOk,
        first: "diagnosis.greylisted",
        reply: "450 4.2.0 <alice@bank.example>: Recipient address rejected: bank.example greylisted for 60 seconds by ZEROSPAM",
    },
    // Authentication (only the MTA sees the end of DATA).
    Case {
        name: "gmail 5.7.26 at end of DATA via the log",
        via: Via::Log("end of DATA"),
        dns: Dns::PtrOk,
        first: "diagnosis.authentication",
        reply: "550-5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM. Authentication results: DKIM = did not pass SPF [example.com] with ip: [203.0.113.5] = did not pass For instructions on setting up authentication, go to https://support.google.com/mail/answer/81126#authentication - gsmtp",
    },
    Case {
        name: "gmail DMARC at end of DATA via the queue",
        via: Via::Queue("end of DATA"),
        dns: Dns::PtrMissing,
        first: "diagnosis.authentication",
        reply: "550-5.7.1 Unauthenticated email from example.com is not accepted due to domain's DMARC policy. Please contact the administrator of example.com domain if this was a legitimate mail. Please visit https://support.google.com/mail/answer/2451690 to learn about the DMARC initiative. - gsmtp",
    },
    Case {
        name: "microsoft 5.7.23 SPF",
        via: Via::Mail,
        dns: Dns::PtrOk,
        first: "diagnosis.authentication",
        reply: "550 5.7.23 The message was rejected because of Sender Policy Framework violation",
    },
    Case {
        name: "web.de SPF",
        via: Via::Mail,
        dns: Dns::PtrOk,
        first: "diagnosis.authentication",
        reply: "550 <billing@example.com>: Reject due to SPF policy. The originating IP of the message is not permitted by the domain owner",
    },
    // TLS required.
    Case {
        name: "AWS SES must issue STARTTLS",
        via: Via::Mail,
        dns: Dns::PtrOk,
        first: "diagnosis.tls_problem",
        reply: "530 Must issue a STARTTLS command first",
    },
    // Dynamic addresses.
    Case {
        name: "AOL dynamic (residential)",
        via: Via::Greeting,
        dns: Dns::Generic,
        first: "diagnosis.dynamic_ip",
        reply: "554 RTR:DU The IP address you are using to connect to AOL is a dynamic (residential) IP address. AOL will not accept future e-mail transactions from this IP address until your ISP removes this IP address from its list of dynamic (residential) IP addresses.",
    },
    Case {
        name: "listed on the PBL, spamhaus named",
        via: Via::Greeting,
        dns: Dns::Pbl,
        first: "diagnosis.dynamic_ip",
        reply: "554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.5",
    },
    Case {
        name: "a generic PTR and a bare refusal",
        via: Via::Greeting,
        dns: Dns::Generic,
        first: "diagnosis.dynamic_ip",
        reply: "421 4.7.0 Try again later, closing connection.",
    },
    // Relaying denied.
    Case {
        name: "postfix relay access denied",
        via: Via::Rcpt,
        dns: Dns::PtrOk,
        first: "diagnosis.relay_denied",
        reply: "554 5.7.1 <alice@bank.example>: Relay access denied",
    },
    Case {
        name: "yahoo relaying denied",
        via: Via::Rcpt,
        dns: Dns::PtrMissing,
        first: "diagnosis.relay_denied",
        reply: "550 relaying denied for <alice@bank.example>",
    },
    // Size and mailbox.
    Case {
        name: "gmail size at MAIL",
        via: Via::Mail,
        dns: Dns::PtrOk,
        first: "diagnosis.message_too_big",
        reply: "552 5.3.4 Your message exceeded Google's message size limits. Please visit https://support.google.com/mail/?p=MaxSizeError to view our size guidelines. - gsmtp",
    },
    Case {
        name: "postfix size at end of DATA via the log",
        via: Via::Log("end of DATA"),
        dns: Dns::PtrOk,
        first: "diagnosis.message_too_big",
        reply: "552 5.3.4 Message size exceeds fixed limit",
    },
    Case {
        name: "gmail over quota",
        via: Via::Rcpt,
        dns: Dns::PtrOk,
        first: "diagnosis.mailbox_full",
        reply: "452 4.2.2 The email account that you tried to reach is over quota. Please direct the recipient to https://support.google.com/mail/?p=OverQuotaTemp - gsmtp",
    },
    Case {
        name: "free quota exceeded",
        via: Via::Rcpt,
        dns: Dns::PtrMissing,
        first: "diagnosis.mailbox_full",
        reply: "554 5.2.2 <alice@bank.example>: Recipient address rejected: Quota exceeded (mailbox for user is full)",
    },
    // The recipient.
    Case {
        name: "gmail no such user",
        via: Via::Rcpt,
        dns: Dns::PtrMissing,
        first: "diagnosis.recipient_rejected",
        reply: "550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. Learn more at https://support.google.com/mail/?p=NoSuchUser - gsmtp",
    },
    Case {
        name: "exchange online directory-based edge blocking",
        via: Via::Rcpt,
        dns: Dns::PtrOk,
        first: "diagnosis.recipient_rejected",
        reply: "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [DB5EUR03FT042.eop-EUR03.prod.protection.outlook.com]",
    },
    Case {
        name: "trend micro invalid recipient under 5.7.1",
        via: Via::Rcpt,
        dns: Dns::PtrOk,
        first: "diagnosis.recipient_rejected",
        reply: "554 5.7.1 <alice@bank.example>: Recipient address rejected: Invalid-Recipient.",
    },
    Case {
        name: "postfix user unknown via the queue",
        via: Via::Queue("RCPT TO"),
        dns: Dns::Listed,
        first: "diagnosis.recipient_rejected",
        reply: "550 5.1.1 <alice@bank.example>: Recipient address rejected: User unknown in virtual mailbox table",
    },
    // Our envelope sender.
    Case {
        name: "sender domain not found",
        via: Via::Rcpt,
        dns: Dns::PtrOk,
        first: "diagnosis.sender_rejected",
        reply: "450 4.1.8 <billing@example.com>: Sender address rejected: Domain not found",
    },
    // The receiver's own filter.
    Case {
        name: "no SMTP service here",
        via: Via::Greeting,
        dns: Dns::PtrOk,
        first: "diagnosis.receiver_filter",
        reply: "554 No SMTP service here",
    },
    Case {
        name: "gmail spam content at end of DATA",
        via: Via::Log("end of DATA"),
        dns: Dns::PtrOk,
        // The message itself, not our address: the remedy is in the content.
        first: "diagnosis.message_content",
        reply: "550-5.7.1 [203.0.113.5] Our system has detected that this message is likely unsolicited mail. To reduce the amount of spam sent to Gmail, this message has been blocked. Please visit https://support.google.com/mail/?p=UnsolicitedMessageError for more information. - gsmtp",
    },
];

fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

impl Variant {
    fn dns_state(self, dns: Dns) -> Variant {
        let ok = |v: Variant| v.with_ptr().helo("mail.example.com");
        match dns {
            Dns::PtrOk => ok(self).unlisted(),
            Dns::PtrMissing => self.helo("mail.example.com").unlisted(),
            Dns::Fcrdns => ok(self).zone("example.com", "@ 300 IN MX 10 mail\nmail 300 IN A 203.0.113.99\n").unlisted(),
            Dns::Generic => self
                .zone("113.0.203.in-addr.arpa", "5 300 IN PTR 203-0-113-5.dyn.isp.example.\n")
                .zone("isp.example", "203-0-113-5.dyn 300 IN A 203.0.113.5\n")
                .helo("mail.example.com")
                .unlisted(),
            Dns::Listed => ok(self),
            Dns::Pbl => ok(self).zone(
                "zen.spamhaus.org",
                "5.113.0.203 300 IN A 127.0.0.10\n5.113.0.203 300 IN TXT \"Listed by PBL, see https://check.spamhaus.org/\"\n2.0.0.127 300 IN A 127.0.0.2\n",
            ),
            Dns::HeloBad => self.with_ptr().unlisted(),
        }
    }

    /// The MX hosts as the probe finds them when the MTA's record tells the story: accepting
    /// RCPT when the record is of the end of DATA (which the probe never reaches), else dropping
    /// us without a word, so only the record says why.
    fn mx_now(self, stage: &str) -> Variant {
        if stage == "end of DATA" { self.bank_mx("") } else { self.bank_mx("before_banner = \"close\"") }
    }

    fn reply_via(mut self, via: Via, reply: &str) -> Variant {
        let quoted = toml_string(reply);
        let file = |name: &str, role: &str, text: String| {
            mailwiz::demo::world::World::from_toml(&format!(
                "[identity]\nip = \"203.0.113.5\"\nhelo = \"x\"\n[[files]]\nname = \"{name}\"\nrole = \"{role}\"\ntext = {}\n",
                toml_string(&text)
            ))
            .expect("a valid file")
            .files
        };
        match via {
            Via::Greeting => self.bank_mx(&format!("banner = {quoted}\nclose_after = \"banner\"")),
            Via::Ehlo => self.bank_mx(&format!("ehlo = {quoted}\nhelo = {quoted}")),
            Via::Mail => self.bank_mx(&format!("mail = {quoted}")),
            Via::Rcpt => self.bank_mx(&format!("rcpt = {quoted}")),
            Via::Drop => self.bank_mx("before_banner = \"close\""),
            Via::Log(stage) => {
                let line = format!(
                    "{{{{rfc3339-600}}}} mail postfix/smtp[2201]: 4F2B81A0C3: to=<alice@bank.example>, relay=mx1.bank.example[192.0.2.10]:25, delay=2, delays=0/0/1/1, dsn=5.0.0, status=deferred (host mx1.bank.example[192.0.2.10] said: {reply} (in reply to {stage} command))\n"
                );
                self.0.files = file("maillog", "log", line);
                self.mx_now(stage)
            }
            Via::Queue(stage) => {
                let entry = serde_json::json!({
                    "queue_name": "deferred", "queue_id": "4F2B81A0C3", "arrival_time": 0, "message_size": 4000,
                    "forced_expire": false, "sender": "billing@example.com",
                    "recipients": [{"address": "alice@bank.example",
                        "delay_reason": format!("host mx1.bank.example[192.0.2.10] said: {reply} (in reply to {stage} command)")}],
                });
                let text = entry.to_string().replace("\"arrival_time\":0", "\"arrival_time\":{{unix-600}}");
                self.0.files = file("postqueue.jsonl", "queue", text + "\n");
                self.mx_now(stage)
            }
        }
    }
}

#[tokio::test]
async fn every_reply_class_and_cause_from_real_texts() {
    assert!(CASES.len() >= 40);
    let runs = CASES.iter().map(|case| async move {
        let variant = Variant::demo().no_files().dns_state(case.dns).reply_via(case.via, case.reply);
        let report = variant.check("alice@bank.example", |_| {}).await;
        let ranked: Vec<String> = report.causes.iter().map(|c| format!("{} {:.2}", c.id, c.score)).collect();
        (case, report, ranked)
    });
    let mut wrong = Vec::new();
    for (case, report, ranked) in futures::future::join_all(runs).await {
        let first = report.causes.first().map(|c| c.id.as_str());
        if first != Some(case.first) {
            wrong.push(format!(
                "{} ({:?}, {:?}): expected {}, ranked {ranked:?}",
                case.name, case.via, case.dns, case.first
            ));
            continue;
        }
        let cause = &report.causes[0];
        // The cause rests on the reply (or the drop) it was read from, never on another domain.
        let from_reply = cause.finding_ids.iter().any(|id| {
            matches!(
                id.as_str(),
                "smtp.banner_4xx"
                    | "smtp.banner_5xx"
                    | "smtp.ehlo_rejected"
                    | "smtp.mail_rejected"
                    | "smtp.rcpt_rejected"
                    | "smtp.reply_explained"
                    | "log.reply_code"
                    | "queue.stuck_domain"
                    | "smtp.closed_before_banner"
            )
        });
        if !from_reply {
            wrong.push(format!("{}: {} cites no reply: {:?}", case.name, case.first, cause.finding_ids));
        }
        if cause.summary.contains('{') || cause.actions.iter().any(|a| a.contains('{')) {
            wrong.push(format!("{}: a placeholder is left in {:?} / {:?}", case.name, cause.summary, cause.actions));
        }
    }
    assert!(wrong.is_empty(), "{} of {} cases wrong:\n{}", wrong.len(), CASES.len(), wrong.join("\n"));
}

#[tokio::test]
async fn the_delisting_page_comes_from_the_reply() {
    let case = CASES.iter().find(|c| c.name == "exchange online 5.7.606").unwrap();
    let report = Variant::demo()
        .no_files()
        .dns_state(case.dns)
        .reply_via(case.via, case.reply)
        .check("alice@bank.example", |_| {})
        .await;
    let cause = first(&report);
    assert_eq!(cause.id, "diagnosis.receiver_blocklist");
    assert!(cause.summary.contains("Microsoft"), "{}", cause.summary);
    assert!(cause.actions[0].contains("https://sender.office.com/"), "{:?}", cause.actions);
}

const STARTTLS_REFUSED: &str = "extensions = [\"STARTTLS\", \"ENHANCEDSTATUSCODES\"]\nstarttls = \"454 4.7.0 TLS not available due to local problem\"";

#[tokio::test]
async fn a_refused_starttls_under_opportunistic_tls_does_not_stop_the_mail() {
    let report = Variant::demo()
        .dns_state(Dns::PtrOk)
        .no_files()
        .bank_mx(STARTTLS_REFUSED)
        .check("bank.example", |c| c.smtp.require_tls = Some(false))
        .await;
    let ids: Vec<&str> = report.causes.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["diagnosis.deliverable"], "{:#?}", report.causes);
    let refused = report.findings.iter().find(|f| f.id == "smtp.starttls_failed").expect("the refusal is reported");
    assert_eq!(refused.severity, Severity::Warn);
    assert!(refused.detail.contains("plain text"), "{}", refused.detail);
    assert!(report.findings.iter().all(|f| f.severity != Severity::Fail), "{:#?}", report.findings);
    let headline = mailwiz::diagnosis::headline(&report.causes, &report.findings, "bank.example", &report.not_checked);
    assert!(headline.contains("should flow now") && !headline.contains("stuck"), "{headline}");
}

#[tokio::test]
async fn a_refused_starttls_fails_when_our_policy_requires_tls() {
    let report = Variant::demo()
        .dns_state(Dns::PtrOk)
        .no_files()
        .bank_mx(STARTTLS_REFUSED)
        .check("bank.example", |c| c.smtp.require_tls = Some(true))
        .await;
    let cause = first(&report);
    assert_eq!(cause.id, "diagnosis.tls_problem");
    cites(cause, &["smtp.starttls_failed"]);
    let refused = report.findings.iter().find(|f| f.id == "smtp.starttls_failed").unwrap();
    assert_eq!(refused.severity, Severity::Fail);
}

#[tokio::test]
async fn a_receiver_that_accepts_us_outweighs_our_own_flaws() {
    // The bundled world: no PTR, a HELO that resolves nowhere, listed; good.example accepts anyway.
    let report = Variant::demo().check("good.example", |_| {}).await;
    let ids: Vec<&str> = report.causes.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["diagnosis.deliverable"]);
    let ptr = report.findings.iter().find(|f| f.id == "ptr.missing").expect("still reported");
    assert_eq!(ptr.severity, Severity::Warn);
    assert!(ptr.detail.contains("accepted our RCPT TO anyway"), "{}", ptr.detail);
    let accepted = report.findings.iter().find(|f| f.id == "smtp.rcpt_accepted").unwrap();
    assert!(accepted.summary.contains("@good.example"), "probes a recipient of the target: {}", accepted.summary);
}

/// A name server that takes every query and never answers, over UDP and TCP.
struct SilentResolver {
    addr: std::net::SocketAddr,
    _udp: tokio::net::UdpSocket,
    _tcp: tokio::task::JoinHandle<()>,
}

async fn silent_resolver() -> SilentResolver {
    let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = udp.local_addr().unwrap();
    let tcp = tokio::net::TcpListener::bind(addr).await.unwrap();
    let tcp = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = tcp.accept().await {
            held.push(stream);
        }
    });
    SilentResolver { addr, _udp: udp, _tcp: tcp }
}

#[tokio::test]
async fn a_resolver_that_never_answers_is_the_cause_and_nothing_is_made_up() {
    let dns = silent_resolver().await;
    let config = Config {
        timeout: 2.0,
        dns_servers: vec![dns.addr.to_string()],
        ip: Some("203.0.113.5".parse().unwrap()),
        helo: Some("mail.example.com".into()),
        ..Config::default()
    };
    let ctx = Context::new(config);
    let target = Target::parse("bank.example").unwrap();
    let started = std::time::Instant::now();
    let report =
        tokio::time::timeout(std::time::Duration::from_secs(60), check::run(&ctx, &target, &CheckOptions::default()))
            .await
            .expect("the check ends")
            .expect("the check runs");
    eprintln!("check with a silent resolver took {:.1} s", started.elapsed().as_secs_f64());
    let cause = first(&report);
    assert_eq!(cause.id, "diagnosis.our_dns");
    cites(cause, &["dns.resolver_silent"]);
    for made_up in [
        "ptr.missing",
        "ptr.fcrdns_mismatch",
        "helo.mismatch",
        "dns.nxdomain",
        "dns.servfail",
        "dnsbl.listed",
        "dnsbl.clean",
    ] {
        assert!(report.findings.iter().all(|f| f.id != made_up), "{made_up} from a lookup that got no answer");
    }
    assert!(report.findings.iter().any(|f| f.id == "ptr.unknown"), "{:#?}", report.findings);
    assert!(report.causes.iter().all(|c| !c.id.contains("helo") && !c.id.contains("ptr")), "{:?}", report.causes);
    assert!(report.skipped.iter().any(|s| s.contains("answers nothing")), "{:?}", report.skipped);
}

#[tokio::test]
async fn refused_from_here_accepted_from_the_other_vantage_point_is_our_address() {
    let Some(via) = common::relay_from("127.0.0.99") else { return };
    let mut variant = Variant::demo().dns_state(Dns::PtrOk).no_files().bank_mx("");
    for server in variant.0.smtp.iter_mut().filter(|s| [MX1, MX2].contains(&s.address.to_string().as_str())) {
        let refusal = mailwiz::demo::smtp_server::ScriptedReply::new(554, ["5.7.1 Service unavailable"]);
        server.script.banner_by_client.insert("127.0.0.1".parse().unwrap(), refusal);
    }
    let report = variant.check("alice@bank.example", |c| c.smtp.via = Some(via)).await;
    let differs: Vec<_> = report.findings.iter().filter(|f| f.id == "smtp.vantage_differs").collect();
    assert_eq!(differs.len(), 2, "{:#?}", report.findings);
    assert_eq!(differs[0].severity, Severity::Warn);
    assert!(differs[0].summary.contains("RCPT TO accepted"), "{}", differs[0].summary);
    let cause = first(&report);
    assert_eq!(cause.id, "diagnosis.address_refused");
    cites(cause, &["smtp.vantage_differs"]);
    assert!(report.smtp_via.as_ref().is_some_and(|there| there.len() == 2));
    assert!(report.causes.iter().all(|c| c.id != "diagnosis.deliverable"), "accepted only through the other box");
}

#[tokio::test]
async fn a_second_vantage_point_that_fails_on_its_own_side_changes_no_verdict() {
    // `false %h %p` ends at once with a failure and says nothing: as ssh does when it may not forward.
    let with = Variant::demo().check("bank.example", |c| c.smtp.via = Some("false %h %p".into())).await;
    let without = Variant::demo().check("bank.example", |_| {}).await;
    let failed: Vec<_> = with.findings.iter().filter(|f| f.id == "smtp.via_failed").collect();
    assert_eq!(failed.len(), 2, "one per MX address: {:#?}", with.findings);
    assert_eq!(failed[0].severity, Severity::Warn);
    assert!(with.findings.iter().all(|f| f.id != "smtp.vantage_differs"), "nothing was seen there to compare");
    let ids = |report: &CheckReport| report.causes.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&with), ids(&without), "the causes are the same as without the second vantage point");
}

#[tokio::test]
async fn a_tlsa_mismatch_stops_our_mail_only_when_validated_and_our_mta_uses_dane() {
    // bank.example is signed (our resolver sets AD) and publishes TLSA that match no certificate.
    let variant = |signed: bool| {
        let mut variant = Variant::demo().dns_state(Dns::PtrOk).no_files().bank_mx("");
        for server in variant.0.smtp.iter_mut().filter(|s| [MX1, MX2].contains(&s.address.to_string().as_str())) {
            server.tls = true;
        }
        let zone = variant.0.zones.iter_mut().find(|z| z.origin == "bank.example").expect("the world has bank.example");
        let none = "00".repeat(32);
        zone.text.push_str(&format!("_25._tcp.mx1 300 IN TLSA 3 1 1 {none}\n_25._tcp.mx2 300 IN TLSA 3 1 1 {none}\n"));
        zone.signed = signed;
        variant
    };
    let mismatches = |report: &CheckReport| {
        report.findings.iter().filter(|f| f.id == "dane.mismatch").map(|f| f.severity).collect::<Vec<_>>()
    };
    let ids = |report: &CheckReport| report.causes.iter().map(|c| c.id.clone()).collect::<Vec<_>>();

    // Our Postfix defers with its own words, as admins have posted them (kernel-error.de).
    let mut deferring = variant(true);
    let entry = serde_json::json!({
        "queue_name": "deferred", "queue_id": "30E4E7461347", "arrival_time": 0, "message_size": 4000,
        "forced_expire": false, "sender": "billing@example.com",
        "recipients": [{"address": "alice@bank.example", "delay_reason": "Server certificate not verified"}],
    });
    let text = entry.to_string().replace("\"arrival_time\":0", "\"arrival_time\":{{unix-600}}");
    deferring.0.files = mailwiz::demo::world::World::from_toml(&format!(
        "[identity]\nip = \"203.0.113.5\"\nhelo = \"x\"\n[[files]]\nname = \"postqueue.jsonl\"\nrole = \"queue\"\ntext = {}\n",
        toml_string(&(text + "\n"))
    ))
    .expect("a valid file")
    .files;
    let stopped = deferring.check("bank.example", |c| c.smtp.dane = Some(true)).await;
    assert_eq!(mismatches(&stopped), [Severity::Fail, Severity::Fail], "{:#?}", stopped.findings);
    let cause = first(&stopped);
    assert_eq!(cause.id, "diagnosis.tls_problem");
    cites(cause, &["dane.mismatch", "queue.stuck_domain"]);
    assert!(!ids(&stopped).contains(&"diagnosis.deliverable".to_string()), "{:?}", ids(&stopped));

    // Our MTA does not use DANE: the receiver accepts us, and the mismatch stops other senders.
    let flows = variant(true).check("bank.example", |c| c.smtp.dane = Some(false)).await;
    assert_eq!(mismatches(&flows), [Severity::Warn, Severity::Warn]);
    assert_eq!(ids(&flows), ["diagnosis.deliverable"]);

    // Unsigned: no sender asking our resolver holds the receiver to those records.
    let unsigned = variant(false).check("bank.example", |c| c.smtp.dane = Some(true)).await;
    assert_eq!(mismatches(&unsigned), [Severity::Warn, Severity::Warn]);
    assert_eq!(ids(&unsigned), ["diagnosis.deliverable"]);
}

#[tokio::test]
async fn a_resolver_that_refuses_us_or_cannot_be_reached_is_our_dns() {
    // Nothing listens on this UDP port: the system answers "port unreachable".
    let closed = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let config = Config {
        timeout: 2.0,
        dns_servers: vec![closed.to_string()],
        ip: Some("203.0.113.5".parse().unwrap()),
        helo: Some("mail.example.com".into()),
        ..Config::default()
    };
    let report = check::run(&Context::new(config), &Target::parse("bank.example").unwrap(), &CheckOptions::default())
        .await
        .expect("the check runs");
    let cause = first(&report);
    assert_eq!(cause.id, "diagnosis.our_dns", "{:#?}", report.findings);
    assert!(report.findings.iter().all(|f| f.id != "ptr.missing" && f.id != "helo.mismatch"));
}

/// The `to` of the probe's accepted RCPT TO.
fn accepted_recipient(report: &CheckReport) -> Option<String> {
    report.findings.iter().find(|f| f.id == "smtp.rcpt_accepted").and_then(|f| f.arg("to")).map(str::to_string)
}

#[tokio::test]
async fn the_probe_asks_for_the_queued_recipient_and_says_when_it_had_only_postmaster() {
    // The demo queue holds a message to erin@good.example.
    let report = Variant::demo().check("good.example", |_| {}).await;
    assert_eq!(accepted_recipient(&report).as_deref(), Some("erin@good.example"));
    assert_eq!(first(&report).id, "diagnosis.deliverable");
    assert!(!first(&report).summary.contains("postmaster@"), "{}", first(&report).summary);

    // Without a queue nobody real is known: postmaster@, and the verdict says it rests on it.
    let report = Variant::demo().no_files().check("good.example", |c| c.to = None).await;
    assert_eq!(accepted_recipient(&report).as_deref(), Some("postmaster@good.example"));
    let verdict = first(&report);
    assert_eq!(verdict.id, "diagnosis.deliverable");
    assert!(verdict.summary.contains(mailwiz::session::vocabulary::POSTMASTER_ONLY), "{}", verdict.summary);
    let headline = mailwiz::diagnosis::headline(&report.causes, &report.findings, "good.example", &report.not_checked);
    assert!(headline.contains("accepts postmaster@ (not tried with a real recipient)"), "{headline}");
}

#[tokio::test]
async fn an_unread_refusal_is_the_cause_with_the_receivers_words() {
    let reply = "554 IP=203.0.113.5 - A problem occurred. (Ask your postmaster for help or to contact tosa@rx.t-online.de to clarify.)";
    let report = Variant::demo()
        .no_files()
        .dns_state(Dns::PtrOk)
        .reply_via(Via::Rcpt, reply)
        .check("alice@bank.example", |_| {})
        .await;
    let cause = first(&report);
    assert_eq!(cause.id, "diagnosis.unexplained_refusal");
    assert!(cause.summary.contains("RCPT TO"), "{}", cause.summary);
    assert!(cause.explanation.contains("A problem occurred"), "{}", cause.explanation);
    assert!(cause.actions.iter().any(|a| a.contains("--note")), "{:?}", cause.actions);
    // The exit code says failure, and the diagnosis is never empty with it.
    assert!(report.findings.iter().any(|f| f.severity == Severity::Fail));
}

#[tokio::test]
async fn a_size_refusal_at_mail_from_in_the_log_outweighs_an_accepting_probe() {
    // Exim's mainlog when the receiver refuses the SIZE our MTA announced at MAIL FROM (Exim's
    // spec, "SMTP error from remote mail server after MAIL FROM:<…> SIZE=…"); the probe, which
    // announces no size, is accepted.
    let when = (chrono::Utc::now() - chrono::Duration::minutes(10)).format("%Y-%m-%d %H:%M:%S");
    let line = format!(
        "{when} 1tAbCd-000123-AB == alice@bank.example R=dnslookup T=remote_smtp defer (-44) H=mx1.bank.example [192.0.2.10]: SMTP error from remote mail server after MAIL FROM:<billing@example.com> SIZE=52000000: 552 5.3.4 Message size exceeds fixed limit\n"
    );
    let text = format!(
        "[identity]\nip = \"203.0.113.5\"\nhelo = \"x\"\n[[files]]\nname = \"mainlog\"\nrole = \"log\"\ntext = {}\n",
        toml_string(&line)
    );
    let mut variant = Variant::demo().no_files().dns_state(Dns::PtrOk).bank_mx("");
    variant.0.files = mailwiz::demo::world::World::from_toml(&text).expect("a valid file").files;
    let report = variant.check("alice@bank.example", |_| {}).await;
    assert!(report.findings.iter().any(|f| f.id == "smtp.rcpt_accepted"), "the probe is accepted");
    assert_eq!(first(&report).id, "diagnosis.message_too_big");
    assert!(report.causes.iter().all(|c| c.id != "diagnosis.deliverable"));
    assert!(report.findings.iter().any(|f| f.severity == Severity::Fail), "exit 1");
}

/// A peer on `addr`'s route that writes `greeting` and closes.
async fn raw_peer(greeting: &'static [u8]) -> std::net::SocketAddr {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let _ = stream.write_all(greeting).await;
        }
    });
    addr
}

#[tokio::test]
async fn an_mx_that_does_not_speak_smtp_blames_nothing_of_ours() {
    let http = raw_peer(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n").await;
    let broken = raw_peer(b"220-mx2.bank.example ESMTP\r\n220-still greeting\r\n").await;
    let mut config = Config { timeout: 2.0, ..Config::default() };
    config.smtp.read_timeout = Some(2.0);
    // No queue or log: the only word from the receiver is what its MX hosts sent.
    let world = Variant::demo().no_files().0;
    let mut ctx = attach_world(Context::new(config), world).await.expect("the world starts");
    let routes = Arc::make_mut(&mut ctx.connect_map);
    routes.insert(MX1.parse().unwrap(), http);
    routes.insert(MX2.parse().unwrap(), broken);
    let target = Target::parse("bank.example").unwrap();
    let report = check::run(&ctx, &target, &CheckOptions::default()).await.expect("the check runs");
    let ids: Vec<&str> = report.findings.iter().map(|f| f.id.as_str()).collect();
    assert!(ids.contains(&"smtp.not_smtp") && ids.contains(&"smtp.protocol_error"), "{ids:?}");
    assert!(!ids.contains(&"smtp.ok"), "{ids:?}");
    let causes: Vec<&str> = report.causes.iter().map(|c| c.id.as_str()).collect();
    eprintln!("causes: {causes:?}");
    for ours in
        ["diagnosis.missing_ptr", "diagnosis.helo_mismatch", "diagnosis.fcrdns_mismatch", "diagnosis.blocklisted"]
    {
        assert!(!causes.contains(&ours), "{ours} is blamed for a peer that does not speak SMTP: {causes:?}");
    }
    assert!(!causes.contains(&"diagnosis.deliverable"), "{causes:?}");
}
