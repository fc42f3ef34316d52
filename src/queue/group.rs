//! Grouping a queue by recipient domain and by normalised reason, with qshape-style ages.

use chrono::{DateTime, Utc};
use hashbrown::HashMap;
use serde::Serialize;

use super::entry::QueueName;
use super::store::{Entries, EntryRef, ReasonRef};

/// Upper bounds of the age buckets in minutes, as qshape prints them; a last bucket holds
/// older messages (`1280+`).
pub const BUCKET_MINUTES: [i64; 9] = [5, 10, 20, 40, 80, 160, 320, 640, 1280];

/// Labels of the age buckets: `5`, `10`, … `1280`, `1280+`.
pub fn bucket_labels() -> Vec<String> {
    let mut labels: Vec<String> = BUCKET_MINUTES.iter().map(ToString::to_string).collect();
    labels.push(format!("{}+", BUCKET_MINUTES[BUCKET_MINUTES.len() - 1]));
    labels
}

/// The bucket of an age in seconds.
fn bucket(age_secs: i64) -> usize {
    let minutes = age_secs / 60;
    BUCKET_MINUTES.iter().position(|bound| minutes < *bound).unwrap_or(BUCKET_MINUTES.len())
}

/// A reason or domain with how many messages it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Share {
    pub key: String,
    pub messages: u64,
    /// The reason as the MTA wrote it for the first message of this domain and reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
}

/// Messages sharing a recipient domain or a normalised reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    /// The domain, or the normalised reason (empty: no reason given).
    pub key: String,
    /// Messages with at least one pending recipient in the group.
    pub messages: u64,
    /// Pending recipients in the group.
    pub recipients: u64,
    /// Messages held up: with a delay reason, or deferred, on hold or frozen.
    pub delayed: u64,
    /// Age of the oldest message, in seconds, when known.
    pub oldest_secs: Option<i64>,
    /// Messages per age bucket ([`BUCKET_MINUTES`], then older); messages of unknown age are
    /// in no bucket.
    pub ages: [u64; BUCKET_MINUTES.len() + 1],
    /// The most common other key: reasons of a domain group, domains of a reason group.
    pub top: Vec<Share>,
    /// One reason as the MTA wrote it, for the record and as the observed error.
    pub example: Option<String>,
    /// Indices into the entries of the messages in the group.
    #[serde(skip)]
    pub entries: Vec<u32>,
}

impl Group {
    fn new(key: String) -> Group {
        Group {
            key,
            messages: 0,
            recipients: 0,
            delayed: 0,
            oldest_secs: None,
            ages: [0; BUCKET_MINUTES.len() + 1],
            top: Vec::new(),
            example: None,
            entries: Vec::new(),
        }
    }

    #[allow(clippy::cast_possible_truncation, reason = "a listing is read up to 512 MiB, far below 2^32 entries")]
    fn add(&mut self, entry: EntryRef<'_>, recipients: u64, delayed: bool, age: Option<i64>) {
        let messages = entry.messages();
        self.messages += messages;
        self.recipients += recipients;
        if delayed {
            self.delayed += messages;
        }
        if let Some(age) = age {
            self.oldest_secs = Some(self.oldest_secs.map_or(age, |o| o.max(age)));
            self.ages[bucket(age)] += messages;
        }
        self.entries.push(entry.index() as u32);
    }
}

/// The queue grouped two ways, largest groups first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grouping {
    pub by_domain: Vec<Group>,
    pub by_reason: Vec<Group>,
    /// Messages in the queue.
    pub messages: u64,
    /// Pending recipients in the queue.
    pub recipients: u64,
}

/// How many of the other key a group lists in `top`.
const TOP: usize = 5;

