//! Sharing repeated strings (domains, delay reasons) between the entries of a large queue.

use std::hash::BuildHasher;
use std::sync::Arc;

use hashbrown::hash_table::Entry;
use hashbrown::{DefaultHashBuilder, HashTable};

use super::reason::{Reason, normalise_into};

/// Distinct reasons remembered at most: enough for a batch of a listing.
const MAX_REASONS: usize = 16 * 1024;

/// Hands out one `Arc<str>` per distinct string, and one [`Reason`] per distinct delay reason
/// (normalised once, on first sight); 100,000 messages to a few domains with a few reasons
/// then hold a few strings, not 200,000.
#[derive(Debug, Default)]
pub struct Interner {
    hasher: DefaultHashBuilder,
    // Hashes are kept beside the strings, so growing a table never hashes a string again.
    strings: HashTable<(u64, Arc<str>)>,
    reasons: HashTable<(u64, Reason)>,
    buf: String,
}

impl Interner {
    /// The shared copy of `text`.
    pub fn get(&mut self, text: &str) -> Arc<str> {
        let hash = self.hasher.hash_one(text);
        match self.strings.entry(hash, |(_, shared)| **shared == *text, |(hash, _)| *hash) {
            Entry::Occupied(entry) => entry.get().1.clone(),
            Entry::Vacant(entry) => {
                let shared: Arc<str> = Arc::from(text);
                entry.insert((hash, shared.clone()));
                shared
            }
        }
    }

    /// The shared copy of the delay reason `text`, with its normalised form.
    pub fn reason(&mut self, text: &str) -> Reason {
        let hash = self.hasher.hash_one(text);
        if let Some((_, reason)) = self.reasons.find(hash, |(_, reason)| reason.text() == text) {
            return reason.clone();
        }
        if self.reasons.len() >= MAX_REASONS {
            // Reasons that differ from message to message (a queue id in the reply) would
            // otherwise all be held here too.
            self.reasons.clear();
        }
        let mut buf = std::mem::take(&mut self.buf);
        normalise_into(text, &mut buf);
        let reason = Reason::from_parts(Arc::from(text), self.get(&buf));
        self.buf = buf;
        self.reasons.insert_unique(hash, (hash, reason.clone()), |(hash, _)| *hash);
        reason
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_strings_share_one_copy() {
        let mut interner = Interner::default();
        let a = interner.get("bank.example");
        let b = interner.get(&String::from("bank.example"));
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &interner.get("other.example")));

        let first = interner.reason("host mx[192.0.2.1] said: 421 4.7.0 Try later (id 1234)");
        let again = interner.reason("host mx[192.0.2.1] said: 421 4.7.0 Try later (id 1234)");
        let other = interner.reason("host mx[192.0.2.2] said: 421 4.7.0 Try later (id 98765)");
        assert!(Arc::ptr_eq(first.key(), again.key()));
        assert_eq!(first, again);
        // Different text, one failure: the normalised form is shared too.
        assert_ne!(first.text(), other.text());
        assert!(Arc::ptr_eq(first.key(), other.key()));
        assert_eq!(&**first.key(), "host mx[<ip>] said: 421 4.7.0 Try later (id #)");
    }
}
