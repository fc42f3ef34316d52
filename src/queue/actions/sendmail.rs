//! Sendmail: `-qR@DOMAIN` runs the queue for a domain's recipients, `-qIID` for one message;
//! hold and release are quarantine (`-Qreason -qIID`, `-Q -qIID`). Sendmail has no command to
//! delete a message.

use super::{Action, Command, NotDone};

/// The reason a quarantine carries.
const QUARANTINE: &str = "-Qheld by mailwiz";

/// The commands; ids of a delete go to `not_done`.
pub fn commands(action: Action, domain: Option<&str>, ids: &[&str], not_done: &mut Vec<NotDone>) -> Vec<Command> {
    if let (Action::Retry, Some(domain)) = (action, domain) {
        let flag = format!("-qR@{domain}");
        return if ids.is_empty() { Vec::new() } else { vec![Command::new(&["sendmail", &flag], ids)] };
    }
    let run = |id: &str| format!("-qI{id}");
    match action {
        Action::Retry => ids.iter().map(|id| Command::new(&["sendmail", &run(id)], &[id])).collect(),
        Action::Hold => ids.iter().map(|id| Command::new(&["sendmail", QUARANTINE, &run(id)], &[id])).collect(),
        Action::Release => ids.iter().map(|id| Command::new(&["sendmail", "-Q", &run(id)], &[id])).collect(),
        Action::Delete => {
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
