//! Every outcome of the connection classification, against scripted servers on loopback.

use std::net::SocketAddr;
use std::time::Duration;

use crate::support::{ctx, journal_is_clean, request, within};
use mailwiz::demo::smtp_server::{self, BeforeBanner, ScriptedReply, ServerScript, Stage};
use mailwiz::smtp::connection::{self, ConnectOutcome};
use mailwiz::smtp::probe;

async fn outcome_of(script: ServerScript) -> (ConnectOutcome, connection::ConnectReport) {
    let server = smtp_server::start(script).await.unwrap();
    let ctx = ctx();
    let (report, _conn) = within(10, connection::open(&ctx, "mx.test", server.addr(), false)).await;
    journal_is_clean(&ctx);
    (report.outcome, report)
}

#[tokio::test]
async fn ok_with_times_and_banner() {
    let (outcome, report) = outcome_of(ServerScript::default()).await;
    assert_eq!(outcome, ConnectOutcome::Ok);
    assert_eq!(report.banner, vec!["220 mx.test ESMTP".to_string()]);
    assert!(report.connect_ms.is_some() && report.banner_ms.is_some());
    assert_eq!(report.finding().id, "smtp.ok");
}

#[tokio::test]
async fn refused_on_a_closed_port() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let ctx = ctx();
    let (report, conn) = within(10, connection::open(&ctx, "mx.test", addr, false)).await;
    assert_eq!(report.outcome, ConnectOutcome::Refused);
    assert!(conn.is_none());
    assert_eq!(report.finding().id, "smtp.refused");
}

#[tokio::test]
async fn timeout_when_the_accept_queue_is_full() {
    // A listener that never accepts, its queue filled: further SYNs are dropped, like a firewall.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut held = Vec::new();
    for _ in 0..16 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(stream) => held.push(stream),
            Err(_) => break,
        }
    }
    let mut ctx = ctx();
    std::sync::Arc::make_mut(&mut ctx.config).smtp.connect_timeout = Some(0.5);
    let (report, _) = within(10, connection::open(&ctx, "mx.test", addr, false)).await;
    assert_eq!(report.outcome, ConnectOutcome::Timeout, "{report:?}");
    assert!(report.finding().summary.contains("did not answer"));
    drop(listener);
}

#[tokio::test]
async fn a_silent_server_is_no_banner_not_a_firewall() {
    let (outcome, report) =
        outcome_of(ServerScript { before_banner: BeforeBanner::Silent, ..ServerScript::default() }).await;
    assert_eq!(outcome, ConnectOutcome::NoBanner);
    assert!(!report.finding().fix.contains("firewall drops"), "{}", report.finding().fix);
    assert!(report.error.unwrap().contains("no banner"));
    assert!(report.connect_ms.is_some());
}

#[tokio::test]
async fn unreachable_when_the_source_cannot_reach_the_family() {
    let mut ctx = ctx();
    std::sync::Arc::make_mut(&mut ctx.config).source = Some("127.0.0.1".parse().unwrap());
    let (report, _) = within(10, connection::open(&ctx, "mx.test", "[::1]:25".parse().unwrap(), false)).await;
    assert_eq!(report.outcome, ConnectOutcome::Unreachable);
    assert_eq!(report.finding().id, "smtp.unreachable");
}

#[tokio::test]
async fn source_address_is_used() {
    let server = smtp_server::start(ServerScript { ..ServerScript::default() }).await.unwrap();
    let mut ctx = ctx();
    std::sync::Arc::make_mut(&mut ctx.config).source = Some("127.0.0.2".parse().unwrap());
    let result = within(10, probe::probe(&ctx, "mx.test", server.addr(), &request(), None)).await;
    assert_eq!(result.connect.outcome, ConnectOutcome::Ok);
    assert_eq!(result.echoed_ip, Some("127.0.0.2".parse().unwrap()), "the server saw our source address");
}

#[tokio::test]
async fn closed_and_reset_before_banner() {
    let (outcome, _) = outcome_of(ServerScript { before_banner: BeforeBanner::Close, ..ServerScript::default() }).await;
    assert_eq!(outcome, ConnectOutcome::ClosedBeforeBanner);
    let (outcome, report) =
        outcome_of(ServerScript { before_banner: BeforeBanner::Reset, ..ServerScript::default() }).await;
    assert_eq!(outcome, ConnectOutcome::ResetBeforeBanner);
    assert_eq!(report.finding().id, "smtp.reset_before_banner");
}

#[tokio::test]
async fn banner_421_and_554() {
    let script = ServerScript {
        banner: Some(ScriptedReply::new(421, ["4.7.0 mx.test Try again later"])),
        ..ServerScript::default()
    };
    let (outcome, report) = outcome_of(script).await;
    assert_eq!(outcome, ConnectOutcome::Banner4xx);
    let finding = report.finding();
    assert_eq!(finding.id, "smtp.banner_4xx");
    assert_eq!(finding.evidence, vec!["421 4.7.0 mx.test Try again later".to_string()]);

    let script = ServerScript {
        banner: Some(ScriptedReply::new(554, ["5.7.1 mx.test Client host [192.0.2.1] blocked using zen.spamhaus.org"])),
        ..ServerScript::default()
    };
    let (outcome, report) = outcome_of(script).await;
    assert_eq!(outcome, ConnectOutcome::Banner5xx);
    let finding = report.finding();
    assert!(finding.summary.contains("554 5.7.1"));
    assert!(finding.fix.contains("delisting"), "the listing's fix, not the general advice: {}", finding.fix);
}

