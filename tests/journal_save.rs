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
