//! IPv4 and IPv6 as two paths: a variant of the demo world where we send from 203.0.113.5
//! (PTR mail.example.com) and `2001:db8::25` (no PTR), and dualstack.example's MX has an A and an
//! AAAA address, served on 127.0.0.1 and `::1`: IPv6 refused with Gmail's text, IPv4 accepted.

use std::sync::Arc;

use mailwiz::check::{self, CheckOptions, CheckReport};
use mailwiz::config::{Config, Family};
use mailwiz::context::Context;
use mailwiz::demo::attach_world;
use mailwiz::demo::smtp_server::ServerScript;
use mailwiz::demo::world::{SmtpServer, World, Zone};
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
    let mut config = Config { timeout: 2.0, ..Config::default() };
    config.smtp.connect_timeout = Some(1.0);
    let mut ctx = attach_world(Context::new(config), dual_stack_world()).await.expect("the world starts");
    adjust(Arc::make_mut(&mut ctx.config));
    let target = Target::parse("dualstack.example").unwrap();
    let options = CheckOptions { from: Some("billing@example.com".into()), ..CheckOptions::default() };
    tokio::time::timeout(std::time::Duration::from_secs(30), check::run(&ctx, &target, &options))
        .await
        .expect("the check ends")
        .expect("the check runs")
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
