//! IPv4 and IPv6 as two paths: a variant of the demo world where we send from 203.0.113.5
//! (PTR mail.example.com) and `2001:db8::25` (no PTR), and dualstack.example's MX has an A and an
//! AAAA address, served on 127.0.0.1 and `::1`: IPv6 refused with Gmail's text, IPv4 accepted.

use std::sync::Arc;

use mailwiz::check::{self, CheckOptions, CheckReport};
use mailwiz::config::{Config, Family};
use mailwiz::context::Context;
use mailwiz::demo::attach_world;
use mailwiz::demo::smtp_server::ServerScript;
use mailwiz::demo::world::{File, FileRole, SmtpServer, World, Zone};
use mailwiz::dns::dnsbl::ZoneStatus;
use mailwiz::session::Target;

const GMAIL_IPV6: &str = r#"hostname = "mx.dualstack.example"
client_ip = "2001:db8::25"
[rcpt]
code = 550
lines = [
  "5.7.1 [2001:db8::25] Our system has detected that this message does not meet IPv6",
  "5.7.1 sending guidelines regarding PTR records and authentication. Please review",
  "5.7.1  https://support.google.com/mail/?p=IPv6AuthError for more information. - gsmtp",
]
"#;

fn zone(world: &mut World, origin: &str, text: &str) {
    world.zones.retain(|z| z.origin != origin);
    world.zones.push(Zone { origin: origin.into(), text: text.into(), signed: false });
}

fn dual_stack_world() -> World {
    let mut world = World::bundled();
    world.identity.ip6 = Some("2001:db8::25".parse().unwrap());
    world.identity.to = Some("alice@dualstack.example".into());
    zone(&mut world, "dualstack.example", "@ 300 IN MX 10 mx\nmx 300 IN A 192.0.2.60\nmx 300 IN AAAA 2001:db8::60\n");
    zone(&mut world, "113.0.203.in-addr.arpa", "5 300 IN PTR mail.example.com.\n");
    // Our IPv6 address has no PTR; the receiver's has one (ip6.arpa nibbles).
    zone(
        &mut world,
        "8.b.d.0.1.0.0.2.ip6.arpa",
        "0.6.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 300 IN PTR mx.dualstack.example.\n",
    );
    // zen lists our IPv6 address by its nibbles; the other zones are served empty.
    zone(
        &mut world,
        "zen.spamhaus.org",
        "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2 300 IN A 127.0.0.3\n2.0.0.127 300 IN A 127.0.0.2\n",
    );
    let accept = ServerScript {
        hostname: "mx.dualstack.example".into(),
        client_ip: Some("203.0.113.5".parse().unwrap()),
        ..ServerScript::default()
    };
    world.smtp.push(SmtpServer { address: "192.0.2.60:25".parse().unwrap(), tls: false, script: accept });
    let refuse = ServerScript::from_toml(GMAIL_IPV6).expect("valid script");
    world.smtp.push(SmtpServer { address: "[2001:db8::60]:25".parse().unwrap(), tls: false, script: refuse });
    world
}

async fn check(adjust: impl FnOnce(&mut Config)) -> CheckReport {
    check_world(dual_stack_world(), adjust).await
}

fn ids(report: &CheckReport) -> Vec<&str> {
    report.findings.iter().map(|f| f.id.as_str()).collect()
}

