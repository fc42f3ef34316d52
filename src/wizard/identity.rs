//! Step 5: our IP, its PTR and our HELO name.

use super::{Effect, JobEvent, Row, Step, StepId, StepStatus, StepView};
use crate::context::Context;
use crate::session::Session;

/// State of the Identity step.
#[derive(Debug, Default)]
pub struct IdentityStep {}

impl Step for IdentityStep {
    fn id(&self) -> StepId {
        StepId::Identity
    }

    fn status(&self) -> StepStatus {
        StepStatus::Idle
    }

    fn view(&self, _session: &Session) -> StepView {
        StepView {
            subtitle: "Our IP, its PTR and our HELO name".into(),
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
