//! Lines typed on stdin, each bounded: a line longer than [`MAX_INPUT_LINE`] is refused and its
//! bytes dropped as they come, never held.

use tokio::io::{BufReader, Stdin};

use crate::smtp::reply::LineReader;

pub use crate::session::MAX_INPUT_LINE;

/// The lines of stdin.
pub struct StdinLines {
    reader: LineReader<BufReader<Stdin>>,
}

impl Default for StdinLines {
    fn default() -> StdinLines {
        StdinLines { reader: LineReader::with_limits(BufReader::new(tokio::io::stdin()), MAX_INPUT_LINE, usize::MAX) }
    }
}

impl StdinLines {
    /// The next line (invalid UTF-8 replaced); `Err` with a sentence for a line that was too
    /// long; `None` at the end of the input or when it cannot be read.
    pub async fn next(&mut self) -> Option<Result<String, String>> {
        let line = self.reader.next_line().await.ok()??;
        if line.cut {
            return Some(Err(format!("an input line longer than {} KiB was dropped", MAX_INPUT_LINE / 1024)));
        }
        Some(Ok(String::from_utf8_lossy(&line.raw).into_owned()))
    }
}
