//! What a parser returns: the entries, and the lines it could not read.

use serde::Serialize;

use super::format::Format;
use super::store::Entries;
use crate::session::escape::escape_str;

/// How many skipped lines are kept as examples.
const SAMPLES: usize = 5;
/// Skipped lines are cut to this many characters in the examples.
const SAMPLE_CHARS: usize = 160;

/// Lines that did not parse: counted, with the first few kept (escaped) as evidence.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub count: usize,
    /// `(line number, text)` of the first skipped lines, safe to show.
    pub samples: Vec<(usize, String)>,
}

impl Skipped {
    /// Counts line `number` (1-based) as skipped.
    pub fn add(&mut self, number: usize, line: &str) {
        self.count += 1;
        if self.samples.len() < SAMPLES {
            let cut: String = line.chars().take(SAMPLE_CHARS).collect();
            self.samples.push((number, escape_str(&cut)));
        }
    }
}

impl Skipped {
    /// Adds the lines `later` skipped further on in the same listing.
    pub fn merge(&mut self, later: Skipped) {
        self.count += later.count;
        let room = SAMPLES.saturating_sub(self.samples.len());
        self.samples.extend(later.samples.into_iter().take(room));
    }
}

/// A parsed queue listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Parsed {
    pub format: Format,
    pub entries: Entries,
    pub skipped: Skipped,
}

impl Parsed {
    /// An empty result of `format`.
    pub fn new(format: Format) -> Parsed {
        Parsed { format, entries: Entries::new(), skipped: Skipped::default() }
    }

    /// Adds the entries and skipped lines of a later part of the same listing.
    pub fn append(&mut self, later: Parsed) {
        self.entries.append(&later.entries);
        self.skipped.merge(later.skipped);
    }

    /// How many messages the entries stand for.
    pub fn message_count(&self) -> u64 {
        self.entries.iter().map(super::store::EntryRef::messages).sum()
    }
}
