//! A queue's messages held column by column: a million messages in under 200 bytes each.
//!
//! A parsed [`QueueEntry`] holds a dozen heap allocations (its id, sender, recipients, each
//! address, each reason); a queue left by a dead relay or a spam outbreak holds a million of
//! them. [`Entries`] keeps every string end to end in a few buffers, domains, senders and
//! normalised reasons once each, and a reason as the pieces its normalised form masks
//! ([`split`]), so it keeps what the views need at about a third of the memory. [`EntryRef`]
//! reads one message in place; [`EntryRef::to_entry`] gives it back whole.

use std::borrow::Cow;
use std::hash::BuildHasher;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use hashbrown::{DefaultHashBuilder, HashMap, HashTable};
use serde::{Serialize, Serializer};

use super::entry::{QueueEntry, QueueName, Recipient};
use super::reason::{Reason, rebuild, split};

/// Strings laid end to end in one buffer, read back by their number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Arena {
    text: String,
    ends: Vec<u32>,
}

impl Arena {
    fn push(&mut self, s: &str) -> u32 {
        self.text.push_str(s);
        self.ends.push(index(self.text.len()));
        index(self.ends.len() - 1)
    }

    fn get(&self, i: u32) -> &str {
        let i = i as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn append(&mut self, later: &Arena) {
        let offset = index(self.text.len());
        self.text.push_str(&later.text);
        self.ends.extend(later.ends.iter().map(|&end| offset + end));
    }

    fn shrink(&mut self) {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
    }
}

#[allow(
    clippy::cast_possible_truncation,
    reason = "a listing is read up to 512 MiB (MAX_LISTING_OUTPUT), far below 2^32 bytes"
)]
fn index(n: usize) -> u32 {
    n as u32
}

/// Distinct strings, each with a number.
#[derive(Debug, Clone, Default)]
struct Table {
    hasher: DefaultHashBuilder,
    strings: Arena,
    // Hashes beside the numbers, so growing never hashes a string again.
    index: HashTable<(u64, u32)>,
}

impl Table {
    fn id(&mut self, s: &str) -> u32 {
        let hash = self.hasher.hash_one(s);
        let strings = &mut self.strings;
        if let Some(&(_, id)) = self.index.find(hash, |&(h, id)| h == hash && strings.get(id) == s) {
            return id;
        }
        let id = strings.push(s);
        self.index.insert_unique(hash, (hash, id), |&(hash, _)| hash);
        id
    }

    fn get(&self, id: u32) -> &str {
        self.strings.get(id)
    }
}

/// How a distinct reason is kept: its normalised form's number, and its masked pieces or (when
/// those do not give it back) its own words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TextRecord {
    key: u32,
    /// Number in `Texts::bytes`.
    bytes: u32,
    whole: bool,
}

/// The distinct reasons of a queue.
#[derive(Debug, Clone, Default)]
struct Texts {
    hasher: DefaultHashBuilder,
    keys: Table,
    /// One `Arc` per normalised form, so entries given back whole share them.
    shared_keys: Vec<Arc<str>>,
    records: Vec<TextRecord>,
    bytes: Arena,
    index: HashTable<Slot>,
}

/// A kept reason in the table that finds it again: where its bytes are, so that telling two
/// reasons apart reads nothing else.
#[derive(Debug, Clone, Copy)]
struct Slot {
    /// Half the hash: 16 bytes a slot instead of 24, for half a million reasons.
    hash: u32,
    id: u32,
    start: u32,
    end: u32,
}

/// The hash of `value` cut to the half a [`Slot`] keeps.
#[allow(clippy::cast_possible_truncation, reason = "half the hash is kept on purpose")]
fn half_hash(hasher: &DefaultHashBuilder, value: impl std::hash::Hash) -> u32 {
    hasher.hash_one(value) as u32
}

