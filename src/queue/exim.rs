//! Exim `exim -bp` listings, and delay reasons joined from the mainlog or `exim -Mvl`.
//!
//! ```text
//!  2h   52K 12EwGE-0005jD-00 <sam@vbrew.com>
//!         D bob@vbrew.com
//!           harry@example.net
//! 25m  2.9K 1raAO5-0091Cv-IH <alice@example.org> *** frozen ***
//!           red.king@example.com
//! ```
//! Message ids are `XXXXXX-YYYYYY-ZZ` before Exim 4.97 and `XXXXXX-YYYYYYYYYYY-ZZZZ` since.
//! `exim -bp` prints no delay reasons; [`join_reasons`] adds them from log text.

use std::collections::HashMap;
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
use super::time::{parse_duration, parse_size};
use crate::format_registry::{Confidence, first_line};
use crate::logs::exim::is_message_id;

/// A message line: age, size, id (checked by [`is_message_id`]), sender, frozen mark.
static HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(\S+)\s+(\S+)\s+(\S+)\s+<([^>]*)>(\s+\*\*\* frozen \*\*\*)?\s*$").expect("valid regex")
});
static RECIPIENT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\s+(?:(\+?D)\s+)?(\S+)\s*$").expect("valid regex"));

/// True when `line` is an `exim -bp` message line.
fn is_header_line(line: &str) -> bool {
    header(line).is_some()
}

/// The captures of a message line.
fn header(line: &str) -> Option<regex::Captures<'_>> {
    HEADER.captures(line).filter(|caps| is_message_id(&caps[3]))
}

/// The `exim -bp` registry entry.
pub const FORMAT: Spec = Spec {
    name: "exim",
    sniff,
    parse: |reader, _, now| parse(reader, now),
    mta: Mta::Exim,
    commands: &[("exim", &["-bp"]), ("exim4", &["-bp"])],
    listed_by: "exim -bp",
};

/// A message line.
pub fn sniff(sample: &str) -> Confidence {
    first_line(sample, is_header_line)
}

/// Reads `exim -bp` output, on every core for a large queue; ages are counted back from `now`. Ages or sizes that are not
/// numbers (test harnesses print `TTT`/`sss`) leave arrival or size unknown.
pub fn parse<R: BufRead>(reader: R, now: DateTime<Utc>) -> Parsed {
    // Messages are separated by blank lines, so a batch may start after any of them.
    parse_listing(reader, Format::Exim, Cut::BlankLine, |interner, batch| parse_batch(interner, batch, now))
}

fn parse_batch(interner: &mut Interner, batch: &Batch, now: DateTime<Utc>) -> Parsed {
    let mut parsed = Parsed::new(Format::Exim);
    let mut current: Option<QueueEntry> = None;
    for_each_line(&batch.bytes[..], |n, line| {
        if line.trim().is_empty() {
            parsed.entries.extend(current.take());
            return;
        }
        if let Some(caps) = header(line) {
            parsed.entries.extend(current.take());
            current = Some(QueueEntry {
                id: caps[3].to_string(),
                queue: if caps.get(5).is_some() { QueueName::Frozen } else { QueueName::Deferred },
                arrival: parse_duration(&caps[1], 's').map(|age| now - age),
                size: parse_size(&caps[2]),
                sender: caps[4].to_string(),
                recipients: Vec::new(),
                messages: 1,
            });
            return;
        }
        match (current.as_mut(), RECIPIENT.captures(line)) {
            (Some(entry), Some(caps)) if caps[2].contains('@') || !caps[2].starts_with('<') => {
                let address = &caps[2];
                entry.recipients.push(Recipient {
                    domain: interner.get(&domain_of(address)),
                    address: address.to_string(),
                    reason: None,
                    delivered: caps.get(1).is_some(),
                });
            }
            _ => parsed.skipped.add(batch.line(n), line),
        }
    });
    parsed.entries.extend(current);
    parsed
}

/// Delay reasons found in log text: `(message id, address) → reason`, the latest telling one.
#[derive(Debug, Default)]
pub struct DelayReasons {
    by_address: HashMap<(String, String), Reason>,
    by_message: HashMap<String, Reason>,
}

impl DelayReasons {
    /// Collects the `==` (deferred) lines of a mainlog. Lines of `exim -Mvl ID` carry no id;
    /// pass that id as `message` to attribute them.
    pub fn read<R: BufRead>(&mut self, reader: R, message: Option<&str>) {
        let mut interner = Interner::default();
        for_each_line(reader, |_, line| {
            let Some(at) = line.find(" == ") else { return };
            let before = line[..at].trim_end();
            let id = match before.rsplit(' ').next() {
                Some(token) if is_message_id(token) => token,
                _ => match message {
                    Some(id) => id,
                    None => return,
                },
            };
            let rest = &line[at + 4..];
            let Some((address, detail)) = rest.split_once(' ') else { return };
            let reason = interner.reason(deferral_text(detail));
            self.insert(id, address, reason);
        });
    }

