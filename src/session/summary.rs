//! What every report of a session says besides its transcript — who checked from where, the
//! findings as the session last held them, the diagnosis's conclusion, the notes — folded event
//! by event, so a journal of any length is summarised without holding it.

use chrono::{DateTime, Utc};

use super::catalogue;
use super::conclusion::{self, AlsoFix};
use super::export::{FindingsFold, SessionFacts};
use super::finding::{Finding, Severity};
use super::journal::{Event, EventKind};
use super::mx_path::{MxPath, PathsFold};
use super::step::StepId;

/// The fold: give it every event with [`SummaryFold::push`], then [`SummaryFold::finish`].
#[derive(Debug, Default)]
pub struct SummaryFold {
    facts: SessionFacts,
    findings: FindingsFold,
    conclusion: Option<(Vec<AlsoFix>, Vec<String>)>,
    note_times: Vec<DateTime<Utc>>,
    paths: PathsFold,
}

impl SummaryFold {
    /// Takes the next event.
    pub fn push(&mut self, event: &Event) {
        self.facts.push(event);
        self.findings.push(event);
        self.paths.push(event);
        if let Some(lists) = conclusion::of_event(event) {
            self.conclusion = Some(lists);
        }
        if event.kind == EventKind::Note {
            self.note_times.push(event.time);
        }
    }

    /// The summary of the events taken.
    pub fn finish(self) -> Summary {
        let findings = self.findings.finish();
        let (also_fix, not_checked) =
            self.conclusion.unwrap_or_else(|| (Vec::new(), catalogue::steps_without_findings(&findings)));
        Summary {
            facts: self.facts,
            findings,
            also_fix,
            not_checked,
            note_times: self.note_times,
            paths: self.paths.finish(),
        }
    }
}

/// A session summarised.
#[derive(Debug)]
pub struct Summary {
    pub facts: SessionFacts,
    /// Every finding the session held at its end, most severe first.
    pub findings: Vec<Finding>,
    /// Our defects no cause cites.
    pub also_fix: Vec<AlsoFix>,
    /// The steps that did not run.
    pub not_checked: Vec<String>,
    /// When each note was written, in order.
    pub note_times: Vec<DateTime<Utc>>,
    /// Every MX address probed, one row each with its family.
    pub paths: Vec<MxPath>,
}

/// The findings of a summary about its target, told apart as a report shows them.
#[derive(Debug)]
pub struct Parts<'a> {
    /// The diagnosis's causes, first first.
    pub causes: Vec<&'a Finding>,
    /// The other findings, most severe first.
    pub rest: Vec<&'a Finding>,
    /// The notes, each with when it was written.
    pub notes: Vec<(Option<&'a DateTime<Utc>>, &'a Finding)>,
}

impl Summary {
    /// The findings about the target (or all, without one), as causes, the rest and notes.
    pub fn parts(&self) -> Parts<'_> {
        let target = self.facts.target.as_deref();
        let about: Vec<&Finding> = self.findings.iter().filter(|f| about(f, target)).collect();
        let (causes, rest): (Vec<&Finding>, Vec<&Finding>) = about.into_iter().partition(|f| f.family() == "diagnosis");
        let (notes, rest): (Vec<&Finding>, Vec<&Finding>) =
            rest.into_iter().partition(|f| f.severity == Severity::Note);
        let mut times = self.note_times.iter();
        let notes = notes.into_iter().map(|note| (times.next(), note)).collect();
        Parts { causes, rest, notes }
    }

    /// The report's title: the verdict, why mail is stuck, or just the target.
    pub fn title(&self, causes: &[&Finding]) -> String {
        match self.facts.target.as_deref() {
            None => "mailwiz report".to_string(),
            Some(domain) if causes.iter().any(|c| c.id == "diagnosis.deliverable") => {
                format!("Mail to {domain} should flow now")
            }
            Some(domain) if !causes.is_empty() => format!("Why mail to {domain} is stuck"),
            Some(domain) => format!("Mail to {domain}"),
        }
    }

    /// Who checked, when, from where, as "checked … · from … · HELO …" parts.
    pub fn about_us(&self) -> Vec<String> {
        let facts = &self.facts;
        let mut parts = vec![];
        parts.extend(facts.started.as_ref().map(|t| format!("checked {}", t.format("%Y-%m-%d %H:%M UTC"))));
        parts.extend(facts.ip.as_deref().map(|ip| format!("from {ip}")));
        parts.extend(facts.helo.as_deref().map(|h| format!("HELO {h}")));
        parts.extend(facts.version.as_deref().map(|v| format!("mailwiz {v}")));
        if facts.demo {
            parts.push("in the built-in demo world".into());
        }
        parts
    }

    /// The findings of `rest` grouped by step, in the steps' order; "Other" last.
    pub fn by_step<'a>(rest: &[&'a Finding]) -> Vec<(&'static str, Vec<&'a Finding>)> {
        let steps = StepId::ALL.into_iter().map(Some).chain([None]);
        steps
            .filter_map(|step| {
                let of_step: Vec<&Finding> =
                    rest.iter().copied().filter(|f| StepId::of_finding(&f.id) == step).collect();
                (!of_step.is_empty()).then(|| (step.map_or("Other", StepId::title), of_step))
            })
            .collect()
    }
}

/// True when a finding is about `domain` or about no domain at all; the wizard's queue holds
/// other domains, whose findings do not belong in this domain's report.
fn about(finding: &Finding, domain: Option<&str>) -> bool {
    let Some(domain) = domain else { return true };
    let names_a_domain = matches!(finding.family(), "queue" | "log" | "mx") && finding.id != "queue.parse_skipped";
    !names_a_domain || finding.summary.to_ascii_lowercase().contains(&domain.to_ascii_lowercase())
}
