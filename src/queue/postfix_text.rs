//! Postfix `mailq` / `postqueue -p` text.
//!
//! ```text
//! -Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------
//! 8551B132C2*     802 Wed Jan 10 00:32:03  someone@external.test
//! (connect to mx.example[192.0.2.1]:25: Connection timed out)
//!                                          hello@example.test
//!
//! -- 1 Kbytes in 1 Request.
//! ```
//! `*` marks the active queue, `!` the hold queue. The reason in parentheses applies to the
//! recipient lines after it; Postfix prints it at column 1 or indented. The summary line may be
//! missing (excerpts, piped output).

use std::io::BufRead;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use regex::Regex;

use super::actions::Mta;
use super::entry::{QueueEntry, QueueName, Recipient, domain_of};
use super::format::{Format, Spec};
use super::intern::Interner;
use super::lines::for_each_line;
use super::parallel::{Batch, Cut, parse_listing};
use super::parsed::Parsed;
use super::reason::Reason;
use super::time::parse_yearless;
use crate::format_registry::{Confidence, first_line};

static ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([0-9A-Za-z]{5,})([*!]?)\s+(\d+)\s+([A-Z][a-z]{2}\s+[A-Z][a-z]{2}\s+\d{1,2}\s+\d{1,2}:\d{2}:\d{2})(?:\s+(.*))?$")
        .expect("valid regex")
});

/// Lines Postfix prints around the entries, not counted as skipped.
pub(crate) fn is_frame_line(trimmed: &str) -> bool {
    trimmed.starts_with("-Queue ID-")
        || trimmed.starts_with("Mail queue is empty")
        || (trimmed.starts_with("-- ") && (trimmed.ends_with("Request.") || trimmed.ends_with("Requests.")))
}

/// True when `line` is a Postfix queue entry line.
fn is_entry_line(line: &str) -> bool {
    ENTRY.is_match(line)
}
/// The Postfix `mailq` registry entry.
pub const FORMAT: Spec = Spec {
    name: "postfix-text",
    sniff,
    parse: |reader, _, now| parse(reader, now),
    mta: Mta::Postfix,
    commands: &[("postqueue", &["-p"]), ("mailq", &[])],
    listed_by: "Postfix mailq",
};

/// Postfix's header, its empty-queue line or an entry line.
pub fn sniff(sample: &str) -> Confidence {
    first_line(sample, |line| {
        let trimmed = line.trim();
        trimmed.starts_with("-Queue ID-") || trimmed.starts_with("Mail queue is empty") || is_entry_line(line)
    })
}

/// Reads Postfix queue text, on every core for a large queue; arrival times take their year
/// from `now` (see [`parse_yearless`]).
pub fn parse<R: BufRead>(reader: R, now: DateTime<Utc>) -> Parsed {
    // Entries are separated by blank lines, so a batch may start after any of them.
    parse_listing(reader, Format::PostfixText, Cut::BlankLine, |interner, batch| parse_batch(interner, batch, now))
}

