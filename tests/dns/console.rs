//! The nslookup-style console language: `mailwiz dns` reading commands from a pipe, and the
//! one-shot `mailwiz dns [TYPE] NAME`, against the in-process DNS server.

use std::process::Stdio;

use mailwiz::config::Config;
use mailwiz::context::Context;
use mailwiz::demo::dns_server::DnsServer;
use mailwiz::dns::console::{Console, ConsoleAction, LineKind};
use serde_json::Value;
use tokio::io::AsyncWriteExt;

const ZONE: &str = "\
@     300 IN MX 10 mx1
@     300 IN TXT \"v=spf1 mx -all\"
mx1   600 IN A 192.0.2.11
mx1   600 IN AAAA 2001:db8::11
www   120 IN CNAME mx1
";

async fn server() -> DnsServer {
    DnsServer::builder()
        .zone("bank.example", ZONE)
        .zone("2.0.192.in-addr.arpa", "11 3600 IN PTR mx1.bank.example.\n")
        .zone("xn--bcher-kva.example", "@ 300 IN MX 5 mail\n")
        .servfail("broken.bank.example")
        .start()
        .await
        .unwrap()
}

async fn mailwiz(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_mailwiz"))
        .args(args)
        .env("XDG_CONFIG_HOME", "/nonexistent-mailwiz-test")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    let output = child.wait_with_output().await.unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[tokio::test]
async fn a_piped_session_runs_every_command_and_survives_bad_ones() {
    let dns = server().await;
    let silent = DnsServer::builder().silent().start().await.unwrap();
    let script = format!(
        "set type=mx\n\
         bank.example\n\
         set type=mxx\n\
         bank..example\n\
         frobnicate the zone\n\
         set port=abc\n\
         set type=a\n\
         mx1.bank.example\n\
         aaaa mx1.bank.example\n\
         mx2.bank.example\n\
         set type=aaaa\n\
         www.bank.example\n\
         txt bank.example\n\
         192.0.2.11\n\
         broken.bank.example\n\
         bücher.example mx\n\
         mx bücher.example\n\
         server\n\
         server {silent}\n\
         set timeout=0.3\n\
         bank.example\n\
         server 127.0.0.1\n\
         set port={port}\n\
         set\n\
         mx bank.example\n\
         help\n\
         exit\n\
         bank.example\n",
        silent = silent.addr(),
        port = dns.addr().port(),
    );
    let (code, out, err) = mailwiz(&["dns", "--dns-server", &dns.addr().to_string(), "--timeout", "2"], &script).await;
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("> "), "no prompt in a pipe:\n{out}");
    let expect = |needle: &str| assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    expect("type is now MX");
    expect("Question: bank.example MX");
    expect(&format!("Server:   {}", dns.addr()));
    expect("bank.example  ttl=300  mail exchanger = 10 mx1.bank.example");
    expect("1 answer(s) in ");
    // Bad commands: one line each, and the session goes on.
    expect("error: \"mxx\" is not a record type");
    expect("error: \"bank..example\" has an empty label");
    expect("error: \"frobnicate the zone\" is not a command or a name to look up; type help");
    expect("error: \"abc\" is not a port");
    expect("mx1.bank.example  ttl=600  address 192.0.2.11");
    expect("mx1.bank.example  ttl=600  address 2001:db8::11");
    expect("** mx2.bank.example: NXDOMAIN, no such name\nanswered in ");
    expect("www.bank.example  ttl=120  canonical name = mx1.bank.example");
    expect("text = \"v=spf1 mx -all\"");
    expect("Question: 192.0.2.11 (11.2.0.192.in-addr.arpa) PTR");
    expect("11.2.0.192.in-addr.arpa  ttl=3600  name = mx1.bank.example");
    expect("** broken.bank.example: SERVFAIL, the server failed to answer");
    // "NAME SERVER" is nslookup's form; "mx" is not a server, so this line is an error...
    expect("error: \"bücher.example mx\" is not a command or a name to look up");
    // ...while "TYPE NAME" works, and the IDN is shown both ways.
    expect("Question: bücher.example (xn--bcher-kva.example) MX");
    expect("mail exchanger = 5 mail.xn--bcher-kva.example");
    expect(&format!("Server: {} (the default resolver); timeout 2 s, 2 tries per query", dns.addr()));
    expect(&format!("server is now {}", silent.addr()));
    expect("timeout is now 0.3 s per try");
    expect(&format!(";; no answer from {} (timeout)\ngave up after ", silent.addr()));
    expect(&format!("port is now {}", dns.addr().port()));
    expect(&format!("server={}", dns.addr()));
    expect("set timeout=S        wait S seconds per try");
    // Nothing runs after exit.
    assert_eq!(out.matches("Question: bank.example ").count(), 4, "{out}");
    assert!(silent.queries() >= 1);
}

