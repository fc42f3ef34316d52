//! `mailwiz mx` against the in-process DNS server: one zone per situation the MX analysis must
//! recognise, checked through the binary's JSON (finding ids, mx entries, implicit, `null_mx`) and
//! through the engine where the binary cannot show it.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use mailwiz::config::Config;
use mailwiz::context::Context;
use mailwiz::demo::dns_server::DnsServer;
use mailwiz::dns::Resolver;
use mailwiz::dns::mx::analyse;
use mailwiz::session::{EventKind, Target};
use serde_json::Value;

const ZONES: &[(&str, &str)] = &[
    (
        "two.example",
        "@ 300 IN MX 20 mx2\n@ 300 IN MX 10 mx1\nmx1 600 IN A 192.0.2.11\nmx1 600 IN AAAA 2001:db8::11\n\
         mx2 600 IN A 192.0.2.12\nmx2 600 IN AAAA 2001:db8::12\n",
    ),
    ("implicit.example", "@ 300 IN A 192.0.2.30\n@ 300 IN TXT \"no mx here\"\n"),
    ("null.example", "@ 300 IN MX 0 .\n"),
    ("cname.example", "@ 300 IN MX 10 alias\nalias 300 IN CNAME real\nreal 300 IN A 192.0.2.50\n"),
    ("literal.example", "@ 300 IN MX 10 192.0.2.40.\n"),
    ("noaddr.example", "@ 300 IN MX 10 mx\n@ 300 IN MX 20 gone\nmx 300 IN TXT \"an mx without address\"\n"),
    ("v6only.example", "@ 300 IN MX 10 mx\nmx 300 IN AAAA 2001:db8::60\n"),
    ("xn--bcher-kva.example", "@ 300 IN MX 10 mail\nmail 300 IN A 192.0.2.70\n"),
    ("broken.example", "@ 300 IN MX 10 mx\n"),
];

async fn server() -> DnsServer {
    let mut builder = DnsServer::builder().servfail("broken.example");
    for (origin, text) in ZONES {
        builder = builder.zone(origin, text);
    }
    builder.start().await.unwrap()
}

struct Run {
    code: i32,
    json: Value,
    stderr: String,
}

async fn mailwiz_mx(server: &str, args: &[&str]) -> Run {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_mailwiz"))
        .args(["mx", "--dns-server", server, "--timeout", "1", "--json"])
        .args(args)
        .env_remove("MAILWIZ_CONFIG")
        .env("XDG_CONFIG_HOME", "/nonexistent-mailwiz-test")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let json = if stdout.trim().is_empty() {
        Value::Null
    } else {
        assert_eq!(stdout.trim().lines().count(), 1, "exactly one JSON object: {stdout}");
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
    };
    Run { code: output.status.code().unwrap(), json, stderr }
}

fn ids(json: &Value) -> Vec<String> {
    json["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_string()).collect()
}

fn exchanges(json: &Value) -> Vec<(u64, String)> {
    json["mx"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["preference"].as_u64().unwrap(), m["exchange"].as_str().unwrap().to_string()))
        .collect()
}

