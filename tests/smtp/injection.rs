//! Input that would change the protocol: a HELO name or an address holding CR, LF, NUL, a
//! space or an angle bracket, or past RFC 5321's limits, is refused with one sentence (exit 2)
//! and never reaches a peer; the probe engine itself sends nothing it did not mean to.

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use mailwiz::smtp::probe::{self, ProbeRequest};
use proptest::prelude::*;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::support::ctx;

/// A peer that greets, says 250 to everything and 221 to QUIT, and records every line it
/// receives, splitting at CR as well as LF (as lenient servers do).
struct Recorder {
    addr: std::net::SocketAddr,
    lines: Arc<Mutex<Vec<String>>>,
    connections: Arc<Mutex<usize>>,
}

async fn recorder() -> Recorder {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let connections = Arc::new(Mutex::new(0));
    let (seen, count) = (lines.clone(), connections.clone());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            *count.lock().unwrap() += 1;
            let seen = seen.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut reader = BufReader::new(read);
                write.write_all(b"220 recorder ESMTP\r\n").await.unwrap();
                let mut raw = Vec::new();
                while reader.read_until(b'\n', &mut raw).await.is_ok_and(|n| n > 0) {
                    let text = String::from_utf8_lossy(&raw).into_owned();
                    raw.clear();
                    for line in text.split(['\r', '\n']).filter(|l| !l.is_empty()) {
                        seen.lock().unwrap().push(line.to_string());
                        let quit = line.eq_ignore_ascii_case("QUIT");
                        let reply: &[u8] = if quit { b"221 bye\r\n" } else { b"250 ok\r\n" };
                        if write.write_all(reply).await.is_err() || quit {
                            return;
                        }
                    }
                }
            });
        }
    });
    Recorder { addr, lines, connections }
}

fn mailwiz(args: &[&str], helo_env: Option<&str>) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mailwiz"));
    command.args(args).env("XDG_CONFIG_HOME", "/nonexistent-mailwiz-config").stdin(Stdio::null());
    match helo_env {
        Some(helo) => command.env("MAILWIZ_HELO", helo),
        None => command.env_remove("MAILWIZ_HELO"),
    };
    command.output().unwrap()
}

// The mailwiz runs block this thread; the recorder answers from another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_or_oversized_input_is_refused_and_never_sent() {
    let peer = recorder().await;
    let host = peer.addr.to_string();
    let long = "a".repeat(100_000);
    let long_local = format!("{}@bank.test", "l".repeat(65));
    let long_address = format!("a@{}.test", vec!["b".repeat(60); 5].join("."));
    let cases: Vec<(Vec<&str>, Option<&str>, &str)> = vec![
        (
            vec!["--to", "b@bank.test>\r\nDATA\r\nSubject: x"],
            None,
            "--to \"b@bank.test>\\r\\nDATA\\r\\nSubject: x\" holds an angle bracket",
        ),
        (vec!["--to", "b@bank.test\r\nDATA"], None, "holds a carriage return (CR)"),
        (vec!["--from", "a@b.test\nRCPT TO:<x@y.test>"], None, "holds a line feed (LF)"),
        (vec!["--to", "user@@bank.test"], None, "has more than one @"),
        (vec!["--to", "us er@bank.test"], None, "holds a space"),
        (vec!["--to", &long_local], None, "has a local part longer than 64 octets"),
        (vec!["--to", &long_address], None, "is longer than 254 octets"),
        // (NUL cannot be in an argument; the engine tests and the property below cover it.)
        (vec!["--ehlo", "mail example"], None, "holds a space"),
        (vec!["--ehlo", &long], None, "is longer than 255 octets"),
        (vec!["--helo", "mail.example\x1b[2J", "--to", "b@bank.test"], None, "holds a control character"),
        (vec!["--to", "b@bank.test"], Some("mail.example\r\nDATA"), "the HELO name (--helo, MAILWIZ_HELO"),
    ];
    for (flags, env, said) in cases {
        let mut args = vec!["smtp", host.as_str()];
        args.extend(flags.iter().copied());
        let output = mailwiz(&args, env);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{flags:?}: {stderr}");
        assert!(stderr.contains(said), "{flags:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "one sentence: {stderr}");
        assert!(stderr.len() < 400, "the value is not echoed whole: {} bytes", stderr.len());
    }
    // check refuses the same, before it runs.
    let output = mailwiz(&["--demo", "check", "bank.example", "--to", "b@bank.example\r\nDATA"], None);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("holds a carriage return (CR)"));
    let output = mailwiz(&["--demo", "--helo", "a b", "check", "bank.example"], None);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(*peer.connections.lock().unwrap(), 0, "nothing reached the peer: {:?}", peer.lines.lock().unwrap());
    // A good probe reaches it: the recorder above can see what is sent.
    let output = mailwiz(&["smtp", &host, "--ehlo", "mail.example", "--from", "a@b.test", "--to", "c@d.test"], None);
    assert!(output.status.code().is_some_and(|c| c < 2), "{}", String::from_utf8_lossy(&output.stderr));
    let lines = peer.lines.lock().unwrap().clone();
    assert_eq!(lines, ["EHLO mail.example", "MAIL FROM:<a@b.test>", "RCPT TO:<c@d.test>", "RSET", "QUIT"]);
}

