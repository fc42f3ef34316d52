//! IPv4 and IPv6 as two paths to the same MX: `smtp.family_differs` when a host refuses us over
//! one family and not over the other, naming our address of the failing family.

use std::net::IpAddr;

use super::probe::ProbeResult;
use crate::config::Family;
use crate::context::Context;
use crate::session::escape::escape_str;
use crate::session::mx_path::{MxPath, PathEnd};
use crate::session::{Finding, Severity};

/// What one probe came to: the first failure it found (id and summary), or `None` when it
/// found none.
fn failure(result: &ProbeResult) -> Option<&Finding> {
    result.findings.iter().find(|f| f.severity == Severity::Fail)
}

/// One line for a probe's end: how far it got when it failed (`RCPT TO rejected (550 …)`), else
/// "accepted".
fn verdict(result: &ProbeResult) -> String {
    match failure(result) {
        None => "accepted".to_string(),
        Some(failed) => match super::vantage::progress(result) {
            (0 | 1, said) => said,
            _ => failed.summary.clone(),
        },
    }
}

/// `smtp.family_differs` for each host probed over both families (a path not possible from
/// here does not count) whose IPv4 and IPv6 probes did not end alike: one failed and the other
/// did not, or they failed differently. `ours` are our addresses, one per family when known.
pub fn compare(results: &[ProbeResult], ours: &[IpAddr]) -> Vec<Finding> {
    let mut hosts: Vec<&str> = results.iter().map(|r| r.connect.host.as_str()).collect();
    hosts.dedup();
    let mut findings = Vec::new();
    for host in hosts {
        let of = |family: Family| {
            results
                .iter()
                .find(|r| r.connect.host == host && !r.connect.no_route && family.contains(r.connect.addr.ip()))
        };
        let (Some(v4), Some(v6)) = (of(Family::V4), of(Family::V6)) else { continue };
        let (f4, f6) = (failure(v4), failure(v6));
        if f4.map(|f| &f.id) == f6.map(|f| &f.id) {
            continue;
        }
        let failing = match (f4, f6) {
            (Some(_), None) => "IPv4",
            (None, Some(_)) => "IPv6",
            _ => "both",
        };
        let our = |family: Family| ours.iter().find(|ip| family.contains(**ip)).map(ToString::to_string);
        let failed = if failing == "IPv4" { f4 } else { f6 };
        let mut finding = Finding::new(
            "smtp.family_differs",
            &[
                ("host", &escape_str(host)),
                ("v4", &verdict(v4)),
                ("v6", &verdict(v6)),
                ("v4_addr", &v4.connect.addr.ip().to_string()),
                ("v6_addr", &v6.connect.addr.ip().to_string()),
                ("failing", failing),
                ("our_ipv4", &our(Family::V4).unwrap_or_else(|| "our IPv4 address".into())),
                ("our_ipv6", &our(Family::V6).unwrap_or_else(|| "our IPv6 address".into())),
            ],
        )
        .with_evidence(failed.into_iter().flat_map(|f| f.evidence.iter().cloned()));
        if failing != "both" {
            finding = finding.with_args([("family", failing.to_string())]);
        }
        // The refusal's class and stage travel with it, so the rules read it as they read the reply.
        if let Some(failed) = failed {
            finding = finding.with_args(failed.args.iter().filter(|(k, _)| k == "class" || k == "stage").cloned());
        }
        findings.push(finding);
    }
    findings
}

/// [`compare`], each finding journaled: what `check` and step 4 add after the probes.
pub fn compare_journaled(ctx: &Context, results: &[ProbeResult], ours: &[IpAddr]) -> Vec<Finding> {
    let findings = compare(results, ours);
    for finding in &findings {
        ctx.journal.finding(finding);
    }
    findings
}

/// The row of one probed address for step 4 and the reports: host, family, address and how far
/// the probe got.
pub fn path(result: &ProbeResult) -> MxPath {
    let ip = result.connect.addr.ip();
    let (end, outcome) = if result.connect.no_route {
        (PathEnd::Unknown, format!("not possible from here: this host has no {} route", Family::of(ip).label()))
    } else {
        let end = if failure(result).is_some() { PathEnd::Failed } else { PathEnd::Accepted };
        (end, super::vantage::progress(result).1)
    };
    MxPath {
        host: result.connect.host.clone(),
        family: Family::of(ip).label().to_string(),
        addr: ip.to_string(),
        end,
        outcome,
    }
}
