//! Step 1: the local queue grouped by domain and error.

use super::{Effect, JobEvent, Row, Step, StepId, StepStatus, StepView};
use crate::context::Context;
use crate::session::Session;

/// State of the Queue step.
#[derive(Debug, Default)]
pub struct QueueStep {}

impl Step for QueueStep {
    fn id(&self) -> StepId {
        StepId::Queue
    }

    fn status(&self) -> StepStatus {
        StepStatus::Idle
    }

    fn view(&self, _session: &Session) -> StepView {
        StepView {
            subtitle: "The local queue grouped by domain and error".into(),
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
