//! Exim: `exim -R DOMAIN` retries a domain; `-M`, `-Mf`, `-Mt`, `-Mrm` deliver, freeze, thaw and
//! remove one message.

use super::{QueueCommand, QueueOp};

/// `exim -R DOMAIN` for a domain retry, else one command per id.
pub fn commands(action: QueueOp, domain: Option<&str>, ids: &[&str]) -> Vec<QueueCommand> {
    if let (QueueOp::Retry, Some(domain)) = (action, domain) {
        return if ids.is_empty() { Vec::new() } else { vec![QueueCommand::new(&["exim", "-R", domain], ids)] };
    }
    let flag = match action {
        QueueOp::Retry => "-M",
        QueueOp::Hold => "-Mf",
        QueueOp::Release => "-Mt",
        QueueOp::Delete => "-Mrm",
    };
    ids.iter().map(|id| QueueCommand::new(&["exim", flag, id], &[id])).collect()
}
