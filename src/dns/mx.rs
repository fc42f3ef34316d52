//! MX analysis: where mail for a domain goes, and what in the receiver's DNS stops it.
//!
//! The MX set sorted by preference; every exchanger's A and AAAA asked at once; implicit MX
//! (no MX records: the domain's own addresses, RFC 5321 §5.1); null MX (RFC 7505); exchangers
//! that are CNAMEs, IP literals or have no address; no IPv4 at all; NXDOMAIN, SERVFAIL and
//! timeouts for the domain; and, when asked, another resolver's answers beside ours.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use futures::future::join_all;
use serde::Serialize;

use super::resolver::{DnsOutcome, DnsReply, QueryType, Resolver};
use crate::context::Context;
use crate::session::escape::escape_str;
use crate::session::{Finding, MxTarget, Target};

/// Problems of one exchanger, as they appear in `problems` of the JSON.
pub mod problem {
    /// The exchanger's name is an alias (CNAME), which RFC 5321 forbids.
    pub const CNAME: &str = "cname";
    /// The exchanger is an IP address written as a name.
    pub const IP_LITERAL: &str = "ip_literal";
    /// Neither A nor AAAA records.
    pub const NO_ADDRESS: &str = "no_address";
    /// The exchanger's name does not exist.
    pub const NXDOMAIN: &str = "nxdomain";
    /// The exchanger's address lookup failed (SERVFAIL, REFUSED, ...).
    pub const SERVFAIL: &str = "servfail";
    /// The exchanger's address lookup got no answer in time.
    pub const TIMEOUT: &str = "timeout";
    /// `.` (null MX) published beside other MX records.
    pub const NULL_MIXED: &str = "null_mx_mixed";
}

/// One mail exchanger and what was found about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MxHost {
    pub preference: u16,
    /// The exchanger's name in ASCII, without the trailing dot.
    pub exchange: String,
    /// The name as the user reads it (U-labels for an IDN); equal to `exchange` otherwise.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub display: String,
    /// IPv4 addresses first, then IPv6.
    pub addresses: Vec<IpAddr>,
    /// Ids from [`problem`].
    pub problems: Vec<String>,
    /// The canonical name when the exchanger is an alias.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canonical: Option<String>,
}

impl MxHost {
    /// True when the host has at least one IPv4 address.
    pub fn has_ipv4(&self) -> bool {
        self.addresses.iter().any(IpAddr::is_ipv4)
    }

    /// `10 mx1.bank.example` (with the Unicode form for an IDN).
    pub fn label(&self) -> String {
        format!("{} {}", self.preference, both_ways(&self.exchange, &self.display))
    }
}

/// The result of an MX analysis.
#[derive(Debug, Clone, Serialize)]
pub struct MxAnalysis {
    /// The domain in ASCII.
    pub domain: String,
    /// The domain as the user reads it.
    pub display: String,
    /// The exchangers sorted by preference, then name; for an implicit MX, the domain itself.
    pub mx: Vec<MxHost>,
    /// No MX records: mail goes to the domain's own address.
    pub implicit: bool,
    /// The domain publishes `0 .`: it takes no mail.
    pub null_mx: bool,
    pub findings: Vec<Finding>,
    /// Every query made, in order of completion of each stage.
    #[serde(skip)]
    pub replies: Vec<DnsReply>,
    /// Wall time of the whole analysis.
    #[serde(skip)]
    pub elapsed: Duration,
}

impl MxAnalysis {
    /// The hosts as the SMTP step's targets.
    pub fn targets(&self) -> Vec<MxTarget> {
        self.mx
            .iter()
            .map(|h| MxTarget {
                preference: h.preference,
                exchange: h.exchange.clone(),
                addresses: h.addresses.clone(),
            })
            .collect()
    }

    /// True when our resolver answered the MX question (even NXDOMAIN or SERVFAIL).
    pub fn answered(&self) -> bool {
        self.replies.first().is_some_and(|r| !r.outcome.is_no_answer())
    }

