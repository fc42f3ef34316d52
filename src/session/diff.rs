//! What changed between two sessions: findings and causes that are gone, new, or changed.
//!
//! A finding is identified by its id and its main subject: the host, address or domain it is
//! about (its `host`/`ip`/`addr`/`domain`/`zone` argument, or, for findings read back from a
//! journal, which does not keep arguments, the first address or domain name its summary names).
//! A pair with the same identity is `changed` when its severity or summary differ. Notes are the
//! user's own words, not results, and are left out.

use std::net::IpAddr;

use serde::Serialize;

use super::finding::{Finding, Severity};
use super::step::StepId;

/// One finding as it was and as it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub before: Finding,
    pub after: Finding,
}

/// The differences between an earlier and a later list of findings.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Diff {
    /// In the earlier session only, from a step the later session ran: cleared.
    pub gone: Vec<Finding>,
    /// In the earlier session only, from a step the later session did not run (none of its
    /// findings is there): not checked again, so nothing is known of them now.
    pub not_checked_again: Vec<Finding>,
    /// In the later session only: appeared.
    pub new: Vec<Finding>,
    pub changed: Vec<Change>,
    /// Findings the same in both.
    pub unchanged: usize,
}

impl Diff {
    /// True when nothing changed.
    pub fn is_empty(&self) -> bool {
        self.gone.is_empty() && self.new.is_empty() && self.changed.is_empty() && self.not_checked_again.is_empty()
    }
}

/// Argument names that say what a finding is about, most specific first.
const SUBJECT_ARGS: &[&str] = &["host", "addr", "ip", "zone", "domain", "selector"];

/// The main subject of a finding: an argument, else the first address or domain name in its
/// summary, else nothing (the id alone identifies it).
pub fn subject(finding: &Finding) -> String {
    if let Some(value) = SUBJECT_ARGS.iter().find_map(|name| finding.arg(name)) {
        return value.to_ascii_lowercase();
    }
    finding
        .summary
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | '<' | '>' | '"' | '\'' | '[' | ']'))
        .map(|word| word.trim_end_matches([':', '.']))
        .find(|word| word.parse::<IpAddr>().is_ok() || looks_like_domain(word))
        .map(str::to_ascii_lowercase)
        .unwrap_or_default()
}

fn looks_like_domain(word: &str) -> bool {
    word.contains('.')
        && word.chars().any(|c| c.is_ascii_alphabetic())
        && word
            .split('.')
            .all(|label| !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
}

/// Compares `before` with `after`. Identical findings pair first, then those with the same id
/// and subject, in order.
pub fn diff(before: &[Finding], after: &[Finding]) -> Diff {
    let keep = |f: &&Finding| f.severity != Severity::Note;
    let mut old: Vec<Option<&Finding>> = before.iter().filter(keep).map(Some).collect();
    let mut new: Vec<Option<&Finding>> = after.iter().filter(keep).map(Some).collect();
    let mut out = Diff::default();
    for slot in &mut new {
        let Some(finding) = *slot else { continue };
        if let Some(pair) = old.iter_mut().find(|o| o.is_some_and(|o| o == finding)) {
            *pair = None;
            *slot = None;
            out.unchanged += 1;
        }
    }
    for slot in &mut new {
        let Some(finding) = *slot else { continue };
        let key = subject(finding);
        if let Some(pair) = old.iter_mut().find(|o| o.is_some_and(|o| o.id == finding.id && subject(o) == key)) {
            let earlier = pair.take().expect("matched a remaining finding");
            *slot = None;
            if earlier.severity == finding.severity && earlier.summary == finding.summary {
                out.unchanged += 1;
            } else {
                out.changed.push(Change { before: earlier.clone(), after: finding.clone() });
            }
        }
    }
    // A finding is cleared only when its step ran again; a cause only when a diagnosis did.
    let ran = |finding: &Finding| {
        let step = StepId::of_finding(&finding.id);
        step.is_some() && after.iter().any(|f| f.severity != Severity::Note && StepId::of_finding(&f.id) == step)
    };
    let (gone, unchecked): (Vec<&Finding>, Vec<&Finding>) = old.into_iter().flatten().partition(|f| ran(f));
    out.gone = gone.into_iter().cloned().collect();
    out.not_checked_again = unchecked.into_iter().cloned().collect();
    out.new = new.into_iter().flatten().cloned().collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn cleared_appeared_and_changed_are_told_apart() {
        let before = vec![
            Finding::new("ptr.missing", &[("ip", "203.0.113.5")]),
            Finding::new("dnsbl.listed", &[("ip", "203.0.113.5"), ("zone", "zen.spamhaus.org"), ("meaning", "SBL")]),
            Finding::note("asked the bank"),
        ];
        let mut after = vec![
            Finding::new("ptr.ok", &[("ip", "203.0.113.5"), ("name", "mail.example.com")]),
            Finding::new("dnsbl.listed", &[("ip", "203.0.113.5"), ("zone", "zen.spamhaus.org"), ("meaning", "CSS")]),
        ];
        let d = diff(&before, &after);
        assert_eq!(d.gone.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(), ["ptr.missing"]);
        assert_eq!(d.new.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(), ["ptr.ok"]);
        assert_eq!(d.changed.len(), 1, "{d:?}");
        assert_eq!(d.changed[0].after.id, "dnsbl.listed");
        // Read back from a journal, arguments are gone; the summary still names the subject.
        for f in &mut after {
            f.args.clear();
        }
        let mut earlier = before.clone();
        for finding in &mut earlier {
            finding.args.clear();
        }
        assert_eq!(diff(&earlier, &after).changed.len(), 1);
        assert!(diff(&after, &after).is_empty());
        assert_eq!(diff(&after, &after).unchanged, 2);
    }

    #[test]
    fn subjects_come_from_summaries() {
        let mut f = Finding::new("ptr.missing", &[("ip", "203.0.113.5")]);
        f.args.clear();
        assert_eq!(subject(&f), "203.0.113.5");
        f.summary = "3 message(s) to Bank.Example stuck for up to 2d: 421 4.0.0 Server error".into();
        assert_eq!(subject(&f), "bank.example");
        f.summary = "nothing named here 4.0.0".into();
        assert_eq!(subject(&f), "");
    }

    proptest! {
        #[test]
        fn any_summary_gives_a_bounded_subject_and_diff_counts_add_up(
            summaries in proptest::collection::vec("\\PC{0,80}", 0..6),
            split in 0usize..6,
        ) {
            let findings: Vec<Finding> = summaries
                .iter()
                .map(|s| {
                    let mut f = Finding::new("smtp.reply_explained", &[]);
                    f.summary = s.clone();
                    f
                })
                .collect();
            for f in &findings {
                let s = subject(f);
                prop_assert!(s.len() <= f.summary.len());
                prop_assert!(!s.chars().any(char::is_control));
            }
            let (a, b) = findings.split_at(split.min(findings.len()));
            let d = diff(a, b);
            prop_assert_eq!(d.gone.len() + d.not_checked_again.len() + d.changed.len() + d.unchanged, a.len());
            prop_assert!(b.is_empty() || d.not_checked_again.is_empty(), "every finding here is of one step");
            prop_assert_eq!(d.new.len() + d.changed.len() + d.unchanged, b.len());
        }
    }
}