/// The table's hash of a slot's half hash, spread again over 64 bits for the table's probing.
fn table_hash(half: u32) -> u64 {
    u64::from(half).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

impl Texts {
    fn key_id(&mut self, key: &str) -> u32 {
        let id = self.keys.id(key);
        if id as usize == self.shared_keys.len() {
            self.shared_keys.push(Arc::from(key));
        }
        id
    }

    /// The number of the reason whose normalised form is number `key`, kept as `bytes` (pieces
    /// or whole words).
    fn id(&mut self, key: u32, bytes: &str, whole: bool) -> u32 {
        let hash = half_hash(&self.hasher, (key, whole, bytes));
        let (text, records) = (&self.bytes.text, &self.records);
        let same = |slot: &Slot| {
            slot.hash == hash && &text[slot.start as usize..slot.end as usize] == bytes && {
                let record = records[slot.id as usize];
                record.key == key && record.whole == whole
            }
        };
        if let Some(slot) = self.index.find(table_hash(hash), same) {
            return slot.id;
        }
        let id = index(self.records.len());
        let start = index(self.bytes.text.len());
        let number = self.bytes.push(bytes);
        self.records.push(TextRecord { key, bytes: number, whole });
        let slot = Slot { hash, id, start, end: index(self.bytes.text.len()) };
        self.index.insert_unique(table_hash(hash), slot, |slot| table_hash(slot.hash));
        id
    }

    /// A new number for the reason normalised as `key`, kept as `bytes`. Equal reasons are found
    /// out when parts of a listing are joined ([`Entries::append`]).
    fn push(&mut self, key: &str, bytes: &str, whole: bool) -> u32 {
        let key = self.key_id(key);
        let id = index(self.records.len());
        self.records.push(TextRecord { key, bytes: self.bytes.push(bytes), whole });
        id
    }

    fn text(&self, id: u32) -> Cow<'_, str> {
        let record = self.records[id as usize];
        let bytes = self.bytes.get(record.bytes);
        if record.whole {
            return Cow::Borrowed(bytes);
        }
        let mut out = String::new();
        rebuild(self.keys.get(record.key), bytes, &mut out);
        Cow::Owned(out)
    }
}

/// No reason recorded for a recipient.
const NO_REASON: u32 = u32::MAX;
/// The address is its local part, `@` and the recipient's domain; only the local part is kept.
const SPLIT: u8 = 1;
const DELIVERED: u8 = 2;

/// A queue's messages, in listing order, column by column.
#[derive(Debug, Clone, Default)]
pub struct Entries {
    ids: Arena,
    queue: Vec<QueueName>,
    arrival: Vec<Option<DateTime<Utc>>>,
    /// The size, when `sized` says it is known.
    size: Vec<u64>,
    sized: Vec<bool>,
    sender: Vec<u32>,
    /// How many messages an entry stands for, where that is not one (Exchange's queues).
    many: HashMap<u32, u64>,
    /// End of each message's recipients in the recipient columns.
    recipients_end: Vec<u32>,
    /// The address, or its local part when `SPLIT`.
    addresses: Arena,
    domain: Vec<u32>,
    reason: Vec<u32>,
    flags: Vec<u8>,
    senders: Table,
    domains: Table,
    /// One `Arc` per domain, so entries given back whole share them.
    shared_domains: Vec<Arc<str>>,
    texts: Texts,
    /// Reasons met lately, while reading.
    seen: Seen,
}

/// Reasons met lately, by their words, so that words met again are not split again; a part of a
/// listing meets each of its reasons here first.
#[derive(Debug, Clone, Default)]
struct Seen {
    hasher: DefaultHashBuilder,
    index: HashTable<Slot>,
    text: String,
    key: String,
    parts: String,
    scratch: String,
}

/// Words of reasons remembered at most, in bytes: a part of a listing holds about this many.
const SEEN_BYTES: usize = 1 << 20;

impl PartialEq for Entries {
    fn eq(&self, other: &Entries) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a.to_entry() == b.to_entry())
    }
}

impl Eq for Entries {}

impl Entries {
    /// No messages.
    pub fn new() -> Entries {
        Entries::default()
    }

