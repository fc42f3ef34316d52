//! The transcript markers, swaks' own, used by the TUI, the saved transcript and the headless
//! commands alike: `->` sent, `<-` received, `~>`/`<~` inside TLS, `<**`/`<~*` for an error reply
//! (4xx or 5xx), `***` for an event of ours, `===` for information.

/// A line we sent.
pub fn sent(tls: bool) -> &'static str {
    if tls { "~>" } else { "->" }
}

/// A line we received: an error reply (its code 4xx or 5xx) is marked as such.
pub fn received(tls: bool, line: &str) -> &'static str {
    let error = line.as_bytes().first().is_some_and(|b| matches!(b, b'4' | b'5'))
        && line.as_bytes().get(1..3).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    match (tls, error) {
        (false, false) => "<-",
        (true, false) => "<~",
        (false, true) => "<**",
        (true, true) => "<~*",
    }
}

/// An event of ours (a connection closed, a timeout, a failure).
pub const EVENT: &str = "***";

/// Information of ours (connecting, TLS established, a DNS answer).
pub const INFO: &str = "===";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_replies_are_marked_as_swaks_does() {
        assert_eq!(received(false, "250-mx Hello"), "<-");
        assert_eq!(received(false, "550 5.7.1 no"), "<**");
        assert_eq!(received(true, "421-4.7.0 later"), "<~*");
        assert_eq!(received(true, "250 ok"), "<~");
        assert_eq!(received(false, "4"), "<-");
        assert_eq!((sent(false), sent(true)), ("->", "~>"));
    }
}