/// Groups `entries` at `now`. Delivered recipients are left out.
pub fn group(entries: &Entries, now: DateTime<Utc>) -> Grouping {
    let mut domains: Vec<Group> = Vec::new();
    let mut domain_index: HashMap<&str, usize> = HashMap::new();
    let mut reasons: Vec<Group> = Vec::new();
    let mut reason_index: HashMap<String, usize> = HashMap::new();
    // Normalised reasons are numbered: most lookups are by number.
    let mut reason_by_key: HashMap<u32, usize> = HashMap::new();
    // (domain group, reason group) → messages, and the first reason of the pair.
    let mut pairs: HashMap<(usize, usize), (u64, Option<ReasonRef>)> = HashMap::new();
    let mut messages = 0;
    let mut recipients = 0;
    // What the current entry's pending recipients hold.
    let mut seen: Vec<Seen> = Vec::new();
    let mut domains_done: Vec<usize> = Vec::new();
    let mut reasons_done: Vec<usize> = Vec::new();

    for entry in entries.iter() {
        seen.clear();
        let queue_delayed = matches!(entry.queue(), QueueName::Deferred | QueueName::Hold | QueueName::Frozen);
        for recipient in entry.pending() {
            let domain = recipient.domain();
            let d = *domain_index.entry(domain).or_insert_with(|| {
                domains.push(Group::new(domain.to_string()));
                domains.len() - 1
            });
            let reason = recipient.reason();
            let r = match reason {
                Some(reason) => *reason_by_key.entry(reason.key_id()).or_insert_with(|| {
                    *reason_index.entry_ref(reason.key()).or_insert_with(|| {
                        let mut group = Group::new(reason.key().to_string());
                        group.example = Some(reason.text().into_owned());
                        reasons.push(group);
                        reasons.len() - 1
                    })
                }),
                None => *reason_index.entry_ref("").or_insert_with(|| {
                    reasons.push(Group::new(String::new()));
                    reasons.len() - 1
                }),
            };
            let delayed = queue_delayed || reason.is_some();
            match seen.iter_mut().find(|s| s.domain == d && s.reason == r) {
                Some(slot) => {
                    slot.recipients += 1;
                    slot.delayed |= delayed;
                }
                None => {
                    seen.push(Seen { domain: d, reason: r, recipients: 1, delayed, example: reason });
                }
            }
            recipients += 1;
        }
        if seen.is_empty() {
            continue;
        }
        messages += entry.messages();
        let age = entry.age(now).map(|a| a.num_seconds());
        // A message counts once per domain and once per reason, however many recipients.
        domains_done.clear();
        reasons_done.clear();
        for s in &seen {
            let (d, r) = (s.domain, s.reason);
            pairs.entry((d, r)).or_insert((0, s.example)).0 += entry.messages();
            if !domains_done.contains(&d) {
                domains_done.push(d);
                let (count, delayed) = totals(&seen, |s| s.domain == d);
                domains[d].add(entry, count, delayed, age);
            }
            if !reasons_done.contains(&r) {
                reasons_done.push(r);
                let (count, delayed) = totals(&seen, |s| s.reason == r);
                reasons[r].add(entry, count, delayed, age);
            }
        }
    }

    let mut domain_top: Vec<Vec<Share>> = vec![Vec::new(); domains.len()];
    let mut reason_top: Vec<Vec<Share>> = vec![Vec::new(); reasons.len()];
    for (&(d, r), &(count, example)) in &pairs {
        let example = example.map(|reason| reason.text().into_owned());
        domain_top[d].push(Share { key: reasons[r].key.clone(), messages: count, example: example.clone() });
        reason_top[r].push(Share { key: domains[d].key.clone(), messages: count, example });
    }
    for (group, mut top) in domains.iter_mut().zip(domain_top).chain(reasons.iter_mut().zip(reason_top)) {
        top.sort_by(|a, b| b.messages.cmp(&a.messages).then_with(|| a.key.cmp(&b.key)));
        top.truncate(TOP);
        group.top = top;
    }
    // A domain's example is its most common reason, in the words the MTA used for it.
    for group in &mut domains {
        group.example = group.top.first().and_then(|share| share.example.clone());
    }
    sort(&mut domains);
    sort(&mut reasons);
    Grouping { by_domain: domains, by_reason: reasons, messages, recipients }
}

/// Pending recipients of one entry with one domain and one reason.
struct Seen<'a> {
    domain: usize,
    reason: usize,
    recipients: u64,
    delayed: bool,
    example: Option<ReasonRef<'a>>,
}

/// Recipients of the picked part of an entry, and whether any of them is delayed.
fn totals(seen: &[Seen], pick: impl Fn(&Seen) -> bool) -> (u64, bool) {
    seen.iter().filter(|s| pick(s)).fold((0, false), |(n, d), s| (n + s.recipients, d || s.delayed))
}

