//! Checking an address (or a domain) against DNS block lists: every zone asked at once, the
//! whole check bounded by one deadline, answers decoded per zone, TXT reason and delisting page
//! for a listing, and a self-test of the zones themselves (RFC 5782 test entries).

use std::net::IpAddr;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::address_class::AddressClass;
use super::dnsbl_answer::{ListingCode, Verdict, decode};
use super::dnsbl_zones::{Zone, ZoneKind, ZoneList};
use super::ptr::evidence_of;
use super::resolver::{DnsOutcome, DnsReply, QueryType, Resolver};
use super::reverse::reversed_labels;
use crate::context::Context;
use crate::session::escape::escape_str;
use crate::session::{Finding, Severity};

/// What is checked: an address against address lists, or a domain against domain lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Subject {
    Ip(IpAddr),
    Domain(String),
}

/// A subject that is neither an address nor a domain name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is neither an IP address nor a domain name")]
pub struct BadSubject(pub String);

impl Subject {
    /// Parses an address or a domain name (letters, digits, `-`, `_`, at least two labels).
    pub fn parse(text: &str) -> Result<Subject, BadSubject> {
        let text = text.trim();
        let bad = || BadSubject(escape_str(text));
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(Subject::Ip(ip.to_canonical()));
        }
        // Something shaped like an address (999.1.1.1) is a bad address, not a domain.
        if text.bytes().all(|b| b.is_ascii_digit() || b == b'.') || text.contains(':') {
            return Err(bad());
        }
        let name = text.trim_end_matches('.').to_ascii_lowercase();
        let valid = name.contains('.')
            && name.len() <= 180
            && name.split('.').all(|l| {
                !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            });
        if valid { Ok(Subject::Domain(name)) } else { Err(bad()) }
    }

    /// The subject as shown and put into delisting URLs.
    pub fn text(&self) -> String {
        match self {
            Subject::Ip(ip) => ip.to_string(),
            Subject::Domain(domain) => domain.clone(),
        }
    }

    fn kind(&self) -> ZoneKind {
        match self {
            Subject::Ip(_) => ZoneKind::Ip,
            Subject::Domain(_) => ZoneKind::Domain,
        }
    }

    /// `<reversed address>.<zone>` or `<domain>.<zone>`.
    pub fn query_name(&self, zone: &str) -> String {
        match self {
            Subject::Ip(ip) => format!("{}.{zone}", reversed_labels(*ip)),
            Subject::Domain(domain) => format!("{domain}.{zone}"),
        }
    }
}

/// How one zone answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ZoneStatus {
    /// Not listed (NXDOMAIN or no A record).
    Clean,
    /// Listed, with the decoded codes and the list's TXT reason.
    Listed { codes: Vec<ListingCode>, txt: Vec<String> },
    /// The list refused to answer (a refusal code, an answer outside 127/8, SERVFAIL, REFUSED).
    Refused { code: String, reason: String },
    /// No answer before the check's deadline.
    Timeout,
    /// Not asked (the list does not cover this kind of subject).
    Skipped { reason: String },
}

/// One zone's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ZoneResult {
    pub name: String,
    pub zone: String,
    /// The name queried.
    pub query: String,
    #[serde(flatten)]
    pub status: ZoneStatus,
    /// The delisting page for the subject.
    pub delist: Option<String>,
    /// The answers as evidence lines.
    pub evidence: Vec<String>,
    pub elapsed_ms: u64,
}

/// The result of one block-list check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DnsblReport {
    pub subject: String,
    /// Why nothing was sent to any list (a private or documentation address), if so.
    pub not_queried: Option<String>,
    pub results: Vec<ZoneResult>,
    pub deadline_ms: u64,
    pub elapsed_ms: u64,
}

impl DnsblReport {
    /// The zones that did not answer in time.
    pub fn timed_out(&self) -> Vec<&ZoneResult> {
        self.results.iter().filter(|r| r.status == ZoneStatus::Timeout).collect()
    }

    /// The results worst first: listings, refusals, timeouts, clean answers, skipped zones.
    pub fn worst_first(&self) -> Vec<&ZoneResult> {
        let rank = |r: &ZoneResult| match r.status {
            ZoneStatus::Listed { .. } => 0,
            ZoneStatus::Refused { .. } => 1,
            ZoneStatus::Timeout => 2,
            ZoneStatus::Clean => 3,
            ZoneStatus::Skipped { .. } => 4,
        };
        let mut ordered: Vec<&ZoneResult> = self.results.iter().collect();
        ordered.sort_by_key(|r| rank(r));
        ordered
    }