#[tokio::test]
async fn ipv6_refused_with_gmails_text_while_ipv4_is_accepted() {
    let report = check(|_| {}).await;
    let families: Vec<bool> = report.smtp.iter().map(|p| p.connect.addr.is_ipv6()).collect();
    assert_eq!(families, [false, true], "both families probed");
    assert!(
        report.smtp[1].connect.routed_to.unwrap().ip().is_loopback()
            && report.smtp[1].connect.routed_to.unwrap().is_ipv6()
    );
    let differs = report.findings.iter().find(|f| f.id == "smtp.family_differs").expect("smtp.family_differs");
    assert_eq!(differs.arg("failing"), Some("IPv6"));
    assert_eq!(differs.arg("our_ipv6"), Some("2001:db8::25"));
    let cause = report.causes.first().unwrap_or_else(|| panic!("no cause: {:?}", ids(&report)));
    assert_eq!(cause.id, "diagnosis.ipv6_refused", "{:?}", report.causes.iter().map(|c| &c.id).collect::<Vec<_>>());
    let actions = cause.actions.join("\n");
    assert!(actions.contains("PTR") && actions.contains("2001:db8::25"), "{actions}");
    assert!(actions.contains("ip6:2001:db8::25"), "{actions}");
    assert!(actions.contains("smtp_address_preference = ipv4"), "{actions}");
    assert!(actions.contains("dns_ipv4_lookup = dualstack.example"), "{actions}");
    assert!(report.causes.iter().all(|c| c.id != "diagnosis.deliverable" && c.id != "diagnosis.missing_ptr"));
    // The RCPT refusal's fix follows Gmail's words (our PTR), as the diagnosis does, not the
    // advice for a reply that names no reason.
    let refused = report.findings.iter().find(|f| f.id == "smtp.rcpt_rejected").expect("smtp.rcpt_rejected");
    assert!(refused.fix.contains("PTR") && !refused.fix.contains("recipient address"), "{}", refused.fix);
}

#[tokio::test]
async fn identity_spf_and_block_lists_are_judged_per_family() {
    let report = check(|_| {}).await;
    let v4: std::net::IpAddr = "203.0.113.5".parse().unwrap();
    let v6: std::net::IpAddr = "2001:db8::25".parse().unwrap();
    assert_eq!(report.identity.chosen, [v4, v6]);
    let ptr = |ip| {
        report.findings.iter().find(|f| f.id.starts_with("ptr.") && f.arg("ip") == Some(ip)).map(|f| f.id.as_str())
    };
    assert_eq!(ptr("203.0.113.5"), Some("ptr.ok"));
    assert_eq!(ptr("2001:db8::25"), Some("ptr.missing"));
    // SPF covers 203.0.113.0/28 and the demo host's own IPv6 address, not 2001:db8::25: that
    // address fails and gets its ip6: term.
    let auth = report.auth.as_ref().expect("SPF was judged");
    assert_eq!(auth.spf.as_ref().unwrap().result.as_str(), "pass");
    let spf6 = auth.spf_ipv6.as_ref().expect("SPF for the IPv6 address");
    assert_eq!(spf6.result.as_str(), "fail");
    assert_eq!(spf6.mechanism_to_add.as_deref(), Some("ip6:2001:db8::25"));
    assert!(spf6.proposed_record.as_deref().unwrap().contains("ip6:2001:db8::25"));
    // zen lists the IPv6 address by nibbles; lists without IPv6 are said to be skipped.
    let lists6 = report.blocklists_ipv6.as_ref().expect("lists asked about the IPv6 address");
    let zen = lists6.results.iter().find(|r| r.zone == "zen.spamhaus.org").unwrap();
    assert!(matches!(zen.status, ZoneStatus::Listed { .. }), "{zen:?}");
    assert!(zen.query.starts_with("5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2."));
    let not_ipv6 = report.findings.iter().find(|f| f.id == "dnsbl.not_ipv6").expect("dnsbl.not_ipv6");
    assert_eq!(not_ipv6.arg("ip"), Some("2001:db8::25"));
    for zone in not_ipv6.arg("zones").unwrap().split(", ") {
        let result = lists6.results.iter().find(|r| r.zone == zone).unwrap();
        assert!(matches!(result.status, ZoneStatus::Skipped { .. }), "{zone} was not asked");
    }
    assert!(report.findings.iter().all(|f| !(f.id == "dnsbl.clean" && f.arg("ip") == Some("2001:db8::25"))));
    assert!(report.blocklists.as_ref().unwrap().listed().is_empty(), "the IPv4 address is not listed");
}