    /// The sum of every query's own time (compare with [`MxAnalysis::elapsed`]).
    pub fn query_time(&self) -> Duration {
        self.replies.iter().map(|r| r.elapsed).sum()
    }
}

/// Analyses the MX records of `target` with `resolver`, and with `compare_with` beside it when
/// given. Findings are journaled to `ctx.journal` as they are made.
pub async fn analyse(
    ctx: &Context,
    resolver: &Resolver,
    target: &Target,
    compare_with: Option<SocketAddr>,
) -> MxAnalysis {
    let started = Instant::now();
    let ours = examine(resolver, &target.domain);
    let (ours, theirs) = match compare_with {
        Some(addr) if ctx.dns_server_allowed(addr).is_ok() => {
            let other = Resolver::for_server(ctx, addr);
            let (ours, theirs) = tokio::join!(ours, examine(&other, &target.domain));
            (ours, Some((addr, theirs)))
        }
        _ => (ours.await, None),
    };
    let mut findings = judge(target, resolver, &ours);
    if ctx.demo {
        // The demo world's resolver refuses what its story does not hold: not a resolver fault.
        for finding in &mut findings {
            if finding.id == "dns.refused" {
                let evidence = std::mem::take(&mut finding.evidence);
                *finding = Finding::new("dns.outside_demo", &[("name", &target.domain)]).with_evidence(evidence);
            }
        }
    }
    let mut replies = ours.replies.clone();
    if let Some((addr, theirs)) = theirs {
        findings.extend(compare(&ours, &theirs, addr));
        replies.extend(theirs.replies);
    }
    for finding in &findings {
        ctx.journal.finding(finding);
    }
    MxAnalysis {
        domain: target.domain.clone(),
        display: target.display.clone(),
        mx: ours.hosts,
        implicit: ours.implicit,
        null_mx: ours.null_mx,
        findings,
        replies,
        elapsed: started.elapsed(),
    }
}

/// What one resolver says about the domain, before judging it.
#[derive(Debug, Clone)]
struct Examination {
    mx_reply: DnsReply,
    hosts: Vec<MxHost>,
    /// The A/AAAA replies per host, in host order.
    host_replies: Vec<(DnsReply, DnsReply)>,
    implicit: bool,
    null_mx: bool,
    replies: Vec<DnsReply>,
}

async fn examine(resolver: &Resolver, domain: &str) -> Examination {
    let mx_reply = query(resolver, domain, QueryType::Mx).await;
    let mut replies = vec![mx_reply.clone()];
    let mut records: Vec<(u16, String)> = mx_reply.mx_records();
    records.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.to_ascii_lowercase().cmp(&b.1.to_ascii_lowercase())));
    records.dedup_by(|a, b| a.0 == b.0 && a.1.eq_ignore_ascii_case(&b.1));

    let null_mx = !records.is_empty() && records.iter().all(|(_, exchange)| exchange == ".");
    let implicit = matches!(mx_reply.outcome, DnsOutcome::NoData)
        || (matches!(mx_reply.outcome, DnsOutcome::Records(_)) && records.is_empty());
    let candidates: Vec<(u16, String)> = if implicit {
        vec![(0, domain.trim_end_matches('.').to_string())]
    } else if null_mx {
        Vec::new()
    } else {
        records
    };

    let server = mx_reply.server;
    let lookups = candidates.iter().map(|(_, exchange)| async move {
        if exchange == "." {
            let empty = |qtype| DnsReply {
                name: ".".into(),
                qtype,
                server,
                elapsed: Duration::ZERO,
                outcome: DnsOutcome::NoData,
            };
            return (empty(QueryType::A), empty(QueryType::Aaaa));
        }
        tokio::join!(query(resolver, exchange, QueryType::A), query(resolver, exchange, QueryType::Aaaa))
    });
    let host_replies: Vec<(DnsReply, DnsReply)> = join_all(lookups).await;
    let hosts = candidates
        .iter()
        .zip(&host_replies)
        .map(|((pref, exchange), (v4, v6))| host(*pref, exchange, v4, v6))
        .collect();
    for (v4, v6) in &host_replies {
        if v4.name != "." {
            replies.push(v4.clone());
            replies.push(v6.clone());
        }
    }
    Examination { mx_reply, hosts, host_replies, implicit, null_mx, replies }
}

