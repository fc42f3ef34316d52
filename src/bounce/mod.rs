//! Bounces: a non-delivery report (an .eml or mbox message, pasted text, an Outlook message saved
//! as text) read into its recipients, what was said about each of them and by whom, and the
//! original message. MIME goes through `mail-parser`; RFC 3464 delivery-status fields are read
//! where a report has them ([`dsn`]), the text of the common MTAs and providers where it has not
//! ([`text`]). Each reply is classified by the one reply classifier, at its stage.
//!
//! Bounded whatever the input: at most [`MAX_INPUT`] bytes, [`MAX_RECIPIENTS`] recipients,
//! [`MAX_LINE`] bytes kept of a line and [`MAX_DIAGNOSTIC`] of what was said; every string kept
//! is escaped.

pub mod dsn;
pub mod file;
pub mod findings;
pub mod original;
pub mod reply;
pub mod seed;
pub mod text;

use mail_parser::{MessageParser, MimeHeaders, PartType};
use serde::Serialize;

use crate::session::escape::escape_str;
use crate::smtp::classify::Classification;

pub use reply::Speaker;

/// The largest bounce read, in bytes.
pub const MAX_INPUT: usize = 16 * 1024 * 1024;
/// Recipients kept; more are counted.
pub const MAX_RECIPIENTS: usize = 1000;
/// Bytes kept of one text line.
pub const MAX_LINE: usize = 8 * 1024;
/// Bytes kept of what was said about one recipient.
pub const MAX_DIAGNOSTIC: usize = 4 * 1024;

/// Why a text could not be read as a bounce; one sentence, the input named by the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BounceError {
    #[error("is larger than {} MiB, more than any bounce", MAX_INPUT / (1024 * 1024))]
    TooLarge,
    #[error("is empty")]
    Empty,
    #[error(
        "is not a bounce: it has no delivery-status part and names no failed recipient in any bounce text mailwiz reads"
    )]
    NotABounce,
}

/// What the delivery report says happened to a recipient (RFC 3464 `Action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DsnAction {
    Failed,
    Delayed,
    Delivered,
    Relayed,
    Expanded,
}

impl DsnAction {
    /// The action named `word` (case-insensitive), if RFC 3464 knows it.
    pub fn parse(word: &str) -> Option<DsnAction> {
        Some(match word.trim().to_ascii_lowercase().as_str() {
            "failed" => DsnAction::Failed,
            "delayed" => DsnAction::Delayed,
            "delivered" => DsnAction::Delivered,
            "relayed" => DsnAction::Relayed,
            "expanded" => DsnAction::Expanded,
            _ => return None,
        })
    }

    /// True when the message has not reached the recipient (failed or still delayed).
    pub fn is_trouble(self) -> bool {
        matches!(self, DsnAction::Failed | DsnAction::Delayed)
    }
}

/// One recipient of the bounce and what was said about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recipient {
    pub address: String,
    pub action: DsnAction,
    /// The enhanced status code the report gives (`5.1.1`).
    pub status: Option<String>,
    /// The receiving host, as the report names it (`mx.example.net [192.0.2.1]`).
    pub remote_mta: Option<String>,
    /// The receiver's reply, when the receiver answered; else what our MTA wrote.
    pub reply: Option<String>,
    /// Who wrote `reply`: the receiver, or the MTA that gave up (a timeout, a DNS failure).
    pub said_by: Speaker,
    /// The stage of the dialogue the reply answered (`rcpt`), as `reason.stage` says.
    pub stage: String,
    pub reason: Classification,
    /// The whole diagnostic text the report gives for this recipient.
    pub diagnostic: Option<String>,
    /// What the reply (else the status) means, from the reply explainer (`5.7.708`: Exchange
    /// Online refuses to send for this tenant's IP).
    pub meaning: Option<String>,
}

/// The message that bounced, as far as the report includes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Original {
    pub from: Option<String>,
    pub to: Option<String>,
    pub subject: Option<String>,
    pub message_id: Option<String>,
}

/// Which shape the report was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// An RFC 3464 `message/delivery-status` part (or its fields pasted as text).
    DeliveryStatus,
    /// The bounce text of an MTA or provider.
    Text,
}

/// A bounce, read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bounce {
    pub shape: Shape,
    /// The MTA that wrote the report (`Reporting-MTA`, or the generating server it names).
    pub reporting_mta: Option<String>,
    /// When the reporting MTA received the message (`Arrival-Date`), as written.
    pub arrival: Option<String>,
    /// The bounce's own subject.
    pub subject: Option<String>,
    pub original: Original,
    pub recipients: Vec<Recipient>,
    /// Recipients past [`MAX_RECIPIENTS`], counted and not kept.
    pub recipients_dropped: usize,
    /// True when some text was cut to the caps.
    pub cut: bool,
}

impl Bounce {
    /// The recipients the message did not reach (failed or delayed), in report order.
    pub fn troubled(&self) -> impl Iterator<Item = &Recipient> {
        self.recipients.iter().filter(|r| r.action.is_trouble())
    }

    /// The recipient whose domain the walk continues with: the first that failed, else the
    /// first delayed, else the first.
    pub fn main_recipient(&self) -> Option<&Recipient> {
        let first = |action| self.recipients.iter().find(|r| r.action == action);
        first(DsnAction::Failed).or_else(|| first(DsnAction::Delayed)).or_else(|| self.recipients.first())
    }
}

