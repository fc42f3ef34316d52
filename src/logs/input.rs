//! Where log bytes come from: paths and globs, plain or gzip-compressed files, read as a stream
//! while counting the bytes taken from disk for progress.

use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use super::LogsError;

/// Expands the arguments: a pattern with `*`, `?` or `[` is a glob (sorted matches; none is an
/// error naming it), anything else is a path taken as given.
pub fn expand(patterns: &[String]) -> Result<Vec<PathBuf>, LogsError> {
    let mut paths = Vec::new();
    for pattern in patterns {
        if !pattern.contains(['*', '?', '[']) {
            paths.push(PathBuf::from(pattern));
            continue;
        }
        let entries = glob::glob(pattern)
            .map_err(|err| LogsError::Input(format!("the pattern \"{pattern}\" is not valid: {err}")))?;
        let mut matched: Vec<PathBuf> = entries.filter_map(Result::ok).filter(|p| p.is_file()).collect();
        if matched.is_empty() {
            return Err(LogsError::Input(format!("no file matches \"{pattern}\"")));
        }
        matched.sort();
        paths.extend(matched);
    }
    Ok(paths)
}

/// An opened log: its bytes (decompressed when gzip), the size on disk and the modification time.
pub struct Opened {
    pub reader: Box<dyn Read + Send>,
    pub size: u64,
    pub modified: Option<SystemTime>,
    pub compressed: bool,
    /// Set when the gzip data ended early or was damaged: the reader then ended there, and
    /// this says why.
    pub cut: Arc<std::sync::Mutex<Option<String>>>,
}

/// Opens `path`, recognising gzip by its magic bytes whatever the name. Every byte read from the
/// file (compressed or not) is added to `counter`.
pub fn open(path: &Path, counter: Arc<AtomicU64>) -> io::Result<Opened> {
    let file = crate::input_file::open(path)?;
    let metadata = file.metadata()?;
    if metadata.is_dir() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "it is a directory"));
    }
    let mut reader = BufReader::with_capacity(1 << 16, Counting { inner: file, counter });
    let compressed = {
        use std::io::BufRead;
        reader.fill_buf()?.starts_with(&[0x1f, 0x8b])
    };
    let cut = Arc::new(std::sync::Mutex::new(None));
    let reader: Box<dyn Read + Send> = if compressed {
        Box::new(GzipCut { inner: flate2::bufread::MultiGzDecoder::new(reader), cut: cut.clone() })
    } else {
        Box::new(reader)
    };
    Ok(Opened { reader, size: metadata.len(), modified: metadata.modified().ok(), compressed, cut })
}

/// Ends a gzip stream where its data ends early or is damaged (a file still being written, a
/// copy cut short), so what came before is read; the error is kept in `cut`.
struct GzipCut<R> {
    inner: R,
    cut: Arc<std::sync::Mutex<Option<String>>>,
}

impl<R: Read> Read for GzipCut<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Err(err)
                if matches!(
                    err.kind(),
                    io::ErrorKind::UnexpectedEof | io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput
                ) =>
            {
                let mut cut = self.cut.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                cut.get_or_insert_with(|| err.to_string());
                Ok(0)
            }
            other => other,
        }
    }
}

/// The sum of the sizes of `paths` that exist.
pub fn total_size(paths: &[PathBuf]) -> u64 {
    paths.iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum()
}

struct Counting<R> {
    inner: R,
    counter: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}