#[test]
fn a_console_connect_argument_with_a_control_byte_or_port_0_is_refused() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mailwiz"))
        .args(["--demo", "smtp", "mx1.bank.example"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let stdin = child.stdin.as_mut().unwrap();
        stdin.write_all(b":connect good.example\x1b[2J\n:connect good.example 0\n:close\n").unwrap();
    }
    drop(child.stdin.take());
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(r#""good.example\x1b[2J" is not a host"#), "{stdout}");
    assert!(stdout.contains("port 0 is not a port to connect to"), "{stdout}");
    assert!(!stdout.contains('\x1b'));
}

/// An address or a name: mostly plausible, often with an injection or a limit broken.
fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,8}@[a-z]{1,8}\\.test",
        "[a-z]{1,8}(@|@@)[a-z]{1,8}\\.test([\\r\\n\\x00 <>\\t\\x1b]{1,3}(DATA|Subject: x|RCPT TO:<z@z.test>|QUIT))?",
        "[a-z.\\-]{1,20}",
        "[a-z.]{1,8}[\\r\\n\\x00 \\x7f\\u{85}][A-Z: <>@a-z]{0,20}",
        "[a-z]{60,70}@[a-z]{1,8}\\.test",
        ".{0,40}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64), ..ProptestConfig::default() })]

    #[test]
    fn the_probe_sends_only_the_commands_it_means(ehlo in field(), from in field(), to in field()) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let request = ProbeRequest {
            ehlo: ehlo.clone(),
            from: from.clone(),
            to: Some(to.clone()),
            starttls: true,
            quit_after: None,
            implicit_tls: false,
        };
        let valid = request.check().is_ok();
        let lines = runtime.block_on(async {
            let peer = recorder().await;
            let mut ctx = ctx();
            let mut config = (*ctx.config).clone();
            // Our TLS policy from the config: the host's MTA is not asked.
            config.smtp.require_tls = Some(false);
            config.smtp.dane = Some(false);
            ctx.config = std::sync::Arc::new(config);
            probe::probe(&ctx, "mx.test", peer.addr, &request, None).await;
            // The peer has read what was sent once QUIT was answered.
            peer.lines.lock().unwrap().clone()
        });
        let expected: Vec<String> = if valid {
            vec![format!("EHLO {ehlo}"), format!("MAIL FROM:<{from}>"), format!("RCPT TO:<{to}>"), "RSET".into(), "QUIT".into()]
        } else {
            vec!["QUIT".into()]
        };
        prop_assert_eq!(&lines, &expected);
        for line in &lines {
            let verb = line.split([' ', ':']).next().unwrap_or_default();
            prop_assert!(["EHLO", "MAIL", "RCPT", "RSET", "QUIT"].contains(&verb), "{:?}", line);
        }
    }
}