#[tokio::test]
async fn dash_4_probes_only_ipv4_and_dash_6_only_ipv6() {
    let report = check(|config| config.family = Some(Family::V4)).await;
    assert!(!report.smtp.is_empty() && report.smtp.iter().all(|p| p.connect.addr.is_ipv4()));
    assert!(!ids(&report).contains(&"smtp.family_differs"));
    let report = check(|config| config.family = Some(Family::V6)).await;
    assert!(!report.smtp.is_empty() && report.smtp.iter().all(|p| p.connect.addr.is_ipv6()));
}

#[tokio::test]
async fn the_address_limit_counts_each_family_apart() {
    let report = check(|config| config.smtp.mx_address_limit = 1).await;
    let families: Vec<bool> = report.smtp.iter().map(|p| p.connect.addr.is_ipv6()).collect();
    assert_eq!(families, [false, true]);
}

/// Postfix's `reject_rbl_client` reply as postconf(5) builds it (`default_rbl_reply`:
/// `$rbl_code Service unavailable; $rbl_class [$rbl_what] blocked using $rbl_domain${rbl_reason?; $rbl_reason}`),
/// for our IPv4 address on zen.spamhaus.org.
const SPAMHAUS_BY_POSTFIX: &str = r#"hostname = "mx.dualstack.example"
[banner]
code = 554
lines = ["5.7.1 Service unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org; https://check.spamhaus.org/results/?query=203.0.113.5"]
"#;

/// The reverse of the dual-stack world: our IPv4 address is listed on zen and refused at the
/// greeting, while our IPv6 address, with a forward-confirmed PTR and no listing, is accepted.
fn ipv4_refused_world() -> World {
    let mut world = dual_stack_world();
    zone(
        &mut world,
        "zen.spamhaus.org",
        "5.113.0.203 300 IN A 127.0.0.2\n5.113.0.203 300 IN TXT \"Listed by SBL, see https://check.spamhaus.org/results/?query=203.0.113.5\"\n2.0.0.127 300 IN A 127.0.0.2\n",
    );
    world.smtp.retain(|s| !s.address.ip().to_string().starts_with("192.0.2.60") && !s.address.is_ipv6());
    zone(
        &mut world,
        "8.b.d.0.1.0.0.2.ip6.arpa",
        "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 300 IN PTR mail.example.com.\n",
    );
    let example = world.zones.iter_mut().find(|z| z.origin == "example.com").unwrap();
    example.text.push_str("mail 300 IN AAAA 2001:db8::25\n");
    let refuse = ServerScript::from_toml(SPAMHAUS_BY_POSTFIX).expect("valid script");
    world.smtp.push(SmtpServer { address: "192.0.2.60:25".parse().unwrap(), tls: false, script: refuse });
    let accept = ServerScript {
        hostname: "mx.dualstack.example".into(),
        client_ip: Some("2001:db8::25".parse().unwrap()),
        ..ServerScript::default()
    };
    world.smtp.push(SmtpServer { address: "[2001:db8::60]:25".parse().unwrap(), tls: false, script: accept });
    world
}

async fn check_world(world: World, adjust: impl FnOnce(&mut Config)) -> CheckReport {
    let mut config = Config { timeout: 2.0, ..Config::default() };
    config.smtp.connect_timeout = Some(1.0);
    let mut ctx = attach_world(Context::new(config), world).await.expect("the world starts");
    adjust(Arc::make_mut(&mut ctx.config));
    let target = Target::parse("dualstack.example").unwrap();
    let options = CheckOptions { from: Some("billing@example.com".into()), ..CheckOptions::default() };
    tokio::time::timeout(std::time::Duration::from_secs(30), check::run(&ctx, &target, &options))
        .await
        .expect("the check ends")
        .expect("the check runs")
}

fn cause_ids(report: &CheckReport) -> Vec<&str> {
    report.causes.iter().map(|c| c.id.as_str()).collect()
}