    /// Messages held.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Message `i` in listing order.
    pub fn get(&self, i: usize) -> Option<EntryRef<'_>> {
        (i < self.len()).then_some(EntryRef { entries: self, i })
    }

    /// The messages in listing order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = EntryRef<'_>> + DoubleEndedIterator + Clone {
        (0..self.len()).map(|i| EntryRef { entries: self, i })
    }

    /// Every message given back whole (for tests and small queues).
    pub fn to_vec(&self) -> Vec<QueueEntry> {
        self.iter().map(EntryRef::to_entry).collect()
    }

    /// Adds a parsed message.
    pub fn push(&mut self, entry: &QueueEntry) {
        self.begin(&entry.id, entry.queue, entry.arrival, entry.size, &entry.sender, entry.messages);
        for r in &entry.recipients {
            self.recipient(&r.address, &r.domain, r.reason.as_ref().map(Reason::text), r.delivered);
        }
    }

    /// Starts a message (see [`QueueEntry`] for the fields); its recipients follow with
    /// [`Entries::recipient`].
    pub fn begin(
        &mut self,
        id: &str,
        queue: QueueName,
        arrival: Option<DateTime<Utc>>,
        size: Option<u64>,
        sender: &str,
        messages: u64,
    ) {
        self.ids.push(id);
        self.queue.push(queue);
        self.arrival.push(arrival);
        self.size.push(size.unwrap_or(0));
        self.sized.push(size.is_some());
        let sender = self.senders.id(sender);
        self.sender.push(sender);
        if messages != 1 {
            self.many.insert(index(self.queue.len() - 1), messages);
        }
        self.recipients_end.push(index(self.domain.len()));
    }

    /// Adds a recipient to the message begun last: its address as the listing shows it, the
    /// lowercase `domain` of the address, and its delay reason.
    pub fn recipient(&mut self, address: &str, domain: &str, reason: Option<&str>, delivered: bool) {
        let reason = reason.map_or(NO_REASON, |text| self.reason_id(text));
        self.push_recipient(address, domain, reason, delivered);
        if let Some(end) = self.recipients_end.last_mut() {
            *end = index(self.domain.len());
        }
    }

    fn reason_id(&mut self, text: &str) -> u32 {
        let seen = &mut self.seen;
        let hash = half_hash(&seen.hasher, text);
        let words = &seen.text;
        let same = |slot: &Slot| slot.hash == hash && &words[slot.start as usize..slot.end as usize] == text;
        if let Some(slot) = seen.index.find(table_hash(hash), same) {
            return slot.id;
        }
        let id = if split(text, &mut seen.key, &mut seen.parts, &mut seen.scratch) {
            self.texts.push(&seen.key, &seen.parts, false)
        } else {
            self.texts.push(&seen.key, text, true)
        };
        if seen.text.len() > SEEN_BYTES {
            seen.index.clear();
            seen.text.clear();
        }
        let start = index(seen.text.len());
        seen.text.push_str(text);
        let slot = Slot { hash, id, start, end: index(seen.text.len()) };
        seen.index.insert_unique(table_hash(hash), slot, |slot| table_hash(slot.hash));
        id
    }

    fn push_recipient(&mut self, address: &str, domain: &str, reason: u32, delivered: bool) {
        let local = address.strip_suffix(domain).and_then(|rest| rest.strip_suffix('@')).filter(|_| !domain.is_empty());
        let mut flags = if delivered { DELIVERED } else { 0 };
        match local {
            Some(local) => {
                flags |= SPLIT;
                self.addresses.push(local);
            }
            None => {
                self.addresses.push(address);
            }
        }
        let domain = self.domain_id(domain);
        self.domain.push(domain);
        self.reason.push(reason);
        self.flags.push(flags);
    }

    fn domain_id(&mut self, domain: &str) -> u32 {
        let id = self.domains.id(domain);
        if id as usize == self.shared_domains.len() {
            self.shared_domains.push(Arc::from(domain));
        }
        id
    }

    /// Adds the messages of a later part of the same listing.
    pub fn append(&mut self, later: &Entries) {
        // Numbers in `later` → numbers here.
        let senders: Vec<u32> =
            (0..later.senders.strings.len()).map(|i| self.senders.id(later.senders.get(index(i)))).collect();
        let domains: Vec<u32> =
            (0..later.domains.strings.len()).map(|i| self.domain_id(later.domains.get(index(i)))).collect();
        let keys: Vec<u32> =
            (0..later.texts.keys.strings.len()).map(|i| self.texts.key_id(later.texts.keys.get(index(i)))).collect();
        let texts: Vec<u32> = later
            .texts
            .records
            .iter()
            .map(|r| self.texts.id(keys[r.key as usize], later.texts.bytes.get(r.bytes), r.whole))
            .collect();
        let recipients = index(self.domain.len());
        self.ids.append(&later.ids);
        self.addresses.append(&later.addresses);
        let first = index(self.queue.len());
        self.queue.extend_from_slice(&later.queue);
        self.arrival.extend_from_slice(&later.arrival);
        self.size.extend_from_slice(&later.size);
        self.sized.extend_from_slice(&later.sized);
        self.many.extend(later.many.iter().map(|(&i, &n)| (first + i, n)));
        self.sender.extend(later.sender.iter().map(|&s| senders[s as usize]));
        self.recipients_end.extend(later.recipients_end.iter().map(|&end| recipients + end));
        self.domain.extend(later.domain.iter().map(|&d| domains[d as usize]));
        self.reason.extend(later.reason.iter().map(|&r| if r == NO_REASON { NO_REASON } else { texts[r as usize] }));
        self.flags.extend_from_slice(&later.flags);
    }

    /// Keeps the messages `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(EntryRef<'_>) -> bool) {
        let mut kept = Entries::default();
        for entry in self.iter() {
            if keep(entry) {
                kept.push(&entry.to_entry());
            }
        }
        kept.shrink();
        *self = kept;
    }

    /// Gives a reason to each recipient still to deliver that has none, from `reason_of(id,
    /// address)` (Exim's listing names none; its log does).
    pub fn fill_reasons(&mut self, mut reason_of: impl FnMut(&str, &str) -> Option<Reason>) {
        for i in 0..self.len() {
            for r in (EntryRef { entries: self, i }).recipient_range() {
                if self.reason[r] != NO_REASON || self.flags[r] & DELIVERED != 0 {
                    continue;
                }
                let id = self.ids.get(index(i)).to_string();
                let address = self.address(r).into_owned();
                if let Some(reason) = reason_of(&id, &address) {
                    self.reason[r] = self.reason_id(reason.text());
                }
            }
        }
    }

    /// Frees what was only needed while reading: the spare room of the columns and the table of
    /// reasons already seen.
    pub fn shrink(&mut self) {
        self.seen = Seen::default();
        self.ids.shrink();
        self.addresses.shrink();
        self.queue.shrink_to_fit();
        self.arrival.shrink_to_fit();
        self.size.shrink_to_fit();
        self.sized.shrink_to_fit();
        self.sender.shrink_to_fit();
        self.recipients_end.shrink_to_fit();
        self.domain.shrink_to_fit();
        self.reason.shrink_to_fit();
        self.flags.shrink_to_fit();
    }

    fn address(&self, r: usize) -> Cow<'_, str> {
        let kept = self.addresses.get(index(r));
        if self.flags[r] & SPLIT == 0 {
            return Cow::Borrowed(kept);
        }
        Cow::Owned(format!("{kept}@{}", self.domains.get(self.domain[r])))
    }

    /// How many reasons' words are kept: recipients given one reason share its words, so work
    /// on a reason can be done once per number ([`ReasonRef::text_id`]).
    pub fn reason_texts(&self) -> usize {
        self.texts.records.len()
    }
}