async fn query(resolver: &Resolver, name: &str, qtype: QueryType) -> DnsReply {
    match resolver.query(name, qtype).await {
        Ok(reply) => reply,
        // A name from the network that cannot even be asked for (e.g. an empty label).
        Err(bad) => DnsReply {
            name: name.to_string(),
            qtype,
            server: resolver.servers().first().copied().unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 53))),
            elapsed: Duration::ZERO,
            outcome: DnsOutcome::Failed(bad.to_string()),
        },
    }
}

fn host(preference: u16, exchange: &str, v4: &DnsReply, v6: &DnsReply) -> MxHost {
    let mut problems = Vec::new();
    if exchange == "." {
        problems.push(problem::NULL_MIXED.to_string());
    }
    if is_ip_literal(exchange) {
        problems.push(problem::IP_LITERAL.to_string());
    }
    let canonical = v4
        .cnames()
        .into_iter()
        .chain(v6.cnames())
        .find(|(owner, _)| owner.eq_ignore_ascii_case(exchange))
        .map(|(_, target)| target);
    if canonical.is_some() {
        problems.push(problem::CNAME.to_string());
    }
    let mut addresses: Vec<IpAddr> = v4.addresses();
    addresses.extend(v6.addresses());
    let mut seen = BTreeSet::new();
    addresses.retain(|ip| seen.insert(*ip));
    // An IP literal is reported as such; that its name has no address follows from it.
    if addresses.is_empty() && exchange != "." && !is_ip_literal(exchange) {
        let lookup_problem = [&v4.outcome, &v6.outcome].into_iter().find_map(|o| match o {
            DnsOutcome::Timeout => Some(problem::TIMEOUT),
            DnsOutcome::ServFail | DnsOutcome::Refused | DnsOutcome::Rcode(_) | DnsOutcome::Failed(_) => {
                Some(problem::SERVFAIL)
            }
            _ => None,
        });
        let problem = match lookup_problem {
            Some(p) => p,
            None if v4.outcome == DnsOutcome::NxDomain => problem::NXDOMAIN,
            None => problem::NO_ADDRESS,
        };
        problems.push(problem.to_string());
    }
    let (display, _) = idna::domain_to_unicode(exchange);
    MxHost { preference, exchange: exchange.to_string(), display, addresses, problems, canonical }
}

/// `192.0.2.1` or `[192.0.2.1]` published as an exchanger name.
fn is_ip_literal(name: &str) -> bool {
    let inner = name.trim_start_matches('[').trim_end_matches(']');
    let inner = inner.strip_prefix("IPv6:").or_else(|| inner.strip_prefix("ipv6:")).unwrap_or(inner);
    inner.parse::<IpAddr>().is_ok()
}

/// `bücher.example (xn--bcher-kva.example)` for an IDN, the name alone otherwise.
pub fn both_ways(ascii: &str, display: &str) -> String {
    if display.is_empty() || display == ascii { ascii.to_string() } else { format!("{display} ({ascii})") }
}

