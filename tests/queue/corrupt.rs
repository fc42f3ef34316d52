//! Corrupt queue input: counted and skipped, never a panic, never a failed run.

use std::process::Command;

use chrono::Utc;
use mailwiz::queue::{Format, parse_reader};
use serde_json::Value;

/// One deferred message queued ten minutes ago: well inside any queue lifetime, whatever the date.
fn good() -> String {
    let arrival = Utc::now().timestamp() - 600;
    format!(
        r#"{{"queue_name": "deferred", "queue_id": "6978FB4038", "arrival_time": {arrival}, "message_size": 358, "forced_expire": false, "sender": "a@b.example", "recipients": [{{"address": "user@bank.example", "delay_reason": "host mx.bank.example[192.0.2.10] refused to talk to me: 421 4.7.0 Try again later"}}]}}"#
    )
}

fn run(args: &[&str]) -> (Option<i32>, Option<Value>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_mailwiz")).args(args).output().expect("mailwiz runs");
    let json = serde_json::from_slice(&output.stdout).ok();
    (output.status.code(), json, String::from_utf8_lossy(&output.stderr).into_owned())
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn truncated_json_line_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    // Two whole messages and one cut in the middle, without a final newline.
    let good = good();
    let text = format!("{good}\n{}\n{}", good.replace("6978FB4038", "6978FB4039"), &good[..120]);
    let file = write(&dir, "cut.jsonl", text.as_bytes());
    let (code, json, stderr) = run(&["queue", "--json", "--file", &file]);
    assert_eq!(code, Some(0), "{stderr}");
    let json = json.expect("JSON");
    assert_eq!(json["format"], "postfix-json");
    assert_eq!(json["entries"].as_array().unwrap().len(), 2);
    assert_eq!(json["skipped"]["count"], 1);
    assert_eq!(json["skipped"]["samples"][0][0], 3);
    let finding =
        json["findings"].as_array().unwrap().iter().find(|f| f["id"] == "queue.parse_skipped").expect("finding");
    assert!(finding["summary"].as_str().unwrap().starts_with("1 queue line"));
    assert!(finding["evidence"][0].as_str().unwrap().starts_with("line 3: {\"queue_name\""));
}

#[test]
fn binary_garbage_is_refused_or_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut garbage: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13).to_le_bytes()[0]).collect();
    garbage.extend_from_slice(b"\n\x1b[2J\x00\xff\n");
    let file = write(&dir, "garbage.bin", &garbage);
    // Detection refuses it with one sentence naming the file.
    let (code, _, stderr) = run(&["queue", "--file", &file]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains(&file) && stderr.contains("does not look like a mail queue listing"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1);
    // Forced through a parser that reads none of it: not that listing.
    let (code, json, stderr) = run(&["queue", "--json", "--format", "postfix-json", "--file", &file]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(json.is_none());
    assert!(stderr.contains("it is not a postfix-json listing"), "{stderr}");
    // One good line among the garbage: read, every other line skipped, the samples escaped.
    let mut mixed = format!("{}\n", good()).into_bytes();
    mixed.extend_from_slice(&garbage);
    let file = write(&dir, "mixed.bin", &mixed);
    let (code, json, stderr) = run(&["queue", "--json", "--format", "postfix-json", "--file", &file]);
    assert_eq!(code, Some(0), "{stderr}");
    let json = json.expect("JSON");
    let lines = garbage.split(|b| *b == b'\n').filter(|l| !String::from_utf8_lossy(l).trim().is_empty()).count();
    assert_eq!(json["skipped"]["count"], lines);
    assert_eq!(json["entries"].as_array().unwrap().len(), 1);
    let samples = json["skipped"]["samples"].to_string();
    assert!(!samples.contains('\u{1b}'), "escape bytes are shown escaped");
}

#[test]
fn empty_file_is_an_empty_queue() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "empty.txt", b"");
    let (code, json, stderr) = run(&["queue", "--json", "--file", &file]);
    assert_eq!(code, Some(0), "{stderr}");
    let json = json.expect("JSON");
    assert_eq!(json["messages"], 0);
    assert_eq!(json["skipped"]["count"], 0);
    assert_eq!(json["findings"].as_array().unwrap().len(), 0);
    let (code, _, _) = run(&["queue", "--file", &file]);
    assert_eq!(code, Some(0));
}

#[test]
fn missing_file_is_one_sentence() {
    let (code, json, stderr) = run(&["queue", "--file", "/nonexistent/queue.txt"]);
    assert_eq!(code, Some(2));
    assert!(json.is_none());
    assert_eq!(stderr.trim(), "mailwiz: the queue file /nonexistent/queue.txt does not exist");
}