impl FromIterator<QueueEntry> for Entries {
    fn from_iter<I: IntoIterator<Item = QueueEntry>>(iter: I) -> Entries {
        let mut entries = Entries::default();
        entries.extend(iter);
        entries
    }
}

impl Extend<QueueEntry> for Entries {
    fn extend<I: IntoIterator<Item = QueueEntry>>(&mut self, iter: I) {
        iter.into_iter().for_each(|e| self.push(&e));
    }
}

impl Serialize for Entries {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter().map(EntryRef::to_entry))
    }
}

/// One message of [`Entries`], read in place.
#[derive(Debug, Clone, Copy)]
pub struct EntryRef<'a> {
    entries: &'a Entries,
    i: usize,
}

impl<'a> EntryRef<'a> {
    /// Its number in the listing.
    pub fn index(self) -> usize {
        self.i
    }

    /// The MTA's queue id.
    pub fn id(self) -> &'a str {
        self.entries.ids.get(index(self.i))
    }

    pub fn queue(self) -> QueueName {
        self.entries.queue[self.i]
    }

    pub fn arrival(self) -> Option<DateTime<Utc>> {
        self.entries.arrival[self.i]
    }

    pub fn size(self) -> Option<u64> {
        self.entries.sized[self.i].then(|| self.entries.size[self.i])
    }

    /// The envelope sender; empty for the null sender.
    pub fn sender(self) -> &'a str {
        self.entries.senders.get(self.entries.sender[self.i])
    }

    /// How many messages this entry stands for (see [`QueueEntry::messages`]).
    pub fn messages(self) -> u64 {
        self.entries.many.get(&index(self.i)).copied().unwrap_or(1)
    }

    fn recipient_range(self) -> std::ops::Range<usize> {
        let start = if self.i == 0 { 0 } else { self.entries.recipients_end[self.i - 1] as usize };
        start..self.entries.recipients_end[self.i] as usize
    }

    /// Its recipients, delivered ones too.
    pub fn recipients(self) -> impl ExactSizeIterator<Item = RecipientRef<'a>> + Clone {
        let entries = self.entries;
        self.recipient_range().map(move |r| RecipientRef { entries, r })
    }

    /// The recipients still to deliver.
    pub fn pending(self) -> impl Iterator<Item = RecipientRef<'a>> + Clone {
        self.recipients().filter(|r| !r.delivered())
    }

    /// Age at `now`, when the arrival is known (never negative).
    pub fn age(self, now: DateTime<Utc>) -> Option<chrono::Duration> {
        self.arrival().map(|arrival| (now - arrival).max(chrono::Duration::zero()))
    }

    /// The message as the parser gave it.
    pub fn to_entry(self) -> QueueEntry {
        QueueEntry {
            id: self.id().to_string(),
            queue: self.queue(),
            arrival: self.arrival(),
            size: self.size(),
            sender: self.sender().to_string(),
            recipients: self.recipients().map(RecipientRef::to_recipient).collect(),
            messages: self.messages(),
        }
    }
}