fn judge(target: &Target, resolver: &Resolver, ex: &Examination) -> Vec<Finding> {
    let domain_shown = both_ways(&target.domain, &target.display);
    let mut findings = Vec::new();
    if let Some(f) = failure_finding(&ex.mx_reply, &domain_shown, resolver) {
        findings.push(f.with_evidence([ex.mx_reply.summary()]));
        return findings;
    }
    let mx_evidence: Vec<String> =
        std::iter::once(ex.mx_reply.summary()).chain(ex.mx_reply.records().iter().map(ToString::to_string)).collect();
    if ex.null_mx {
        findings.push(Finding::new("mx.null", &[("domain", &domain_shown)]).with_evidence(mx_evidence));
        return findings;
    }
    if ex.implicit {
        let host = &ex.hosts[0];
        let f = Finding::new("mx.implicit", &[("domain", &domain_shown)])
            .with_detail(if host.addresses.is_empty() {
                format!("{domain_shown} has no MX record and no address either, so it cannot take mail.")
            } else {
                format!("Mail for {domain_shown} goes to {}.", join_ips(&host.addresses))
            })
            .with_evidence(mx_evidence.clone());
        findings.push(f);
    }
    for (host, (v4, v6)) in ex.hosts.iter().zip(&ex.host_replies) {
        findings.extend(host_findings(&domain_shown, host, v4, v6, resolver));
    }
    let any_address = ex.hosts.iter().any(|h| !h.addresses.is_empty());
    if any_address && !ex.hosts.iter().any(MxHost::has_ipv4) {
        let evidence = ex.hosts.iter().map(|h| format!("{}: {}", h.label(), join_ips(&h.addresses)));
        findings.push(Finding::new("mx.no_ipv4", &[("domain", &domain_shown)]).with_evidence(evidence));
    }
    if findings.is_empty() {
        let count = ex.hosts.len().to_string();
        let evidence = mx_evidence
            .into_iter()
            .chain(ex.hosts.iter().map(|h| format!("{}: {}", h.label(), join_ips(&h.addresses))));
        findings.push(Finding::new("mx.ok", &[("domain", &domain_shown), ("count", &count)]).with_evidence(evidence));
    }
    findings
}

fn host_findings(domain: &str, host: &MxHost, v4: &DnsReply, v6: &DnsReply, resolver: &Resolver) -> Vec<Finding> {
    let name = both_ways(&host.exchange, &host.display);
    let evidence: Vec<String> = [v4, v6]
        .into_iter()
        .flat_map(|r| std::iter::once(r.summary()).chain(r.records().iter().map(ToString::to_string)))
        .collect();
    let mut findings = Vec::new();
    for problem in &host.problems {
        let finding = match problem.as_str() {
            problem::IP_LITERAL => Finding::new("mx.ip_literal", &[("exchange", &name)]),
            problem::CNAME => Finding::new("mx.cname", &[("exchange", &name)]).with_detail(format!(
                "{name} is an alias of {}; senders must look up the canonical name again.",
                host.canonical.as_deref().unwrap_or("another name")
            )),
            problem::NO_ADDRESS | problem::NXDOMAIN if !host.problems.iter().any(|p| p == problem::IP_LITERAL) => {
                Finding::new("mx.unresolvable", &[("exchange", &name)]).with_detail(if problem == problem::NXDOMAIN {
                    format!("The name {name} does not exist (NXDOMAIN).")
                } else {
                    format!("The name {name} exists but has no A or AAAA record.")
                })
            }
            problem::TIMEOUT | problem::SERVFAIL => {
                let failed = if v4.outcome.is_definitive() { v6 } else { v4 };
                match failure_finding(failed, &name, resolver) {
                    Some(f) => f,
                    None => continue,
                }
            }
            problem::NULL_MIXED => Finding::new("mx.null", &[("domain", domain)])
                .with_severity(crate::session::Severity::Warn)
                .with_detail("A null MX (.) is published beside other MX records; RFC 7505 forbids mixing them, and senders may treat the domain as taking no mail."),
            _ => continue,
        };
        findings.push(finding.with_evidence(evidence.clone()));
    }
    findings
}

/// The dns.* finding for a reply that is not an answer; None for records and NODATA. REFUSED
/// and a resolver that cannot be reached are about our resolver, not about the name.
pub fn failure_finding(reply: &DnsReply, name: &str, resolver: &Resolver) -> Option<Finding> {
    let server = reply.server.to_string();
    match &reply.outcome {
        DnsOutcome::Records(_) | DnsOutcome::NoData => None,
        DnsOutcome::NxDomain => Some(Finding::new("dns.nxdomain", &[("name", name)])),
        DnsOutcome::ServFail => Some(Finding::new("dns.servfail", &[("name", name)])),
        DnsOutcome::Refused | DnsOutcome::Failed(_) => resolver_failure(reply, name),
        DnsOutcome::Rcode(_) => Some(
            Finding::new("dns.servfail", &[("name", name)])
                .with_detail(format!("The resolver {server} answered {} instead.", reply.outcome.label())),
        ),
        DnsOutcome::Timeout => {
            let limits = resolver.limits();
            let total = limits.total();
            let timeout = format!("{} s ({} tries)", trim_secs(total), limits.attempts.max(1));
            Some(Finding::new("dns.timeout", &[("name", name), ("timeout", &timeout), ("server", &server)]))
        }
    }
}

