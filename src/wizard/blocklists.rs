//! Step 6: our IP against DNS block lists.

use super::{Effect, JobEvent, Row, Step, StepId, StepStatus, StepView};
use crate::context::Context;
use crate::session::Session;

/// State of the Blocklists step.
#[derive(Debug, Default)]
pub struct BlocklistsStep {}

impl Step for BlocklistsStep {
    fn id(&self) -> StepId {
        StepId::Blocklists
    }

    fn status(&self) -> StepStatus {
        StepStatus::Idle
    }

    fn view(&self, _session: &Session) -> StepView {
        StepView {
            subtitle: "Our IP against DNS block lists".into(),
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
