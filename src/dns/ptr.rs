//! Reverse DNS of one address: its PTR records, whether each name resolves back to the address
//! (forward-confirmed reverse DNS), and whether a name looks generic or dynamic.

use std::net::IpAddr;

use serde::Serialize;

use super::address_class::AddressClass;
use super::generic_ptr::generic_reason;
use super::resolver::{DnsOutcome, DnsReply, QueryType, Resolver};
use crate::session::Finding;
use crate::session::escape::escape_str;

/// One PTR name and what its forward lookup said.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PtrName {
    /// The name, ASCII, without the trailing dot.
    pub name: String,
    /// The A and AAAA answers for the name.
    pub forward: Vec<DnsReply>,
    /// Every address the name resolves to.
    pub addresses: Vec<IpAddr>,
    /// True when `addresses` contains the address looked up.
    pub confirmed: bool,
    /// Why the name looks generic or dynamic, if it does.
    pub generic: Option<String>,
}

/// The reverse DNS of one address.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PtrReport {
    pub ip: IpAddr,
    /// The PTR query and its outcome.
    pub reply: DnsReply,
    /// The PTR names, each with its forward lookup.
    pub names: Vec<PtrName>,
}

impl PtrReport {
    /// The names that resolve back to the address.
    pub fn confirmed_names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().filter(|n| n.confirmed).map(|n| n.name.as_str())
    }

    /// True when the PTR query got an answer about the name (records, none, or NXDOMAIN).
    pub fn answered(&self) -> bool {
        self.reply.outcome.is_definitive()
    }
}

/// Most PTR names checked and listed per address: receivers look at one, and an address with
/// a thousand names must not mean a thousand lookups and findings listing every name.
pub const MAX_PTR_NAMES: usize = 10;

/// True when `reply` is the forward lookup that can show `ip`: A for IPv4, AAAA for IPv6.
pub fn decides_for(reply: &DnsReply, ip: IpAddr) -> bool {
    matches!((ip.to_canonical(), reply.qtype), (IpAddr::V4(_), QueryType::A) | (IpAddr::V6(_), QueryType::Aaaa))
}

/// Looks up the PTR records of `ip`, then A and AAAA of its first [`MAX_PTR_NAMES`] names, all
/// at once.
pub async fn check_ptr(resolver: &Resolver, ip: IpAddr) -> PtrReport {
    let ip = ip.to_canonical();
    let reply = resolver.lookup_ptr(ip).await;
    let mut names: Vec<String> = Vec::new();
    for name in reply.ptr_names() {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        if names.len() < MAX_PTR_NAMES && !names.contains(&name) {
            names.push(name);
        }
    }
    let lookups = names.into_iter().map(|name| async move {
        let forward = match resolver.lookup_ip(&name).await {
            Ok((a, aaaa)) => vec![a, aaaa],
            // A PTR target that is not a valid name cannot resolve back.
            Err(_) => Vec::new(),
        };
        let addresses: Vec<IpAddr> = forward.iter().flat_map(DnsReply::addresses).map(|a| a.to_canonical()).collect();
        let confirmed = addresses.contains(&ip);
        let generic = generic_reason(ip, &name);
        PtrName { name, forward, addresses, confirmed, generic }
    });
    let names = futures::future::join_all(lookups).await;
    PtrReport { ip, reply, names }
}

