//! Step 7: likely causes, ranked, each opening to its evidence and next actions.

use super::{Effect, JobEvent, Row, Step, StepId, StepKey, StepStatus, StepView, Tone};
use crate::context::Context;
use crate::diagnosis::{self, Cause};
use crate::session::{Event, EventKind, Session};

/// State of the diagnosis step.
#[derive(Debug, Default)]
pub struct DiagnosisStep {
    /// `None` until the diagnosis has run.
    causes: Option<Vec<Cause>>,
    selected: usize,
}

impl DiagnosisStep {
    /// Recomputes the causes from the session's findings and records them as findings.
    fn diagnose(&mut self, session: &mut Session) -> Vec<Effect> {
        let causes = diagnosis::diagnose_session(session);
        let findings: Vec<_> = causes.iter().map(Cause::to_finding).collect();
        let effects = findings
            .iter()
            .map(|f| {
                let data = serde_json::to_value(f).expect("findings serialise");
                Effect::Record(Event::new(EventKind::Finding, format!("{} {}", f.id, f.summary)).with_data(data))
            })
            .collect();
        session.replace_findings(&["diagnosis."], findings);
        self.selected = 0;
        self.causes = Some(causes);
        effects
    }
}

impl Step for DiagnosisStep {
    fn id(&self) -> StepId {
        StepId::Diagnosis
    }

    fn status(&self) -> StepStatus {
        if self.causes.is_some() { StepStatus::Done } else { StepStatus::Idle }
    }

    fn view(&self, session: &Session) -> StepView {
        let Some(causes) = &self.causes else {
            let count = session.findings.iter().filter(|f| f.family() != "diagnosis").count();
            return StepView {
                subtitle: "Enter: rank the likely causes from the findings so far".into(),
                rows: vec![Row::plain(format!(
                    "{count} finding(s) so far. Run the other steps first for a better diagnosis; \
                     Enter ranks the causes they point to."
                ))],
                ..StepView::default()
            };
        };
        let mut rows = Vec::new();
        let mut selected_row = None;
        if causes.is_empty() {
            rows.push(Row::new(Tone::Ok, "No cause found: the findings point to no known problem."));
        }
        for (index, cause) in causes.iter().enumerate() {
            let selected = index == self.selected;
            if selected {
                selected_row = Some(rows.len());
            }
            let tone = if selected { Tone::Selected } else { Tone::Fail };
            rows.push(
                Row::new(tone, format!("{}. ", index + 1))
                    .push(tone, cause.summary.clone())
                    .push(Tone::Dim, format!("  ({}, {:.0}%)", cause.id, cause.score * 100.0)),
            );
            if selected {
                rows.push(Row::plain(format!("   {}", cause.explanation)));
                rows.push(Row::new(Tone::Heading, "   Evidence"));
                rows.extend(cause.evidence.iter().map(|e| Row::new(Tone::Dim, format!("   · {e}"))));
                rows.push(Row::new(Tone::Heading, "   Next actions"));
                rows.extend(
                    cause.actions.iter().enumerate().map(|(i, a)| Row::new(Tone::Ok, format!("   {}. {a}", i + 1))),
                );
            }
        }
        StepView {
            subtitle: "Enter: diagnose again · ↑↓ choose a cause · Ctrl-S saves transcript, report and journal".into(),
            rows,
            selected: selected_row,
            ..StepView::default()
        }
    }

    fn run(&mut self, session: &mut Session, _ctx: &Context) -> Vec<Effect> {
        self.diagnose(session)
    }

    fn keys(&self) -> Vec<StepKey> {
        vec![StepKey { key: 'r', hint: "re-rank" }]
    }

    fn key(&mut self, key: char, session: &mut Session, _ctx: &Context) -> Vec<Effect> {
        if key == 'r' { self.diagnose(session) } else { Vec::new() }
    }

    fn select(&mut self, delta: isize) -> bool {
        let Some(causes) = &self.causes else { return false };
        if causes.is_empty() {
            return false;
        }
        self.selected = self.selected.saturating_add_signed(delta).min(causes.len() - 1);
        true
    }

    fn on_event(&mut self, _event: JobEvent, _session: &mut Session) -> Vec<Effect> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{Finding, Journal};

    #[test]
    fn ranks_causes_records_them_and_opens_the_selected_one() {
        let mut session = Session::new(Journal::in_memory());
        session.identity.ip = Some("203.0.113.5".parse().unwrap());
        session.identity.helo = Some("mail.example.com".into());
        session.findings = vec![
            Finding::new("ptr.missing", &[("ip", "203.0.113.5")]),
            Finding::new("smtp.closed_before_banner", &[("host", "mx2.bank.example"), ("addr", "192.0.2.11")]),
        ];
        let mut step = DiagnosisStep::default();
        let effects = step.run(&mut session, &Context::default());
        assert!(matches!(effects.as_slice(), [Effect::Record(_)]));
        assert_eq!(session.findings.last().unwrap().id, "diagnosis.missing_ptr");
        let view = step.view(&session);
        let text: Vec<String> = view.rows.iter().map(Row::text).collect();
        assert!(text[0].contains("has no reverse DNS"));
        assert!(text.iter().any(|t| t.contains("ptr.missing: 203.0.113.5 has no PTR record")));
        // Running again replaces the diagnosis instead of adding to it.
        step.run(&mut session, &Context::default());
        assert_eq!(session.findings.iter().filter(|f| f.id.starts_with("diagnosis.")).count(), 1);
    }
}
