//! Our defects that explain no refusal yet: the receiver stopped us before it could see them, or
//! was never reached. They are not causes of this refusal, but the next thing it will judge.

use super::rule::{Defects, Stage};
use super::{Cause, DELIVERABLE};
use crate::session::{AlsoFix, Finding, Severity, vocabulary};

/// The defects among `findings` (failures and warnings of the ids in `defects`) that no cause
/// cites, each with why it matters although the receiver has not judged it yet.
pub fn also_fix(defects: &Defects, findings: &[Finding], causes: &[Cause]) -> Vec<AlsoFix> {
    let cited = |id: &str| causes.iter().any(|c| c.finding_ids.iter().any(|f| f == id));
    let furthest = findings
        .iter()
        .filter(|f| f.arg("class").is_some() || vocabulary::is_connection_outcome(&f.id))
        .map(super::refusal_stage)
        .max();
    let flows = causes.iter().any(|c| c.id == DELIVERABLE);
    let reached = super::receiver_reached(findings);
    let mut out: Vec<AlsoFix> = Vec::new();
    for finding in findings {
        let Some(seen_from) = defects.seen_from(&finding.id) else { continue };
        if !matches!(finding.severity, Severity::Fail | Severity::Warn)
            || cited(&finding.id)
            || out.iter().any(|a| a.id == finding.id && a.summary == finding.summary)
        {
            continue;
        }
        let judged = describe(seen_from);
        let why = if flows {
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
