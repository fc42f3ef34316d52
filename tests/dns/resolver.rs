//! The resolver against the in-process DNS server: every outcome a query can have.

use std::net::IpAddr;
use std::time::Duration;

use mailwiz::config::Config;
use mailwiz::context::Context;
use mailwiz::demo::dns_server::DnsServer;
use mailwiz::dns::resolver::{DnsOutcome, Limits, QueryType, RecordData, Resolver};
use mailwiz::session::{EventKind, Journal};

const ZONE: &str = "\
@        300 IN MX 10 mx1
@        300 IN MX 20 mx2
@        300 IN TXT \"v=spf1 mx -all\"
mx1      600 IN A 192.0.2.10
mx1      600 IN AAAA 2001:db8::10
mx2      600 IN A 192.0.2.20
";

const REVERSE: &str = "10 3600 IN PTR mx1.bank.example.\n";

fn limits(ms: u64) -> Limits {
    Limits { timeout: Duration::from_millis(ms), attempts: 1 }
}

async fn server() -> DnsServer {
    DnsServer::builder()
        .zone("bank.example", ZONE)
        .zone("2.0.192.in-addr.arpa", REVERSE)
        .servfail("broken.bank.example")
        .refuse("private.bank.example")
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn answers_carry_records_ttls_server_and_time() {
    let server = server().await;
    let journal = Journal::in_memory();
    let resolver = Resolver::with_servers(&[server.addr()], limits(2000), journal.clone());
    let reply = resolver.lookup_mx("Bank.Example.").await.unwrap();
    assert_eq!(reply.server, server.addr());
    assert_eq!(reply.name, "Bank.Example");
    let mut mx = reply.mx_records();
    mx.sort();
    assert_eq!(mx, vec![(10, "mx1.bank.example".to_string()), (20, "mx2.bank.example".to_string())]);
    assert!(reply.records().iter().all(|a| a.ttl == 300));

    let (v4, v6) = resolver.lookup_ip("mx1.bank.example").await.unwrap();
    assert_eq!(v4.addresses(), vec!["192.0.2.10".parse::<IpAddr>().unwrap()]);
    assert_eq!(v6.addresses(), vec!["2001:db8::10".parse::<IpAddr>().unwrap()]);
    assert_eq!(v4.records()[0].ttl, 600);

    let txt = resolver.lookup_txt("bank.example").await.unwrap();
    assert_eq!(txt.txt_strings(), vec!["v=spf1 mx -all".to_string()]);

    let events = journal.events();
    let queries = events.iter().filter(|e| e.kind == EventKind::DnsQuery).count();
    let answers = events.iter().filter(|e| e.kind == EventKind::DnsAnswer).count();
    assert_eq!((queries, answers), (4, 4));
    assert!(events.iter().any(|e| e.kind == EventKind::DnsAnswer && e.data["outcome"]["status"] == "records"));
}

#[tokio::test]
async fn reverse_lookup_of_a_documentation_address() {
    let server = server().await;
    let resolver = Resolver::with_servers(&[server.addr()], limits(2000), Journal::in_memory());
    let reply = resolver.lookup_ptr("192.0.2.10".parse().unwrap()).await;
    assert_eq!(reply.name, "10.2.0.192.in-addr.arpa");
    assert_eq!(reply.ptr_names(), vec!["mx1.bank.example".to_string()]);
    let missing = resolver.lookup_ptr("192.0.2.99".parse().unwrap()).await;
    assert_eq!(missing.outcome, DnsOutcome::NxDomain);
}

#[tokio::test]
async fn nxdomain_nodata_servfail_and_refused_are_told_apart() {
    let server = server().await;
    let resolver = Resolver::with_servers(&[server.addr()], limits(2000), Journal::in_memory());
    let nx = resolver.query("nope.bank.example", QueryType::A).await.unwrap();
    assert_eq!(nx.outcome, DnsOutcome::NxDomain);
    let nodata = resolver.query("mx2.bank.example", QueryType::Aaaa).await.unwrap();
    assert_eq!(nodata.outcome, DnsOutcome::NoData);
    let servfail = resolver.query("broken.bank.example", QueryType::Mx).await.unwrap();
    assert_eq!(servfail.outcome, DnsOutcome::ServFail);
    let refused = resolver.query("elsewhere.example", QueryType::Mx).await.unwrap();
    assert_eq!(refused.outcome, DnsOutcome::Refused, "not authoritative for it");
    let refused = resolver.query("x.private.bank.example", QueryType::A).await.unwrap();
    assert_eq!(refused.outcome, DnsOutcome::Refused, "names below a refused name are refused too");
}

#[tokio::test]
async fn a_silent_server_ends_at_the_deadline() {
    let silent = DnsServer::builder().silent().start().await.unwrap();
    let resolver = Resolver::with_servers(&[silent.addr()], limits(300), Journal::in_memory());
    let started = std::time::Instant::now();
    let reply = resolver.query("bank.example", QueryType::Mx).await.unwrap();
    assert_eq!(reply.outcome, DnsOutcome::Timeout);
    assert_eq!(reply.server, silent.addr());
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    assert!(silent.queries() >= 1);
}

#[tokio::test]
async fn the_next_server_is_asked_when_the_first_fails() {
    let silent = DnsServer::builder().silent().start().await.unwrap();
    let good = server().await;
    let resolver = Resolver::with_servers(&[silent.addr(), good.addr()], limits(300), Journal::in_memory());
    let reply = resolver.query("mx2.bank.example", QueryType::A).await.unwrap();
    assert_eq!(reply.server, good.addr());
    assert_eq!(reply.records()[0].data, RecordData::A("192.0.2.20".parse().unwrap()));
}

#[tokio::test]
async fn silent_servers_share_the_deadline_instead_of_each_taking_it_whole() {
    let (first, second) =
        (DnsServer::builder().silent().start().await.unwrap(), DnsServer::builder().silent().start().await.unwrap());
    let resolver = Resolver::with_servers(&[first.addr(), second.addr()], limits(1000), Journal::in_memory());
    let started = std::time::Instant::now();
    let reply = resolver.query("mx1.bank.example", QueryType::A).await.unwrap();
    let took = started.elapsed();
    assert!(matches!(reply.outcome, DnsOutcome::Timeout), "{:?}", reply.outcome);
    assert!(first.queries() >= 1 && second.queries() >= 1, "both servers are asked");
    // Each has half of the second; before, each took the whole second (2 s in all).
    assert!(took < Duration::from_millis(1600), "took {took:?}");
}

#[tokio::test]
async fn whether_the_resolver_vouches_for_an_answer_is_its_ad_bit() {
    let signed = DnsServer::builder().zone("bank.example", ZONE).validated("bank.example").start().await.unwrap();
    let unsigned = server().await;
    let silent = DnsServer::builder().silent().start().await.unwrap();
    let journal = Journal::in_memory();
    let ask = |addr| Resolver::with_servers(&[addr], limits(500), journal.clone());
    assert_eq!(ask(signed.addr()).authenticated("mx1.bank.example", QueryType::A).await, Ok((signed.addr(), true)));
    assert_eq!(
        ask(unsigned.addr()).authenticated("mx1.bank.example", QueryType::A).await,
        Ok((unsigned.addr(), false))
    );
    let why = ask(silent.addr()).authenticated("mx1.bank.example", QueryType::A).await.unwrap_err();
    assert!(why.contains("no reply") && why.contains("within"), "{why}");
    let lines: Vec<String> = journal.events().iter().map(|e| e.text.clone()).collect();
    assert!(lines.iter().any(|l| l.contains("(authentic data asked)")), "{lines:#?}");
    assert!(lines.iter().any(|l| l.contains("AD set: the resolver validated the answer")), "{lines:#?}");
}

#[tokio::test]
async fn no_cache_every_query_reaches_the_server() {
    let server = server().await;
    let resolver = Resolver::with_servers(&[server.addr()], limits(2000), Journal::in_memory());
    for _ in 0..3 {
        resolver.query("mx1.bank.example", QueryType::A).await.unwrap();
    }
    assert_eq!(server.queries(), 3);
}

#[tokio::test]
async fn built_from_the_context_uses_dns_servers_and_its_journal() {
    let server = server().await;
    let config = Config { dns_servers: vec![server.addr().to_string()], timeout: 1.5, ..Config::default() };
    let ctx = Context::new(config);
    let resolver = Resolver::from_context(&ctx).unwrap();
    assert_eq!(resolver.servers(), vec![server.addr()]);
    // The timeout bounds the query with its two tries: each try gets half.
    assert_eq!(resolver.limits().timeout, Duration::from_millis(750));
    assert_eq!(resolver.limits().attempts, 2);
    resolver.lookup_mx("bank.example").await.unwrap();
    assert!(ctx.journal.events().iter().any(|e| e.kind == EventKind::DnsQuery));
}

#[tokio::test]
async fn a_delayed_server_answers_late() {
    let slow = DnsServer::builder().zone("bank.example", ZONE).delay(Duration::from_millis(120)).start().await.unwrap();
    let resolver = Resolver::with_servers(&[slow.addr()], limits(2000), Journal::in_memory());
    let reply = resolver.lookup_mx("bank.example").await.unwrap();
    assert_eq!(reply.mx_records().len(), 2);
    assert!(reply.elapsed >= Duration::from_millis(120));
}

/// Every datagram a resolver sends its server, as (length, bytes), read until `deadline`.
async fn datagrams_sent(server: &tokio::net::UdpSocket, deadline: Duration) -> Vec<Vec<u8>> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    while let Ok(Ok((n, _))) = tokio::time::timeout(deadline, server.recv_from(&mut buf)).await {
        seen.push(buf[..n].to_vec());
    }
    seen
}