#[tokio::test]
async fn closed_after_banner_is_seen_by_the_probe() {
    let server =
        smtp_server::start(ServerScript { close_after: Some(Stage::Banner), ..ServerScript::default() }).await.unwrap();
    let ctx = ctx();
    let result = within(10, probe::probe(&ctx, "mx.test", server.addr(), &request(), None)).await;
    assert_eq!(result.connect.outcome, ConnectOutcome::ClosedAfterBanner);
    let ids: Vec<&str> = result.findings.iter().map(|f| f.id.as_str()).collect();
    assert!(ids.contains(&"smtp.closed_after_banner"), "{ids:?}");
    assert!(!ids.contains(&"smtp.ok"));
}

#[tokio::test]
async fn slow_banner_is_reported() {
    let server = smtp_server::start(ServerScript { banner_delay_ms: 400, ..ServerScript::default() }).await.unwrap();
    let mut ctx = ctx();
    std::sync::Arc::make_mut(&mut ctx.config).smtp.slow_banner_ms = 100;
    let result = within(10, probe::probe(&ctx, "mx.test", server.addr(), &request(), None)).await;
    assert_eq!(result.connect.outcome, ConnectOutcome::Ok);
    assert!(result.connect.banner_ms.unwrap() >= 400);
    assert!(result.findings.iter().any(|f| f.id == "smtp.slow_banner"));
}

#[tokio::test]
async fn ipv6_is_its_own_attempt() {
    let Ok(server) = smtp_server::start_on("[::1]:0".parse().unwrap(), ServerScript::default()).await else {
        assert!(std::env::var_os("CI").is_none(), "IPv6 loopback is missing under CI");
        eprintln!("skipped: no IPv6 loopback");
        return;
    };
    let ctx = ctx();
    let (report, _) = within(10, connection::open(&ctx, "mx.test", server.addr(), false)).await;
    assert_eq!(report.outcome, ConnectOutcome::Ok);
    assert!(report.addr.is_ipv6());
}

#[tokio::test]
async fn the_connect_map_routes_public_addresses() {
    let server = smtp_server::start(ServerScript::default()).await.unwrap();
    let public: SocketAddr = "192.0.2.10:25".parse().unwrap();
    let mut ctx = ctx();
    let mut map = mailwiz::context::ConnectMap::default();
    map.insert(public, server.addr());
    ctx.connect_map = std::sync::Arc::new(map);
    let (report, _) = within(10, connection::open(&ctx, "mx.test", public, false)).await;
    assert_eq!(report.outcome, ConnectOutcome::Ok);
    assert_eq!(report.addr, public);
    assert_eq!(report.routed_to, Some(server.addr()));
}

/// An empty network namespace has no route at all: the kernel answers "network unreachable".
#[cfg(target_os = "linux")]
#[test]
fn unreachable_in_an_empty_network_namespace() {
    let available = std::process::Command::new("unshare").args(["-rn", "true"]).status().is_ok_and(|s| s.success());
    if !available {
        assert!(std::env::var_os("CI").is_none(), "unshare -rn is needed under CI");
        eprintln!("skipped: cannot create a network namespace");
        return;
    }
    let output = std::process::Command::new("unshare")
        .args([
            "-rn",
            env!("CARGO_BIN_EXE_mailwiz"),
            "smtp",
            "127.0.0.1:25",
            "--ehlo",
            "x.example",
            "--json",
            "--timeout",
            "2",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|_| panic!("not JSON: {stdout}"));
    assert_eq!(json["attempts"][0]["connect"]["outcome"], "unreachable", "{json}");
    assert_eq!(output.status.code(), Some(1));
}

/// With loopback up and no other route, an IPv6 address is "not possible from here": the probe
/// says so as unknown (`smtp.no_route`, exit 3), never as a failure of the receiver.
#[cfg(target_os = "linux")]
#[test]
fn no_ipv6_route_is_not_possible_from_here() {
    let available = std::process::Command::new("unshare")
        .args(["-rn", "ip", "link", "set", "lo", "up"])
        .status()
        .is_ok_and(|s| s.success());
    if !available {
        assert!(std::env::var_os("CI").is_none(), "unshare -rn and ip are needed under CI");
        eprintln!("skipped: cannot create a network namespace");
        return;
    }
    let script = format!(
        "ip link set lo up && exec {} smtp '[2001:db8::60]:25' --ehlo x.example --json --timeout 2",
        env!("CARGO_BIN_EXE_mailwiz")
    );
    let output = std::process::Command::new("unshare").args(["-rn", "sh", "-c", &script]).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|_| panic!("not JSON: {stdout}"));
    let connect = &json["attempts"][0]["connect"];
    assert_eq!(connect["no_route"], true, "{json}");
    let ids: Vec<&str> = json["findings"].as_array().unwrap().iter().filter_map(|f| f["id"].as_str()).collect();
    assert_eq!(ids, ["smtp.no_route"], "{json}");
    assert_eq!(output.status.code(), Some(3), "{json}");
}
