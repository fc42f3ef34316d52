//! One event read from an MTA log, whatever the format.

use chrono::{FixedOffset, NaiveDateTime};
use serde::Serialize;

/// What happened to a message or a recipient, as the log says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Delivered to the next hop.
    Sent,
    /// Temporarily failed; the MTA will retry.
    Deferred,
    /// Permanently failed; a bounce was or will be sent.
    Bounced,
    /// Given up after the maximal queue lifetime.
    Expired,
    /// Refused by us while receiving (Postfix NOQUEUE, Exim rejected RCPT).
    Rejected,
    /// Accepted by us from a client.
    Received,
    /// A connection or protocol error logged on its own line, before the delivery status.
    Error,
}

impl Status {
    /// The lowercase word used in JSON and on screen.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Sent => "sent",
            Status::Deferred => "deferred",
            Status::Bounced => "bounced",
            Status::Expired => "expired",
            Status::Rejected => "rejected",
            Status::Received => "received",
            Status::Error => "error",
        }
    }

    /// True for outcomes that mean the mail did not get through (yet).
    pub fn is_failure(self) -> bool {
        matches!(self, Status::Deferred | Status::Bounced | Status::Expired | Status::Rejected | Status::Error)
    }

    /// All statuses, in display order.
    pub const ALL: [Status; 7] = [
        Status::Sent,
        Status::Deferred,
        Status::Bounced,
        Status::Expired,
        Status::Rejected,
        Status::Error,
        Status::Received,
    ];
}

/// Whether the event concerns mail we send or mail we receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Inbound,
    Outbound,
}

/// A timestamp as the log wrote it: wall-clock time, with its UTC offset when the log says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LogTime {
    pub local: NaiveDateTime,
    pub offset: Option<FixedOffset>,
}

impl LogTime {
    /// A time without a known offset.
    pub fn naive(local: NaiveDateTime) -> LogTime {
        LogTime { local, offset: None }
    }
}

impl LogTime {
    fn key(&self) -> (NaiveDateTime, Option<i32>) {
        (self.local, self.offset.map(|o| o.local_minus_utc()))
    }
}

impl PartialOrd for LogTime {
    fn partial_cmp(&self, other: &LogTime) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Ordered by wall-clock time as written; logs of one run share one clock.
impl Ord for LogTime {
    fn cmp(&self, other: &LogTime) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl std::fmt::Display for LogTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.offset {
            Some(offset) => write!(f, "{}{}", self.local.format("%Y-%m-%dT%H:%M:%S"), offset),
            None => write!(f, "{}", self.local.format("%Y-%m-%dT%H:%M:%S")),
        }
    }
}

impl Serialize for LogTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// One event of a log, fields left empty where the format does not have them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LogRecord {
    /// 1-based line number in its file (the last line of an event joined from several).
    pub line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<LogTime>,
    /// The host that wrote the log (syslog host, server name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// `postfix/smtp`, `exim`, `SMTPSVC1`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// The peer's name (relay, MX host, client).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_host: Option<String>,
    /// The peer's address as written in the log (not always a valid IP in samples).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    /// The recipient's domain, lowercase.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_code: Option<u16>,
    /// Enhanced status code (RFC 3463), e.g. `4.7.0`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enhanced_code: Option<String>,
    /// The reply or error text, flattened to one line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
    /// The MTA logged the outcome without contacting the peer again ("retry time not reached",
    /// "delivery temporarily suspended"): a repeat of an earlier failure, not a new attempt.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub not_attempted: bool,
    /// The log line itself (the last one for events joined from several lines).
    pub raw: String,
}

impl LogRecord {
    /// Sets the recipient and derives its domain.
    pub fn set_recipient(&mut self, address: &str) {
        let address = address.trim().trim_start_matches('<').trim_end_matches('>');
        if address.is_empty() {
            return;
        }
        self.domain = address.rsplit_once('@').map(|(_, d)| d.trim_end_matches('.').to_ascii_lowercase());
        self.recipient = Some(address.to_string());
    }

    /// Sets the reply text and the codes found at its start.
    pub fn set_reply(&mut self, text: &str) {
        let text = super::reply::flatten(text);
        let (code, enhanced) = super::reply::codes(&text);
        self.reply_code = self.reply_code.or(code);
        if self.enhanced_code.is_none() {
            self.enhanced_code = enhanced;
        }
        self.reply = Some(text.into_owned());
    }

    /// `421 4.7.0` / `421` / `4.4.1` / empty: the codes as one label.
    pub fn code_label(&self) -> String {
        match (self.reply_code, &self.enhanced_code) {
            (Some(code), Some(enhanced)) => format!("{code} {enhanced}"),
            (Some(code), None) => code.to_string(),
            (None, Some(enhanced)) => enhanced.clone(),
            (None, None) => String::new(),
        }
    }
}
