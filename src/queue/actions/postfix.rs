//! Postfix: `postqueue -i ID` delivers one message now (`postqueue -s` works only for
//! `fast_flush_domains`, so a domain is retried message by message); `postsuper -h`, `-H`, `-d`
//! hold, release and delete.

use super::{QueueCommand, QueueOp};

/// One command per id.
pub fn commands(action: QueueOp, ids: &[&str]) -> Vec<QueueCommand> {
    let (program, flag) = match action {
        QueueOp::Retry => ("postqueue", "-i"),
        QueueOp::Hold => ("postsuper", "-h"),
        QueueOp::Release => ("postsuper", "-H"),
        QueueOp::Delete => ("postsuper", "-d"),
    };
    ids.iter().map(|id| QueueCommand::new(&[program, flag, id], &[id])).collect()
}
