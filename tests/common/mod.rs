//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;

/// True when running under CI, where missing test peers are failures, not skips.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false")
}

/// The third-party corpus: `$MAILWIZ_CORPUS`, else `../shared/corpus` beside the repository.
/// `None` (the caller skips, saying so) outside CI when it is missing; a failure under CI.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("MAILWIZ_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
    };
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(!in_ci(), "the corpus folder {} is missing; set MAILWIZ_CORPUS", dir.display());
    eprintln!("skipped: the corpus folder {} is missing (set MAILWIZ_CORPUS)", dir.display());
    None
}

/// A file of the corpus, e.g. `corpus_file("postfix-queue/postqf-tests-qdata.jsonl")`.
pub fn corpus_file(relative: &str) -> Option<PathBuf> {
    corpus_dir().map(|dir| dir.join(relative))
}

/// True when the loopback Postfix lab of `.ci/postfix-lab.sh` is up (it writes
/// `/run/mailwiz-lab/ready`). Under CI its absence is a failure; elsewhere the caller skips.
pub fn postfix_lab() -> bool {
    let ready = std::path::Path::new("/run/mailwiz-lab/ready").exists();
    if !ready {
        assert!(!in_ci(), "the Postfix lab is not running; .ci/run must start it with .ci/postfix-lab.sh start");
        eprintln!("skipped: the Postfix lab is not running (bash .ci/postfix-lab.sh start, as root)");
    }
    ready
}

/// The `--via` command of the ssh lab (`.ci/ssh-lab.sh`): a real `ssh -W %h:%p` jump through
/// sshd on loopback. `None` (the caller skips, saying so) outside CI when the lab is not running.
pub fn ssh_jump() -> Option<String> {
    if let Ok(via) = std::fs::read_to_string("/run/mailwiz-ssh/ready") {
        return Some(via.trim().to_string());
    }
    assert!(!in_ci(), "the ssh lab is not running; .ci/run must start it with .ci/ssh-lab.sh start");
    eprintln!("skipped: the ssh lab is not running (bash .ci/ssh-lab.sh start, as root)");
    None
}

// Mail of the Postfix lab: each test queues its own, to its own lab domain.

/// The lab's `postqueue -j` entry of the message to `address`, if it is queued.
pub fn queued(address: &str) -> Option<serde_json::Value> {
    let output = std::process::Command::new("postqueue").arg("-j").output().expect("postqueue runs");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|entry| entry["recipients"].as_array().is_some_and(|r| r.iter().any(|r| r["address"] == address)))
}

/// Queues a message to `address` and waits (bounded) until Postfix has deferred it; its queue id.
pub fn queue_deferred(address: &str) -> String {
    let mut sendmail = std::process::Command::new("sendmail")
        .args(["-f", "lab@lab.mailwiz.test", address])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("sendmail runs");
    let body = format!("From: lab@lab.mailwiz.test\nTo: {address}\nSubject: mailwiz queue action test\n\nx\n");
    sendmail.stdin.take().unwrap().write_all(body.as_bytes()).unwrap();
    assert!(sendmail.wait().unwrap().success());
    for _ in 0..300 {
        if let Some(entry) = queued(address)
            && entry["queue_name"] == "deferred"
            && entry["recipients"][0]["delay_reason"].as_str().is_some_and(|r| !r.is_empty())
        {
            return entry["queue_id"].as_str().unwrap().to_string();
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("the message to {address} was not deferred within 30 s");
}

/// A recipient no other run or test uses.
pub fn unique(domain: &str, tag: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{tag}-{}-{nanos}@{domain}", std::process::id())
}

/// A relay from another loopback address, standing in for `ssh -W %h:%p box2` as a second
/// vantage point. `None` (the caller skips, saying so) when socat is missing outside CI; a
/// failure under CI.
pub fn relay_from(source: &str) -> Option<String> {
    let present = std::process::Command::new("socat").arg("-V").output().is_ok_and(|o| o.status.success());
    if !present {
        assert!(!in_ci(), "socat is needed for the second vantage point under CI");
        eprintln!("skipped: socat is not installed");
        return None;
    }
    Some(format!("socat - TCP:%h:%p,bind={source}"))
}

/// Fake MTA programs (`postsuper`, `postqueue`, `postconf`, `exim`, `exim4`, `sendmail`,
/// `mailq`) in a temporary directory put first on `PATH`: each appends its name and arguments
/// to a log and answers as the real one does when it succeeds, so a test sees every MTA
/// command mailwiz ran, and none of the host's.
#[cfg(unix)]
pub struct FakeMta {
    dir: tempfile::TempDir,
}

#[cfg(unix)]
impl FakeMta {
    pub fn new() -> FakeMta {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("a temporary directory");
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let log = dir.path().join("calls.log");
        for program in ["postsuper", "postqueue", "postconf", "exim", "exim4", "sendmail", "mailq", "ssh"] {
            let answer = match program {
                "postsuper" => "echo 'postsuper: Requeued: 1 message' >&2",
                "postqueue" => "[ \"$1\" = -j ] && exit 1; true",
                _ => "true",
            };
            let script = format!("#!/bin/sh\necho \"{program} $*\" >> '{}'\n{answer}\n", log.display());
            let path = bin.join(program);
            std::fs::write(&path, script).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        FakeMta { dir }
    }

    /// `PATH` with the fake programs first.
    pub fn path(&self) -> std::ffi::OsString {
        let mut dirs = vec![self.dir.path().join("bin")];
        dirs.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
        std::env::join_paths(dirs).unwrap()
    }

    /// Every call made so far, one `program args` line each.
    pub fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("calls.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// The directory `mailwiz ARGS` reads its configuration from (`XDG_CONFIG_HOME`).
    pub fn config_dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// `mailwiz ARGS` with the fake programs first on `PATH`.
    pub fn mailwiz(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_mailwiz"))
            .args(args)
            .env("PATH", self.path())
            .env_remove("MAILWIZ_HELO")
            .env("XDG_CONFIG_HOME", self.dir.path())
            .env("XDG_STATE_HOME", self.dir.path())
            .stdin(std::process::Stdio::null())
            .output()
            .expect("mailwiz runs")
    }
}
