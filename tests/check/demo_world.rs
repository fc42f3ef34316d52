//! The demo world tells its story over real sockets: DNS from the in-process server, SMTP from
//! the scripted servers behind the connect map, and the queue and log files on disk.

use std::net::SocketAddr;
use std::time::Duration;

use mailwiz::config::Config;
use mailwiz::context::Context;
use mailwiz::demo::{self, World};
use mailwiz::dns::resolver::{DnsOutcome, QueryType, Resolver};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn demo_ctx() -> Context {
    demo::attach(Context::new(Config::default())).await.expect("the demo world starts")
}

/// Everything a server sends until it closes (or 5 s pass), after optionally writing `send`.
async fn talk(ctx: &Context, public: &str, send: &[u8]) -> (Vec<u8>, bool) {
    let addr: SocketAddr = public.parse().unwrap();
    let routed = ctx.connect_map.route(addr);
    assert!(routed.ip().is_loopback(), "{public} must be served on loopback, not {routed}");
    let mut stream = TcpStream::connect(routed).await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    if !send.is_empty() {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await.unwrap().unwrap();
        got.extend_from_slice(&buf[..n]);
        stream.write_all(send).await.unwrap();
    }
    let mut closed = false;
    while let Ok(read) = tokio::time::timeout(Duration::from_millis(800), stream.read(&mut buf)).await {
        match read {
            Ok(0) | Err(_) => {
                closed = true;
                break;
            }
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    (got, closed)
}

#[tokio::test]
async fn context_points_at_the_world() {
    let ctx = demo_ctx().await;
    assert!(ctx.demo);
    assert!(!ctx.public_lookups_allowed());
    let config = &ctx.config;
    assert_eq!(config.ip.unwrap().to_string(), "203.0.113.5");
    assert_eq!(config.helo.as_deref(), Some("mta1.internal.example.com"));
    assert_eq!(config.to.as_deref(), Some("alice@bank.example"));
    let servers = config.dns_server_addrs().unwrap();
    assert_eq!(servers.len(), 1);
    assert!(servers[0].ip().is_loopback());
    let myip = config.identity.myip.as_ref().unwrap();
    assert!(myip.iter().all(|q| q.server == servers[0].to_string()), "what-is-my-IP stays in the world");
    assert!(!config.identity.ask_mta);

    let queue = std::fs::read_to_string(config.queue.file.as_ref().unwrap()).unwrap();
    assert_eq!(queue.lines().count(), 5);
    assert!(!queue.contains("{{"), "times are filled in");
    let first: serde_json::Value = serde_json::from_str(queue.lines().next().unwrap()).unwrap();
    let age = chrono::Utc::now().timestamp() - first["arrival_time"].as_i64().unwrap();
    assert!((15_000..16_500).contains(&age), "the oldest bank.example message is about 4 h old: {age}");
    assert_eq!(config.logs.paths.len(), 1);
    let log = std::fs::read_to_string(&config.logs.paths[0]).unwrap();
    assert!(log.lines().filter(|l| l.contains("bank.example") && l.contains("status=deferred")).count() >= 5);
    assert!(ctx.journal.events()[0].text.starts_with("demo world: DNS on 127.0.0.1:"));
}

#[tokio::test]
async fn dns_tells_the_story() {
    let ctx = demo_ctx().await;
    let dns = Resolver::from_context(&ctx).unwrap();
    let mx = dns.lookup_mx("bank.example").await.unwrap();
    assert_eq!(mx.mx_records(), vec![(10, "mx1.bank.example".to_string()), (20, "mx2.bank.example".to_string())]);
    let (a, _) = dns.lookup_ip("mx1.bank.example").await.unwrap();
    assert_eq!(a.addresses(), vec!["192.0.2.10".parse::<std::net::IpAddr>().unwrap()]);

    // No PTR for our address; the HELO name resolves to nothing; the fix's name does.
    let ptr = dns.lookup_ptr("203.0.113.5".parse().unwrap()).await;
    assert_eq!(ptr.outcome, DnsOutcome::NxDomain);
    let (helo, _) = dns.lookup_ip("mta1.internal.example.com").await.unwrap();
    assert_eq!(helo.outcome, DnsOutcome::NxDomain);
    let (mail, _) = dns.lookup_ip("mail.example.com").await.unwrap();
    assert_eq!(mail.addresses(), vec!["203.0.113.5".parse::<std::net::IpAddr>().unwrap()]);

    // Listed on one block list, with a reason; the other bundled lists answer "not listed".
    let listed = dns.query("5.113.0.203.zen.spamhaus.org", QueryType::A).await.unwrap();
    assert_eq!(listed.addresses(), vec!["127.0.0.2".parse::<std::net::IpAddr>().unwrap()]);
    let reason = dns.lookup_txt("5.113.0.203.zen.spamhaus.org").await.unwrap();
    assert!(reason.txt_strings()[0].contains("203.0.113.5"));
    let clean = dns.query("5.113.0.203.bl.spamcop.net", QueryType::A).await.unwrap();
    assert_eq!(clean.outcome, DnsOutcome::NxDomain);

    let myip = dns.query("myip.opendns.com", QueryType::A).await.unwrap();
    assert_eq!(myip.addresses(), vec!["203.0.113.5".parse::<std::net::IpAddr>().unwrap()]);
    let broken = dns.lookup_mx("old-partner.example").await.unwrap();
    assert_eq!(broken.outcome, DnsOutcome::ServFail);
}

#[tokio::test]
async fn smtp_servers_behave_as_told() {
    let ctx = demo_ctx().await;
    let (mx1, closed) = talk(&ctx, "192.0.2.10:25", b"").await;
    assert_eq!(mx1, b"421 4.0.0 Server error\r\n");
    assert!(closed, "mx1 hangs up after its 421");

    let (mx2, closed) = talk(&ctx, "192.0.2.20:25", b"").await;
    assert!(mx2.is_empty() && closed, "mx2 drops the connection before any banner");

    let (good, _) = talk(&ctx, "198.51.100.25:25", b"EHLO mail.example.com\r\n").await;
    let text = String::from_utf8(good).unwrap();
    assert!(text.starts_with("220 mx.good.example ESMTP ready\r\n"), "{text}");
    assert!(text.contains("[203.0.113.5]"), "EHLO echoes our public address: {text}");
    assert!(text.contains("250-STARTTLS\r\n") || text.contains("250 STARTTLS\r\n"), "{text}");
}

#[tokio::test]
async fn variants_of_the_world_are_data() {
    let text = demo::world::BUNDLED.replace("banner = \"421 4.0.0 Server error\"", "banner = \"554 5.7.1 No thanks\"");
    let world = World::from_toml(&text).unwrap();
    let ctx = demo::attach_world(Context::new(Config::default()), world).await.unwrap();
    let (mx1, _) = talk(&ctx, "192.0.2.10:25", b"").await;
    assert_eq!(mx1, b"554 5.7.1 No thanks\r\n");
    assert!(World::from_toml("[identity]\nip = \"not an ip\"\nhelo = \"h\"\n").is_err());
}

#[tokio::test]
async fn every_bundled_block_list_passes_its_self_test_in_the_demo() {
    let ctx = demo_ctx().await;
    let resolver = Resolver::from_context(&ctx).unwrap();
    let zones = mailwiz::dns::dnsbl_zones::ZoneList::bundled().zones;
    let tests = mailwiz::dns::dnsbl::self_test(&resolver, &zones, Duration::from_secs(10)).await;
    assert_eq!(tests.len(), zones.len());
    let broken: Vec<_> = tests.iter().filter_map(|t| t.problem.as_ref().map(|p| format!("{}: {p}", t.zone))).collect();
    assert!(broken.is_empty(), "{broken:#?}");
    // The demo's listing of our address stays as the world says.
    let report = mailwiz::dns::dnsbl::check(
        &resolver,
        &mailwiz::dns::dnsbl::Subject::parse("203.0.113.5").unwrap(),
        &zones,
        Duration::from_secs(10),
        mailwiz::dns::dnsbl::Exposure::Documentation,
    )
    .await;
    let listed: Vec<&str> = report.listed().iter().map(|r| r.zone.as_str()).collect();
    assert_eq!(listed, ["zen.spamhaus.org"]);
}