/// The findings of a PTR check: `ptr.ok`, `ptr.missing`, `ptr.fcrdns_mismatch`, `ptr.generic`,
/// or `ptr.unknown` when a question got no answer. `helo` fills the
/// suggested name in fixes.
pub fn ptr_findings(report: &PtrReport, helo: Option<&str>) -> Vec<Finding> {
    let ip = report.ip.to_string();
    let helo = helo.unwrap_or("your mail server's name");
    let ptr_evidence = evidence_of(&report.reply);
    let mut findings = Vec::new();
    match &report.reply.outcome {
        DnsOutcome::Records(_) if !report.names.is_empty() => {}
        DnsOutcome::Records(_) | DnsOutcome::NoData | DnsOutcome::NxDomain => {
            findings.push(
                Finding::new("ptr.missing", &[("ip", &ip), ("helo", helo)])
                    .with_detail(format!(
                        "The reverse name {} answers {}. Receivers such as Gmail, Outlook.com and most \
                         Postfix sites (reject_unknown_client_hostname) refuse or defer mail from an \
                         address without reverse DNS. Only the owner of the address block sets it.",
                        report.reply.name,
                        report.reply.outcome.label()
                    ))
                    .with_evidence(ptr_evidence),
            );
            return findings;
        }
        // No answer says nothing about the PTR: unknown, never "missing".
        other => {
            findings.push(
                Finding::new(
                    "ptr.unknown",
                    &[("ip", &ip), ("outcome", &describe_failure(other, report.reply.elapsed))],
                )
                .with_evidence(ptr_evidence),
            );
            return findings;
        }
    }

    let any_confirmed = report.names.iter().any(|n| n.confirmed);
    let several = report.names.len() > 1;
    for name in &report.names {
        let shown = escape_str(&name.name);
        let mut evidence = ptr_evidence.clone();
        evidence.extend(name.forward.iter().flat_map(evidence_of));
        // Only the lookup of our address's family decides; a failed AAAA says nothing of an IPv4.
        let unanswered = name.forward.iter().find(|r| decides_for(r, report.ip) && !r.outcome.is_definitive());
        if let (false, Some(unanswered)) = (name.confirmed, unanswered) {
            let outcome = format!(
                "whether {shown} resolves back is not known ({})",
                describe_failure(&unanswered.outcome, unanswered.elapsed)
            );
            findings.push(Finding::new("ptr.unknown", &[("ip", &ip), ("outcome", &outcome)]).with_evidence(evidence));
            continue;
        }
        if name.confirmed {
            let mut finding = Finding::new("ptr.ok", &[("ip", &ip), ("name", &shown)]).with_evidence(evidence.clone());
            if several {
                finding = finding.with_detail(several_detail(report));
            }
            findings.push(finding);
        } else {
            let resolved = if name.addresses.is_empty() {
                "resolves to no address".to_string()
            } else {
                let list: Vec<String> = name.addresses.iter().map(IpAddr::to_string).collect();
                format!("resolves to {}", list.join(", "))
            };
            let mut finding = Finding::new("ptr.fcrdns_mismatch", &[("ip", &ip), ("name", &shown)])
                .with_detail(format!(
                    "{shown} {resolved}, not {ip}. Receivers that check forward-confirmed reverse DNS treat \
                     this like a missing PTR.{}",
                    if several { format!(" {}", several_detail(report)) } else { String::new() }
                ))
                .with_evidence(evidence.clone());
            if any_confirmed {
                // Another name confirms; a receiver that picks this one still fails us.
                finding = finding.with_severity(crate::session::Severity::Warn);
            }
            findings.push(finding);
        }
        if let Some(reason) = &name.generic {
            findings.push(
                Finding::new("ptr.generic", &[("ip", &ip), ("name", &shown), ("helo", helo)])
                    .with_detail(format!(
                        "{shown} looks like the name of an end-user or dynamic address: {reason}. Many \
                         receivers and lists (Spamhaus PBL, SpamRATS-Dyna) treat such senders as \
                         infected home machines."
                    ))
                    .with_evidence(evidence),
            );
        }
    }
    findings
}

/// The `ip.private` finding when `ip` is not what receivers see; documentation addresses count as
/// public when `lab` (the demo world or an explicit resolver stands in for the Internet).
pub fn private_finding(ip: IpAddr, lab: bool) -> Option<Finding> {
    let class = AddressClass::of(ip);
    if class.is_public() || (lab && class == AddressClass::Documentation) {
        return None;
    }
    Some(Finding::new("ip.private", &[("ip", &ip.to_string())]).with_detail(format!(
        "{ip} is {}; receivers see the address of the NAT or relay in front of it.",
        class.describe()
    )))
}

fn several_detail(report: &PtrReport) -> String {
    let names: Vec<String> = report.names.iter().map(|n| escape_str(&n.name)).collect();
    let total = report.reply.ptr_names().len().max(names.len());
    let more =
        if total > names.len() { format!("; only the first {} were checked", names.len()) } else { String::new() };
    format!(
        "{} has {total} PTR records ({}{more}); receivers usually take one at random, so each must resolve back.",
        report.ip,
        names.join(", "),
    )
}

/// Why a query gave no answer about the name, in words: `no answer within 2.0 s`, `SERVFAIL`.
pub fn describe_failure(outcome: &DnsOutcome, elapsed: std::time::Duration) -> String {
    match outcome {
        DnsOutcome::Timeout => format!("no answer within {:.1} s", elapsed.as_secs_f64()),
        DnsOutcome::Failed(reason) => escape_str(reason),
        other => format!("the resolver answered {}", other.label()),
    }
}

/// `203.0.113.5, 2001:db8::5`, or why there is none (`no address (NXDOMAIN)`).
pub fn describe_addresses(addresses: &[IpAddr], forward: &[DnsReply]) -> String {
    if addresses.is_empty() {
        let outcome = forward.first().map(|r| format!(" ({})", r.outcome.label())).unwrap_or_default();
        return format!("no address{outcome}");
    }
    addresses.iter().map(IpAddr::to_string).collect::<Vec<_>>().join(", ")
}

/// The reply as evidence lines: the query and each record (at most [`MAX_PTR_NAMES`], then how
/// many more), or its outcome.
pub fn evidence_of(reply: &DnsReply) -> Vec<String> {
    let head = format!("{} {} @{}", reply.qtype, escape_str(&reply.name), reply.server);
    match &reply.outcome {
        DnsOutcome::Records(records) => {
            let mut lines: Vec<String> =
                records.iter().take(MAX_PTR_NAMES).map(|r| format!("{head}: {}", r.data)).collect();
            if records.len() > MAX_PTR_NAMES {
                lines.push(format!("{head}: … and {} more record(s)", records.len() - MAX_PTR_NAMES));
            }
            lines
        }
        other => vec![format!("{head}: {}", other.label())],
    }
}
