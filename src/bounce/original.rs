//! The message that bounced: its From, To, Subject and Message-ID, from an attached message,
//! an attached header block, or the headers a text bounce quotes after its marker line.

use mail_parser::{Message, MessageParser};

use super::Original;

/// The original's fields from an attached message.
pub fn from_message(message: &Message<'_>) -> Original {
    let address =
        |a: Option<&mail_parser::Address<'_>>| a.and_then(|a| a.first()).and_then(|a| a.address()).map(str::to_string);
    Original {
        from: address(message.from()),
        to: address(message.to()),
        subject: message.subject().map(str::to_string),
        message_id: message.message_id().map(str::to_string),
    }
}

/// The original's fields from a header block (`text/rfc822-headers`, or quoted text); `None`
/// when the block holds none of them.
pub fn from_headers(bytes: &[u8]) -> Option<Original> {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(bytes.len());
    let message = MessageParser::new().parse_headers(&bytes[start..])?;
    let original = from_message(&message);
    (original != Original::default()).then_some(original)
}

/// The visible text of an HTML part, for bounces that have no plain text.
pub fn html_text(html: &str) -> String {
    mail_parser::decoders::html::html_to_text(html)
}
