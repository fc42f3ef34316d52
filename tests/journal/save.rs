//! Saves are atomic, and a path that cannot be written is an error, never a panic.

use std::io::Write;

use mailwiz::session::export;
use mailwiz::session::journal::{EventKind, Journal};

#[test]
fn a_failing_write_leaves_the_previous_file_intact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.txt");
    export::write_atomic(&path, b"previous report\n").unwrap();

    let err = export::write_atomic_with(&path, |file| {
        file.write_all(b"half of the new rep")?;
        Err(std::io::Error::other("disk full"))
    })
    .unwrap_err();
    assert_eq!(err.path, path);
    assert!(err.to_string().contains("disk full"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "previous report\n");
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(files, ["report.txt"], "the temporary file is removed");

    export::write_atomic(&path, b"new report\n").unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "new report\n");
}

#[test]
fn an_unwritable_path_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    // A path below a regular file cannot be created, whoever runs the test (root included).
    let file = dir.path().join("plain-file");
    std::fs::write(&file, "x").unwrap();
    let journal = Journal::in_memory();
    journal.log(EventKind::Info, "something worth saving");

    let err = export::save(&file.join("report"), &journal.events()).unwrap_err();
    assert!(err.to_string().contains("plain-file"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");

    // A directory where the transcript should go: the rename fails, nothing is clobbered.
    let base = dir.path().join("taken");
    std::fs::create_dir(dir.path().join("taken.txt")).unwrap();
    let err = export::save(&base, &journal.events()).unwrap_err();
    assert!(err.path.ends_with("taken.txt"), "{err}");
    assert!(dir.path().join("taken.txt").is_dir());
}

#[cfg(unix)]
#[test]
fn a_new_journal_is_private_and_a_symlink_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions/session-1.jsonl");
    let journal = Journal::create(&path).unwrap();
    journal.log(EventKind::Info, "x");
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);

    let link = dir.path().join("link.jsonl");
    std::os::unix::fs::symlink(&path, &link).unwrap();
    let err = Journal::create(&link).unwrap_err().to_string();
    assert!(err.contains("symbolic link"), "{err}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_journal_that_cannot_be_written_fails_a_headless_command() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_mailwiz"))
        .args(["--demo", "--journal", "/dev/full", "ptr", "203.0.113.5"])
        .env("XDG_CONFIG_HOME", "/nonexistent-mailwiz-config")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("/dev/full could not be written"), "{stderr}");
}

/// A FIFO, a socket, a symbolic link and (where mknod is allowed: as root) a character device
/// in `dir`, with their kinds in words.
#[cfg(unix)]
fn special_files(dir: &std::path::Path) -> Vec<(std::path::PathBuf, &'static str)> {
    let fifo = dir.join("fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let socket = dir.join("socket");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    std::mem::forget(listener);
    let target = dir.join("target.md");
    std::fs::write(&target, "the link's target\n").unwrap();
    let link = dir.join("link.md");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let mut files = vec![(fifo, "a named pipe (FIFO)"), (socket, "a socket"), (link, "a symbolic link")];
    let device = dir.join("null");
    let made = std::process::Command::new("mknod").arg(&device).args(["c", "1", "3"]).status();
    if made.is_ok_and(|s| s.success()) {
        files.push((device, "a character device"));
    } else {
        assert!(!crate::common::in_ci(), "CI runs as root, where mknod works");
        eprintln!("skipped the device node: mknod needs root");
    }
    files
}

#[cfg(unix)]
fn kind_of(path: &std::path::Path) -> std::fs::FileType {
    std::fs::symlink_metadata(path).unwrap().file_type()
}

#[cfg(unix)]
#[test]
fn a_save_never_replaces_what_is_not_a_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    for (path, what) in special_files(dir.path()) {
        let before = kind_of(&path);
        let err = export::write_atomic(&path, b"report\n").unwrap_err().to_string();
        assert!(err.contains(&format!("it is {what}, not a regular file")), "{err}");
        assert_eq!(kind_of(&path), before, "{} is left as it was", path.display());
    }
    assert_eq!(std::fs::read_to_string(dir.path().join("target.md")).unwrap(), "the link's target\n");
    // The TUI's Ctrl-S goes through the same writer: a FIFO where the transcript goes is refused.
    let journal = Journal::in_memory();
    journal.log(EventKind::Info, "something worth saving");
    assert!(std::process::Command::new("mkfifo").arg(dir.path().join("s.txt")).status().unwrap().success());
    let err = export::save(&dir.path().join("s"), &journal.events()).unwrap_err().to_string();
    assert!(err.contains("s.txt: it is a named pipe (FIFO)"), "{err}");
    // A regular file is replaced as before.
    let plain = dir.path().join("plain.md");
    std::fs::write(&plain, "old\n").unwrap();
    export::write_atomic(&plain, b"new\n").unwrap();
    assert_eq!(std::fs::read_to_string(&plain).unwrap(), "new\n");
}

#[cfg(unix)]
#[test]
fn check_refuses_a_report_or_note_path_that_is_not_a_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    for (path, what) in special_files(dir.path()) {
        for flag in ["--report", "--note"] {
            let before = kind_of(&path);
            let output = std::process::Command::new(env!("CARGO_BIN_EXE_mailwiz"))
                .args(["--demo", "check", "bank.example", flag])
                .arg(&path)
                .env("XDG_CONFIG_HOME", "/nonexistent-mailwiz-config")
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{flag} {}: {stderr}", path.display());
            assert!(stderr.contains(&format!("it is {what}, not a regular file")), "{stderr}");
            assert_eq!(stderr.trim().lines().count(), 1, "one sentence: {stderr}");
            assert!(output.stdout.is_empty(), "the check did not run");
            assert_eq!(kind_of(&path), before);
        }
    }
    // A regular path is written, private.
    let report = dir.path().join("report.md");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_mailwiz"))
        .args(["--demo", "check", "bank.example", "--report"])
        .arg(&report)
        .env("XDG_CONFIG_HOME", "/nonexistent-mailwiz-config")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(std::fs::read_to_string(&report).unwrap().contains("bank.example"));
}