#[tokio::test]
async fn one_query_prints_like_nslookup_and_as_json() {
    let dns = server().await;
    let server = dns.addr().to_string();
    let (code, out, err) = mailwiz(&["dns", "mx", "bank.example", "--dns-server", &server], "").await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("mail exchanger = 10 mx1.bank.example"), "{out}");

    let (code, out, _) = mailwiz(&["dns", "AAAA", "mx1.bank.example", "--dns-server", &server, "--json"], "").await;
    assert_eq!(code, 0);
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["command"], "dns");
    assert_eq!(json["target"], "mx1.bank.example");
    assert_eq!(json["question"]["type"], "AAAA");
    assert_eq!(json["status"], "NOERROR");
    assert_eq!(json["server"], server);
    assert_eq!(json["answers"][0]["ttl"], 600);
    assert_eq!(json["answers"][0]["data"]["aaaa"], "2001:db8::11");
    assert_eq!(json["findings"], serde_json::json!([]));

    let (code, out, _) = mailwiz(&["dns", "nosuch.bank.example", "--dns-server", &server, "--json"], "").await;
    assert_eq!(code, 1, "NXDOMAIN is a failure");
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["status"], "NXDOMAIN");
    assert_eq!(json["findings"][0]["id"], "dns.nxdomain");

    let (code, out, _) = mailwiz(&["dns", "198.51.100.1", "--dns-server", &server, "--json"], "").await;
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["question"]["type"], "PTR");
    assert_eq!(json["question"]["name"], "1.100.51.198.in-addr.arpa");
    assert_eq!(json["status"], "REFUSED", "the test server is not authoritative for it");
    assert_eq!(json["findings"][0]["id"], "dns.refused");
    assert_eq!(code, 3, "no answer came");
}

#[tokio::test]
async fn bad_one_shot_queries_exit_2_with_one_sentence() {
    let dns = server().await;
    let server = dns.addr().to_string();
    for words in [vec!["mxx", "bank.example"], vec!["bank..example"], vec!["mx", "bank example"]] {
        let mut args = vec!["dns"];
        args.extend(&words);
        args.extend(["--dns-server", &server]);
        let (code, out, err) = mailwiz(&args, "").await;
        assert_eq!(code, 2, "{words:?}: {out} {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    let (code, _, err) = mailwiz(&["dns", "--json", "--dns-server", &server], "bank.example\n").await;
    assert_eq!(code, 2);
    assert!(err.contains("--json needs a NAME"), "{err}");
    assert_eq!(dns.queries(), 0);
}

#[tokio::test]
async fn the_console_language_drives_lookups_in_process() {
    let dns = server().await;
    let ctx = Context::new(Config { dns_servers: vec![dns.addr().to_string()], ..Config::default() });
    let mut console = Console::default();
    let ConsoleAction::Print(lines) = console.submit("set type=txt") else { panic!("a setting prints") };
    assert_eq!(lines[0].kind, LineKind::Info);
    let ConsoleAction::Run(lookup) = console.submit("bank.example") else { panic!("a name runs a lookup") };
    let lines = lookup.run(&ctx).await;
    assert!(lines.iter().any(|l| l.kind == LineKind::Answer && l.text.contains("v=spf1 mx -all")), "{lines:?}");
    let ConsoleAction::Run(lookup) = console.submit("nothing.bank.example") else { panic!("a name runs a lookup") };
    let lines = lookup.run(&ctx).await;
    assert!(lines.iter().any(|l| l.kind == LineKind::Problem && l.text.contains("NXDOMAIN")), "{lines:?}");
}