/// One recipient of an [`EntryRef`].
#[derive(Debug, Clone, Copy)]
pub struct RecipientRef<'a> {
    entries: &'a Entries,
    r: usize,
}

impl<'a> RecipientRef<'a> {
    /// The address as the listing shows it.
    pub fn address(self) -> Cow<'a, str> {
        self.entries.address(self.r)
    }

    /// The lowercase domain of the address.
    pub fn domain(self) -> &'a str {
        self.entries.domains.get(self.entries.domain[self.r])
    }

    /// Why delivery is delayed, when the listing says.
    pub fn reason(self) -> Option<ReasonRef<'a>> {
        let id = self.entries.reason[self.r];
        (id != NO_REASON).then_some(ReasonRef { texts: &self.entries.texts, id })
    }

    /// Already delivered (Exim's `D`).
    pub fn delivered(self) -> bool {
        self.entries.flags[self.r] & DELIVERED != 0
    }

    fn to_recipient(self) -> Recipient {
        Recipient {
            address: self.address().into_owned(),
            domain: self.entries.shared_domains[self.entries.domain[self.r] as usize].clone(),
            reason: self.reason().map(ReasonRef::to_reason),
            delivered: self.delivered(),
        }
    }
}

/// A recipient's delay reason, read in place.
#[derive(Debug, Clone, Copy)]
pub struct ReasonRef<'a> {
    texts: &'a Texts,
    id: u32,
}