/// A small deterministic generator, so failures reproduce.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn mutated_listings_never_panic() {
    let good = good();
    let seeds: [&str; 5] = [
        &good,
        "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n6E5A1B4035!     352 Sat Nov 28 17:15:48  lab@x.test\n(host said: 421 4.0.0 x)\n                                         user@rcpt421.test\n",
        " 2h   52K 12EwGE-0005jD-00 <sam@vbrew.com> *** frozen ***\n        D bob@vbrew.com\n          harry@example.net\n",
        "MTA Queue status...\n-----Q-ID----- --Size-- -----Q-Time----- ------------Sender/Recipient-----------\nr3U0S9Mt115878*  408752 Tue Apr 30 00:28 <user@domain.com>\n                 (Deferred: Connection timed out)\n                                         <user@otherdomain.com>\n",
        "\"Identity\",\"NextHopDomain\",\"Status\",\"MessageCount\",\"LastError\",\"FirstRetryTime\"\n\"EX\\1\",\"bank.example\",\"Retry\",\"3\",\"[{LED=451 4.4.0 x};{FQDN=y}]\",\"1/15/2021 10:00:00 PM\"\n",
    ];
    let formats = [Format::PostfixJson, Format::PostfixText, Format::Exim, Format::Sendmail, Format::Exchange];
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for round in 0..2000 {
        let mut bytes = seeds[round % seeds.len()].as_bytes().to_vec();
        for _ in 0..=(rng.next() % 8) {
            let at = usize::try_from(rng.next() % (bytes.len() as u64 + 1)).unwrap();
            match rng.next() % 4 {
                0 if at < bytes.len() => bytes[at] = rng.next().to_le_bytes()[0],
                1 => bytes.insert(at, rng.next().to_le_bytes()[0]),
                2 => bytes.truncate(at),
                _ => bytes.insert(at, b"\n({\"@*!:-"[(rng.next() % 9) as usize]),
            }
        }
        for format in formats {
            match parse_reader(&bytes[..], Some(format), Utc::now()) {
                Ok(parsed) => assert!(parsed.skipped.count <= bytes.split(|b| *b == b'\n').count()),
                // Nothing of it read as the format given: refused, naming it.
                Err(mailwiz::queue::DetectError::Mismatch { given, .. }) => assert_eq!(given, format),
                Err(other) => panic!("a format was given: {other}"),
            }
        }
        let _ = parse_reader(&bytes[..], None, Utc::now());
    }
}

#[test]
fn control_and_bidi_characters_of_a_reason_are_escaped_in_every_output() {
    let dir = tempfile::tempdir().unwrap();
    let reason = r"421 evil\u001b[2J\u0007 \u009b31m \u202eoverride\u2066";
    let line = good().replace("Try again later", reason);
    let file = write(&dir, "evil.jsonl", format!("{line}\n").as_bytes());
    let output = Command::new(env!("CARGO_BIN_EXE_mailwiz")).args(["queue", "--file", &file]).output().unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("evil\\x1b[2J\\x07"), "{text}");
    assert!(text.contains("\\u{202e}override"), "{text}");
    assert!(mailwiz::session::escape::is_clean(&text), "{text:?}");
    let output =
        Command::new(env!("CARGO_BIN_EXE_mailwiz")).args(["queue", "--json", "--file", &file]).output().unwrap();
    assert!(mailwiz::session::escape::is_clean(&String::from_utf8(output.stdout).unwrap()));
}