    fn insert(&mut self, id: &str, address: &str, reason: Reason) {
        // "retry time not reached" repeats an earlier failure without saying which: keep the
        // earlier, telling reason.
        let vague = reason.contains("retry time not reached");
        let key = (id.to_string(), address.to_lowercase());
        if !(vague && self.by_address.contains_key(&key)) {
            self.by_address.insert(key, reason.clone());
        }
        if !(vague && self.by_message.contains_key(id)) {
            self.by_message.insert(id.to_string(), reason);
        }
    }

    /// True when no reason was found.
    pub fn is_empty(&self) -> bool {
        self.by_message.is_empty()
    }

    /// The reason for `address` of message `id`, else the message's latest reason.
    pub fn get(&self, id: &str, address: &str) -> Option<&Reason> {
        self.by_address.get(&(id.to_string(), address.to_lowercase())).or_else(|| self.by_message.get(id))
    }
}

/// What follows `defer (errno)` in a deferral line, or the whole detail without the router and
/// transport fields.
fn deferral_text(detail: &str) -> &str {
    if let Some(at) = detail.find("defer (")
        && let Some(close) = detail[at..].find(')')
    {
        return detail[at + close + 1..].trim_start_matches([':', ' ']).trim();
    }
    detail.trim()
}

/// Fills the reason of every pending recipient that has none from `reasons`.
pub fn join_reasons(parsed: &mut Parsed, reasons: &DelayReasons) {
    parsed.entries.fill_reasons(|id, address| reasons.get(id, address).cloned());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ids_frozen_and_delivered() {
        let text = "\
 2h   52K 12EwGE-0005jD-00 <sam@vbrew.com>
        D bob@vbrew.com
          harry@example.net  

25m  2.9K 10HmaX-000000005vi-0000 <> *** frozen ***
          red.king@looking-glass.example
          <other addresses>
";
        let now = Utc::now();
        let parsed = parse(text.as_bytes(), now);
        assert_eq!(parsed.entries.len(), 2);
        assert_eq!(parsed.skipped.count, 1);
        let first = &parsed.entries.to_vec()[0];
        assert_eq!(first.id, "12EwGE-0005jD-00");
        assert_eq!(first.size, Some(53_248));
        assert_eq!(first.arrival, Some(now - chrono::Duration::hours(2)));
        assert!(first.recipients[0].delivered);
        assert_eq!(first.pending().count(), 1);
        assert_eq!(parsed.entries.to_vec()[1].queue, QueueName::Frozen);
        assert_eq!(parsed.entries.to_vec()[1].sender, "");
    }

    #[test]
    fn joins_reasons_from_mainlog_and_msglog() {
        let listing = " 1h 1K 10HmaX-000000005vi-0000 <a@b.example>\n   userx@simple\n   other@simple\n\n 1h 1K 1raAO5-0091Cv-IH <a@b.example>\n   c@d.example\n";
        let mut parsed = parse(listing.as_bytes(), Utc::now());
        let mut reasons = DelayReasons::default();
        let mainlog = "\
1999-03-02 09:44:33 10HmaX-000000005vi-0000 == userx@simple R=all T=smtp defer (dd): Connection refused
1999-03-02 09:44:33 10HmaX-000000005vi-0000 == userx@simple R=all T=smtp defer (-54): retry time not reached for any host for 'simple'
";
        reasons.read(mainlog.as_bytes(), None);
        let msglog = "2024-03-01 10:00:00 c@d.example R=dnslookup T=remote_smtp defer (-44) H=mx.d.example [192.0.2.1]: SMTP error from remote mail server after RCPT TO:<c@d.example>: 451 Try later\n2024-03-01 10:00:00 == c@d.example R=dnslookup T=remote_smtp defer (-44) H=mx.d.example [192.0.2.1]: SMTP error from remote mail server after RCPT TO:<c@d.example>: 451 Try later\n";
        reasons.read(msglog.as_bytes(), Some("1raAO5-0091Cv-IH"));
        join_reasons(&mut parsed, &reasons);
        assert_eq!(parsed.entries.to_vec()[0].recipients[0].reason.as_deref(), Some("Connection refused"));
        assert_eq!(parsed.entries.to_vec()[0].recipients[1].reason.as_deref(), Some("Connection refused"));
        assert!(parsed.entries.to_vec()[1].recipients[0].reason.as_deref().unwrap().ends_with("451 Try later"));
    }
}