    /// The zones listing the subject.
    pub fn listed(&self) -> Vec<&ZoneResult> {
        self.results.iter().filter(|r| matches!(r.status, ZoneStatus::Listed { .. })).collect()
    }
}

/// Whether a subject may be sent to the lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposure {
    /// Public addresses only: private, loopback and documentation addresses are said, not sent.
    PublicOnly,
    /// Documentation addresses too (the demo world, whose lists are local).
    Documentation,
    /// Anything (an explicit `--zones` lab override or the self-test).
    Any,
}

/// The lists a run asks, the deadline of the whole check and which addresses they may be asked
/// about.
#[derive(Debug, Clone)]
pub struct Lists {
    pub zones: Vec<Zone>,
    pub deadline: Duration,
    pub exposure: Exposure,
}

/// The lists of the config's `[blocklist]` (or `zones` named explicitly, which may be asked about
/// any address: a lab list), the demo world's documentation addresses, else public addresses only.
pub fn configured(ctx: &Context, zones: Option<&[String]>) -> Result<Lists, String> {
    let list = ZoneList::load(&ctx.config.blocklist).map_err(|e| e.to_string())?;
    let names = zones.unwrap_or(&ctx.config.blocklist.zones);
    let selected = list.select(names).map_err(|e| e.to_string())?;
    if selected.is_empty() {
        return Err(format!("the block list file {} lists no zone", list.source));
    }
    let exposure = match (zones.is_some(), ctx.demo) {
        (true, _) => Exposure::Any,
        (false, true) => Exposure::Documentation,
        (false, false) => Exposure::PublicOnly,
    };
    Ok(Lists { zones: selected, deadline: ctx.config.blocklist_deadline(), exposure })
}

/// `subject` against the configured lists, as step 6 and `check` ask; its findings journaled.
pub async fn check_configured(ctx: &Context, resolver: &Resolver, subject: &Subject) -> Result<DnsblReport, String> {
    Ok(check_lists(ctx, resolver, subject, &configured(ctx, None)?).await)
}

/// [`check_configured`] without journaling its findings, for a caller that asks before it knows
/// whether it keeps the answer; [`keep`] journals the one kept.
pub async fn check_configured_unjournaled(
    ctx: &Context,
    resolver: &Resolver,
    subject: &Subject,
) -> Result<DnsblReport, String> {
    let lists = configured(ctx, None)?;
    Ok(check(resolver, subject, &lists.zones, lists.deadline, lists.exposure).await)
}

/// `subject` against `lists`; its findings journaled.
pub async fn check_lists(ctx: &Context, resolver: &Resolver, subject: &Subject, lists: &Lists) -> DnsblReport {
    let report = check(resolver, subject, &lists.zones, lists.deadline, lists.exposure).await;
    keep(ctx, &report);
    report
}

/// Journals the findings of `report`, one asked unjournaled and kept.
pub fn keep(ctx: &Context, report: &DnsblReport) {
    for finding in &dnsbl_findings(report) {
        ctx.journal.finding(finding);
    }
}

/// The self-test of `lists` and its findings, journaled.
pub async fn self_test_lists(ctx: &Context, resolver: &Resolver, lists: &Lists) -> (Vec<SelfTest>, Vec<Finding>) {
    let tests = self_test(resolver, &lists.zones, lists.deadline).await;
    let findings = self_test_findings(&tests, lists.deadline);
    for finding in &findings {
        ctx.journal.finding(finding);
    }
    (tests, findings)
}

/// Checks `subject` against `zones`, all at once; the check ends at `deadline` whatever the lists
/// do, and zones that had not answered by then are [`ZoneStatus::Timeout`].
pub async fn check(
    resolver: &Resolver,
    subject: &Subject,
    zones: &[Zone],
    deadline: Duration,
    exposure: Exposure,
) -> DnsblReport {
    let started = Instant::now();
    let report = |not_queried, results| DnsblReport {
        subject: subject.text(),
        not_queried,
        results,
        deadline_ms: u64::try_from(deadline.as_millis()).unwrap_or(u64::MAX),
        elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    };
    if let Subject::Ip(ip) = subject {
        let class = AddressClass::of(*ip);
        let allowed = match exposure {
            _ if class.is_public() => true,
            Exposure::Any => true,
            Exposure::Documentation => class == AddressClass::Documentation,
            Exposure::PublicOnly => false,
        };
        if !allowed {
            let why = format!("{ip} is {}; it is not sent to any block list", class.describe());
            return report(Some(why), Vec::new());
        }
    }
    let until = tokio::time::Instant::now() + deadline;
    let asks = zones.iter().map(|zone| ask_zone(resolver, subject, zone, until));
    let results = futures::future::join_all(asks).await;
    report(None, results)
}

