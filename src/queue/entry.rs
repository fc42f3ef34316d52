//! One queued message as every source reads it.

use std::borrow::Cow;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::reason::Reason;
use super::store::Entries;

/// Which queue a message sits in, in the MTA's own terms mapped onto one set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QueueName {
    /// Being delivered now (Postfix `*`, Sendmail `*`, Exchange Active/Ready).
    Active,
    /// Waiting for the next retry.
    Deferred,
    /// Put aside by the admin (Postfix `!`, Exchange Suspended).
    Hold,
    /// Not yet looked at by the queue manager.
    Incoming,
    /// Postfix's maildrop (local submissions not yet picked up).
    Maildrop,
    /// Exim `*** frozen ***`: no more delivery attempts until thawed.
    Frozen,
    /// Sendmail's MSP queue (clientmqueue): local submissions waiting for the MTA.
    Submission,
    /// Postfix's corrupt queue.
    Corrupt,
}

impl QueueName {
    /// The lowercase name used in JSON and on screen.
    pub fn as_str(self) -> &'static str {
        match self {
            QueueName::Active => "active",
            QueueName::Deferred => "deferred",
            QueueName::Hold => "hold",
            QueueName::Incoming => "incoming",
            QueueName::Maildrop => "maildrop",
            QueueName::Frozen => "frozen",
            QueueName::Submission => "submission",
            QueueName::Corrupt => "corrupt",
        }
    }

    /// Postfix's `queue_name` values.
    pub fn from_postfix(name: &str) -> Option<QueueName> {
        Some(match name {
            "active" => QueueName::Active,
            "deferred" => QueueName::Deferred,
            "hold" => QueueName::Hold,
            "incoming" => QueueName::Incoming,
            "maildrop" => QueueName::Maildrop,
            "corrupt" => QueueName::Corrupt,
            _ => return None,
        })
    }
}

/// One recipient of a queued message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recipient {
    /// The address as the listing shows it.
    pub address: String,
    /// The lowercase domain of the address (shared between recipients to save memory).
    pub domain: Arc<str>,
    /// Why delivery is delayed, when the listing says.
    pub reason: Option<Reason>,
    /// Already delivered (Exim's `D`); kept for the record, left out of grouping.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub delivered: bool,
}

/// One queued message, or for Exchange's `Get-Queue` one remote queue standing for
/// `messages` messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueEntry {
    /// The MTA's queue id (Postfix `4Jgt2V6BKNz1xy5`, Exim `1raAO5-0091Cv-IH`, Exchange identity).
    pub id: String,
    pub queue: QueueName,
    /// When the message arrived, when the listing tells (Exim gives only an age).
    pub arrival: Option<DateTime<Utc>>,
    /// Size in bytes, when known.
    pub size: Option<u64>,
    /// The envelope sender; empty for the null sender (bounces).
    pub sender: String,
    pub recipients: Vec<Recipient>,
    /// How many messages this entry stands for: 1, or an Exchange queue's `MessageCount`.
    #[serde(skip_serializing_if = "is_one")]
    pub messages: u64,
}

#[allow(clippy::trivially_copy_pass_by_ref, reason = "serde's skip_serializing_if passes a reference")]
fn is_one(n: &u64) -> bool {
    *n == 1
}

impl QueueEntry {
    /// The recipients still to deliver.
    pub fn pending(&self) -> impl Iterator<Item = &Recipient> {
        self.recipients.iter().filter(|r| !r.delivered)
    }

    /// Age at `now`, when the arrival is known (never negative).
    pub fn age(&self, now: DateTime<Utc>) -> Option<chrono::Duration> {
        self.arrival.map(|arrival| (now - arrival).max(chrono::Duration::zero()))
    }
}

/// The recipient at `domain` (ASCII, any case) that has waited longest among `entries`: a real
/// recipient for the probe to ask about, since postmaster@ is exempt from many filters. Entries
/// without an arrival time come after those with one.
pub fn oldest_recipient(entries: &Entries, domain: &str) -> Option<String> {
    entries
        .iter()
        .filter_map(|e| e.pending().find(|r| r.domain().eq_ignore_ascii_case(domain)).map(|r| (e.arrival(), r)))
        .min_by_key(|(arrival, _)| (arrival.is_none(), *arrival))
        .map(|(_, r)| r.address().into_owned())
}

/// The domain of an address: what follows the last `@`, cut at the first character that
/// cannot be in a domain (so `<a@b.example>,` and forum mark-up around addresses still give
/// `b.example`), lowercased. Empty when there is no `@`.
pub fn domain_of(address: &str) -> Cow<'_, str> {
    let Some((_, rest)) = address.rsplit_once('@') else {
        return Cow::Borrowed("");
    };
    let end = rest.find(|c: char| !(c.is_alphanumeric() || matches!(c, '.' | '-' | '_'))).unwrap_or(rest.len());
    let domain = rest[..end].trim_end_matches('.');
    // Most domains are lowercase already: no copy for them.
    if domain.chars().any(char::is_uppercase) { Cow::Owned(domain.to_lowercase()) } else { Cow::Borrowed(domain) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_cut_from_surrounding_text() {
        assert_eq!(domain_of("user@Bank.Example"), "bank.example");
        assert_eq!(domain_of("<user@bank.example>"), "bank.example");
        assert_eq!(domain_of("[email]someone@gmail.com[/email]"), "gmail.com");
        assert_eq!(domain_of("a@b@c.example."), "c.example");
        assert_eq!(domain_of("MAILER-DAEMON"), "");
    }
}
