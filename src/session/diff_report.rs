//! A [`Diff`] of two sessions rendered as text and as Markdown: causes first, then findings,
//! each split into cleared, appeared and changed.

use std::fmt::Write as _;

use super::diff::{Change, Diff};
use super::escape::escape_str;
use super::finding::Finding;
use super::markdown::md;

/// What the two sessions are, for the heading: a label (file name) and its target.
#[derive(Debug, Clone, Default)]
pub struct Sides {
    pub before: String,
    pub after: String,
    pub target: Option<String>,
}

fn is_cause(f: &Finding) -> bool {
    f.family() == "diagnosis"
}

/// The parts of `diff` about causes (`true`) or about the other findings (`false`).
fn part(diff: &Diff, causes: bool) -> (Vec<&Finding>, Vec<&Finding>, Vec<&Change>) {
    (
        diff.gone.iter().filter(|f| is_cause(f) == causes).collect(),
        diff.new.iter().filter(|f| is_cause(f) == causes).collect(),
        diff.changed.iter().filter(|c| is_cause(&c.after) == causes).collect(),
    )
}

fn line(f: &Finding) -> String {
    format!("{} {} {}", f.severity.mark(), f.id, escape_str(&f.summary))
}

/// The readable form.
pub fn text(diff: &Diff, sides: &Sides) -> String {
    let mut out = String::new();
    let target = sides.target.as_deref().map(|t| format!(" for {}", escape_str(t))).unwrap_or_default();
    let _ = writeln!(out, "What changed{target} from {} to {}:", escape_str(&sides.before), escape_str(&sides.after));
    if diff.is_empty() {
        let _ = writeln!(out, "\nNothing changed ({} finding(s) the same).", diff.unchanged);
        return out;
    }
    for (title, causes) in [("Likely causes", true), ("Findings", false)] {
        let (gone, new, changed) = part(diff, causes);
        if gone.is_empty() && new.is_empty() && changed.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{title}");
        for f in gone {
            let _ = writeln!(out, "  cleared  {}", line(f));
        }
        for f in new {
            let _ = writeln!(out, "  new      {}", line(f));
        }
        for c in changed {
            let _ = writeln!(out, "  changed  {}", line(&c.before));
            let _ = writeln!(out, "       now {}", line(&c.after));
        }
    }
    if !diff.not_checked_again.is_empty() {
        let _ = writeln!(out, "\nNot checked again (their step did not run in {}):", escape_str(&sides.after));
        for f in &diff.not_checked_again {
            let _ = writeln!(out, "  unknown  {}", line(f));
        }
    }
    let _ = writeln!(out, "\n{} finding(s) the same in both.", diff.unchanged);
    out
}

fn md_line(f: &Finding) -> String {
    format!("{} {} `{}`: {}", f.severity.mark(), f.severity.as_str(), f.id, md(&f.summary))
}

/// The Markdown form.
pub fn markdown(diff: &Diff, sides: &Sides) -> String {
    let mut out = String::new();
    let target = sides.target.as_deref().map(|t| format!(" for {}", md(t))).unwrap_or_default();
    let _ = writeln!(out, "# mailwiz: what changed{target}\n");
    let _ = writeln!(
        out,
        "- **Before:** {}\n- **After:** {}\n- **The same:** {} finding(s)\n",
        md(&sides.before),
        md(&sides.after),
        diff.unchanged
    );
    for (title, causes) in [("Likely causes", true), ("Findings", false)] {
        let (gone, new, changed) = part(diff, causes);
        if gone.is_empty() && new.is_empty() && changed.is_empty() {
            continue;
        }
        let _ = writeln!(out, "## {title}\n");
        for (label, list) in [("Cleared", gone), ("New", new)] {
            if !list.is_empty() {
                let _ = writeln!(out, "### {label}\n");
                for f in list {
                    let _ = writeln!(out, "- {}", md_line(f));
                }
                out.push('\n');
            }
        }
        if !changed.is_empty() {
            let _ = writeln!(out, "### Changed\n");
            for c in changed {
                let _ = writeln!(out, "- {}\n  - now: {}", md_line(&c.before), md_line(&c.after));
            }
            out.push('\n');
        }
    }
    if !diff.not_checked_again.is_empty() {
        let _ = writeln!(out, "## Not checked again\n\nTheir step did not run in {}.\n", md(&sides.after));
        for f in &diff.not_checked_again {
            let _ = writeln!(out, "- {}", md_line(f));
        }
        out.push('\n');
    }
    if diff.is_empty() {
        out.push_str("Nothing changed.\n");
    }
    out
}