fn parse_batch(interner: &mut Interner, batch: &Batch, now: DateTime<Utc>) -> Parsed {
    let mut parsed = Parsed::new(Format::PostfixText);
    let mut current: Option<QueueEntry> = None;
    let mut reason: Option<Reason> = None;
    for_each_line(&batch.bytes[..], |n, line| {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            parsed.entries.extend(current.take());
            return;
        }
        if is_frame_line(trimmed) {
            parsed.entries.extend(current.take());
            return;
        }
        // Only entry lines start with a letter or digit: the others need no regex.
        if line.starts_with(|c: char| c.is_ascii_alphanumeric())
            && let Some(caps) = ENTRY.captures(line)
        {
            parsed.entries.extend(current.take());
            reason = None;
            let queue = match &caps[2] {
                "*" => QueueName::Active,
                "!" => QueueName::Hold,
                _ => QueueName::Deferred,
            };
            current = Some(QueueEntry {
                id: caps[1].to_string(),
                queue,
                arrival: parse_yearless(&caps[4], now),
                size: caps[3].parse().ok(),
                sender: caps.get(5).map_or("", |m| m.as_str().trim()).to_string(),
                recipients: Vec::new(),
                messages: 1,
            });
            return;
        }
        let Some(entry) = current.as_mut() else {
            parsed.skipped.add(batch.line(n), line);
            return;
        };
        if trimmed.starts_with('(') && trimmed.ends_with(')') && trimmed.len() >= 2 {
            reason = Some(interner.reason(trimmed[1..trimmed.len() - 1].trim()));
        } else if line.starts_with(char::is_whitespace) && !trimmed.contains(char::is_whitespace) {
            entry.recipients.push(Recipient {
                domain: interner.get(&domain_of(trimmed)),
                address: trimmed.to_string(),
                reason: reason.clone(),
                delivered: false,
            });
        } else {
            parsed.skipped.add(batch.line(n), line);
        }
    });
    parsed.entries.extend(current);
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_listing_keeps_reasons_order_and_the_numbers_of_bad_lines() {
        let mut text = String::from("-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n");
        let mut bad_lines = Vec::new();
        for i in 0..12_000 {
            if i % 4_000 == 7 {
                text.push_str("garbage between entries\n");
                bad_lines.push(text.lines().count());
            }
            text.push_str(&format!("A{i:09X}     802 Wed Jan 10 00:32:03  sender{i}@example.test\n"));
            text.push_str(&format!("(connect to mx.d{i}.example[192.0.2.1]:25: Connection timed out)\n"));
            text.push_str(&format!("{:41}user@d{i}.example\n\n", ""));
        }
        text.push_str("-- 9600 Kbytes in 12000 Requests.\n");
        let parsed = parse(text.as_bytes(), Utc::now());
        assert_eq!(parsed.entries.len(), 12_000);
        assert_eq!(parsed.skipped.samples.iter().map(|(line, _)| *line).collect::<Vec<_>>(), bad_lines);
        for (i, entry) in parsed.entries.to_vec().iter().enumerate() {
            assert_eq!(entry.id, format!("A{i:09X}"));
            assert_eq!(entry.sender, format!("sender{i}@example.test"));
            let recipient = &entry.recipients[0];
            assert_eq!(&*recipient.domain, format!("d{i}.example"));
            let reason = recipient.reason.as_deref().unwrap();
            assert_eq!(reason, format!("connect to mx.d{i}.example[192.0.2.1]:25: Connection timed out"));
        }
    }

    #[test]
    fn reads_markers_reasons_and_recipients() {
        let text = "\
-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------
6E5A1B4035!     352 Sat Nov 28 17:15:48  lab@lab.mailwiz.test
(host 127.0.0.1[127.0.0.1] said: 421 4.0.0 Server closing connection (in reply to RCPT TO command))
                                         user@rcpt421.test
                    (connect to 127.0.0.1[127.0.0.1]:2529: Connection refused)
                                         other@refused.test

8551B132C2*     802 Wed Jan 10 00:32:03  MAILER-DAEMON
                                         hello@example.test
garbage between
-- 1 Kbytes in 2 Requests.
";
        let parsed = parse(text.as_bytes(), Utc::now());
        assert_eq!(parsed.entries.len(), 2);
        assert_eq!(parsed.skipped.count, 1);
        let held = &parsed.entries.to_vec()[0];
        assert_eq!(held.queue, QueueName::Hold);
        assert_eq!(held.recipients.len(), 2);
        assert_eq!(
            held.recipients[0].reason.as_deref(),
            Some("host 127.0.0.1[127.0.0.1] said: 421 4.0.0 Server closing connection (in reply to RCPT TO command)")
        );
        assert_eq!(
            held.recipients[1].reason.as_deref(),
            Some("connect to 127.0.0.1[127.0.0.1]:2529: Connection refused")
        );
        assert_eq!(parsed.entries.to_vec()[1].queue, QueueName::Active);
        assert_eq!(parsed.entries.to_vec()[1].recipients[0].reason, None);
    }
}
