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
use super::entry::{QueueEntry, QueueName, Recipient, domain_of};
use super::format::{Format, Spec};
use super::intern::Interner;
use super::lines::for_each_line;
use super::parallel::{Batch, Cut, parse_listing};
use super::parsed::Parsed;
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

fn parse_batch(interner: &mut Interner, batch: &Batch) -> Parsed {
    let mut parsed = Parsed::new(Format::PostfixJson);
    for_each_line(&batch.bytes[..], |n, line| {
        let line = line.trim();
        if line.is_empty() {
            return;
        }
        match serde_json::from_str::<RawMessage>(line).ok().and_then(|raw| to_entry(raw, interner)) {
            Some(entry) => parsed.entries.push(&entry),
            None => parsed.skipped.add(batch.line(n), line),
        }
    });
    parsed
}

fn to_entry(raw: RawMessage, interner: &mut Interner) -> Option<QueueEntry> {
    let queue = QueueName::from_postfix(&raw.queue_name)?;
    let recipients = raw
        .recipients
        .into_iter()
        .map(|r| Recipient {
            domain: interner.get(&domain_of(&r.address)),
            address: r.address.into_owned(),
            reason: r.delay_reason.filter(|reason| !reason.is_empty()).map(|reason| interner.reason(&reason)),
            delivered: false,
        })
        .collect();
    Some(QueueEntry {
        id: raw.queue_id.into_owned(),
        queue,
        arrival: raw.arrival_time.and_then(|t| DateTime::from_timestamp(t, 0)),
        size: raw.message_size,
        sender: raw.sender.into_owned(),
        recipients,
        messages: 1,
    })
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