/// `dns.refused` or `dns.unreachable` when our resolver refused the question about `name` or
/// could not be asked: about the resolver, not the name; `None` for other outcomes.
pub fn resolver_failure(reply: &DnsReply, name: &str) -> Option<Finding> {
    let server = reply.server.to_string();
    match &reply.outcome {
        DnsOutcome::Refused => Some(Finding::new("dns.refused", &[("name", name), ("server", &server)])),
        DnsOutcome::Failed(why) => {
            Some(Finding::new("dns.unreachable", &[("name", name), ("server", &server), ("error", &escape_str(why))]))
        }
        _ => None,
    }
}

fn trim_secs(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs.fract() == 0.0 { format!("{secs:.0}") } else { format!("{secs:.1}") }
}

fn join_ips(ips: &[IpAddr]) -> String {
    if ips.is_empty() {
        return "no address".into();
    }
    ips.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// What a resolver says, reduced to what two resolvers should agree on.
fn digest(ex: &Examination) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mx = match &ex.mx_reply.outcome {
        DnsOutcome::Records(_) | DnsOutcome::NoData => {
            let mut set: Vec<String> = ex.mx_reply.mx_records().iter().map(|(p, e)| format!("{p} {e}")).collect();
            set.sort();
            if set.is_empty() { "no MX".to_string() } else { set.join(", ") }
        }
        other => other.label(),
    };
    out.push((ex.mx_reply.name.clone(), mx));
    for (host, (v4, v6)) in ex.hosts.iter().zip(&ex.host_replies) {
        if host.exchange == "." {
            continue;
        }
        let mut ips: Vec<String> = host.addresses.iter().map(ToString::to_string).collect();
        ips.sort();
        let text = if ips.is_empty() {
            let mut t = String::new();
            let _ = write!(t, "A {}, AAAA {}", v4.outcome.label(), v6.outcome.label());
            t
        } else {
            ips.join(", ")
        };
        out.push((host.exchange.to_ascii_lowercase(), text));
    }
    out
}

fn compare(ours: &Examination, theirs: &Examination, addr: SocketAddr) -> Vec<Finding> {
    let left_server = ours.mx_reply.server;
    let ours = digest(ours);
    let theirs = digest(theirs);
    let mut findings = Vec::new();
    // The domain first, then the exchangers both resolvers know; one the other resolver does not
    // list shows in the MX set already.
    for (name, left) in &ours {
        let Some((_, right)) = theirs.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) else { continue };
        if left != right {
            let left_text = format!("{left} (from {left_server})");
            let right_text = format!("{right} (from {addr})");
            findings.push(
                Finding::new("dns.resolver_disagree", &[("name", name), ("left", &left_text), ("right", &right_text)])
                    .with_evidence([format!("{left_server}: {left}"), format!("{addr}: {right}")]),
            );
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_literals_are_recognised() {
        assert!(is_ip_literal("192.0.2.1"));
        assert!(is_ip_literal("[192.0.2.1]"));
        assert!(is_ip_literal("[IPv6:2001:db8::1]"));
        assert!(!is_ip_literal("mx1.bank.example"));
        assert!(!is_ip_literal("192.0.2.mx"));
    }

    #[test]
    fn idn_names_are_shown_both_ways() {
        assert_eq!(both_ways("xn--bcher-kva.example", "bücher.example"), "bücher.example (xn--bcher-kva.example)");
        assert_eq!(both_ways("bank.example", "bank.example"), "bank.example");
    }
}