async fn ask_zone(resolver: &Resolver, subject: &Subject, zone: &Zone, until: tokio::time::Instant) -> ZoneResult {
    let started = Instant::now();
    let query = subject.query_name(&zone.zone);
    let mut result = ZoneResult {
        name: zone.name.clone(),
        zone: zone.zone.clone(),
        query: query.clone(),
        status: ZoneStatus::Timeout,
        delist: None,
        evidence: Vec::new(),
        elapsed_ms: 0,
    };
    let skip = match subject {
        _ if zone.kind != subject.kind() => Some(format!("lists {} only", kind_words(zone.kind))),
        Subject::Ip(IpAddr::V6(_)) if !zone.ipv6 => Some("lists IPv4 addresses only".to_string()),
        _ => None,
    };
    if let Some(reason) = skip {
        result.status = ZoneStatus::Skipped { reason };
        return result;
    }
    // The TXT (the list's reason) is asked with the A, so that a listing costs one round trip;
    // it is awaited only when the A says listed.
    let a = tokio::time::timeout_at(until, resolver.query(&query, QueryType::A));
    let reason = tokio::time::timeout_at(until, resolver.query(&query, QueryType::Txt));
    tokio::pin!(a, reason);
    let mut txt_early = None;
    let a = loop {
        tokio::select! {
            a = &mut a => break a,
            reply = &mut reason, if txt_early.is_none() => txt_early = Some(reply),
        }
    };
    let a = match a {
        Ok(Ok(reply)) => reply,
        Ok(Err(bad)) => {
            result.status = ZoneStatus::Refused { code: "bad name".into(), reason: bad.to_string() };
            return result;
        }
        Err(_) => {
            result.evidence.push(format!("A {query}: no answer before the deadline"));
            result.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            return result;
        }
    };
    result.evidence.extend(evidence_of(&a));
    result.status = status_of(zone, &a);
    if let ZoneStatus::Listed { txt, .. } = &mut result.status {
        result.delist = zone.delist_url(&subject.text());
        // The reason is a nicety: a listing stands even when its TXT comes too late.
        let reply = match txt_early {
            Some(reply) => reply,
            None => reason.await,
        };
        if let Ok(Ok(reply)) = reply {
            result.evidence.extend(evidence_of(&reply));
            txt.extend(reply.txt_strings().iter().map(|t| escape_str(t)));
        }
    }
    result.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    result
}

fn status_of(zone: &Zone, reply: &DnsReply) -> ZoneStatus {
    match &reply.outcome {
        DnsOutcome::Records(_) => {
            let answers: Vec<std::net::Ipv4Addr> = reply
                .addresses()
                .into_iter()
                .filter_map(|ip| match ip {
                    IpAddr::V4(v4) => Some(v4),
                    IpAddr::V6(_) => None,
                })
                .collect();
            if answers.is_empty() {
                return ZoneStatus::Clean;
            }
            match decode(zone, &answers) {
                Verdict::Listed { codes } => ZoneStatus::Listed { codes, txt: Vec::new() },
                Verdict::Refused { code, reason } => ZoneStatus::Refused { code: code.to_string(), reason },
            }
        }
        DnsOutcome::NoData | DnsOutcome::NxDomain => ZoneStatus::Clean,
        DnsOutcome::Timeout => ZoneStatus::Timeout,
        DnsOutcome::ServFail => ZoneStatus::Refused {
            code: "SERVFAIL".into(),
            reason: "the resolver could not get an answer from the list (the list is down, or refuses your resolver)"
                .into(),
        },
        DnsOutcome::Refused => ZoneStatus::Refused {
            code: "REFUSED".into(),
            reason: "the resolver refused the query (it does not recurse for you)".into(),
        },
        other => {
            ZoneStatus::Refused { code: other.label(), reason: "the query failed before the list could answer".into() }
        }
    }
}

