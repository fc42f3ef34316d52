//! The raw console: lines as typed, replies as they arrive, STARTTLS upgrade, data mode with
//! dot-stuffing, AUTH redaction, meta commands; and `mailwiz smtp` in a pipe.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::support::{CertKind, TestCa, converse, ctx_with, journal_is_clean};
use mailwiz::demo::smtp_server::{self, ServerScript};
use mailwiz::smtp::connection::ConnectOutcome;
use mailwiz::smtp::session::ConsoleEvent;

/// `mailwiz ARGS` with its standard streams piped and no user config.
fn spawn_mailwiz(args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_mailwiz"))
        .args(args)
        .env("XDG_CONFIG_HOME", "/nonexistent-mailwiz-config")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mailwiz runs")
}

fn texts(events: &[ConsoleEvent]) -> Vec<String> {
    events.iter().flat_map(mailwiz::cli::smtp::event_text).collect()
}

#[tokio::test]
async fn a_whole_session_with_starttls_auth_and_data() {
    let ca = TestCa::new();
    // The certificate is self-signed: that is reported and the session goes on.
    let server =
        smtp_server::start(ServerScript::default().with_tls(ca.server_config("mx.test", CertKind::SelfSigned)))
            .await
            .unwrap();
    let ctx = ctx_with(Some(ca.pem_path.clone()));
    let lines = [
        "EHLO mail.sender.example",
        "STARTTLS",
        "EHLO mail.sender.example",
        "AUTH PLAIN AGFsaWNlAHNlY3JldA==",
        "MAIL FROM:<a@sender.example>",
        "RCPT TO:<b@bank.example>",
        "DATA",
        "Subject: test",
        "",
        ".hidden line",
        ".",
        "QUIT",
    ];
    let events = converse(&ctx, server.addr(), &lines).await;
    let shown = texts(&events);
    let commands = server.commands();
    assert!(commands.contains(&"AUTH PLAIN AGFsaWNlAHNlY3JldA==".to_string()), "sent as typed: {commands:?}");
    assert_eq!(commands.last().map(String::as_str), Some("QUIT"));
    assert!(events.iter().any(|e| matches!(e, ConsoleEvent::Tls(_))), "{shown:#?}");
    assert!(events.iter().any(|e| matches!(e, ConsoleEvent::Finding(f) if f.id == "smtp.tls_cert_invalid")));
    assert!(shown.iter().any(|l| l.contains("data mode")), "{shown:#?}");
    assert!(shown.iter().any(|l| l == "~> ..hidden line"), "{shown:#?}");
    assert!(shown.iter().any(|l| l.contains("dot-stuffed")));
    assert!(shown.iter().any(|l| l.starts_with("<~ 250 2.0.0 Ok: queued")), "{shown:#?}");
    assert!(shown.iter().any(|l| l == "~> AUTH PLAIN [redacted]"));
    assert!(shown.iter().any(|l| l.starts_with("<~* 535")));
    let journal = serde_json::to_string(&ctx.journal.events()).unwrap();
    assert!(!journal.contains("AGFsaWNlAHNlY3JldA=="), "the AUTH secret stays out of the journal");
    assert!(journal.contains("AUTH PLAIN [redacted]"));
    journal_is_clean(&ctx);
}

#[tokio::test]
async fn meta_commands() {
    let first =
        smtp_server::start(ServerScript { hostname: "first.test".into(), ..ServerScript::default() }).await.unwrap();
    let second =
        smtp_server::start(ServerScript { hostname: "second.test".into(), ..ServerScript::default() }).await.unwrap();
    let ctx = ctx_with(None);
    let connect_second = format!(":connect 127.0.0.1 {}", second.addr().port());
    let lines = [":help", ":close", "NOOP", connect_second.as_str(), ":probe", ":bogus"];
    let events = converse(&ctx, first.addr(), &lines).await;
    let shown = texts(&events);
    assert!(shown.iter().any(|l| l.contains(":connect HOST")), "{shown:#?}");
    assert!(shown.iter().any(|l| l.contains("closed by you")));
    assert!(shown.iter().any(|l| l.contains("not sent, no connection is open: NOOP")), "{shown:#?}");
    assert!(shown.iter().any(|l| l == "<- 220 second.test ESMTP"), "{shown:#?}");
    assert!(
        events.iter().any(|e| matches!(e, ConsoleEvent::Probe(r) if r[0].stages.iter().any(|s| s.stage == "rcpt")))
    );
    assert!(shown.iter().any(|l| l.contains("unknown command")));
    assert!(second.commands().contains(&"RCPT TO:<b@bank.example>".to_string()));
}

