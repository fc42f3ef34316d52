//! Postfix `postqueue -j`: one JSON object per message (Postfix 3.1 and later).
//!
//! Fields read: `queue_name`, `queue_id`, `arrival_time`, `message_size`, `sender`,
//! `recipients[].address` and `recipients[].delay_reason`; others (`forced_expire` since 3.5,
//! anything later versions add) are ignored.

use std::borrow::Cow;
use std::io::BufRead;

use chrono::DateTime;
use serde::Deserialize;

use super::actions::Mta;
use super::entry::{QueueName, domain_of};
use super::format::{Format, Spec};
use super::intern::Interner;
use super::lines::for_each_line;
use super::parallel::{Batch, Cut, parse_listing};
use super::parsed::Parsed;
use super::store::Entries;
use crate::format_registry::{Confidence, first_line};

#[derive(Deserialize)]
struct RawMessage<'a> {
    #[serde(borrow)]
    queue_name: Cow<'a, str>,
    #[serde(borrow)]
    queue_id: Cow<'a, str>,
    arrival_time: Option<i64>,
    message_size: Option<u64>,
    #[serde(borrow, default)]
    sender: Cow<'a, str>,
    #[serde(borrow, default)]
    recipients: Vec<RawRecipient<'a>>,
}

#[derive(Deserialize)]
struct RawRecipient<'a> {
    #[serde(borrow)]
    address: Cow<'a, str>,
    #[serde(borrow, default)]
    delay_reason: Option<Cow<'a, str>>,
}
/// The `postqueue -j` registry entry.
pub const FORMAT: Spec = Spec {
    name: "postfix-json",
    sniff,
    parse: |reader, _, _| parse(reader),
    mta: Mta::Postfix,
    commands: &[("postqueue", &["-j"])],
    listed_by: "postqueue -j",
};

/// A JSON object with a queue id or queue name.
pub fn sniff(sample: &str) -> Confidence {
    first_line(sample, |line| {
        let trimmed = line.trim();
        trimmed.starts_with('{') && (trimmed.contains("\"queue_id\"") || trimmed.contains("\"queue_name\""))
    })
}

/// Reads `postqueue -j` output, on every core for a large queue; lines that are not a message
/// object are counted and skipped.
pub fn parse<R: BufRead>(reader: R) -> Parsed {
    parse_listing(reader, Format::PostfixJson, Cut::Line, parse_batch)
}

// The store interns what repeats itself; the parser's interner is not needed.
fn parse_batch(_: &mut Interner, batch: &Batch) -> Parsed {
    let mut parsed = Parsed::new(Format::PostfixJson);
    for_each_line(&batch.bytes[..], |n, line| {
        let line = line.trim();
        if line.is_empty() {
            return;
        }
        let read = serde_json::from_str::<RawMessage>(line).ok().is_some_and(|raw| add(&raw, &mut parsed.entries));
        if !read {
            parsed.skipped.add(batch.line(n), line);
        }
    });
    parsed
}

/// Adds the message to `entries`; false (and nothing added) when its queue is not Postfix's.
fn add(raw: &RawMessage, entries: &mut Entries) -> bool {
    let Some(queue) = QueueName::from_postfix(&raw.queue_name) else { return false };
    let arrival = raw.arrival_time.and_then(|t| DateTime::from_timestamp(t, 0));
    entries.begin(&raw.queue_id, queue, arrival, raw.message_size, &raw.sender, 1);
    for r in &raw.recipients {
        let reason = r.delay_reason.as_deref().filter(|reason| !reason.is_empty());
        entries.recipient(&r.address, &domain_of(&r.address), reason, false);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_messages_and_ignores_unknown_fields() {
        let text = concat!(
            r#"{"queue_name": "deferred", "queue_id": "6978FB4038", "arrival_time": 1795886148, "message_size": 358, "forced_expire": false, "future_field": [1], "sender": "lab@lab.mailwiz.test", "recipients": [{"address": "user@Connect421.test", "delay_reason": "host 127.0.0.1[127.0.0.1] refused to talk to me: 421 4.0.0 Server closing connection"}, {"address": "b@x.test"}]}"#,
            "\r\n\r\n",
            r#"{"queue_name": "hold", "queue_id": "ABC", "arrival_time": 1, "message_size": 1, "sender": "", "recipients": []}"#,
            "\n",
        );
        let parsed = parse(text.as_bytes());
        assert_eq!(parsed.skipped.count, 0);
        assert_eq!(parsed.entries.len(), 2);
        let first = &parsed.entries.to_vec()[0];
        assert_eq!(first.queue, QueueName::Deferred);
        assert_eq!(first.size, Some(358));
        assert_eq!(&*first.recipients[0].domain, "connect421.test");
        assert!(first.recipients[0].reason.as_deref().unwrap().contains("421 4.0.0"));
        assert_eq!(first.recipients[1].reason, None);
        assert_eq!(parsed.entries.to_vec()[1].queue, QueueName::Hold);
        assert_eq!(parsed.entries.to_vec()[1].sender, "");
    }

    #[test]
    fn a_large_queue_keeps_its_order_and_the_numbers_of_bad_lines() {
        let mut text = String::new();
        for i in 0..30_000 {
            if i % 7_000 == 3 {
                text.push_str("{\"queue_name\": \"deferred\", truncated\n");
            } else {
                text.push_str(&format!(
                    r#"{{"queue_name": "deferred", "queue_id": "Q{i}", "arrival_time": 1, "message_size": 1, "sender": "", "recipients": [{{"address": "u@d{}.example", "delay_reason": "connect to mx[192.0.2.{}]:25: Connection timed out"}}]}}"#,
                    i % 13,
                    i % 200
                ));
                text.push('\n');
            }
        }
        let parsed = parse(text.as_bytes());
        assert_eq!(parsed.skipped.count, 5);
        let lines: Vec<usize> = parsed.skipped.samples.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, [4, 7_004, 14_004, 21_004, 28_004]);
        assert_eq!(parsed.entries.len(), 29_995);
        let ids: Vec<usize> = parsed.entries.to_vec().iter().map(|e| e.id[1..].parse().unwrap()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "entries are in input order");
        // 200 texts of one failure: one normalised form.
        let keys: std::collections::HashSet<&str> =
            parsed.entries.iter().map(|e| e.recipients().next().unwrap().reason().unwrap().key()).collect();
        assert_eq!(keys.into_iter().collect::<Vec<_>>(), ["connect to mx[<ip>]:#: Connection timed out"]);
    }

    #[test]
    fn corrupt_lines_are_counted() {
        let text = b"{\"queue_name\": \"deferred\", \"queue_id\": \"A\", \"recip\n\x00\xff\xfe garbage\n{\"queue_name\": \"nowhere\", \"queue_id\": \"B\"}\n";
        let parsed = parse(&text[..]);
        assert_eq!(parsed.entries.len(), 0);
        assert_eq!(parsed.skipped.count, 3);
        assert_eq!(parsed.skipped.samples[0].0, 1);
    }
}
