//! Hostile servers: nothing they send may hang, crash, grow memory without bound, or put a raw
//! control byte on the screen or in the transcript.

use crate::support;

use std::net::SocketAddr;
use std::time::Duration;

use mailwiz::smtp::connection::{self, ConnectOutcome};
use mailwiz::smtp::probe::{self, ProbeRequest};
use mailwiz::smtp::reply::{MAX_LINE, MAX_LINES};
use mailwiz::smtp::session::ConsoleEvent;
use support::{converse, ctx, journal_is_clean, request, within};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A raw server running `behaviour` on every connection.
async fn raw_server<F, Fut>(behaviour: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(behaviour(stream));
        }
    });
    addr
}

/// Sends bytes without a line end until the client goes away.
async fn endless_line(mut s: TcpStream) {
    let chunk = vec![b'x'; 64 * 1024];
    while s.write_all(&chunk).await.is_ok() {}
}

/// Sends one continuation line a second, forever.
async fn drip(mut s: TcpStream, prefix: &str) {
    for n in 0.. {
        if s.write_all(format!("{prefix}line {n}\r\n").as_bytes()).await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Reads (and drops) whatever the client sends, so its writes never block.
async fn drain(mut stream: TcpStream) {
    let mut buf = [0u8; 1024];
    while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
}

#[tokio::test]
async fn a_mebibyte_line_without_crlf_is_cut() {
    let addr = raw_server(|mut s| async move {
        let _ = s.write_all(&vec![b'2'; 1 << 20]).await;
        let _ = s.write_all(b"\r\n").await;
        drain(s).await;
    })
    .await;
    let ctx = ctx();
    let (report, _) = within(10, connection::open(&ctx, "mx.test", addr, false)).await;
    let banner = report.banner_reply.unwrap();
    assert_eq!(banner.lines[0].raw.len(), MAX_LINE);
    assert!(banner.lines[0].cut);
    assert!(report.banner[0].ends_with("[…line cut]"));
    journal_is_clean(&ctx);
}

#[tokio::test]
async fn a_mebibyte_line_that_never_ends_and_then_stalls_is_no_banner() {
    let addr = raw_server(|mut s| async move {
        let _ = s.write_all(&vec![b'x'; 1 << 20]).await;
        drain(s).await;
    })
    .await;
    let ctx = ctx();
    let (report, conn) = within(10, connection::open(&ctx, "mx.test", addr, false)).await;
    assert_eq!(report.outcome, ConnectOutcome::NoBanner);
    assert!(conn.is_none());
}

#[tokio::test]
async fn endless_bytes_without_a_line_end_are_line_too_long() {
    let addr = raw_server(endless_line).await;
    let ctx = ctx();
    let (report, conn) = within(10, connection::open(&ctx, "mx.test", addr, false)).await;
    assert_eq!(report.outcome, ConnectOutcome::LineTooLong);
    assert_eq!(report.finding().id, "smtp.line_too_long");
    assert!(conn.is_none());
}

#[tokio::test]
async fn one_byte_per_second_is_no_banner() {
    let addr = raw_server(|mut s| async move {
        for byte in b"220 mx.test slow ESMTP\r\n" {
            if s.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
    .await;
    let ctx = ctx();
    let (report, _) = within(10, connection::open(&ctx, "mx.test", addr, false)).await;
    assert_eq!(report.outcome, ConnectOutcome::NoBanner);
    assert_eq!(report.finding().id, "smtp.no_banner");
}

#[tokio::test]
async fn a_banner_dripping_a_line_a_second_is_not_closed() {
    let addr = raw_server(|s| drip(s, "220-")).await;
    let ctx = ctx();
    let (report, _) = within(10, connection::open(&ctx, "mx.test", addr, false)).await;
    assert_eq!(report.outcome, ConnectOutcome::NoBanner, "{:?}", report.error);
    assert!(report.error.as_deref().unwrap().contains("still incomplete"), "{:?}", report.error);
}

#[tokio::test]
async fn an_ehlo_reply_dripping_a_line_a_second_is_a_reply_timeout() {
    let addr = raw_server(|mut s| async move {
        let _ = s.write_all(b"220 mx.test ESMTP\r\n").await;
        let mut buf = [0u8; 256];
        let _ = s.read(&mut buf).await;
        drip(s, "250-").await;
    })
    .await;
    let ctx = ctx();
    let result = within(10, probe::probe(&ctx, "mx.test", addr, &request(), None)).await;
    assert_eq!(result.connect.outcome, ConnectOutcome::Ok);
    let ids: Vec<&str> = result.findings.iter().map(|f| f.id.as_str()).collect();
    assert!(ids.contains(&"smtp.reply_timeout"), "{ids:?}");
    assert!(!ids.contains(&"smtp.closed_after_banner"), "{ids:?}");
}

#[tokio::test]
async fn a_million_continuation_lines_stay_bounded_in_the_probe_and_the_console() {
    let addr = raw_server(|mut s| async move {
        let _ = s.write_all(b"220 mx.test ESMTP\r\n").await;
        let mut buf = [0u8; 256];
        if !matches!(s.read(&mut buf).await, Ok(n) if n > 0) {
            return;
        }
        let chunk = b"250-x\r\n".repeat(10_000);
        for _ in 0..100 {
            if s.write_all(&chunk).await.is_err() {
                return;
            }
        }
        let _ = s.write_all(b"250 end\r\n").await;
    })
    .await;
    let mut ctx = ctx();
    std::sync::Arc::make_mut(&mut ctx.config).smtp.read_timeout = Some(60.0);
    let request = ProbeRequest { quit_after: Some(probe::Stage::Ehlo), ..request() };
    let started = std::time::Instant::now();
    let result = within(60, probe::probe(&ctx, "mx.test", addr, &request, None)).await;
    eprintln!("a million lines read in {:?}", started.elapsed());
    let ehlo = &result.stages[0];
    assert_eq!(ehlo.code, Some(250));
    assert!(ehlo.reply.len() <= MAX_LINES + 1, "kept {} lines", ehlo.reply.len());
    assert!(ctx.journal.events().len() < MAX_LINES + 100, "{} journal events", ctx.journal.events().len());
    assert!(ctx.journal.events().iter().any(|e| e.text.contains("999000 more line(s) of this reply were dropped")));

    let ctx = support::ctx();
    let events = converse(&ctx, addr, &["EHLO mail.sender.example"]).await;
    let received = events.iter().filter(|e| matches!(e, ConsoleEvent::Received(..))).count();
    assert!(received <= MAX_LINES + 2, "{received} lines shown");
    assert!(events.iter().any(|e| matches!(e, ConsoleEvent::Received(l, _) if l == "250 end")));
    assert!(ctx.journal.events().len() < MAX_LINES + 100, "{} journal events", ctx.journal.events().len());
}

#[tokio::test]
async fn a_reply_that_never_ends_is_bounded() {
    let addr = raw_server(|mut s| async move {
        let _ = s.write_all(b"220 mx.test ESMTP\r\n").await;
        let mut buf = [0u8; 256];
        let _ = s.read(&mut buf).await;
        let mut n = 0u64;
        loop {
            n += 1;
            if s.write_all(format!("250-line {n} of an endless reply\r\n").as_bytes()).await.is_err() {
                return;
            }
            if n.is_multiple_of(1000) {
                tokio::task::yield_now().await;
            }
        }
    })
    .await;
    let ctx = ctx();
    let result = within(15, probe::probe(&ctx, "mx.test", addr, &request(), None)).await;
    let ehlo = &result.stages[0];
    assert_eq!(ehlo.stage, "ehlo");
    assert!(ehlo.error.as_deref().unwrap_or("").contains("no complete reply"), "{:?}", ehlo.error);
    assert!(ehlo.reply.len() <= MAX_LINES + 1, "kept {} lines", ehlo.reply.len());
}

#[tokio::test]
async fn nul_and_esc_bytes_are_escaped_everywhere() {
    let addr = raw_server(|mut s| async move {
        let _ = s.write_all(b"220 mx.test \x1b[2J\x1b]0;owned\x07 hi\x00there\r\n").await;
        let mut buf = [0u8; 256];
        let _ = s.read(&mut buf).await;
        let _ = s.write_all(b"550 5.7.1 \x1b[31mred\x1b[0m refusal\r\n").await;
        drain(s).await;
    })
    .await;
    let ctx = ctx();
    let result = within(10, probe::probe(&ctx, "mx.test", addr, &request(), None)).await;
    assert!(result.connect.banner[0].contains("\\x1b[2J"));
    let json = serde_json::to_string(&result).unwrap();
    assert!(!json.contains('\u{1b}') && !json.contains("\\u001b"), "{json}");
    let text = mailwiz::cli::smtp::probe_text(&result);
    assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text:?}");
    for finding in &result.findings {
        assert!(!format!("{finding:?}").contains('\u{1b}'));
    }
    journal_is_clean(&ctx);
    let raw = ctx.journal.events().iter().find(|e| e.text.starts_with("220")).unwrap().data.clone();
    assert!(raw["raw_hex"].as_str().unwrap().contains("1b5b324a"), "raw bytes kept in the journal");
}

#[tokio::test]
async fn invalid_utf8_is_kept_raw_and_shown_escaped() {
    let addr = raw_server(|mut s| async move {
        let _ = s.write_all(b"220 mx.test \xff\xfe\xc3 ESMTP\r\n").await;
        drain(s).await;
    })
    .await;
    let ctx = ctx();
    let (report, _) = within(10, connection::open(&ctx, "mx.test", addr, false)).await;
    assert_eq!(report.outcome, ConnectOutcome::Ok);
    assert_eq!(report.banner[0], "220 mx.test \\xff\\xfe\\xc3 ESMTP");
    let event = ctx.journal.events().into_iter().find(|e| e.text.starts_with("220")).unwrap();
    assert_eq!(event.data["raw_hex"], "323230206d782e7465737420fffec3204553 4d5450".replace(' ', ""));
}

#[tokio::test]
async fn a_close_in_the_middle_of_a_multi_line_reply() {
    let addr = raw_server(|mut s| async move {
        let _ = s.write_all(b"220-mx.test ESMTP\r\n220-second line\r\n220-third").await;
    })
    .await;
    let ctx = ctx();
    let (report, _) = within(10, connection::open(&ctx, "mx.test", addr, false)).await;
    // A greeting that never ends is no greeting: the peer broke SMTP.
    assert_eq!(report.outcome, ConnectOutcome::ProtocolError);
    let banner = report.banner_reply.unwrap();
    assert!(banner.incomplete);
    assert_eq!(banner.lines.len(), 3);

    let addr = raw_server(|mut s| async move {
        let _ = s.write_all(b"220 mx.test ESMTP\r\n").await;
        let mut buf = [0u8; 256];
        let _ = s.read(&mut buf).await;
        let _ = s.write_all(b"250-mx.test\r\n250-PIPELINING\r\n").await;
    })
    .await;
    let result = within(10, probe::probe(&ctx, "mx.test", addr, &request(), None)).await;
    assert_eq!(result.connect.outcome, ConnectOutcome::ClosedAfterBanner);
    assert_eq!(result.stages[0].reply.len(), 2);
}

/// `mailwiz smtp ADDR --quit-after banner --timeout 3 --json`: its exit code and the outcome.
async fn cli_probe(addr: SocketAddr) -> (i32, String) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_mailwiz"))
        .args(["smtp", &addr.to_string(), "--quit-after", "banner", "--timeout", "3", "--json"])
        .env_remove("MAILWIZ_CONFIG")
        .env_remove("MAILWIZ_TIMEOUT")
        .env("XDG_CONFIG_HOME", "/nonexistent-mailwiz-test")
        .kill_on_drop(true)
        .output();
    let output = within(30, output).await.unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let outcome = json["attempts"][0]["connect"]["outcome"].as_str().unwrap().to_string();
    (output.status.code().unwrap(), outcome)
}

#[tokio::test]
async fn with_timeout_3_a_silent_peer_is_no_banner() {
    let addr = raw_server(drain).await;
    assert_eq!(cli_probe(addr).await, (1, "no_banner".to_string()));
}

#[tokio::test]
async fn with_timeout_3_an_endless_line_is_line_too_long() {
    let addr = raw_server(endless_line).await;
    assert_eq!(cli_probe(addr).await, (1, "line_too_long".to_string()));
}
