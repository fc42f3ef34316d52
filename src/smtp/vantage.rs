//! The second vantage point: the same probe through `--via` (ProxyCommand semantics, e.g. `ssh -W
//! %h:%p box2`), and where the receiver answers it differently than from here. Refused from here
//! but accepted from there means the receiver filters our address, not our software or the
//! message: the probe, its HELO name and envelope are the same.

use super::connection::ConnectOutcome;
use super::probe::{self, ProbeRequest, ProbeResult};
use crate::context::Context;
use crate::session::{Finding, MxTarget, Severity};

/// The probes through `[smtp] via`; `None` when no second vantage point is set.
pub async fn probe_there(ctx: &Context, targets: &[MxTarget], request: &ProbeRequest) -> Option<Vec<ProbeResult>> {
    let via = ctx.config.smtp.via.clone()?;
    let there = Context { via: Some(via), ..ctx.clone() };
    Some(probe::probe_mx(&there, targets, ctx.config.port, request).await)
}

/// How far a probe got (0 no session … 3 RCPT TO accepted), and in words.
pub fn progress(result: &ProbeResult) -> (u8, String) {
    let has = |id: &str| result.findings.iter().find(|f| f.id == id);
    if let Some(accepted) = has("smtp.rcpt_accepted") {
        let reply = accepted.arg("reply").unwrap_or("");
        return (3, format!("RCPT TO accepted ({reply})"));
    }
    if result.connect.outcome != ConnectOutcome::Ok {
        let reply = result.connect.banner.first().map(|b| format!(" ({b})")).unwrap_or_default();
        return (0, format!("{}{reply}", result.connect.outcome));
    }
    for (id, stage) in
        [("smtp.ehlo_rejected", "EHLO"), ("smtp.mail_rejected", "MAIL FROM"), ("smtp.rcpt_rejected", "RCPT TO")]
    {
        if let Some(rejected) = has(id) {
            return (1, format!("{stage} rejected ({})", rejected.arg("reply").unwrap_or("")));
        }
    }
    (2, "greeted".to_string())
}

/// `smtp.vantage_differs` for every address the probes from here and through `[smtp] via` saw
/// differently, journaled, and the `smtp.via_failed` of addresses the second vantage point could
/// not reach (journaled by its probe); none when no second vantage point is set.
pub fn compare(ctx: &Context, here: &[ProbeResult], there: &[ProbeResult]) -> Vec<Finding> {
    let Some(via) = ctx.config.smtp.via.as_deref() else { return Vec::new() };
    let differs = differences(here, there, via);
    for finding in &differs {
        ctx.journal.finding(finding);
    }
    let failed = there.iter().flat_map(|t| &t.findings).filter(|f| f.id == "smtp.via_failed").cloned();
    differs.into_iter().chain(failed).collect()
}

/// `smtp.vantage_differs` for every address the two vantage points saw differently: a warning
/// when the other vantage point got further than here, else information.
fn differences(here: &[ProbeResult], there: &[ProbeResult], via: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    for ours in here {
        // A via command that failed on its own side saw nothing of the receiver to compare.
        let Some(theirs) = there
            .iter()
            .find(|t| t.connect.addr == ours.connect.addr && t.connect.outcome != ConnectOutcome::ViaFailed)
        else {
            continue;
        };
        let ((rank_here, said_here), (rank_there, said_there)) = (progress(ours), progress(theirs));
        if said_here == said_there || rank_here == rank_there && rank_here == 3 {
            continue;
        }
        let addr = ours.connect.addr.ip().to_string();
        let finding = Finding::new(
            "smtp.vantage_differs",
            &[
                ("host", &ours.connect.host),
                ("addr", &addr),
                ("here", &said_here),
                ("there", &said_there),
                ("via", &crate::session::escape::escape_str(via)),
            ],
        )
        .with_evidence([format!("from here: {said_here}"), format!("through {via}: {said_there}")]);
        out.push(if rank_there > rank_here { finding } else { finding.with_severity(Severity::Info) });
    }
    out
}
