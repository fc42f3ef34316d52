//! Step 7: likely causes, ranked, with the next action.

use super::{Effect, JobEvent, Row, Step, StepId, StepStatus, StepView};
use crate::context::Context;
use crate::session::Session;

/// State of the Diagnosis step.
#[derive(Debug, Default)]
pub struct DiagnosisStep {}

impl Step for DiagnosisStep {
    fn id(&self) -> StepId {
        StepId::Diagnosis
    }

    fn status(&self) -> StepStatus {
        StepStatus::Idle
    }

    fn view(&self, _session: &Session) -> StepView {
        StepView {
            subtitle: "Likely causes, ranked, with the next action".into(),
            rows: vec![Row::plain("Not built yet.")],
            ..StepView::default()
        }
    }

    fn run(&mut self, _session: &mut Session, _ctx: &Context) -> Vec<Effect> {
        Vec::new()
    }

    fn on_event(&mut self, _event: JobEvent, _session: &mut Session) -> Vec<Effect> {
        Vec::new()
    }
}
