//! A bounce named by the user: a file read within the size cap (a named pipe without a writer
//! does not hang), or text pasted as it is; either read into a [`Bounce`], or refused in one
//! sentence that names it. `mailwiz bounce`, `--bounce` and the wizard's `bounce>` prompt share
//! this.

use std::io::Read;
use std::path::Path;

use super::{Bounce, MAX_INPUT};
use crate::session::escape::escape_str;

/// Reads the bounce in the file `path`: the name to call it by, and the bounce; else one
/// sentence saying what is wrong (a directory, unreadable, no bounce).
pub fn load(path: &Path) -> Result<(String, Bounce), String> {
    let shown = escape_str(&path.display().to_string());
    let bytes = read(path, &shown)?;
    parse(&shown, &bytes)
}

/// Reads `bytes` (the bounce on stdin, or pasted text) called `name` as a bounce.
pub fn parse(name: &str, bytes: &[u8]) -> Result<(String, Bounce), String> {
    let bounce = super::read(bytes).map_err(|err| format!("{name} {err}."))?;
    Ok((name.to_string(), bounce))
}

/// The bytes of the file `path` (called `shown`), at most one past [`MAX_INPUT`] so that a
/// larger file is refused as too large rather than read whole.
fn read(path: &Path, shown: &str) -> Result<Vec<u8>, String> {
    if path.is_dir() {
        return Err(format!("{shown} is a directory, not a bounce message."));
    }
    let mut bytes = Vec::new();
    crate::input_file::open(path)
        .and_then(|file| file.take(MAX_INPUT as u64 + 1).read_to_end(&mut bytes))
        .map_err(|err| format!("the bounce {shown} cannot be read: {err}."))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_refusal_is_one_sentence_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = load(dir.path()).unwrap_err();
        assert!(err.ends_with("is a directory, not a bounce message."), "{err}");
        let err = load(&dir.path().join("missing.eml")).unwrap_err();
        assert!(err.starts_with("the bounce ") && err.contains("missing.eml cannot be read"), "{err}");
        let lunch = dir.path().join("lunch.eml");
        std::fs::write(&lunch, "From: a@example.org\nSubject: Lunch\n\nNoon.\n").unwrap();
        let err = load(&lunch).unwrap_err();
        assert!(err.contains("lunch.eml is not a bounce"), "{err}");
        assert_eq!(err.matches(". ").count(), 0, "one sentence: {err}");
    }

    #[test]
    fn a_file_past_the_cap_is_refused_as_too_large() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.eml");
        std::fs::write(&big, vec![b'x'; MAX_INPUT + 10]).unwrap();
        assert!(load(&big).unwrap_err().contains("is larger than 16 MiB"));
    }
}