fn problems(json: &Value, index: usize) -> Vec<String> {
    json["mx"][index]["problems"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn two_mx_with_ipv4_and_ipv6_sorted_by_preference() {
    let dns = server().await;
    let run = mailwiz_mx(&dns.addr().to_string(), &["two.example"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json["command"], "mx");
    assert_eq!(run.json["target"], "two.example");
    assert_eq!(exchanges(&run.json), vec![(10, "mx1.two.example".into()), (20, "mx2.two.example".into())]);
    assert_eq!(run.json["mx"][0]["addresses"], serde_json::json!(["192.0.2.11", "2001:db8::11"]));
    assert_eq!(run.json["mx"][1]["addresses"], serde_json::json!(["192.0.2.12", "2001:db8::12"]));
    assert!(problems(&run.json, 0).is_empty());
    assert_eq!(run.json["implicit"], false);
    assert_eq!(run.json["null_mx"], false);
    assert_eq!(ids(&run.json), vec!["mx.ok"]);
    let evidence = run.json["findings"][0]["evidence"].to_string();
    assert!(evidence.contains("mail exchanger = 10 mx1.two.example"), "{evidence}");
}

#[tokio::test]
async fn no_mx_falls_back_to_the_domain_address() {
    let dns = server().await;
    let run = mailwiz_mx(&dns.addr().to_string(), &["implicit.example"]).await;
    assert_eq!(run.code, 0, "a warning only: {}", run.stderr);
    assert_eq!(run.json["implicit"], true);
    assert_eq!(exchanges(&run.json), vec![(0, "implicit.example".into())]);
    assert_eq!(run.json["mx"][0]["addresses"], serde_json::json!(["192.0.2.30"]));
    assert_eq!(ids(&run.json), vec!["mx.implicit"]);
}

#[tokio::test]
async fn null_mx_means_no_mail() {
    let dns = server().await;
    let run = mailwiz_mx(&dns.addr().to_string(), &["null.example"]).await;
    assert_eq!(run.code, 1);
    assert_eq!(run.json["null_mx"], true);
    assert_eq!(run.json["implicit"], false);
    assert!(run.json["mx"].as_array().unwrap().is_empty());
    assert_eq!(ids(&run.json), vec!["mx.null"]);
}

#[tokio::test]
async fn an_exchanger_that_is_a_cname() {
    let dns = server().await;
    let run = mailwiz_mx(&dns.addr().to_string(), &["cname.example"]).await;
    assert_eq!(ids(&run.json), vec!["mx.cname"]);
    assert_eq!(problems(&run.json, 0), vec!["cname"]);
    assert_eq!(run.json["mx"][0]["addresses"], serde_json::json!(["192.0.2.50"]));
    assert_eq!(run.json["mx"][0]["canonical"], "real.cname.example");
    assert_eq!(run.code, 0, "a CNAME exchanger is a warning");
}

#[tokio::test]
async fn an_exchanger_that_is_an_ip_literal() {
    let dns = server().await;
    let run = mailwiz_mx(&dns.addr().to_string(), &["literal.example"]).await;
    assert_eq!(run.code, 1);
    assert_eq!(exchanges(&run.json), vec![(10, "192.0.2.40".into())]);
    assert!(problems(&run.json, 0).contains(&"ip_literal".to_string()));
    assert_eq!(ids(&run.json), vec!["mx.ip_literal"]);
}

#[tokio::test]
async fn exchangers_without_address() {
    let dns = server().await;
    let run = mailwiz_mx(&dns.addr().to_string(), &["noaddr.example"]).await;
    assert_eq!(run.code, 1);
    assert_eq!(problems(&run.json, 0), vec!["no_address"]);
    assert_eq!(problems(&run.json, 1), vec!["nxdomain"]);
    assert!(run.json["mx"][0]["addresses"].as_array().unwrap().is_empty());
    assert_eq!(ids(&run.json), vec!["mx.unresolvable", "mx.unresolvable"]);
    assert!(run.json["findings"][1]["summary"].as_str().unwrap().contains("gone.noaddr.example"));
}

#[tokio::test]
async fn no_exchanger_with_ipv4() {
    let dns = server().await;
    let run = mailwiz_mx(&dns.addr().to_string(), &["v6only.example"]).await;
    assert_eq!(ids(&run.json), vec!["mx.no_ipv4"]);
    assert_eq!(run.json["mx"][0]["addresses"], serde_json::json!(["2001:db8::60"]));
}

#[tokio::test]
async fn a_domain_that_does_not_exist() {
    let dns = server().await;
    let run = mailwiz_mx(&dns.addr().to_string(), &["nosuch.two.example"]).await;
    assert_eq!(run.code, 1);
    assert_eq!(ids(&run.json), vec!["dns.nxdomain"]);
    assert!(run.json["mx"].as_array().unwrap().is_empty());
    assert!(run.json["findings"][0]["evidence"][0].as_str().unwrap().contains("NXDOMAIN"));
}

#[tokio::test]
async fn a_server_failure_for_the_domain() {
    let dns = server().await;
    let run = mailwiz_mx(&dns.addr().to_string(), &["broken.example"]).await;
    assert_eq!(run.code, 1);
    assert_eq!(ids(&run.json), vec!["dns.servfail"]);
}

#[tokio::test]
async fn a_server_that_never_answers_ends_at_the_deadline() {
    let silent = DnsServer::builder().silent().start().await.unwrap();
    let started = Instant::now();
    let run = mailwiz_mx(&silent.addr().to_string(), &["two.example"]).await;
    // --timeout 1 bounds the query with both its tries; no answer means "could not run".
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    assert_eq!(run.code, 3);
    assert_eq!(ids(&run.json), vec!["dns.timeout"]);
    let summary = run.json["findings"][0]["summary"].as_str().unwrap();
    assert!(summary.contains("two.example") && summary.contains("within 1 s (2 tries)"), "{summary}");
    assert!(run.json["findings"][0]["fix"].as_str().unwrap().contains(&silent.addr().to_string()));
    assert!(silent.queries() >= 1);
}

#[tokio::test]
async fn a_refusing_resolver_is_not_a_server_failure() {
    let dns = DnsServer::builder().refuse("two.example").start().await.unwrap();
    let run = mailwiz_mx(&dns.addr().to_string(), &["two.example"]).await;
    assert_eq!(ids(&run.json), vec!["dns.refused"]);
    assert_eq!(run.code, 3, "no answer came");
}

#[tokio::test]
async fn a_port_where_nothing_listens_is_not_a_timeout() {
    // Bind and drop a socket: nothing listens on the port it had.
    let port = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let run = mailwiz_mx(&format!("127.0.0.1:{port}"), &["two.example"]).await;
    assert_eq!(ids(&run.json), vec!["dns.unreachable"]);
    assert!(run.json["findings"][0]["summary"].as_str().unwrap().contains("port unreachable"));
    assert_eq!(run.code, 3);
}

#[tokio::test]
async fn an_idn_domain_is_shown_both_ways() {
    let dns = server().await;
    let run = mailwiz_mx(&dns.addr().to_string(), &["Bücher.example"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json["target"], "xn--bcher-kva.example");
    assert_eq!(run.json["display"], "bücher.example");
    assert_eq!(exchanges(&run.json), vec![(10, "mail.xn--bcher-kva.example".into())]);
    assert_eq!(run.json["mx"][0]["display"], "mail.bücher.example");
    assert_eq!(ids(&run.json), vec!["mx.ok"]);
    let summary = run.json["findings"][0]["summary"].as_str().unwrap();
    assert!(summary.contains("bücher.example (xn--bcher-kva.example)"), "{summary}");
}

#[tokio::test]
async fn a_second_resolver_that_disagrees() {
    let ours = server().await;
    let stale = DnsServer::builder()
        .zone("two.example", "@ 300 IN MX 10 mx1\nmx1 300 IN A 198.51.100.11\n")
        .start()
        .await
        .unwrap();
    let agreeing = server().await;
    let run = mailwiz_mx(&ours.addr().to_string(), &["two.example", "--compare-with", &stale.addr().to_string()]).await;
    let found = ids(&run.json);
    assert!(found.contains(&"mx.ok".to_string()), "{found:?}");
    let disagreements: Vec<&Value> =
        run.json["findings"].as_array().unwrap().iter().filter(|f| f["id"] == "dns.resolver_disagree").collect();
    // The MX set differs, and so do mx1's addresses; mx2, which the other does not know, is not
    // compared.
    assert_eq!(disagreements.len(), 2, "{:?}", run.json["findings"]);
    let first = disagreements[0]["summary"].as_str().unwrap();
    assert!(first.contains("two.example: 10 mx1.two.example, 20 mx2.two.example"), "{first}");
    assert!(first.contains(&format!("vs 10 mx1.two.example (from {})", stale.addr())), "{first}");
    assert!(disagreements[1]["summary"].as_str().unwrap().contains("mx1.two.example: 192.0.2.11, 2001:db8::11"));
    let same =
        mailwiz_mx(&ours.addr().to_string(), &["two.example", "--compare-with", &agreeing.addr().to_string()]).await;
    assert_eq!(ids(&same.json), vec!["mx.ok"]);
}

#[tokio::test]
async fn bad_input_is_one_sentence_and_exit_2() {
    let dns = server().await;
    let long = "a".repeat(300);
    for bad in ["bank..example", long.as_str(), "bank example", "-bank.example"] {
        let run = mailwiz_mx(&dns.addr().to_string(), &["--", bad]).await;
        assert_eq!(run.code, 2, "{bad}: {}", run.stderr);
        assert_eq!(run.json, Value::Null, "nothing on stdout for {bad}");
        let message = run.stderr.trim();
        assert_eq!(message.lines().count(), 1, "{message}");
        assert!(message.starts_with("mailwiz: ") && !message.contains("panicked"), "{message}");
    }
    let run = mailwiz_mx(&dns.addr().to_string(), &["two.example", "--compare-with", "dns.example"]).await;
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--compare-with"), "{}", run.stderr);
    assert_eq!(dns.queries(), 0, "bad input never reaches the network");
}

#[tokio::test]
async fn the_engine_reports_every_query_and_journals_everything() {
    let dns =
        DnsServer::builder().zone("two.example", ZONES[0].1).delay(Duration::from_millis(100)).start().await.unwrap();
    let ctx = Context::new(Config { dns_servers: vec![dns.addr().to_string()], ..Config::default() });
    let resolver = Resolver::from_context(&ctx).unwrap();
    let target = Target::parse("two.example").unwrap();
    let analysis = analyse(&ctx, &resolver, &target, None).await;
    assert_eq!(analysis.replies.len(), 5, "MX, then A and AAAA of two exchangers");
    assert!(analysis.replies.iter().all(|r| r.elapsed >= Duration::from_millis(100)));
    let targets = analysis.targets();
    assert_eq!(targets[0].addresses, vec!["192.0.2.11".parse::<IpAddr>().unwrap(), "2001:db8::11".parse().unwrap()]);
    let events = ctx.journal.events();
    assert_eq!(events.iter().filter(|e| e.kind == EventKind::DnsQuery).count(), 5);
    assert_eq!(events.iter().filter(|e| e.kind == EventKind::DnsAnswer).count(), 5);
    assert_eq!(events.iter().filter(|e| e.kind == EventKind::Finding).count(), 1);
}
