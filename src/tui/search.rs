//! Search: the query typed after `/`, where it matches (rows of the current pane, then findings),
//! and which match `n`/`N` moved to.

use crate::session::Finding;
use crate::wizard::StepView;

/// An active search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    pub query: String,
    /// The match moved to last, an index into [`hits`].
    pub current: Option<usize>,
}

/// A place that matches the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hit {
    /// A row of the current step's pane.
    Row(usize),
    /// A finding, by its index in the panel's order.
    Finding(usize),
}

/// The byte ranges of `text` where `needle` occurs, ignoring ASCII case; non-overlapping.
pub fn find_all(text: &str, needle: &str) -> Vec<(usize, usize)> {
    let (hay, pat) = (text.as_bytes(), needle.as_bytes());
    let mut out = Vec::new();
    if pat.is_empty() || pat.len() > hay.len() {
        return out;
    }
    let mut i = 0;
    while i + pat.len() <= hay.len() {
        // A needle is whole UTF-8 and non-ASCII bytes match only themselves, so a match starts and
        // ends on character boundaries.
        if hay[i..i + pat.len()].eq_ignore_ascii_case(pat) {
            out.push((i, i + pat.len()));
            i += pat.len();
        } else {
            i += 1;
        }
    }
    out
}

/// Whether `needle` occurs in `text`, ignoring ASCII case.
pub fn matches(text: &str, needle: &str) -> bool {
    !find_all(text, needle).is_empty()
}

/// Every place `query` matches: the pane's rows in order, then the findings in panel order
/// (id, summary, detail, evidence and fix).
pub fn hits(view: &StepView, findings: &[&Finding], query: &str) -> Vec<Hit> {
    let rows = view.rows.iter().enumerate().filter(|(_, r)| matches(&r.text(), query)).map(|(i, _)| Hit::Row(i));
    let findings = findings
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            [&f.id, &f.summary, &f.detail, &f.fix].iter().any(|t| matches(t, query))
                || f.evidence.iter().any(|e| matches(e, query))
        })
        .map(|(i, _)| Hit::Finding(i));
    rows.chain(findings).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_occurrence_ignoring_case() {
        assert_eq!(find_all("PTR ptr Ptr", "ptr"), [(0, 3), (4, 7), (8, 11)]);
        assert_eq!(find_all("aaaa", "aa"), [(0, 2), (2, 4)]);
        assert_eq!(find_all("größe ß", "ß"), [(4, 6), (8, 10)]);
        assert!(find_all("abc", "").is_empty());
        assert!(find_all("ab", "abc").is_empty());
    }
}
