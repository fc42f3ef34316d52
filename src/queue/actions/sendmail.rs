//! Sendmail: `-qR@DOMAIN` runs the queue for a domain's recipients, `-qIID` for one message;
//! hold and release are quarantine (`-Qreason -qIID`, `-Q -qIID`). Sendmail has no command to
//! delete a message.

use super::{NotDone, QueueCommand, QueueOp};

/// The reason a quarantine carries.
const QUARANTINE: &str = "-Qheld by mailwiz";

/// The commands; ids of a delete go to `not_done`.
pub fn commands(action: QueueOp, domain: Option<&str>, ids: &[&str], not_done: &mut Vec<NotDone>) -> Vec<QueueCommand> {
    if let (QueueOp::Retry, Some(domain)) = (action, domain) {
        let flag = format!("-qR@{domain}");
        return if ids.is_empty() { Vec::new() } else { vec![QueueCommand::new(&["sendmail", &flag], ids)] };
    }
    let run = |id: &str| format!("-qI{id}");
    match action {
        QueueOp::Retry => ids.iter().map(|id| QueueCommand::new(&["sendmail", &run(id)], &[id])).collect(),
        QueueOp::Hold => ids.iter().map(|id| QueueCommand::new(&["sendmail", QUARANTINE, &run(id)], &[id])).collect(),
        QueueOp::Release => ids.iter().map(|id| QueueCommand::new(&["sendmail", "-Q", &run(id)], &[id])).collect(),
        QueueOp::Delete => {
            not_done.extend(ids.iter().map(|id| NotDone {
                id: id.to_string(),
                reason: format!(
                    "Sendmail has no command to delete a message: remove qf{id} and df{id} from the queue directory"
                ),
            }));
            Vec::new()
        }
    }
}
