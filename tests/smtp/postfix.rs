//! Against real Postfix on loopback (the lab of .ci/postfix-lab.sh): smtpd on 2525 for a normal
//! session with STARTTLS, smtp-sink answering 421 at connect (2526), 421 at RCPT (2527) and 450 at
//! RCPT (2528), and a refused port (2529).

use crate::common;

use std::io::Write;
use std::process::{Command, Stdio};

use crate::support::{ctx, journal_is_clean, within};
use mailwiz::session::Severity;
use mailwiz::smtp::connection::ConnectOutcome;
use mailwiz::smtp::probe::{self, ProbeRequest, ProbeResult};

fn request() -> ProbeRequest {
    ProbeRequest {
        ehlo: "mail.sender.example".into(),
        from: "sender@sender.example".into(),
        to: Some("root@localhost".into()),
        starttls: true,
        quit_after: None,
        implicit_tls: false,
    }
}

async fn probe_port(port: u16) -> ProbeResult {
    let ctx = ctx();
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    let result = within(30, probe::probe(&ctx, "localhost", addr, &request(), None)).await;
    journal_is_clean(&ctx);
    result
}

fn finding<'a>(result: &'a ProbeResult, id: &str) -> &'a mailwiz::session::Finding {
    result.findings.iter().find(|f| f.id == id).unwrap_or_else(|| panic!("no {id} in {:#?}", result.findings))
}

#[tokio::test]
async fn smtpd_normal_session_with_starttls() {
    if !common::postfix_lab() {
        return;
    }
    let result = probe_port(2525).await;
    assert_eq!(result.connect.outcome, ConnectOutcome::Ok);
    assert!(result.connect.banner[0].contains("ESMTP Postfix"), "{:?}", result.connect.banner);
    let stages: Vec<&str> = result.stages.iter().map(|s| s.stage.as_str()).collect();
    assert_eq!(stages, ["ehlo", "starttls", "tls", "ehlo", "mail", "rcpt", "rset", "quit"]);
    let tls = result.tls.as_ref().expect("TLS with Postfix");
    assert!(tls.protocol.starts_with("TLSv1_"));
    assert!(!tls.subject.is_empty());
    let rcpt = result.stages.iter().find(|s| s.stage == "rcpt").unwrap();
    assert_eq!(rcpt.code, Some(250));
    assert_eq!(result.stages.last().unwrap().code, Some(221));
}

#[tokio::test]
async fn smtp_sink_421_at_connect() {
    if !common::postfix_lab() {
        return;
    }
    let result = probe_port(2526).await;
    assert_eq!(result.connect.outcome, ConnectOutcome::Banner4xx);
    let banner = finding(&result, "smtp.banner_4xx");
    assert!(banner.evidence[0].starts_with("421"), "{:?}", banner.evidence);
    assert!(result.stages.is_empty());
}

#[tokio::test]
async fn smtp_sink_421_and_450_at_rcpt() {
    if !common::postfix_lab() {
        return;
    }
    let result = probe_port(2527).await;
    assert_eq!(result.connect.outcome, ConnectOutcome::Ok);
    let rejected = finding(&result, "smtp.rcpt_rejected");
    assert!(rejected.evidence[0].starts_with("421"), "{:?}", rejected.evidence);
    assert_eq!(rejected.severity, Severity::Warn);

    let result = probe_port(2528).await;
    let rejected = finding(&result, "smtp.rcpt_rejected");
    assert!(rejected.evidence[0].starts_with("450"), "{:?}", rejected.evidence);
}

#[tokio::test]
async fn refused_port() {
    if !common::postfix_lab() {
        return;
    }
    assert_eq!(probe_port(2529).await.connect.outcome, ConnectOutcome::Refused);
}

#[test]
fn raw_console_with_postfix_in_a_pipe() {
    if !common::postfix_lab() {
        return;
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_mailwiz"))
        .args(["smtp", "127.0.0.1:2525", "--timeout", "10"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"EHLO mail.sender.example\nNOOP\nQUIT\n").unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("<- 220 ") && stdout.contains("ESMTP Postfix"), "{stdout}");
    assert!(stdout.contains("<- 250-STARTTLS"), "{stdout}");
    assert!(stdout.contains("<- 250 2.0.0 Ok"), "{stdout}");
    assert!(stdout.contains("<- 221 2.0.0 Bye"), "{stdout}");
    assert_eq!(output.status.code(), Some(0));
}

/// Runs `mailwiz smtp ... --as-swaks`, then the printed line as it stands, through a shell.
fn swaks_line_runs(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_mailwiz"))
        .args(["smtp"])
        .args(args)
        .arg("--as-swaks")
        .env("XDG_CONFIG_HOME", "/nonexistent-mailwiz-config")
        .output()
        .expect("mailwiz runs");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let line = String::from_utf8(out.stdout).unwrap();
    assert_eq!(line.lines().count(), 1, "one command line: {line}");
    let ran = Command::new("sh").args(["-c", line.trim()]).stdin(Stdio::null()).output().expect("sh runs");
    let transcript = String::from_utf8_lossy(&ran.stdout).into_owned();
    assert!(ran.status.success(), "{line}\n{transcript}\n{}", String::from_utf8_lossy(&ran.stderr));
    transcript
}

#[test]
fn the_probe_as_swaks_runs_against_smtp_sink_and_stops_at_rcpt() {
    if !common::postfix_lab() {
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut sink = Command::new("smtp-sink")
        .args(["-u", "nobody", &format!("127.0.0.1:{port}"), "10"])
        .spawn()
        .or_else(|_| {
            Command::new("/usr/sbin/smtp-sink").args(["-u", "nobody", &format!("127.0.0.1:{port}"), "10"]).spawn()
        })
        .expect("smtp-sink starts");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let transcript = swaks_line_runs(&[
        &format!("127.0.0.1:{port}"),
        "--ehlo",
        "mail.sender.example",
        "--from",
        "sender@sender.example",
        "--to",
        "root@localhost",
    ]);
    let _ = sink.kill();
    let _ = sink.wait();
    assert!(transcript.contains("-> EHLO mail.sender.example"), "{transcript}");
    assert!(transcript.contains("-> RCPT TO:<root@localhost>"), "{transcript}");
    assert!(transcript.contains("-> QUIT"), "{transcript}");
    assert!(!transcript.contains("-> DATA"), "never DATA: {transcript}");

    // With STARTTLS, against the lab's Postfix.
    let transcript =
        swaks_line_runs(&["127.0.0.1:2525", "--ehlo", "mail.sender.example", "--to", "root@localhost", "--starttls"]);
    assert!(transcript.contains("-> STARTTLS"), "{transcript}");
    assert!(transcript.contains("~> RCPT TO:<root@localhost>"), "RCPT inside TLS: {transcript}");
}