fn kind_words(kind: ZoneKind) -> &'static str {
    match kind {
        ZoneKind::Ip => "addresses",
        ZoneKind::Domain => "domain names",
    }
}

/// The findings of a check: `dnsbl.listed` per listing, `dnsbl.query_refused` per refusing zone,
/// one `dnsbl.timeout` naming every zone that did not answer, `dnsbl.clean` when the zones that
/// answered all say "not listed", and `ip.private` when nothing was asked.
pub fn dnsbl_findings(report: &DnsblReport) -> Vec<Finding> {
    let subject = escape_str(&report.subject);
    if let Some(why) = &report.not_queried {
        return vec![
            Finding::new("ip.private", &[("ip", &subject)])
                .with_detail(format!("{why}: block lists know only public addresses; check the address receivers see."))
                .with_severity(Severity::Warn),
        ];
    }
    let mut findings = Vec::new();
    let mut clean = 0;
    for result in &report.results {
        match &result.status {
            ZoneStatus::Listed { codes, txt } => {
                let meaning: Vec<&str> = codes.iter().map(|c| c.meaning.as_str()).collect();
                let codes_text: Vec<String> = codes.iter().map(|c| c.code.to_string()).collect();
                let delist = result.delist.clone().unwrap_or_else(|| format!("the operator of {}", result.zone));
                let mut detail = format!("{} ({}) answers {}.", result.name, result.zone, codes_text.join(", "));
                if !txt.is_empty() {
                    detail.push_str(&format!(" Its reason: {}", txt.join(" ")));
                }
                findings.push(
                    Finding::new(
                        "dnsbl.listed",
                        &[
                            ("ip", &subject),
                            ("zone", &result.zone),
                            ("meaning", &meaning.join("; ")),
                            ("delist", &delist),
                            ("code", &codes_text.join(", ")),
                        ],
                    )
                    .with_detail(detail)
                    .with_evidence(result.evidence.clone()),
                );
            }
            ZoneStatus::Refused { code, reason } => findings.push(
                Finding::new("dnsbl.query_refused", &[("zone", &result.zone), ("code", code), ("reason", reason)])
                    .with_detail(format!(
                        "This is not a listing: whether {subject} is on {} is unknown until the query gets through.",
                        result.zone
                    ))
                    .with_evidence(result.evidence.clone()),
            ),
            ZoneStatus::Clean => clean += 1,
            ZoneStatus::Timeout | ZoneStatus::Skipped { .. } => {}
        }
    }
    let timed_out = report.timed_out();
    if !timed_out.is_empty() {
        let zones: Vec<&str> = timed_out.iter().map(|r| r.zone.as_str()).collect();
        let timeout = format!("{:.1} s", report.deadline_ms as f64 / 1000.0);
        findings.push(
            Finding::new("dnsbl.timeout", &[("zone", &zones.join(", ")), ("timeout", &timeout)])
                .with_evidence(timed_out.iter().flat_map(|r| r.evidence.clone())),
        );
    }
    if clean > 0 && report.listed().is_empty() {
        let count = clean.to_string();
        findings.push(Finding::new("dnsbl.clean", &[("ip", &subject), ("count", &count)]));
    }
    findings.extend(not_ipv6(report));
    findings
}

/// `dnsbl.not_ipv6`: the lists of addresses skipped for an IPv6 subject because they list IPv4
/// addresses only (they say nothing of it, so they are not counted as clean).
fn not_ipv6(report: &DnsblReport) -> Option<Finding> {
    if !report.subject.parse::<IpAddr>().is_ok_and(|ip| ip.is_ipv6()) {
        return None;
    }
    let zones: Vec<&str> = report
        .results
        .iter()
        .filter(|r| matches!(&r.status, ZoneStatus::Skipped { reason } if reason.ends_with("IPv4 addresses only")))
        .map(|r| r.zone.as_str())
        .collect();
    if zones.is_empty() {
        return None;
    }
    let subject = escape_str(&report.subject);
    Some(Finding::new(
        "dnsbl.not_ipv6",
        &[("ip", &subject), ("count", &zones.len().to_string()), ("zones", &zones.join(", "))],
    ))
}

/// One zone's self-test: its test entry must be listed and its clean entry must not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SelfTest {
    pub name: String,
    pub zone: String,
    pub listed: ZoneResult,
    pub clean: ZoneResult,
    /// What is wrong, or `None` when the zone works.
    pub problem: Option<String>,
}

