//! Watching a retry in the log as it is written: says when mail to the target was delivered,
//! and turns a deferral reason not seen before into a `log.new_reason` finding.

use std::collections::HashSet;

use super::record::{LogRecord, Status};
use super::summary::LogSummary;
use crate::session::Finding;
use crate::session::escape::escape_str;

/// Reasons remembered at most; a log that invents more is not worth more memory.
const MAX_REASONS: usize = 1024;
/// Characters of a reply kept in a finding.
const REPLY_CHARS: usize = 300;

/// What a followed record means for the target.
#[derive(Debug, Clone, PartialEq)]
pub enum Seen {
    /// Mail to `recipient` was delivered; `reply` is the receiver's answer, when logged.
    Delivered { recipient: String, reply: String },
    /// A deferral or bounce for a reason not seen before.
    NewReason(Finding),
}

impl Seen {
    /// One line for a delivery (`✓ delivered to a@b.example: 250 Ok`); a new reason is a finding.
    pub fn delivered_line(&self) -> Option<String> {
        match self {
            Seen::Delivered { recipient, reply } => Some(format!("✓ delivered to {recipient}: {reply}")),
            Seen::NewReason(_) => None,
        }
    }

    /// The finding of a new reason.
    pub fn new_reason(&self) -> Option<&Finding> {
        match self {
            Seen::NewReason(finding) => Some(finding),
            Seen::Delivered { .. } => None,
        }
    }
}

/// The reasons seen so far for one domain.
#[derive(Debug, Clone, Default)]
pub struct Watch {
    domain: String,
    known: HashSet<String>,
}

impl Watch {
    /// A watch for `domain` that already knows the failure replies of `summary` (the log as it
    /// was before following began).
    pub fn new(domain: &str, summary: Option<&LogSummary>) -> Watch {
        let mut watch = Watch { domain: domain.to_string(), known: HashSet::new() };
        for failure in summary.map(|s| s.failures.as_slice()).unwrap_or_default() {
            watch.remember(reason_key(&failure.code, &failure.reply));
        }
        watch
    }

    fn remember(&mut self, key: String) -> bool {
        self.known.len() < MAX_REASONS && self.known.insert(key)
    }

    /// Reads one record of the target.
    pub fn see(&mut self, record: &LogRecord) -> Option<Seen> {
        let reply = record.reply.as_deref().unwrap_or_default();
        match record.status? {
            Status::Sent => Some(Seen::Delivered {
                recipient: escape_str(record.recipient.as_deref().unwrap_or(&self.domain)),
                reply: escape_str(reply),
            }),
            status if status.is_failure() => {
                let code = record.code_label();
                if !self.remember(reason_key(&code, reply)) {
                    return None;
                }
                let shown: String = [code.as_str(), reply].join(" ").trim().chars().take(REPLY_CHARS).collect();
                let shown = escape_str(&shown);
                let finding = Finding::new("log.new_reason", &[("domain", &self.domain), ("reply", &shown)])
                    .with_evidence([escape_str(&record.raw)]);
                Some(Seen::NewReason(finding))
            }
            _ => None,
        }
    }
}

/// A reason without what changes between attempts (ids, addresses, ports, counts): the code and
/// the reply with every run of digits as `#`, lower case.
pub fn reason_key(code: &str, reply: &str) -> String {
    let mut key = String::with_capacity(code.len() + reply.len() + 1);
    let mut digits = false;
    for c in code.chars().chain([' ']).chain(reply.chars()).take(1024) {
        if c.is_ascii_digit() {
            if !digits {
                key.push('#');
            }
            digits = true;
        } else {
            digits = false;
            key.extend(c.to_lowercase());
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn record(status: Status, code: Option<u16>, reply: &str) -> LogRecord {
        LogRecord {
            status: Some(status),
            reply_code: code,
            reply: Some(reply.into()),
            recipient: Some("a@bank.example".into()),
            raw: "raw line".into(),
            ..LogRecord::default()
        }
    }

    #[test]
    fn a_new_reason_is_a_finding_once_and_delivery_is_said() {
        let mut watch = Watch::new("bank.example", None);
        let refused = record(Status::Deferred, None, "connect to 127.0.0.1[127.0.0.1]:2531: Connection refused");
        let Some(Seen::NewReason(finding)) = watch.see(&refused) else { panic!("a new reason") };
        assert_eq!(finding.id, "log.new_reason");
        assert!(finding.summary.contains("Connection refused"), "{}", finding.summary);
        let again = record(Status::Deferred, None, "connect to 127.0.0.2[127.0.0.2]:2532: Connection refused");
        assert_eq!(watch.see(&again), None, "the same reason with other numbers is not new");
        assert!(matches!(watch.see(&record(Status::Deferred, Some(450), "4.7.1 try later")), Some(Seen::NewReason(_))));
        let sent = watch.see(&record(Status::Sent, Some(250), "2.0.0 Ok"));
        assert_eq!(sent, Some(Seen::Delivered { recipient: "a@bank.example".into(), reply: "2.0.0 Ok".into() }));
    }

    proptest! {
        #[test]
        fn any_reply_gives_a_bounded_escaped_finding(reply in "\\PC{0,2000}|[\\x00-\\x7f]{0,500}") {
            let mut watch = Watch::new("bank.example", None);
            if let Some(Seen::NewReason(finding)) = watch.see(&record(Status::Deferred, Some(421), &reply)) {
                prop_assert!(finding.summary.chars().count() < REPLY_CHARS * 4 + 100);
                prop_assert!(!finding.summary.chars().any(char::is_control));
            }
            prop_assert!(reason_key("421", &reply).chars().count() <= 2048);
        }
    }
}
