//! A peer that does not speak SMTP (HTTP, TLS bytes, SSH, garbage) is `smtp.not_smtp`; one that
//! breaks it (continuation lines without a last line, lines with another code, a reply with no
//! code after the banner) is `smtp.protocol_error`: failures about the receiver, never `ok`.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::{ctx, request, within};
use mailwiz::smtp::connection::{self, ConnectOutcome};
use mailwiz::smtp::probe;

/// A server that writes `greeting`, then answers every line it reads with `reply` (or closes
/// when `reply` is empty).
async fn server(greeting: &'static [u8], reply: &'static [u8]) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream, greeting, reply));
        }
    });
    addr
}

async fn serve(mut s: TcpStream, greeting: &'static [u8], reply: &'static [u8]) {
    if s.write_all(greeting).await.is_err() || reply.is_empty() {
        return;
    }
    let mut buf = [0u8; 1024];
    while s.read(&mut buf).await.is_ok_and(|n| n > 0) {
        if s.write_all(reply).await.is_err() {
            return;
        }
    }
}

/// `mailwiz smtp ADDR` running the probe with `--json`: exit code, outcome and finding ids.
async fn cli_probe(addr: SocketAddr) -> (i32, String, Vec<String>) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_mailwiz"))
        .args(["smtp", &addr.to_string(), "--ehlo", "mail.example.com", "--timeout", "3", "--json"])
        .args(["--from", "a@example.com", "--to", "b@bank.example"])
        .env_remove("MAILWIZ_TIMEOUT")
        .env("XDG_CONFIG_HOME", "/nonexistent-mailwiz-test")
        .kill_on_drop(true)
        .output();
    let output = within(30, output).await.unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let outcome = json["attempts"][0]["connect"]["outcome"].as_str().unwrap().to_string();
    let ids = json["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_string()).collect();
    (output.status.code().unwrap(), outcome, ids)
}

#[tokio::test]
async fn greetings_that_are_not_smtp() {
    let cases: [(&'static [u8], &str); 5] = [
        (
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            "a web server answered (HTTP/1.1 400 Bad Request)",
        ),
        (b"<html><body>Bad request</body></html>\n", "a web server answered"),
        (b"\x16\x03\x01\x00\x2a\x02\x00", "TLS bytes came instead of a banner"),
        (b"SSH-2.0-OpenSSH_9.6\r\n", "an SSH server answered (SSH-2.0-OpenSSH_9.6)"),
        (b"hello there\r\n", "its first line is not an SMTP reply: hello there"),
    ];
    for (greeting, said) in cases {
        let addr = server(greeting, b"").await;
        let ctx = ctx();
        let (report, conn) = within(10, connection::open(&ctx, "mx.test", addr, false)).await;
        assert_eq!(report.outcome, ConnectOutcome::NotSmtp, "{greeting:?}");
        assert!(conn.is_none());
        let finding = report.finding();
        assert_eq!(finding.id, "smtp.not_smtp");
        assert!(finding.summary.contains(said), "{}", finding.summary);
        let (code, outcome, ids) = cli_probe(addr).await;
        assert_eq!((code, outcome.as_str()), (1, "not_smtp"), "{greeting:?}");
        assert!(!ids.iter().any(|id| id == "smtp.ok"), "{ids:?}");
    }
}

#[tokio::test]
async fn greetings_that_break_smtp() {
    // Continuation lines, then the connection ends: no last line.
    let addr = server(b"220-mx.test ESMTP\r\n220-second line\r\n", b"").await;
    let (report, _) = within(10, connection::open(&ctx(), "mx.test", addr, false)).await;
    assert_eq!(report.outcome, ConnectOutcome::ProtocolError);
    assert!(report.error.as_deref().unwrap().contains("2 continuation line(s) of a 220 reply"), "{report:?}");
    assert_eq!(cli_probe(addr).await.0, 1, "a broken greeting is a failure, not exit 0");
    // A last line with another code.
    let addr = server(b"220-mx.test ESMTP\r\n250 ok\r\n", b"").await;
    let (report, _) = within(10, connection::open(&ctx(), "mx.test", addr, false)).await;
    assert_eq!(report.outcome, ConnectOutcome::ProtocolError);
    assert!(report.error.as_deref().unwrap().contains("a line of a 220 reply does not start with 220: 250 ok"));
}

#[tokio::test]
async fn a_reply_without_a_code_after_the_banner_stops_the_probe() {
    let addr = server(b"220 mx.test ESMTP\r\n", b"HTTP/1.1 400 Bad Request\r\n").await;
    let result = within(15, probe::probe(&ctx(), "mx.test", addr, &request(), None)).await;
    assert_eq!(result.connect.outcome, ConnectOutcome::Ok);
    let ids: Vec<&str> = result.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["smtp.protocol_error", "smtp.ok"], "the greeting was fine: {:#?}", result.findings);
    assert!(
        result.findings[0]
            .summary
            .contains("broke the SMTP protocol: a web server answered (HTTP/1.1 400 Bad Request)")
    );
    let stages: Vec<&str> = result.stages.iter().map(|s| s.stage.as_str()).collect();
    assert_eq!(stages, ["ehlo"], "nothing is sent after a reply SMTP does not allow");
    let (code, _, ids) = cli_probe(addr).await;
    assert_eq!(code, 1);
    assert!(ids.contains(&"smtp.protocol_error".to_string()), "{ids:?}");
}
