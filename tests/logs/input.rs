//! `mailwiz logs` on bad and awkward input: binary files, missing paths, empty files, globs,
//! gzip-rotated logs, hostile bytes, and the JSON shape.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

const LOG: &str = "\
Jan 10 08:00:01 mail postfix/smtp[1]: 1A2B3C4D5E: to=<a@bank.example>, relay=mx1.bank.example[192.0.2.10]:25, delay=1, delays=0/0/1/0, dsn=4.7.0, status=deferred (host mx1.bank.example[192.0.2.10] said: 421 4.7.0 Try again later (in reply to MAIL FROM command))
Jan 10 08:10:01 mail postfix/smtp[1]: 2A2B3C4D5E: to=<b@other.example>, relay=mx.other.example[198.51.100.5]:25, delay=1, delays=0/0/1/0, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as X)
this line is not postfix
Jan 10 09:00:01 mail postfix/smtp[1]: 3A2B3C4D5E: to=<c@bank.example>, relay=mx1.bank.example[192.0.2.10]:25, delay=1, delays=0/0/1/0, dsn=4.7.0, status=deferred (host mx1.bank.example[192.0.2.10] said: 421 4.7.0 Try again later (in reply to MAIL FROM command))
";

fn mailwiz(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mailwiz"))
        .args(args)
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .output()
        .expect("mailwiz runs")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

#[test]
fn binary_missing_and_directory_inputs_are_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let binary = write(dir.path(), "core", &[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0xff, 0xfe, 0, 0, 3, 0]);
    for (args, names) in [
        (vec!["logs", binary.as_str()], "looks like binary data"),
        (vec!["logs", "/nonexistent/mail.log"], "cannot read /nonexistent/mail.log"),
        (vec!["logs", dir.path().to_str().unwrap()], "cannot read"),
        (vec!["logs", "/nonexistent/*.log"], "no file matches"),
    ] {
        let output = mailwiz(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        let err = stderr(&output);
        assert!(err.contains(names), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(output.stdout.is_empty());
    }
    let text = write(dir.path(), "notes.txt", b"just some notes\nnothing like a log\n");
    let output = mailwiz(&["logs", &text]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("not in a log format mailwiz reads"));
}

#[test]
fn empty_file_gives_an_empty_summary() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "mail.log", b"");
    let output = mailwiz(&["logs", &empty, "--domain", "bank.example", "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["records"], 0);
    assert_eq!(json["files"][0]["lines"], 0);
    assert_eq!(json["findings"].as_array().unwrap().len(), 0);
    let output = mailwiz(&["logs", &empty, "--domain", "bank.example"]);
    assert!(String::from_utf8_lossy(&output.stdout).contains("No log record concerns bank.example."));
}

#[test]
fn gzip_rotated_logs_and_globs_are_read_together() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "mail.log", LOG.as_bytes());
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(LOG.as_bytes()).unwrap();
    write(dir.path(), "mail.log.2.gz", &gz.finish().unwrap());
    // A broken file among good ones is reported and skipped.
    write(dir.path(), "mail.log.3", &[0u8; 64]);
    let pattern = format!("{}/mail.log*", dir.path().display());
    let output = mailwiz(&["logs", &pattern, "--domain", "bank.example", "--json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("mail.log.3 looks like binary data"));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let files = json["files"].as_array().unwrap();
    assert_eq!(files.len(), 3);
    assert_eq!(files[1]["compressed"], true);
    assert_eq!(files[1]["format"], "postfix");
    assert_eq!(json["attempts"], 4);
    assert_eq!(json["statuses"][0]["status"], "deferred");
    assert_eq!(json["statuses"][0]["count"], 4);
    assert_eq!(json["codes"][0]["code"], "421 4.7.0");
    let ids: Vec<&str> = json["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["log.deferrals", "log.undelivered", "log.reply_code"]);
}

#[test]
fn the_domain_is_found_in_any_case() {
    let dir = tempfile::tempdir().unwrap();
    let mixed = LOG.replacen("bank.example", "Bank.Example", 3).replace("bank.example", "BANK.example");
    let log = write(dir.path(), "mail.log", mixed.as_bytes());
    let output = mailwiz(&["logs", &log, "--domain", "bank.example", "--json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["attempts"], 2, "{json}");
    let recipients: Vec<&str> =
        json["latest"].as_array().unwrap().iter().map(|r| r["recipient"].as_str().unwrap()).collect();
    assert_eq!(recipients, ["a@Bank.Example", "c@BANK.example"]);
    assert!(!mixed.contains("bank.example"));
}

#[test]
fn json_shape_and_readable_output() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "mail.log", LOG.as_bytes());
    let output = mailwiz(&["logs", &log, "--domain", "user@Bank.Example", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["command"], "logs");
    assert_eq!(json["target"], "bank.example");
    for key in
        ["files", "records", "attempts", "statuses", "codes", "failures", "first_seen", "last_seen", "hours", "latest"]
    {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    let file = &json["files"][0];
    assert_eq!((file["lines"].as_u64(), file["examined"].as_u64()), (Some(4), Some(2)));
    assert_eq!(json["hours"].as_array().unwrap().len(), 2);
    let latest = &json["latest"][1];
    assert_eq!(latest["line"], 4);
    assert_eq!(latest["remote_host"], "mx1.bank.example");
    assert_eq!(latest["reply_code"], 421);
    assert_eq!(latest["enhanced_code"], "4.7.0");

    // Without a domain every line is read, and the domains are ranked by failures.
    let output = mailwiz(&["logs", &log, "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["files"][0]["skipped"], 1);
    assert_eq!(json["domains"][0]["domain"], "bank.example");
    assert_eq!(json["domains"][0]["failed"], 2);

    let output = mailwiz(&["logs", &log, "--domain", "bank.example"]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("Statuses deferred 2"), "{text}");
    assert!(text.contains("Reply codes 421 4.7.0 ×2"), "{text}");
    assert!(text.contains("01-10 08:00 │"), "{text}");
    assert!(text.contains("log.deferrals"), "{text}");
}

#[test]
fn terminal_escapes_from_a_log_never_reach_the_screen() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = "Jan 10 08:00:01 mail postfix/smtp[1]: 1A2B3C4D5E: to=<a@bank.example>, relay=none, dsn=4.4.1, status=deferred (connect to mx[192.0.2.1]:25: \x1b[2J\x1b]0;owned\x07 timed out)\n";
    let log = write(dir.path(), "mail.log", hostile.as_bytes());
    let output = mailwiz(&["logs", &log, "--domain", "bank.example"]);
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text:?}");
    assert!(text.contains("\\x1b[2J"), "{text}");
}

#[test]
fn very_long_lines_are_skipped_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = LOG.as_bytes().to_vec();
    bytes.extend(std::iter::repeat_n(b'x', 9 << 20));
    bytes.push(b'\n');
    bytes.extend_from_slice(LOG.as_bytes());
    let log = write(dir.path(), "mail.log", &bytes);
    let output = mailwiz(&["logs", &log, "--domain", "bank.example", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["statuses"][0]["count"], 4);
    assert_eq!(json["files"][0]["lines"], 9);
    let output = mailwiz(&["logs", &log, "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["files"][0]["skipped"], 3);
    assert_eq!(json["files"][0]["lines"], 9);
}

/// The lines of `mailwiz logs --follow` (stdout and stderr, which may interleave either way).
struct Lines {
    rx: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Lines {
    /// The first line so far containing `wanted`, waiting for it a bounded time.
    fn wait(&mut self, wanted: &str) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            if let Some(line) = self.seen.iter().find(|l| l.contains(wanted)) {
                return line.clone();
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(err) => panic!("no line with {wanted:?} within 20 s ({err}): {:?}", self.seen),
            }
        }
    }
}

/// Kills and reaps the follower when the test ends, whatever happens.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn follow_prints_appended_lines_survives_rotation_and_says_new_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mail.log");
    std::fs::write(&path, LOG).unwrap();
    let (_child, mut lines) = follow(&path);
    // The summary of what was there, then the follow starts.
    lines.wait("mailwiz: following");

    let mut log = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
    writeln!(log, "Jan 10 10:00:01 mail postfix/smtp[1]: 4A2B3C4D5E: to=<d@bank.example>, relay=mx1.bank.example[192.0.2.10]:25, delay=1, delays=0/0/1/0, dsn=4.7.0, status=deferred (host mx1.bank.example[192.0.2.10] said: 421 4.7.0 Try again later (in reply to MAIL FROM command))").unwrap();
    writeln!(log, "Jan 10 10:00:02 mail postfix/smtp[1]: 5A2B3C4D5E: to=<e@other.example>, relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (connect to x: Connection refused)").unwrap();
    let appended = lines.wait("4A2B3C4D5E");
    assert!(appended.contains("to=<d@bank.example>"), "{appended}");

    // Rotation: the file is renamed away and a new one written at the path.
    std::fs::rename(&path, dir.path().join("mail.log.1")).unwrap();
    let mut fresh = std::fs::File::create(&path).unwrap();
    writeln!(fresh, "Jan 10 10:05:01 mail postfix/smtp[1]: 6A2B3C4D5E: to=<f@bank.example>, relay=mx1.bank.example[192.0.2.10]:25, delay=1, delays=0/0/1/0, dsn=5.7.1, status=bounced (host mx1.bank.example[192.0.2.10] said: 554 5.7.1 Client host rejected: no PTR (in reply to RCPT TO command))").unwrap();
    writeln!(fresh, "Jan 10 10:06:01 mail postfix/smtp[1]: 7A2B3C4D5E: to=<g@bank.example>, relay=mx1.bank.example[192.0.2.10]:25, delay=1, delays=0/0/1/0, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as Y)").unwrap();
    lines.wait("was rotated; reading the new file");
    lines.wait("6A2B3C4D5E");
    // A reply not seen before becomes a finding; the known 421 did not.
    let finding = lines.wait("log.new_reason");
    assert!(finding.contains("554 5.7.1"), "{finding}");
    lines.wait("7A2B3C4D5E");
    lines.wait("✓ delivered to g@bank.example");
    assert!(!lines.seen.iter().any(|l| l.contains("5A2B3C4D5E")), "other domains are left out: {:?}", lines.seen);
    assert!(!lines.seen.iter().any(|l| l.contains("log.new_reason") && l.contains("421")), "{:?}", lines.seen);
}

/// `mailwiz logs PATH --follow --domain bank.example`, its output lines gathered.
fn follow(path: &Path) -> (Child, Lines) {
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_mailwiz"))
            .args(["logs", path.to_str().unwrap(), "--follow", "--domain", "bank.example"])
            .env("XDG_CONFIG_HOME", "/nonexistent")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let (tx, rx) = std::sync::mpsc::channel();
    for stream in [
        Box::new(child.0.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(child.0.stderr.take().unwrap()),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stream).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
    (child, Lines { rx, seen: Vec::new() })
}

/// Waits up to 10 s for `child` to end, and its exit code.
fn ended(child: &mut Child) -> Option<i32> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        if let Some(status) = child.0.try_wait().unwrap() {
            return status.code();
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("mailwiz did not end within 10 s of Ctrl-C");
}

#[cfg(unix)]
#[test]
fn follow_refuses_a_fifo_put_in_the_logs_place_and_ctrl_c_ends_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mail.log");
    std::fs::write(&path, LOG).unwrap();
    let (mut child, mut lines) = follow(&path);
    lines.wait("mailwiz: following");
    // The log is replaced by a named pipe that no one writes to.
    std::fs::remove_file(&path).unwrap();
    assert!(Command::new("mkfifo").arg(&path).status().unwrap().success());
    let said = lines.wait("is not a regular file");
    assert!(said.contains("cannot read") && said.contains("trying again"), "{said}");
    // A log again at the path is followed from its start.
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, LOG.replace("1A2B3C4D5E", "8A2B3C4D5E")).unwrap();
    lines.wait("8A2B3C4D5E");
    assert!(Command::new("kill").args(["-INT", &child.0.id().to_string()]).status().unwrap().success());
    // Ctrl-C ends it with the exit code of what it found: no attempt in the log was delivered.
    assert_eq!(ended(&mut child), Some(1));
}

#[test]
fn follow_shows_the_line_after_a_burst_of_30_mib() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mail.log");
    std::fs::write(&path, LOG).unwrap();
    let (_child, mut lines) = follow(&path);
    lines.wait("mailwiz: following");
    // 30 MiB of other domains' lines, then one about the target: three polls' worth.
    let other = "Jan 10 10:00:02 mail postfix/smtp[1]: 5A2B3C4D5E: to=<e@other.example>, relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (connect to x: Connection refused)\n";
    let mut log = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
    log.write_all(other.repeat((30 << 20) / other.len()).as_bytes()).unwrap();
    writeln!(log, "Jan 10 10:00:03 mail postfix/smtp[1]: 9A2B3C4D5E: to=<h@bank.example>, relay=mx1.bank.example[192.0.2.10]:25, delay=1, delays=0/0/1/0, dsn=4.7.0, status=deferred (host mx1.bank.example[192.0.2.10] said: 421 4.7.0 Try again later (in reply to MAIL FROM command))").unwrap();
    lines.wait("9A2B3C4D5E");
}

#[test]
fn follow_with_json_is_refused() {
    let out = mailwiz(&["logs", "/dev/null", "--follow", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--follow"));
}

#[test]
fn a_gzip_log_cut_short_yields_its_records_up_to_the_cut_and_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let whole = LOG.repeat(3000);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(whole.as_bytes()).unwrap();
    let bytes = gz.finish().unwrap();
    let cut = write(dir.path(), "mail.log.2.gz", &bytes[..bytes.len() * 6 / 10]);
    let output = mailwiz(&["logs", &cut, "--domain", "bank.example", "--json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let file = &json["files"][0];
    assert!(file.get("error").is_none(), "{file}");
    let note = file["note"].as_str().expect("a note");
    assert!(note.contains("ends early or is damaged") && note.contains("line(s) before that were read"), "{note}");
    let attempts = json["attempts"].as_u64().unwrap();
    assert!(attempts > 1000 && attempts < 6000, "{attempts} of the 6000 attempts before the cut");
    assert!(stderr(&output).contains("mailwiz: note: the gzip data of"), "{}", stderr(&output));
    // The whole file has no note.
    let whole = write(dir.path(), "mail.log.3.gz", &bytes);
    let output = mailwiz(&["logs", &whole, "--domain", "bank.example", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(json["files"][0].get("note").is_none());
    assert_eq!(json["attempts"], 6000);
}