#[test]
fn an_error_message_escapes_what_it_names() {
    let (code, _, stderr) = run(&["queue", "--file", "/nonexistent/\u{1b}[2Jx\u{202e}y"]);
    assert_eq!(code, Some(2));
    assert!(mailwiz::session::escape::is_clean(&stderr), "{stderr:?}");
    assert!(stderr.contains("\\x1b[2J"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn an_endless_named_pipe_is_read_up_to_a_cap_and_said() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("queue.fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let writer = std::thread::spawn({
        let fifo = fifo.clone();
        move || {
            let mut pipe = std::fs::OpenOptions::new().write(true).open(fifo).unwrap();
            let messages = format!("{}\n", good()).repeat(1000);
            // Then lines of blanks, which cost next to nothing to read, up to the cap and on.
            let blanks = format!("{}\n", " ".repeat(4095)).repeat(256);
            let _ = std::io::Write::write_all(&mut pipe, messages.as_bytes());
            while std::io::Write::write_all(&mut pipe, blanks.as_bytes()).is_ok() {}
        }
    });
    let (code, json, stderr) = run(&["queue", "--json", "--file", fifo.to_str().unwrap()]);
    writer.join().unwrap();
    assert_eq!(code, Some(0), "{stderr}");
    let json = json.unwrap();
    let note = json["notes"][0].as_str().unwrap();
    assert!(note.starts_with("only the first 512 MiB"), "{note}");
    assert_eq!(json["messages"], 1000, "the messages before the blanks are all read");
}

#[test]
fn queue_actions_refuse_bad_targets_before_anything_runs() {
    for (args, said) in [
        (vec!["queue", "hold", "1raAO5-0091Cv;rm", "--format", "exim", "--yes"], "is not an Exim queue id"),
        (vec!["queue", "delete", "ALL", "--format", "postfix-json", "--yes"], "\"ALL\" is not a Postfix queue id"),
        (vec!["queue", "hold", "bank.example", "--yes"], "only retry takes a domain"),
        (vec!["queue", "retry", "a.example", "b.example", "--yes"], "one domain or queue ids"),
        (vec!["queue", "retry", "bad..domain", "--yes"], "bad..domain"),
    ] {
        let (code, json, stderr) = run(&args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(json.is_none(), "{args:?}: nothing on stdout");
        assert!(stderr.contains(said), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one sentence: {stderr}");
    }
}

#[test]
fn exchange_actions_are_printed_never_run() {
    let (code, json, stderr) = run(&["queue", "retry", "bank.example", "--format", "exchange", "--json"]);
    assert_eq!(code, Some(0), "{stderr}");
    let json = json.unwrap();
    assert_eq!(json["mta"], "exchange");
    assert_eq!(json["done"], serde_json::json!([]));
    assert_eq!(json["to_run"][0], "Get-Queue | Where-Object { $_.NextHopDomain -eq 'bank.example' } | Retry-Queue");
    let (code, json, _) = run(&["queue", "delete", r"EX01\1234\5678", "--format", "exchange", "--json"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        json.unwrap()["to_run"][0],
        r"Remove-Message -Identity 'EX01\1234\5678' -WithNDR $false -Confirm:$false"
    );
    let (code, _, stderr) = run(&["queue", "delete", r"EX01\12'34", "--format", "exchange"]);
    assert_eq!(code, Some(2), "a quote never reaches a PowerShell line: {stderr}");
}

#[test]
fn a_format_that_does_not_match_the_listing_is_refused_naming_the_one_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "postqueue.jsonl", format!("{}\n", good()).as_bytes());
    for format in ["sendmail", "exim", "postfix-text", "exchange"] {
        let (code, json, stderr) = run(&["queue", "--json", "--file", &file, "--format", format]);
        assert_eq!(code, Some(2), "{format}: {stderr}");
        assert!(json.is_none(), "{format}: nothing on stdout");
        assert!(
            stderr.contains(&format!(
                "is not a {format} listing (it looks like postfix-json: give --format postfix-json or leave --format out)"
            )),
            "{format}: {stderr}"
        );
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    }
    let garbage = write(&dir, "garbage.txt", b"hello\nworld\n");
    let (code, _, stderr) = run(&["queue", "--file", &garbage, "--format", "sendmail"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("is not a sendmail listing"), "{stderr}");
    // The right format, or none, reads it.
    let (code, json, stderr) = run(&["queue", "--json", "--file", &file, "--format", "postfix-json"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(json.unwrap()["messages"], 1);
}

/// The read position of `pid`'s descriptor open on `path`, once it has one.
#[cfg(target_os = "linux")]
fn read_position(pid: u32, path: &std::path::Path) -> Option<u64> {
    for fd in std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.flatten() {
        if std::fs::read_link(fd.path()).ok().as_deref() == Some(path) {
            let info = std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{}", fd.file_name().to_str()?)).ok()?;
            return info.lines().find_map(|l| l.strip_prefix("pos:")).and_then(|p| p.trim().parse().ok());
        }
    }
    None
}

#[cfg(target_os = "linux")]
#[test]
fn a_queue_file_that_shrinks_while_read_gives_a_note() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("postqueue.jsonl");
    let good = good();
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        for n in 0..100_000u32 {
            writeln!(out, "{}", good.replace("6978FB4038", &format!("{n:010X}"))).unwrap();
        }
    }
    let size = std::fs::metadata(&path).unwrap().len();
    let child = Command::new(env!("CARGO_BIN_EXE_mailwiz"))
        .args(["queue", "--json", "--file"])
        .arg(&path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once mailwiz has begun to read (and has taken the size), the file is cut to nothing.
    let started = std::time::Instant::now();
    loop {
        match read_position(child.id(), &path) {
            Some(pos) if pos > 0 => {
                assert!(pos < size, "read whole before it could shrink; make the file larger");
                break;
            }
            _ => assert!(started.elapsed() < std::time::Duration::from_secs(20), "mailwiz never read the file"),
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(0).unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let notes = json["notes"].to_string();
    assert!(notes.contains("shrank while it was read") && notes.contains(&format!("of its {size} bytes")), "{notes}");
    assert!(json["messages"].as_u64().unwrap() < 100_000);
    // Read again whole, no note.
    let (code, json, _) =
        run(&["queue", "--json", "--file", &write(&dir, "again.jsonl", format!("{good}\n").as_bytes())]);
    assert_eq!(code, Some(0));
    assert_eq!(json.unwrap()["notes"], serde_json::json!([]));
}
