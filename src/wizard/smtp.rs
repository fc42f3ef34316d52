//! Step 4: a telnet-like SMTP session with the receiver.

use super::{Effect, JobEvent, Row, Step, StepId, StepStatus, StepView};
use crate::context::Context;
use crate::session::Session;

/// State of the Smtp step.
#[derive(Debug, Default)]
pub struct SmtpStep {}

impl Step for SmtpStep {
    fn id(&self) -> StepId {
        StepId::Smtp
    }

    fn status(&self) -> StepStatus {
        StepStatus::Idle
    }

    fn view(&self, _session: &Session) -> StepView {
        StepView {
            subtitle: "A telnet-like SMTP session with the receiver".into(),
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
