//! Sharing repeated strings (domains, delay reasons) between the entries of a large queue.

use std::sync::Arc;

use foldhash::HashSet;

/// Hands out one `Arc<str>` per distinct string; 100,000 messages to a few domains with a
/// few reasons then hold a few strings, not 200,000.
#[derive(Debug, Default)]
pub struct Interner {
    set: HashSet<Arc<str>>,
}

impl Interner {
    /// The shared copy of `text`.
    pub fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.set.get(text) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(text);
        self.set.insert(shared.clone());
        shared
    }
}
