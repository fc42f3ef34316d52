//! A `--via` command runs in its own process group and is killed as a group: at the deadline,
//! and when mailwiz is stopped, nothing it started lives on.
#![cfg(target_os = "linux")]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Pids of the `sleep MARKER` processes.
fn running(marker: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // A zombie has been killed; it only waits for its parent.
            let sleep = format!("sleep\0{marker}\0");
            cmdline.windows(sleep.len()).any(|w| w == sleep.as_bytes()) && !state.contains(") Z ")
        })
        .collect()
}

/// Waits up to 3 s for every `sleep MARKER` to be gone.
fn gone(marker: &str) -> bool {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(3) {
        if running(marker).is_empty() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// A via command whose shell starts a `sleep` with a duration no other test uses.
fn via(seconds: &str) -> String {
    format!("sh -c \"sleep {seconds}; true\"")
}

fn mailwiz(via: &str, timeout: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mailwiz"));
    command
        .args(["--timeout", timeout, "--via", via, "smtp", "192.0.2.10:25", "--ehlo", "mail.example"])
        .args(["--from", "a@example.com", "--to", "b@bank.example"])
        .env("XDG_CONFIG_HOME", "/nonexistent-mailwiz-config")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

#[test]
fn at_the_deadline_the_via_command_and_what_it_started_are_killed() {
    let marker = "301.0417";
    let output = mailwiz(&via(marker), "1").output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("no_banner") || stdout.contains("smtp.no_banner"), "{stdout}");
    assert!(gone(marker), "the via command's sleep lives on: {:?}", running(marker));
}

#[test]
fn when_mailwiz_is_stopped_the_via_command_goes_with_it() {
    for (signal, code) in [("-TERM", 143), ("-INT", 130)] {
        let marker = if code == 143 { "302.0417" } else { "303.0417" };
        let mut child = mailwiz(&via(marker), "60").spawn().unwrap();
        let started = Instant::now();
        while running(marker).is_empty() {
            assert!(started.elapsed() < Duration::from_secs(10), "the via command never started");
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(Command::new("kill").arg(signal).arg(child.id().to_string()).status().unwrap().success());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code), "{signal}");
        assert!(gone(marker), "{signal}: the via command's sleep lives on: {:?}", running(marker));
    }
}