#[tokio::test]
async fn only_whole_queries_reach_the_server_never_empty_datagrams() {
    // A server that reads and never answers: the refusal watch sends its copy too.
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let resolver = Resolver::with_servers(&[socket.local_addr().unwrap()], limits(1200), Journal::in_memory());
    let (reply, seen) = tokio::join!(
        resolver.query("example.com", QueryType::Txt),
        datagrams_sent(&socket, Duration::from_millis(1500))
    );
    assert_eq!(reply.unwrap().outcome, DnsOutcome::Timeout);
    assert!(seen.len() >= 2, "the query and the watch's copy: {seen:?}");
    for datagram in &seen {
        let message = hickory_proto::op::Message::from_vec(datagram).expect("every datagram is a DNS message");
        assert_eq!(message.queries[0].name().to_ascii(), "example.com.");
    }
}

#[tokio::test]
async fn a_server_that_answered_is_asked_each_question_once() {
    let dns = server().await;
    let resolver = Resolver::with_servers(&[dns.addr()], limits(800), Journal::in_memory());
    resolver.query("bank.example", QueryType::Mx).await.unwrap();
    let before = dns.queries();
    resolver.query("bank.example", QueryType::Mx).await.unwrap();
    assert_eq!(dns.queries() - before, 1, "no second copy once the server has answered");
}
