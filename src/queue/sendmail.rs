//! Sendmail `mailq`, with its MSP (client submission) and MTA sections.
//!
//! ```text
//! MTA Queue status...
//!                 /var/spool/mqueue (3 requests)
//! -----Q-ID----- --Size-- -----Q-Time----- ------------Sender/Recipient-----------
//! r3U0S9Mt115878*  408752 Tue Apr 30 00:28 <user@domain.com>
//!                  (Deferred: Connection timed out with mailserver2.domain.com)
//!                                          <user@otherdomain.com>
//!                 Total requests: 3
//! ```
//! `*` marks a job being processed; `X` (load too high) and `-` (too young) mark jobs skipped
//! this run.

use std::io::BufRead;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use regex::Regex;

use super::actions::Mta;
use super::entry::{QueueEntry, QueueName, Recipient, domain_of};
use super::format::{Format, Spec};
use super::intern::Interner;
use super::lines::for_each_line;
use super::parsed::Parsed;
use super::reason::Reason;
use super::time::parse_yearless;
use crate::format_registry::{Confidence, first_line};

static ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([0-9A-Za-z]{8,20})([*X-]?)\s+(\d+)\s+([A-Z][a-z]{2}\s+[A-Z][a-z]{2}\s+\d{1,2}\s+\d{1,2}:\d{2})\s+(\S.*?)\s*$")
        .expect("valid regex")
});
static FRAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:-+Q-ID-+|\S+ is empty|/\S+ \(\d+ requests?\)|Total requests: \d+|(?:MSP|MTA) Queue status\.\.\.)")
        .expect("valid regex")
});

/// True when `line` is a Sendmail queue entry line.
fn is_entry_line(line: &str) -> bool {
    ENTRY.is_match(line)
}

/// True for the lines Sendmail prints around entries.
pub(crate) fn is_frame_line(trimmed: &str) -> bool {
    FRAME.is_match(trimmed)
}
/// The Sendmail `mailq` registry entry.
pub const FORMAT: Spec = Spec {
    name: "sendmail",
    sniff,
    parse: |reader, _, now| parse(reader, now),
    mta: Mta::Sendmail,
    commands: &[("mailq", &[])],
    listed_by: "Sendmail mailq",
};

/// Sendmail's queue headers or an entry line.
pub fn sniff(sample: &str) -> Confidence {
    first_line(sample, |line| {
        let trimmed = line.trim();
        trimmed.starts_with("MSP Queue status")
            || trimmed.starts_with("MTA Queue status")
            || trimmed.starts_with("-----Q-ID-----")
            || is_entry_line(line)
    })
}

/// Reads Sendmail `mailq` output; arrival times take their year from `now`.
pub fn parse<R: BufRead>(reader: R, now: DateTime<Utc>) -> Parsed {
    let mut parsed = Parsed::new(Format::Sendmail);
    let mut interner = Interner::default();
    let mut current: Option<QueueEntry> = None;
    let mut reason: Option<Reason> = None;
    let mut submission = false;
    for_each_line(reader, |number, line| {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            parsed.entries.extend(current.take());
            return;
        }
        if is_frame_line(trimmed) {
            parsed.entries.extend(current.take());
            if trimmed.starts_with("MSP Queue status") {
                submission = true;
            } else if trimmed.starts_with("MTA Queue status") {
                submission = false;
            }
            return;
        }
        if let Some(caps) = ENTRY.captures(line) {
            parsed.entries.extend(current.take());
            reason = None;
            let queue = match (&caps[2], submission) {
                ("*", _) => QueueName::Active,
                (_, true) => QueueName::Submission,
                _ => QueueName::Deferred,
            };
            current = Some(QueueEntry {
                id: caps[1].to_string(),
                queue,
                arrival: parse_yearless(&caps[4], now),
                size: caps[3].parse().ok(),
                sender: caps[5].trim_start_matches('<').trim_end_matches('>').to_string(),
                recipients: Vec::new(),
                messages: 1,
            });
            return;
        }
        let Some(entry) = current.as_mut() else {
            parsed.skipped.add(number, line);
            return;
        };
        if trimmed.starts_with('(') && trimmed.ends_with(')') && trimmed.len() >= 2 {
            reason = Some(interner.reason(trimmed[1..trimmed.len() - 1].trim()));
        } else if line.starts_with(char::is_whitespace) && !trimmed.contains(char::is_whitespace) {
            entry.recipients.push(Recipient {
                domain: interner.get(&domain_of(trimmed)),
                address: trimmed.trim_start_matches('<').trim_end_matches('>').to_string(),
                reason: reason.clone(),
                delivered: false,
            });
        } else {
            parsed.skipped.add(number, line);
        }
    });
    parsed.entries.extend(current);
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sections_markers_and_reasons() {
        let text = "\
MSP Queue status...
                /var/spool/clientmqueue (1 request)
-----Q-ID----- --Size-- -----Q-Time----- ------------Sender/Recipient-----------
s1AAbb01234567       12 Mon Feb 10 10:00 root
                 (Deferred: Connection refused by [127.0.0.1])
                                         admin@example.com
                Total requests: 1
MTA Queue status...
                /var/spool/mqueue (1 request)
-----Q-ID----- --Size-- -----Q-Time----- ------------Sender/Recipient-----------
r3U0S9Mt115878*  408752 Tue Apr 30 00:28 <user@domain.com>
                 (Deferred: Connection timed out with mailserver2.domain.com)
                                         <user@otherdomain.com>
                Total requests: 1
";
        let parsed = parse(text.as_bytes(), Utc::now());
        assert_eq!(parsed.skipped.count, 0);
        assert_eq!(parsed.entries.len(), 2);
        assert_eq!(parsed.entries.to_vec()[0].queue, QueueName::Submission);
        assert_eq!(parsed.entries.to_vec()[1].queue, QueueName::Active);
        assert_eq!(parsed.entries.to_vec()[1].sender, "user@domain.com");
        let r = &parsed.entries.to_vec()[1].recipients[0];
        assert_eq!((r.address.as_str(), &*r.domain), ("user@otherdomain.com", "otherdomain.com"));
        assert_eq!(r.reason.as_deref(), Some("Deferred: Connection timed out with mailserver2.domain.com"));
    }
}