/// Reads `bytes` as a bounce.
pub fn read(bytes: &[u8]) -> Result<Bounce, BounceError> {
    if bytes.len() > MAX_INPUT {
        return Err(BounceError::TooLarge);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(BounceError::Empty);
    }
    let bytes = without_mbox_line(bytes);
    let parser = MessageParser::new();
    let message = parser.parse(bytes).filter(|m| !m.headers().is_empty());
    let mut parts = Parts::default();
    match &message {
        Some(message) => collect(message, &mut parts, 0),
        None => parts.texts.push(String::from_utf8_lossy(bytes).into_owned()),
    }
    let subject = message.as_ref().and_then(|m| m.subject()).map(str::to_string);
    let from = message.as_ref().and_then(|m| m.from()).and_then(|a| a.first()).and_then(|a| a.address());
    let body = parts.texts.join("\n");
    let mut cut = false;

    let mut report = parts.status.as_deref().map(dsn::parse);
    // Delivery-status fields pasted as text, without their MIME part.
    if report.as_ref().is_none_or(|r| r.recipients.is_empty()) && dsn::has_fields(&body) {
        report = Some(dsn::parse(&body));
    }
    let read_text = text::read(&body);
    cut |= read_text.cut;
    let original =
        parts.original.filter(|o| *o != Original::default()).or_else(|| read_text.original.clone()).unwrap_or_default();

    let (shape, mut recipients, reporting_mta, arrival) =
        if let Some(report) = report.filter(|r| !r.recipients.is_empty()) {
            cut |= report.cut;
            let mut recipients: Vec<Recipient> = report.recipients.iter().map(dsn::DsnRecipient::read).collect();
            // The text often holds the receiver's words a terse Diagnostic-Code lacks.
            text::complete(&mut recipients, &read_text);
            (Shape::DeliveryStatus, recipients, report.reporting_mta, report.arrival)
        } else {
            let recipients = read_text.recipients();
            if recipients.is_empty() || !text::looks_like_bounce(subject.as_deref(), from, &body) {
                return Err(BounceError::NotABounce);
            }
            (Shape::Text, recipients, read_text.reporting_mta.clone(), None)
        };
    let dropped = recipients.len().saturating_sub(MAX_RECIPIENTS);
    recipients.truncate(MAX_RECIPIENTS);
    for recipient in &mut recipients {
        recipient.meaning = reply::meaning(recipient.reply.as_deref(), recipient.status.as_deref());
    }
    Ok(Bounce {
        shape,
        reporting_mta: reporting_mta.map(|s| clean(&s, MAX_LINE)),
        arrival: arrival.map(|s| clean(&s, MAX_LINE)),
        subject: subject.map(|s| clean(&s, MAX_LINE)),
        original: original.escaped(),
        recipients,
        recipients_dropped: dropped,
        cut,
    })
}

impl Original {
    fn escaped(self) -> Original {
        let e = |v: Option<String>| v.map(|s| clean(&s, MAX_LINE));
        Original { from: e(self.from), to: e(self.to), subject: e(self.subject), message_id: e(self.message_id) }
    }
}

/// The parts of a message that matter to a bounce.
#[derive(Default)]
struct Parts {
    /// The text of every text part, in order (HTML only when no plain text came).
    texts: Vec<String>,
    /// The first delivery-status part.
    status: Option<String>,
    /// The original message's headers, from a message/rfc822 or text/rfc822-headers part.
    original: Option<Original>,
}

/// How deep nested messages are followed: a bounce of a bounce is read, not a chain of them.
const MAX_DEPTH: usize = 3;

fn collect(message: &mail_parser::Message<'_>, parts: &mut Parts, depth: usize) {
    let mut html = Vec::new();
    for part in &message.parts {
        let (ctype, subtype) = part
            .content_type()
            .map(|c| (c.ctype().to_ascii_lowercase(), c.subtype().unwrap_or("").to_ascii_lowercase()))
            .unwrap_or_default();
        match (&part.body, ctype.as_str(), subtype.as_str()) {
            (_, "message", "delivery-status" | "global-delivery-status") if parts.status.is_none() => {
                parts.status = Some(String::from_utf8_lossy(part.contents()).into_owned());
            }
            (_, "text" | "message", "rfc822-headers" | "global-headers") if parts.original.is_none() => {
                parts.original = original::from_headers(part.contents());
            }
            (_, "message", "delivery-status" | "global-delivery-status")
            | (_, "text" | "message", "rfc822-headers" | "global-headers") => {}
            (PartType::Message(inner), ..) => {
                if parts.original.is_none() {
                    parts.original = Some(original::from_message(inner));
                }
                // A report forwarded inside another message is read from inside.
                if depth < MAX_DEPTH && parts.status.is_none() && parts.texts.is_empty() {
                    collect(inner, parts, depth + 1);
                }
            }
            (PartType::Text(text), ..) => parts.texts.push(text.to_string()),
            (PartType::Html(text), ..) => html.push(original::html_text(text)),
            _ => {}
        }
    }
    if parts.texts.is_empty() {
        parts.texts = html;
    }
}

/// An mbox file starts with a `From ` separator line that is no header: it is skipped, and
/// only the first message of the file is read.
fn without_mbox_line(bytes: &[u8]) -> &[u8] {
    let mut bytes = bytes;
    if bytes.starts_with(b"From ") {
        bytes = memchr::memchr(b'\n', bytes).map_or(&[][..], |i| &bytes[i + 1..]);
    }
    if let Some(next) = memchr::memmem::find(bytes, b"\n\nFrom ") {
        return &bytes[..=next];
    }
    bytes
}

/// `text` on one line, white space runs as one space, cut to `max` bytes and escaped.
pub(crate) fn clean(text: &str, max: usize) -> String {
    let flat = crate::logs::reply::flatten(text);
    escape_str(cut_at(&flat, max))
}

/// `text` cut to at most `max` bytes, at a character boundary.
pub(crate) fn cut_at(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