/// Asks every zone for its test entries (127.0.0.2 listed, 127.0.0.1 not, per RFC 5782; the
/// zone's own test names for domain lists), all at once under one deadline.
pub async fn self_test(resolver: &Resolver, zones: &[Zone], deadline: Duration) -> Vec<SelfTest> {
    let until = tokio::time::Instant::now() + deadline;
    let tests = zones.iter().map(|zone| async move {
        let listed_subject = test_subject(&zone.test_listed);
        let clean_subject = test_subject(&zone.test_clean);
        let (listed, clean) = tokio::join!(
            ask_zone(resolver, &listed_subject, zone, until),
            ask_zone(resolver, &clean_subject, zone, until)
        );
        let problem = self_test_problem(zone, &listed, &clean);
        SelfTest { name: zone.name.clone(), zone: zone.zone.clone(), listed, clean, problem }
    });
    futures::future::join_all(tests).await
}

/// The subject of a zone's test entry: an address, or a domain for domain lists.
pub fn test_subject(text: &str) -> Subject {
    Subject::parse(text).unwrap_or_else(|_| Subject::Domain(text.to_ascii_lowercase()))
}

fn self_test_problem(zone: &Zone, listed: &ZoneResult, clean: &ZoneResult) -> Option<String> {
    let describe = |r: &ZoneResult| match &r.status {
        ZoneStatus::Clean => "not listed".to_string(),
        ZoneStatus::Listed { codes, .. } => {
            format!("listed ({})", codes.iter().map(|c| c.code.to_string()).collect::<Vec<_>>().join(", "))
        }
        ZoneStatus::Refused { code, reason } => format!("refused ({code}: {reason})"),
        ZoneStatus::Timeout => "no answer before the deadline".to_string(),
        ZoneStatus::Skipped { reason } => reason.clone(),
    };
    let listed_ok = matches!(listed.status, ZoneStatus::Listed { .. });
    let clean_ok = clean.status == ZoneStatus::Clean;
    match (listed_ok, clean_ok) {
        (true, true) => None,
        (false, _) => Some(format!("test entry {} must be listed but is {}", zone.test_listed, describe(listed))),
        (true, false) => Some(format!("{} must not be listed but is {}", zone.test_clean, describe(clean))),
    }
}

/// The findings of a self-test: nothing for a zone that works; for one that does not,
/// `dnsbl.timeout` or `dnsbl.query_refused` as a failure (the zone cannot be relied on).
pub fn self_test_findings(tests: &[SelfTest], deadline: Duration) -> Vec<Finding> {
    let mut findings = Vec::new();
    for test in tests {
        let Some(problem) = &test.problem else { continue };
        let evidence: Vec<String> = test.listed.evidence.iter().chain(&test.clean.evidence).cloned().collect();
        let finding = if test.listed.status == ZoneStatus::Timeout || test.clean.status == ZoneStatus::Timeout {
            let timeout = format!("{:.1} s", deadline.as_secs_f64());
            Finding::new("dnsbl.timeout", &[("zone", &test.zone), ("timeout", &timeout)])
        } else {
            let code = match (&test.listed.status, &test.clean.status) {
                (ZoneStatus::Refused { code, .. }, _) | (_, ZoneStatus::Refused { code, .. }) => code.clone(),
                _ => "self-test".to_string(),
            };
            Finding::new("dnsbl.query_refused", &[("zone", &test.zone), ("code", &code), ("reason", problem)])
        };
        findings.push(
            finding
                .with_severity(Severity::Fail)
                .with_detail(format!("Self-test of {} ({}): {problem}.", test.name, test.zone))
                .with_evidence(evidence),
        );
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects() {
        assert_eq!(
            Subject::parse("203.0.113.5").unwrap().query_name("zen.spamhaus.org"),
            "5.113.0.203.zen.spamhaus.org"
        );
        assert_eq!(Subject::parse("Example.COM.").unwrap(), Subject::Domain("example.com".into()));
        assert!(Subject::parse("999.1.1.1").is_err());
        assert!(Subject::parse("2001:db8::zz").is_err());
        assert!(Subject::parse("nodots").is_err());
        assert_eq!(
            Subject::parse("999.1.1.1").unwrap_err().to_string(),
            "\"999.1.1.1\" is neither an IP address nor a domain name"
        );
    }
}
