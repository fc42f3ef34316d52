//! Helpers shared by the integration tests.
#![allow(dead_code)]

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
