//! Exim: `exim -R DOMAIN` retries a domain; `-M`, `-Mf`, `-Mt`, `-Mrm` deliver, freeze, thaw and
//! remove one message.

use super::{Action, Command};

/// `exim -R DOMAIN` for a domain retry, else one command per id.
pub fn commands(action: Action, domain: Option<&str>, ids: &[&str]) -> Vec<Command> {
    if let (Action::Retry, Some(domain)) = (action, domain) {
        return if ids.is_empty() { Vec::new() } else { vec![Command::new(&["exim", "-R", domain], ids)] };
    }
    let flag = match action {
        Action::Retry => "-M",
        Action::Hold => "-Mf",
        Action::Release => "-Mt",
        Action::Delete => "-Mrm",
    };
    ids.iter().map(|id| Command::new(&["exim", flag, id], &[id])).collect()
}
