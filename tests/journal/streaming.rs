//! `mailwiz report` reads a journal event by event: a journal far larger than the memory the
//! command may take is rendered in every format with the same result as a short one.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Lines of the large journal; each is about 400 bytes, so the file is about 60 MiB.
const EVENTS: usize = 150_000;
/// What the command may hold at its peak: a few lines and the findings, with the runtime.
const PEAK_LIMIT_KIB: u64 = 40 << 10;

fn write_journal(path: &std::path::Path) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let now = chrono::Utc::now().to_rfc3339();
    let start = serde_json::json!({"time": now, "kind": "start", "text": "mailwiz session started",
        "data": {"target": "bank.example", "ip": "203.0.113.5"}});
    writeln!(file, "{start}").unwrap();
    let received = serde_json::json!({"time": now, "kind": "received", "text": format!("250-{}", "x".repeat(340))});
    for _ in 0..EVENTS {
        writeln!(file, "{received}").unwrap();
    }
    let finding = serde_json::json!({"time": now, "kind": "finding", "text": "", "data": {
        "id": "ptr.missing", "severity": "fail", "summary": "203.0.113.5 has no PTR record",
        "detail": "", "evidence": [], "fix": ""}});
    writeln!(file, "{finding}").unwrap();
    file.flush().unwrap();
}

/// The peak resident size of the running child, read from `/proc` until it ends.
fn run_and_measure(args: &[&str]) -> (u64, std::process::ExitStatus, u64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mailwiz"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()).unwrap());
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    let status = loop {
        if let Ok(status) = std::fs::read_to_string(&status_file)
            && let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:"))
        {
            peak = peak.max(line.split_whitespace().nth(1).unwrap().parse().unwrap());
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    (peak, status, reader.join().unwrap())
}

#[test]
fn report_streams_a_large_journal_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("large.jsonl");
    write_journal(&path);
    let journal = path.to_str().unwrap();
    let size_kib = std::fs::metadata(&path).unwrap().len() >> 10;
    assert!(size_kib > PEAK_LIMIT_KIB, "the journal must be larger than the limit");
    for format in ["text", "transcript", "markdown", "json"] {
        let (peak, status, written) = run_and_measure(&["report", journal, "--format", format]);
        // The session holds a failure: exit 1, and every format but the summary holds every event.
        assert_eq!(status.code(), Some(1), "{format}");
        let whole = if format == "text" { 100 } else { EVENTS as u64 * 340 };
        assert!(written > whole, "{format}: only {written} bytes written");
        assert!(peak < PEAK_LIMIT_KIB, "{format}: peak {peak} KiB for a journal of {size_kib} KiB");
    }
    let (peak, status, _) = run_and_measure(&["report", "--diff", journal, journal]);
    assert_eq!(status.code(), Some(1));
    assert!(peak < PEAK_LIMIT_KIB, "--diff: peak {peak} KiB for a journal of {size_kib} KiB");
}