#[tokio::test]
async fn ipv4_refused_while_ipv6_is_accepted_says_which_path_and_why() {
    let report = check_world(ipv4_refused_world(), |_| {}).await;
    let differs = report.findings.iter().find(|f| f.id == "smtp.family_differs").expect("smtp.family_differs");
    assert_eq!(differs.arg("failing"), Some("IPv4"));
    assert!(ids(&report).contains(&"ptr.ok"), "{:?}", ids(&report));
    let cause = report.causes.first().unwrap_or_else(|| panic!("no cause: {:?}", ids(&report)));
    assert_eq!(cause.id, "diagnosis.ipv4_refused", "{:?}", cause_ids(&report));
    // Which path, and why, from the IPv4 identity: the listing of 203.0.113.5.
    assert!(cause.summary.contains("refuses us over IPv4 and accepts us over IPv6"), "{}", cause.summary);
    assert!(
        cause.explanation.contains("our IPv4 address 203.0.113.5: 203.0.113.5 is listed on zen.spamhaus.org"),
        "{}",
        cause.explanation
    );
    let actions = cause.actions.join("\n");
    assert!(
        actions.contains("request delisting at https://check.spamhaus.org/results/?query=203.0.113.5"),
        "{actions}"
    );
    assert!(actions.contains("smtp_address_preference = ipv6"), "{actions}");
    assert!(actions.contains("ignore_target_hosts = 0.0.0.0/0"), "{actions}");
    let refused = report.findings.iter().find(|f| f.id == "smtp.banner_5xx").expect("smtp.banner_5xx");
    assert!(refused.fix.contains("delisting"), "a listing's fix, not the general advice: {}", refused.fix);
    let ids = cause_ids(&report);
    assert!(!ids.contains(&"diagnosis.ipv6_refused") && !ids.contains(&"diagnosis.deliverable"), "{ids:?}");
    // Our IPv6 defects (SPF without ip6:, the HELO name) are no cause: they are to fix, on the
    // path the receiver accepts in spite of them.
    let ipv6: Vec<_> = report.also_fix.iter().filter(|a| a.summary.contains("2001:db8::25")).collect();
    assert!(
        !ipv6.is_empty() && ipv6.iter().all(|a| a.why.starts_with("The receiver accepts us over IPv6 in spite of it"))
    );
}

