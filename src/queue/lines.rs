//! Reading a listing line by line whatever it holds: CRLF or LF, invalid UTF-8, no final newline.

use std::borrow::Cow;
use std::io::BufRead;

/// Calls `each(number, line)` for every line of `reader` (1-based numbers), without the line
/// ending; bytes that are not UTF-8 become U+FFFD. A read error ends the listing like its end.
pub fn for_each_line<R: BufRead>(mut reader: R, mut each: impl FnMut(usize, &str)) {
    let mut buf = Vec::with_capacity(4096);
    let mut number = 0;
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        number += 1;
        let mut end = buf.len();
        while end > 0 && matches!(buf[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        // Checking first is faster than the lossy conversion on lines that are valid.
        let line: Cow<str> = match std::str::from_utf8(&buf[..end]) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(&buf[..end]),
        };
        each(number, &line);
    }
}
