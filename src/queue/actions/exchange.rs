//! Exchange: the PowerShell lines to run in the Exchange Management Shell (Retry-Queue,
//! Suspend-Message, Resume-Message, Remove-Message). mailwiz prints them and never runs them.
//! Identities and domains are checked before they get here, so they hold no quote.

use super::{QueueCommand, QueueOp};

/// One printed line per id, or one for a domain retry.
pub fn commands(action: QueueOp, domain: Option<&str>, ids: &[&str]) -> Vec<QueueCommand> {
    let line = |text: String, ids: &[&str]| {
        let mut command = QueueCommand::new(&[&text], ids);
        command.print_only = true;
        command
    };
    if let (QueueOp::Retry, Some(domain)) = (action, domain) {
        let text = format!("Get-Queue | Where-Object {{ $_.NextHopDomain -eq '{domain}' }} | Retry-Queue");
        return vec![line(text, ids)];
    }
    ids.iter()
        .map(|id| {
            let text = match action {
                // A message is retried with its queue: SERVER\QUEUE of SERVER\QUEUE\MESSAGE.
                QueueOp::Retry => format!("Retry-Queue -Identity '{}'", queue_of(id)),
                QueueOp::Hold => format!("Suspend-Message -Identity '{id}' -Confirm:$false"),
                QueueOp::Release => format!("Resume-Message -Identity '{id}'"),
                QueueOp::Delete => format!("Remove-Message -Identity '{id}' -WithNDR $false -Confirm:$false"),
            };
            line(text, &[id])
        })
        .collect()
}

fn queue_of(id: &str) -> &str {
    match id.matches('\\').count() {
        2 => id.rsplit_once('\\').map_or(id, |(queue, _)| queue),
        _ => id,
    }
}