fn sort(groups: &mut [Group]) {
    groups.sort_by(|a, b| {
        b.messages.cmp(&a.messages).then_with(|| b.recipients.cmp(&a.recipients)).then_with(|| a.key.cmp(&b.key))
    });
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::Duration;

    use super::*;
    use crate::queue::entry::{QueueEntry, Recipient};
    use crate::queue::reason::Reason;

    fn entry(id: &str, age_min: i64, now: DateTime<Utc>, rcpts: &[(&str, Option<&str>)]) -> QueueEntry {
        QueueEntry {
            id: id.into(),
            queue: QueueName::Deferred,
            arrival: Some(now - Duration::minutes(age_min)),
            size: Some(1),
            sender: "s@x.example".into(),
            recipients: rcpts
                .iter()
                .map(|(a, r)| Recipient {
                    address: (*a).into(),
                    domain: Arc::from(crate::queue::entry::domain_of(a)),
                    reason: r.map(Reason::new),
                    delivered: false,
                })
                .collect(),
            messages: 1,
        }
    }

    #[test]
    fn each_domain_shows_the_reason_in_its_own_words() {
        let now = Utc::now();
        // One provider's MX for both domains, a different address and id each time.
        let a = "host mx.provider.example[192.0.2.1] said: 421 4.7.0 Try later (id 1234)";
        let b = "host mx.provider.example[192.0.2.2] said: 421 4.7.0 Try later (id 98765)";
        let entries: Entries = [
            entry("A", 3, now, &[("u@a.example", Some(a))]),
            entry("B", 3, now, &[("u@b.example", Some(b))]),
            entry("C", 3, now, &[("v@b.example", Some(b))]),
        ]
        .into_iter()
        .collect();
        let g = group(&entries, now);
        assert_eq!(g.by_reason.len(), 1, "one failure once addresses and ids are masked");
        let example = |domain: &str| g.by_domain.iter().find(|d| d.key == domain).unwrap().example.clone();
        assert_eq!(example("a.example").as_deref(), Some(a));
        assert_eq!(example("b.example").as_deref(), Some(b));
        let top = &g.by_reason[0].top;
        assert_eq!((top[0].key.as_str(), top[0].example.as_deref()), ("b.example", Some(b)));
        assert_eq!((top[1].key.as_str(), top[1].example.as_deref()), ("a.example", Some(a)));
    }

    #[test]
    fn groups_by_domain_and_reason_largest_first() {
        let now = Utc::now();
        let r1 = "host mx[192.0.2.1] said: 421 4.7.0 Try again later (id 1234)";
        let r2 = "host mx[192.0.2.2] said: 421 4.7.0 Try again later (id 98765)";
        let entries: Entries = [
            entry("A", 3, now, &[("a@bank.example", Some(r1)), ("b@bank.example", Some(r1))]),
            entry("B", 90, now, &[("c@bank.example", Some(r2)), ("d@other.example", None)]),
            entry("C", 2000, now, &[("e@other.example", Some("connect to x[192.0.2.9]:25: Connection refused"))]),
            entry("D", 1, now, &[("f@bank.example", Some(r2))]),
        ]
        .into_iter()
        .collect();
        let g = group(&entries, now);
        assert_eq!((g.messages, g.recipients), (4, 6));
        let bank = &g.by_domain[0];
        assert_eq!((bank.key.as_str(), bank.messages, bank.recipients), ("bank.example", 3, 4));
        assert_eq!(bank.ages[0], 2); // 3 and 1 minutes
        assert_eq!(bank.ages[5], 1); // 90 minutes: 80..160
        assert_eq!(bank.oldest_secs, Some(90 * 60));
        assert_eq!(bank.top.len(), 1);
        assert_eq!(bank.top[0].messages, 3);
        assert_eq!(bank.entries, vec![0, 1, 3]);
        let other = &g.by_domain[1];
        assert_eq!(other.ages[9], 1);
        assert_eq!(other.top.len(), 2);
        let reason = &g.by_reason[0];
        assert_eq!(reason.messages, 3);
        assert_eq!(reason.key, "host mx[<ip>] said: 421 4.7.0 Try again later (id #)");
        assert_eq!(reason.example.as_deref(), Some(r1));
        assert!(g.by_reason.iter().any(|r| r.key.is_empty() && r.messages == 1));
    }
}
