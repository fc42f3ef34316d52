//! Figures for the SMTP engine: reply parsing throughput, a hostile 64 MiB line, and probes per
//! second against a scripted loopback server. Run with
//! `cargo run --release --example bench -- smtp`.

use std::time::Instant;

use mailwiz::config::Config;
use mailwiz::context::Context;
use mailwiz::demo::smtp_server::{self, ServerScript};
use mailwiz::smtp::probe::{self, ProbeRequest};
use mailwiz::smtp::reply::{LineReader, ReplyAssembler};

async fn parse_all(bytes: &[u8]) -> (usize, usize) {
    let mut reader = LineReader::new(bytes);
    let mut assembler = ReplyAssembler::default();
    let (mut lines, mut replies) = (0, 0);
    while let Some(line) = reader.next_line().await.unwrap() {
        lines += 1;
        if assembler.push(line).is_some() {
            replies += 1;
        }
    }
    (lines, replies)
}

#[tokio::main]
pub async fn run() {
    let mut input = Vec::new();
    for i in 0..200_000 {
        input.extend_from_slice(
            format!(
                "250-mx{i}.example.com Hello [203.0.113.5]\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n"
            )
            .as_bytes(),
        );
    }
    let started = Instant::now();
    let (lines, replies) = parse_all(&input).await;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "reply parsing: {lines} lines, {replies} replies, {:.1} MiB in {:.3} s = {:.0} MiB/s",
        input.len() as f64 / 1_048_576.0,
        secs,
        input.len() as f64 / 1_048_576.0 / secs
    );

    let hostile = vec![b'x'; 64 << 20];
    let started = Instant::now();
    let refused = LineReader::new(&hostile[..]).next_line().await;
    println!(
        "one 64 MiB line without CRLF: {} in {:.3} s",
        match refused {
            Err(err) => format!("refused ({err})"),
            Ok(_) => "read (it should have been refused)".to_string(),
        },
        started.elapsed().as_secs_f64()
    );

    let server = smtp_server::start(ServerScript::default()).await.unwrap();
    let ctx = Context::new(Config::default());
    let request = ProbeRequest {
        ehlo: "mail.sender.example".into(),
        from: "a@sender.example".into(),
        to: Some("b@bank.example".into()),
        starttls: false,
        quit_after: None,
        implicit_tls: false,
    };
    let count = 500;
    let started = Instant::now();
    for _ in 0..count {
        let result = probe::probe(&ctx, "mx.test", server.addr(), &request, None).await;
        assert_eq!(result.stages.len(), 5);
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "sequential probes over loopback: {count} in {secs:.2} s = {:.2} ms per probe",
        secs * 1000.0 / f64::from(count)
    );
}
