//! Opening a file named by the user whatever it is: a named pipe with no writer must not hang
//! the program, and a source that never ends (a pipe, `/dev/zero`) is read only up to a cap.

use std::fs::File;
use std::io::{self, BufRead, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long a named pipe is given to get a writer.
pub const WRITER_WAIT: Duration = Duration::from_secs(5);

/// A file opened for reading; a named pipe waits at most [`WRITER_WAIT`] for its writer, then
/// reads as empty (see [`no_writer_note`]).
#[derive(Debug)]
pub struct InputFile {
    file: File,
    /// For a named pipe that has given nothing yet: until when to wait for a writer.
    writer_deadline: Option<Instant>,
}

impl InputFile {
    /// The metadata of the open file.
    pub fn metadata(&self) -> io::Result<std::fs::Metadata> {
        self.file.metadata()
    }
}

impl Read for InputFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.file.read(buf)?;
            // Before any writer came, a pipe reads as ended: wait for one, up to the deadline.
            match self.writer_deadline {
                Some(deadline) if n == 0 && !buf.is_empty() && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                _ => {
                    if n > 0 {
                        self.writer_deadline = None;
                    }
                    return Ok(n);
                }
            }
        }
    }
}

/// Opens `path` for reading without ever blocking on a named pipe that has no writer.
pub fn open(path: &Path) -> io::Result<InputFile> {
    #[cfg(unix)]
    if is_fifo(path) {
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(rustix::fs::OFlags::NONBLOCK.bits().cast_signed())
            .open(path)?;
        // Opened; reads block again, so a writer that is slow is waited for as with a file.
        rustix::fs::fcntl_setfl(&file, rustix::fs::OFlags::empty())?;
        return Ok(InputFile { file, writer_deadline: Some(Instant::now() + WRITER_WAIT) });
    }
    Ok(InputFile { file: File::open(path)?, writer_deadline: None })
}

fn is_fifo(path: &Path) -> bool {
    #[cfg(unix)]
    return std::fs::metadata(path).is_ok_and(|m| std::os::unix::fs::FileTypeExt::is_fifo(&m.file_type()));
    #[cfg(not(unix))]
    return {
        let _ = path;
        false
    };
}

/// For a source that gave nothing: when `path` is a named pipe, the sentence saying why.
pub fn no_writer_note(path: &Path) -> Option<String> {
    is_fifo(path).then(|| {
        format!("{} is a named pipe and no writer gave anything within {} s", path.display(), WRITER_WAIT.as_secs())
    })
}

/// A reader that ends after `limit` bytes, remembering that it cut the source short.
#[derive(Debug)]
pub struct Capped<R> {
    inner: R,
    left: u64,
    cut: Arc<AtomicBool>,
    read: Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Capped<R> {
    /// Reads at most `limit` bytes of `inner`; the flag turns true when more were there.
    pub fn new(inner: R, limit: u64) -> (Capped<R>, Arc<AtomicBool>) {
        let cut = Arc::new(AtomicBool::new(false));
        let read = Arc::default();
        (Capped { inner, left: limit, cut: cut.clone(), read }, cut)
    }

    /// The count of bytes read so far, shared.
    pub fn count(&self) -> Arc<std::sync::atomic::AtomicU64> {
        self.read.clone()
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? > 0 {
                self.cut.store(true, Ordering::Relaxed);
            }
            return Ok(0);
        }
        let room = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..room])?;
        self.left -= n as u64;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// How [`read_line`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnd {
    /// A whole line (its line end dropped) or the last line without one.
    Whole,
    /// The line is longer than the cap: `buf` holds its first bytes, the rest is unread.
    TooLong,
    /// The end of the input.
    Eof,
}

/// Reads one line into `buf` (cleared first), keeping at most `max` bytes.
pub fn read_line(reader: &mut impl BufRead, buf: &mut Vec<u8>, max: usize) -> io::Result<LineEnd> {
    buf.clear();
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(if buf.is_empty() { LineEnd::Eof } else { LineEnd::Whole });
        }
        let (chunk, found) = match memchr::memchr(b'\n', available) {
            Some(end) => (&available[..end], true),
            None => (available, false),
        };
        let room = max.saturating_sub(buf.len());
        if chunk.len() > room {
            buf.extend_from_slice(&chunk[..room]);
            reader.consume(room);
            return Ok(LineEnd::TooLong);
        }
        buf.extend_from_slice(chunk);
        let used = chunk.len() + usize::from(found);
        reader.consume(used);
        if found {
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            return Ok(LineEnd::Whole);
        }
    }
}

/// Reads past the rest of a line without keeping it, at most `max` bytes; `Ok(true)` when its
/// end (or the end of the input) was reached, `Ok(false)` when `max` bytes came first.
pub fn skip_line(reader: &mut impl BufRead, max: u64) -> io::Result<bool> {
    let mut skipped = 0u64;
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(true);
        }
        if let Some(end) = memchr::memchr(b'\n', available) {
            reader.consume(end + 1);
            return Ok(true);
        }
        let used = available.len();
        reader.consume(used);
        skipped += used as u64;
        if skipped >= max {
            return Ok(false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_skipped_up_to_its_end_or_the_cap() {
        let mut reader = &b"0123456789\nnext\n"[..];
        assert!(skip_line(&mut reader, 100).unwrap());
        assert_eq!(reader, b"next\n");
        let mut endless = std::io::BufReader::with_capacity(4, std::io::repeat(b'x'));
        assert!(!skip_line(&mut endless, 64).unwrap());
    }

    #[test]
    fn lines_are_capped() {
        let mut reader = &b"short\r\nmuch too long\nx"[..];
        let mut buf = Vec::new();
        assert_eq!(read_line(&mut reader, &mut buf, 8).unwrap(), LineEnd::Whole);
        assert_eq!(buf, b"short");
        assert_eq!(read_line(&mut reader, &mut buf, 8).unwrap(), LineEnd::TooLong);
        assert_eq!(buf, b"much too");
    }

    #[test]
    fn an_endless_source_is_cut() {
        let (mut capped, cut) = Capped::new(io::repeat(0), 1000);
        let mut out = Vec::new();
        capped.read_to_end(&mut out).unwrap();
        assert_eq!(out.len(), 1000);
        assert!(cut.load(Ordering::Relaxed));
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_without_a_writer_reads_as_empty_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        rustix::fs::mknodat(rustix::fs::CWD, &fifo, rustix::fs::FileType::Fifo, rustix::fs::Mode::from(0o600), 0)
            .unwrap();
        let mut out = Vec::new();
        open(&fifo).unwrap().read_to_end(&mut out).unwrap();
        assert!(out.is_empty());
        assert!(no_writer_note(&fifo).unwrap().contains("no writer"));

        let writer = std::thread::spawn({
            let fifo = fifo.clone();
            move || {
                std::thread::sleep(Duration::from_millis(200));
                std::fs::write(fifo, b"late but there\n").unwrap();
            }
        });
        let mut out = Vec::new();
        open(&fifo).unwrap().read_to_end(&mut out).unwrap();
        writer.join().unwrap();
        assert_eq!(out, b"late but there\n");
    }
}
