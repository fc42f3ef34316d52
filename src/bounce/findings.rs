//! The findings a bounce gives: one per recipient the message did not reach, carrying the
//! reply's class and stage so the diagnosis weighs it like a log line at that stage.

use super::{Bounce, DsnAction, Recipient, Speaker};
use crate::session::Finding;

/// `bounce.refused`, `bounce.not_delivered`, `bounce.delayed` and `bounce.delivered` per
/// recipient, and `bounce.truncated` when the report was cut to the caps.
pub fn findings(bounce: &Bounce) -> Vec<Finding> {
    let mut out: Vec<Finding> = bounce.recipients.iter().map(recipient_finding).collect();
    if bounce.cut || bounce.recipients_dropped > 0 {
        out.push(Finding::new("bounce.truncated", &[("dropped", &bounce.recipients_dropped.to_string())]));
    }
    out
}

fn recipient_finding(recipient: &Recipient) -> Finding {
    let id = match (recipient.action, recipient.said_by) {
        (DsnAction::Delayed, _) => "bounce.delayed",
        (DsnAction::Failed, Speaker::Receiver) => "bounce.refused",
        (DsnAction::Failed, _) => "bounce.not_delivered",
        _ => "bounce.delivered",
    };
    let domain = recipient.address.rsplit_once('@').map_or("", |(_, d)| d);
    let reply = recipient.reply.clone().unwrap_or_else(|| "no reason given".into());
    let host = recipient.remote_mta.clone().unwrap_or_else(|| "the receiver".into());
    Finding::new(
        id,
        &[
            ("address", &recipient.address),
            ("domain", domain),
            ("reply", &reply),
            ("host", &host),
            ("reason", &recipient.reason.describe()),
            ("said_by", speaker_name(recipient.said_by)),
        ],
    )
    .with_args(recipient.reason.args())
    .with_evidence(recipient.diagnostic.iter().cloned())
}

fn speaker_name(speaker: Speaker) -> &'static str {
    match speaker {
        Speaker::Receiver => "receiver",
        Speaker::ReportingMta => "reporting_mta",
        Speaker::Unknown => "unknown",
    }
}