#[tokio::test]
async fn via_sends_the_next_connection_through_the_second_vantage_point() {
    let Some(via) = crate::common::relay_from("127.0.0.99") else { return };
    let mut script = ServerScript::default();
    script.banner_by_client.insert(
        "127.0.0.1".parse().unwrap(),
        mailwiz::demo::smtp_server::ScriptedReply::new(554, ["5.7.1 Client host [127.0.0.1] blocked"]),
    );
    let server = smtp_server::start(script).await.unwrap();
    let mut ctx = ctx_with(None);
    std::sync::Arc::make_mut(&mut ctx.config).smtp.via = Some(via.clone());
    let connect = format!(":connect 127.0.0.1 {}", server.addr().port());
    let lines = [":via", ":via on", connect.as_str(), ":via off", connect.as_str()];
    let events = converse(&ctx, server.addr(), &lines).await;
    let attempts: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            ConsoleEvent::Connected(report) => Some((report.outcome, report.via.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        attempts,
        [(ConnectOutcome::Banner5xx, None), (ConnectOutcome::Ok, Some(via)), (ConnectOutcome::Banner5xx, None)],
        "from here, through the relay, from here again"
    );
    let shown = texts(&events);
    assert!(shown.iter().any(|l| l.contains("connections go from here: :via on|off")), "{shown:#?}");
    assert!(shown.iter().any(|l| l.contains("the next :connect goes through `socat")), "{shown:#?}");

    // Without a second vantage point configured, `:via on` says how to set one.
    let events = converse(&ctx_with(None), server.addr(), &[":via on"]).await;
    assert!(texts(&events).iter().any(|l| l.contains("no second vantage point is set")));
}

#[tokio::test]
async fn replies_are_explained_inline() {
    let server = smtp_server::start(ServerScript {
        rcpt: mailwiz::demo::smtp_server::ScriptedReply::new(
            550,
            ["5.7.1 Service unavailable, Client host [192.0.2.1] blocked using Spamhaus"],
        ),
        ..ServerScript::default()
    })
    .await
    .unwrap();
    let ctx = ctx_with(None);
    let events =
        converse(&ctx, server.addr(), &["EHLO x.example", "MAIL FROM:<>", "RCPT TO:<b@bank.example>", "QUIT"]).await;
    let shown = texts(&events);
    let at = shown.iter().position(|l| l.starts_with("<** 550")).unwrap();
    assert!(shown[at + 1].starts_with("  = 550:"), "{shown:#?}");
    assert!(shown.iter().any(|l| l.contains("Spamhaus block list")));
    assert!(
        shown
            .iter()
            .any(|l| l.contains("reason: our address or domain is on a public block list (Spamhaus), at RCPT TO")),
        "the reply's class, at its stage: {shown:#?}"
    );

    // `:explain off` leaves the bare dialogue.
    let events = converse(
        &ctx,
        server.addr(),
        &[":explain off", "EHLO x.example", "MAIL FROM:<>", "RCPT TO:<b@bank.example>", "QUIT"],
    )
    .await;
    let shown = texts(&events);
    assert!(shown.iter().any(|l| l.contains("explanations of replies are off")), "{shown:#?}");
    assert!(shown.iter().any(|l| l.starts_with("<** 550")));
    assert!(!shown.iter().any(|l| l.starts_with("  = ")), "{shown:#?}");
}

#[test]
fn mailwiz_smtp_in_a_pipe() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime
        .block_on(smtp_server::start(ServerScript {
            banner: Some(mailwiz::demo::smtp_server::ScriptedReply::new(220, ["mx.test \u{1b}[2J ESMTP"])),
            ..ServerScript::default()
        }))
        .unwrap();
    let mut child = spawn_mailwiz(&["smtp", &server.addr().to_string(), "--timeout", "2"]);
    child.stdin.take().unwrap().write_all(b"EHLO mail.sender.example\nMAIL FROM:<a@sender.example>\nQUIT\n").unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("<- 220 mx.test \\x1b[2J ESMTP"), "{stdout}");
    assert!(!stdout.contains('\u{1b}'));
    assert!(stdout.contains("-> EHLO mail.sender.example"));
    assert!(stdout.contains("<- 250-mx.test Hello mail.sender.example [127.0.0.1]"));
    assert!(stdout.contains("<- 221 2.0.0 Bye"));
    let order: Vec<usize> = ["-> EHLO", "<- 250-mx.test", "-> MAIL", "<- 250 2.1.0", "-> QUIT", "<- 221"]
        .iter()
        .map(|needle| stdout.find(needle).unwrap_or_else(|| panic!("{needle} missing in {stdout}")))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "lock-step order: {stdout}");
    assert_eq!(server.commands(), ["EHLO mail.sender.example", "MAIL FROM:<a@sender.example>", "QUIT"]);
}

#[test]
fn a_huge_line_on_stdin_is_dropped_not_held() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(smtp_server::start(ServerScript::default())).unwrap();
    let mut child = spawn_mailwiz(&["smtp", &server.addr().to_string(), "--timeout", "2"]);
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let block = vec![b'x'; 1 << 20];
        for _ in 0..64 {
            stdin.write_all(&block).unwrap();
        }
        stdin.write_all(b"\nQUIT\n").unwrap();
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("an input line longer than 64 KiB was dropped"), "{stderr}");
    assert_eq!(server.commands(), ["QUIT"]);
}

#[test]
fn connect_to_a_domain_goes_to_its_mx_as_swaks_does() {
    let run = |stdin: &[u8], args: &[&str]| {
        let mut child = spawn_mailwiz(&[&["--demo", "smtp"][..], args].concat());
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        let output = child.wait_with_output().unwrap();
        String::from_utf8(output.stdout).unwrap()
    };
    // good.example has an MX; the console connects to it, by its name.
    let stdout = run(b"QUIT\n", &["good.example"]);
    assert!(stdout.contains("good.example has MX records"), "{stdout}");
    assert!(stdout.contains("connecting to mx.good.example (198.51.100.25:25)"), "{stdout}");
    assert!(stdout.contains("<- 220 mx.good.example ESMTP ready"), "{stdout}");
    // :connect DOMAIN tries the MX hosts in preference order.
    let stdout = run(b":connect bank.example\n", &["good.example"]);
    let first = stdout.find("connecting to mx1.bank.example (192.0.2.10:25)").expect(&stdout);
    let second = stdout.find("connecting to mx2.bank.example (192.0.2.20:25)").expect(&stdout);
    assert!(first < second, "{stdout}");
    // The probe as swaks does too.
    let out = Command::new(env!("CARGO_BIN_EXE_mailwiz"))
        .args(["--demo", "smtp", "good.example", "--ehlo", "mail.example.com", "--to", "erin@good.example", "--json"])
        .env("XDG_CONFIG_HOME", "/nonexistent-mailwiz-config")
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["attempts"][0]["connect"]["host"], "mx.good.example");
}
