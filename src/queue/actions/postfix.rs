//! Postfix: `postqueue -i ID` delivers one message now (`postqueue -s` works only for
//! `fast_flush_domains`, so a domain is retried message by message); `postsuper -h`, `-H`, `-d`
//! hold, release and delete.

use super::{Action, Command};

/// One command per id.
pub fn commands(action: Action, ids: &[&str]) -> Vec<Command> {
    let (program, flag) = match action {
        Action::Retry => ("postqueue", "-i"),
        Action::Hold => ("postsuper", "-h"),
        Action::Release => ("postsuper", "-H"),
        Action::Delete => ("postsuper", "-d"),
    };
    ids.iter().map(|id| Command::new(&[program, flag, id], &[id])).collect()
}