/// Our MTA's log of mail to dualstack.example, as Postfix writes it (the shape of the log in
/// dbpilot.net's "Our system has detected that this message does not meet IPv6 sending
/// guidelines" post, 2018, with Gmail's words as quoted on the NANOG list, 2014-01-15): three
/// bounces over IPv6, then a delivery over IPv4. Times are relative to now.
const MAILLOG: &str = "\
{{rfc3339-7200}} mail postfix/smtp[3001]: 1A2B3C4D5E: to=<alice@dualstack.example>, relay=mx.dualstack.example[2001:db8::60]:25, delay=1.2, delays=0.01/0/0.6/0.6, dsn=5.7.1, status=bounced (host mx.dualstack.example[2001:db8::60] said: 550-5.7.1 [2001:db8::25] Our system has detected that this 550-5.7.1 message does not meet IPv6 sending guidelines regarding PTR records and 550-5.7.1 authentication. Please review 550-5.7.1  https://support.google.com/mail/?p=IPv6AuthError for more 550 5.7.1 information. - gsmtp (in reply to end of DATA command))
{{rfc3339-5400}} mail postfix/smtp[3002]: 2B3C4D5E6F: to=<bob@dualstack.example>, relay=mx.dualstack.example[2001:db8::60]:25, delay=0.9, delays=0.01/0/0.4/0.5, dsn=5.7.1, status=bounced (host mx.dualstack.example[2001:db8::60] said: 550-5.7.1 [2001:db8::25] Our system has detected that this 550-5.7.1 message does not meet IPv6 sending guidelines regarding PTR records and 550-5.7.1 authentication. Please review 550-5.7.1  https://support.google.com/mail/?p=IPv6AuthError for more 550 5.7.1 information. - gsmtp (in reply to end of DATA command))
{{rfc3339-3600}} mail postfix/smtp[3003]: 3C4D5E6F7A: to=<carol@dualstack.example>, relay=mx.dualstack.example[2001:db8::60]:25, delay=1.0, delays=0.01/0/0.5/0.5, dsn=5.7.1, status=bounced (host mx.dualstack.example[2001:db8::60] said: 550-5.7.1 [2001:db8::25] Our system has detected that this 550-5.7.1 message does not meet IPv6 sending guidelines regarding PTR records and 550-5.7.1 authentication. Please review 550-5.7.1  https://support.google.com/mail/?p=IPv6AuthError for more 550 5.7.1 information. - gsmtp (in reply to end of DATA command))
{{rfc3339-600}} mail postfix/smtp[3004]: 4D5E6F7A8B: to=<dave@dualstack.example>, relay=mx.dualstack.example[192.0.2.60]:25, delay=0.7, delays=0.01/0/0.3/0.4, dsn=2.0.0, status=sent (250 2.0.0 OK - gsmtp)
";

/// The dual-stack world with our MTA's log of that receiver.
fn world_with_log() -> World {
    let mut world = dual_stack_world();
    world.files.retain(|f| f.role != FileRole::Log);
    world.files.push(File { name: "maillog".into(), role: FileRole::Log, text: MAILLOG.into() });
    world
}

#[tokio::test]
async fn the_mtas_log_splits_by_family_and_the_cause_cites_it() {
    let report = check_world(world_with_log(), |_| {}).await;
    let logs = report.logs.as_ref().expect("the log was read");
    let families: Vec<(String, u64, u64, u64)> =
        logs.families.iter().map(|f| (f.family.label().to_string(), f.outcomes, f.delivered, f.failed)).collect();
    assert_eq!(families, [("IPv4".to_string(), 1, 1, 0), ("IPv6".to_string(), 3, 0, 3)]);
    let split = report.findings.iter().find(|f| f.id == "log.family_differs").expect("log.family_differs");
    assert_eq!(split.arg("family"), Some("IPv6"));
    assert!(split.summary.contains("over IPv4 delivered 1 of 1; over IPv6 3 of 3 failed"), "{}", split.summary);
    let reply = report.findings.iter().find(|f| f.id == "log.reply_code").unwrap();
    assert_eq!(reply.arg("family"), Some("IPv6"));
    // The probe saw both paths; the cause also cites what our MTA logged over IPv6.
    let cause = &report.causes[0];
    assert_eq!(cause.id, "diagnosis.ipv6_refused", "{:?}", cause_ids(&report));
    assert!(cause.finding_ids.iter().any(|id| id == "smtp.family_differs"), "{:?}", cause.finding_ids);
    assert!(cause.finding_ids.iter().any(|id| id == "log.family_differs"), "{:?}", cause.finding_ids);
}

#[tokio::test]
async fn with_dash_4_the_log_alone_tells_the_ipv6_path_is_refused() {
    // The probe goes over IPv4 only and is accepted: without the log this reads "deliverable".
    let report = check_world(world_with_log(), |config| config.family = Some(Family::V4)).await;
    assert!(report.smtp.iter().all(|p| p.connect.addr.is_ipv4()));
    assert!(!ids(&report).contains(&"smtp.family_differs"));
    let cause = report.causes.first().unwrap_or_else(|| panic!("no cause: {:?}", ids(&report)));
    assert_eq!(cause.id, "diagnosis.ipv6_refused", "{:?}", cause_ids(&report));
    assert!(
        cause.explanation.starts_with("Our MTA's log shows dualstack.example refusing us over IPv6"),
        "{}",
        cause.explanation
    );
    assert!(
        cause.explanation.contains("our IPv6 address 2001:db8::25: 2001:db8::25 has no PTR record"),
        "{}",
        cause.explanation
    );
    assert!(cause.finding_ids.iter().any(|id| id == "log.family_differs"), "{:?}", cause.finding_ids);
    let actions = cause.actions.join("\n");
    assert!(
        actions.contains("smtp_address_preference = ipv4") && actions.contains("dns_ipv4_lookup = dualstack.example")
    );
    assert!(cause_ids(&report).iter().all(|id| *id != "diagnosis.deliverable"));

    // Without the log, the same probe says mail flows (to postmaster@, over IPv4).
    let report = check_world(dual_stack_world(), |config| config.family = Some(Family::V4)).await;
    assert_eq!(cause_ids(&report), ["diagnosis.deliverable"]);
}