impl<'a> ReasonRef<'a> {
    /// The reason as the MTA wrote it.
    pub fn text(self) -> Cow<'a, str> {
        self.texts.text(self.id)
    }

    /// The normalised form, what groups reasons together.
    pub fn key(self) -> &'a str {
        self.texts.keys.get(self.texts.records[self.id as usize].key)
    }

    /// A number shared by the reasons with the same normalised form.
    pub fn key_id(self) -> u32 {
        self.texts.records[self.id as usize].key
    }

    /// A number for the reason's words (below [`Entries::reason_texts`]): equal numbers, equal
    /// words.
    pub fn text_id(self) -> u32 {
        self.id
    }

    fn to_reason(self) -> Reason {
        let key = self.texts.shared_keys[self.key_id() as usize].clone();
        Reason::from_parts(Arc::from(self.text().as_ref()), key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::intern::Interner;

    fn entry(interner: &mut Interner, id: &str, recipients: &[(&str, Option<&str>, bool)]) -> QueueEntry {
        QueueEntry {
            id: id.into(),
            queue: QueueName::Deferred,
            arrival: Some(Utc::now()),
            size: Some(1234),
            sender: "s@x.example".into(),
            recipients: recipients
                .iter()
                .map(|&(address, reason, delivered)| Recipient {
                    address: address.into(),
                    domain: interner.get(&crate::queue::entry::domain_of(address)),
                    reason: reason.map(|r| interner.reason(r)),
                    delivered,
                })
                .collect(),
            messages: 1,
        }
    }

    #[test]
    fn entries_come_back_as_they_were_given() {
        let mut interner = Interner::default();
        let gmail = "host alt1.gmail-smtp-in.l.google.com[108.177.97.26] said: 452-4.2.2 The email account that you tried to reach is over quota. 452 4.2.2 https://support.google.com/mail/?p=OverQuotaTemp q24si6538316pgt.498 - gsmtp (in reply to RCPT TO command)";
        // Two spaces, a cut form, marks of its own: kept whole.
        let odd = "host mx[192.0.2.1] said:  550 (#5.1.1) <ip> *@* x ".to_string() + &"y".repeat(500);
        let given = vec![
            entry(
                &mut interner,
                "A1",
                &[("u@Bank.Example", Some(gmail), false), ("v@bank.example", Some(&odd), false)],
            ),
            entry(&mut interner, "B2", &[("MAILER-DAEMON", None, true), ("w@bank.example", Some(gmail), false)]),
            QueueEntry {
                messages: 7,
                arrival: None,
                size: None,
                sender: String::new(),
                ..entry(&mut interner, "C", &[])
            },
        ];
        let entries: Entries = given.clone().into_iter().collect();
        assert_eq!(entries.to_vec(), given);
        assert_eq!(entries.reason_texts(), 2, "equal words are kept once");
        let first = entries.get(0).unwrap();
        let reason = first.recipients().next().unwrap().reason().unwrap();
        assert_eq!(reason.key(), &**given[0].recipients[0].reason.as_ref().unwrap().key());
        assert!(matches!(reason.text(), Cow::Owned(_)), "kept as pieces");
        assert_eq!(first.recipients().next().unwrap().address(), "u@Bank.Example");
        assert_eq!(entries.get(1).unwrap().pending().count(), 1);

        // Appending part by part gives the same as one pass.
        let mut joined = Entries::new();
        for e in &given {
            joined.append(&std::iter::once(e.clone()).collect());
        }
        assert_eq!(joined.to_vec(), given);
        assert_eq!(joined.reason_texts(), 2);
        joined.retain(|e| e.id() != "B2");
        assert_eq!(joined.iter().map(EntryRef::id).collect::<Vec<_>>(), ["A1", "C"]);
    }

    #[test]
    fn reasons_are_filled_for_recipients_without_one() {
        let mut interner = Interner::default();
        let mut entries: Entries =
            [entry(&mut interner, "X", &[("a@x.example", None, false), ("b@x.example", None, true)])]
                .into_iter()
                .collect();
        entries.fill_reasons(|id, address| (id == "X").then(|| Reason::new(&format!("refused {address}"))));
        let got = entries.to_vec();
        assert_eq!(got[0].recipients[0].reason.as_deref(), Some("refused a@x.example"));
        assert_eq!(got[0].recipients[1].reason, None, "a delivered recipient keeps none");
    }

    proptest::proptest! {
        #[test]
        fn any_reasons_and_addresses_come_back_whole(
            rows in proptest::collection::vec(("\\PC{0,30}", proptest::option::of("(\\PC| |  |\\x00|#|<ip>|\\*@\\*|[0-9.:@]){0,60}"), proptest::bool::ANY), 0..12),
        ) {
            let mut interner = Interner::default();
            let rows: Vec<(&str, Option<&str>, bool)> = rows.iter().map(|(a, r, d)| (a.as_str(), r.as_deref(), *d)).collect();
            let given: Vec<QueueEntry> = rows.chunks(3).enumerate().map(|(i, chunk)| entry(&mut interner, &i.to_string(), chunk)).collect();
            let entries: Entries = given.clone().into_iter().collect();
            proptest::prop_assert_eq!(entries.to_vec(), given.clone());
            let mut joined = Entries::new();
            for e in &given {
                joined.append(&std::iter::once(e.clone()).collect());
            }
            proptest::prop_assert_eq!(joined.to_vec(), given);
        }
    }
}
