//! Our defects that explain no refusal yet: the receiver stopped us before it could see them, or
//! was never reached. They are not causes of this refusal, but the next thing it will judge.

use super::rule::{Defects, Stage};
use super::{Cause, DELIVERABLE, Facts};
use crate::config::Family;
use crate::session::{AlsoFix, Finding, Severity, vocabulary};

/// The defects among `findings` (failures and warnings of the ids in `defects`) that no cause
/// cites and that concern this receiver ([`Facts::concerns`]), each with why it matters although
/// the receiver has not judged it yet.
pub fn also_fix(defects: &Defects, findings: &[Finding], causes: &[Cause], facts: &Facts) -> Vec<AlsoFix> {
    // Our IPv4 address's missing PTR is not cited by a cause about our IPv6 address.
    let cited = |finding: &Finding| {
        let path = (finding.id.clone(), finding.path_family());
        causes.iter().any(|c| c.cited_paths.contains(&path))
    };
    let furthest = findings
        .iter()
        .filter(|f| f.arg("class").is_some() || vocabulary::is_connection_outcome(&f.id))
        .map(super::refusal_stage)
        .max();
    let flows = causes.iter().any(|c| c.id == DELIVERABLE);
    // The family the receiver accepts while it refuses the other (`smtp.family_differs`).
    let accepted = findings.iter().filter(|f| f.id == "smtp.family_differs").find_map(|f| match f.path_family()? {
        Family::V4 => Some(Family::V6),
        Family::V6 => Some(Family::V4),
    });
    let reached = super::receiver_reached(findings);
    let mut out: Vec<AlsoFix> = Vec::new();
    for finding in findings {
        let Some(seen_from) = defects.seen_from(&finding.id) else { continue };
        if !matches!(finding.severity, Severity::Fail | Severity::Warn)
            || !facts.concerns(finding)
            || cited(finding)
            || out.iter().any(|a| a.id == finding.id && a.summary == finding.summary)
        {
            continue;
        }
        let judged = describe(seen_from);
        let why = if let Some(family) = accepted.filter(|a| finding.path_family() == Some(*a)) {
            format!(
                "The receiver accepts us over {} in spite of it (it refuses the other path), but receivers judge it from {judged} on; others may refuse us for it.",
                family.label()
            )
        } else if flows {
            format!(
                "The receiver accepts us now in spite of it, but receivers judge it from {judged} on; others may refuse us for it."
            )
        } else if !reached {
            format!(
                "The receiver was not reached, so it has not judged this yet; it will, from {judged} on, once mail gets through."
            )
        } else {
            match furthest {
                Some(stage) if stage < seen_from => format!(
                    "The receiver stopped us at {}, before it could see this; it judges it from {judged} on, so it will matter once mail gets that far.",
                    describe(stage)
                ),
                Some(_) => {
                    format!("The receiver's refusal gives another reason; it still judges this from {judged} on.")
                }
                None => format!("No refusal of this receiver was seen; receivers judge this from {judged} on."),
            }
        };
        out.push(AlsoFix {
            id: finding.id.clone(),
            severity: finding.severity,
            summary: finding.summary.clone(),
            why,
            fix: finding.fix.clone(),
        });
    }
    out
}

/// The stage in words: "the greeting", "EHLO", "MAIL FROM".
fn describe(stage: Stage) -> &'static str {
    match stage.name() {
        "ehlo" => "EHLO",
        "starttls" => "STARTTLS",
        "mail" => "MAIL FROM",
        "rcpt" => "RCPT TO",
        "data" => "DATA",
        "end_of_data" => "the end of DATA",
        _ => "the greeting",
    }
}
