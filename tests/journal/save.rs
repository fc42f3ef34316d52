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
