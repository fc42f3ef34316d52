//! SPF (RFC 7208): the record of our envelope domain evaluated for our address, with the path
//! of terms that decided the result and, when it does not pass, the mechanism to add.
//!
//! Records and macros are parsed strictly ([`super::spf_record`], [`super::spf_macro`]); every
//! query goes through [`Resolver`] (journaled, `--dns-server`) and the deciding path is reported.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use serde::Serialize;

use super::spf_macro::{Context, MacroString, Values};
pub use super::spf_record::is_spf;
use super::spf_record::{Cidr, Mechanism, Qualifier, Record};

use crate::dns::{DnsOutcome, DnsReply, QueryType, Resolver};
use crate::session::Finding;
use crate::session::escape::escape_str;

/// DNS-querying terms one evaluation may use (RFC 7208 §4.6.4).
pub const LOOKUP_LIMIT: usize = 10;
/// Lookups that may find nothing (NXDOMAIN or no records) before the result is a permerror.
pub const VOID_LIMIT: usize = 2;
/// Names an `mx` or `ptr` term may look at.
const NAME_LIMIT: usize = 10;

/// The result of an SPF evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SpfResult {
    Pass,
    Fail,
    SoftFail,
    Neutral,
    None,
    PermError,
    TempError,
}

impl SpfResult {
    /// The lowercase name RFC 7208 uses.
    pub fn as_str(self) -> &'static str {
        match self {
            SpfResult::Pass => "pass",
            SpfResult::Fail => "fail",
            SpfResult::SoftFail => "softfail",
            SpfResult::Neutral => "neutral",
            SpfResult::None => "none",
            SpfResult::PermError => "permerror",
            SpfResult::TempError => "temperror",
        }
    }

    /// The id of the finding that reports the result.
    pub fn finding_id(self) -> &'static str {
        match self {
            SpfResult::Pass => "spf.pass",
            SpfResult::Fail => "spf.fail",
            SpfResult::SoftFail => "spf.softfail",
            SpfResult::Neutral => "spf.neutral",
            SpfResult::None => "spf.none",
            SpfResult::PermError => "spf.permerror",
            SpfResult::TempError => "spf.temperror",
        }
    }

    fn of(qualifier: Qualifier) -> SpfResult {
        match qualifier {
            Qualifier::Pass => SpfResult::Pass,
            Qualifier::Fail => SpfResult::Fail,
            Qualifier::SoftFail => SpfResult::SoftFail,
            Qualifier::Neutral => SpfResult::Neutral,
        }
    }
}

/// Which identity of the SMTP session is checked (RFC 7208 §2.3, §2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Identity {
    /// The envelope sender (MAIL FROM).
    MailFrom,
    /// The name given in HELO/EHLO.
    Helo,
}

/// What is evaluated: the domain, the sender address and HELO name (for macros), our address.
#[derive(Debug, Clone)]
pub struct SpfRequest {
    pub domain: String,
    /// The envelope sender; `postmaster@DOMAIN` when unknown (RFC 7208 §4.3).
    pub sender: Option<String>,
    pub ip: IpAddr,
    pub helo: Option<String>,
    pub identity: Identity,
}

impl SpfRequest {
    /// The MAIL FROM identity of `sender` (`local@domain`, `@domain`, or empty); an empty
    /// sender checks the HELO name instead, as RFC 7208 §2.4 says.
    pub fn mail_from(sender: &str, helo: Option<&str>, ip: IpAddr) -> SpfRequest {
        let sender = sender.trim().trim_start_matches('<').trim_end_matches('>');
        if sender.is_empty() {
            return SpfRequest::helo(helo.unwrap_or_default(), ip);
        }
        let (local, domain) = sender.rsplit_once('@').unwrap_or(("", sender));
        let local = if local.is_empty() { "postmaster" } else { local };
        SpfRequest {
            domain: domain.to_string(),
            sender: Some(format!("{local}@{domain}")),
            ip,
            helo: helo.map(str::to_string),
            identity: Identity::MailFrom,
        }
    }

    /// The HELO identity: `postmaster@HELO` evaluated against the HELO name's record.
    pub fn helo(helo: &str, ip: IpAddr) -> SpfRequest {
        SpfRequest {
            domain: helo.to_string(),
            sender: Some(format!("postmaster@{helo}")),
            ip,
            helo: Some(helo.to_string()),
            identity: Identity::Helo,
        }
    }
}

/// The evaluation of one domain's SPF for one address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpfReport {
    pub identity: Identity,
    pub domain: String,
    pub ip: IpAddr,
    pub result: SpfResult,
    /// The domain's SPF record as published.
    pub record: Option<String>,
    /// The terms that decided the result, outermost first:
    /// `["include:_spf.example.net", "ip4:198.51.100.0/24 matched"]`.
    pub path: Vec<String>,
    /// Why: what matched, or which error stopped the evaluation.
    pub reason: String,
    pub lookups: usize,
    pub void_lookups: usize,
    /// When the result is not a pass: the mechanism that would make our address pass.
    pub mechanism_to_add: Option<String>,
    /// The record with that mechanism added.
    pub proposed_record: Option<String>,
    /// The `exp=` text of a failing record, expanded: what a receiver puts in its rejection.
    pub explanation: Option<String>,
}

impl SpfReport {
    /// The deciding path as one line: `include:_spf.example.net → ip4:198.51.100.0/24 matched`.
    pub fn decided_by(&self) -> String {
        if self.path.is_empty() { self.reason.clone() } else { self.path.join(" → ") }
    }
}

/// Evaluates the SPF record of `request.domain` for `request.ip`.
pub async fn evaluate(resolver: &Resolver, request: &SpfRequest) -> SpfReport {
    let domain = request.domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let sender = request.sender.clone().unwrap_or_else(|| format!("postmaster@{domain}"));
    let mut walk = Walk {
        resolver,
        ip: request.ip.to_canonical(),
        sender,
        helo: request.helo.clone().unwrap_or_default(),
        lookups: 0,
        voids: 0,
        stack: Vec::new(),
        top_record: None,
        validated: None,
    };
    let verdict = walk.check_host(domain.clone()).await;
    let misses = matches!(verdict.result, SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral | SpfResult::None);
    let mechanism = match walk.ip {
        IpAddr::V4(ip) => format!("ip4:{ip}"),
        IpAddr::V6(ip) => format!("ip6:{ip}"),
    };
    let proposed = if misses && valid_domain(&domain) {
        match &walk.top_record {
            Some(record) => Some(with_mechanism(record, &mechanism)),
            None => Some(format!("v=spf1 {mechanism} ~all")),
        }
    } else {
        None
    };
    SpfReport {
        identity: request.identity,
        domain,
        ip: walk.ip,
        result: verdict.result,
        record: walk.top_record.clone(),
        path: verdict.path,
        reason: verdict.reason,
        lookups: walk.lookups,
        void_lookups: walk.voids,
        mechanism_to_add: proposed.is_some().then_some(mechanism),
        proposed_record: proposed,
        explanation: verdict.explanation,
    }
}

/// `record` with `mechanism` as its first term, right after `v=spf1`.
fn with_mechanism(record: &str, mechanism: &str) -> String {
    let rest = record.split(' ').skip(1).filter(|t| !t.is_empty()).collect::<Vec<_>>().join(" ");
    if rest.is_empty() { format!("v=spf1 {mechanism}") } else { format!("v=spf1 {mechanism} {rest}") }
}

/// The finding for a report ([`SpfResult::finding_id`]), with `domain`, `ip`, `path`, `reason`,
/// `mechanism`, `proposed` and `identity` (`mailfrom` or `helo`) as arguments.
pub fn spf_finding(report: &SpfReport) -> Finding {
    let ip = report.ip.to_string();
    let path = escape_str(&report.decided_by());
    let reason = escape_str(&report.reason);
    let mechanism = report.mechanism_to_add.clone().unwrap_or_default();
    let proposed = escape_str(report.proposed_record.as_deref().unwrap_or_default());
    let identity = match report.identity {
        Identity::MailFrom => "mailfrom",
        Identity::Helo => "helo",
    };
    let finding = Finding::new(
        report.result.finding_id(),
        &[
            ("domain", &escape_str(&report.domain)),
            ("ip", &ip),
            ("path", &path),
            ("reason", &reason),
            ("mechanism", &mechanism),
            ("proposed", &proposed),
            ("identity", identity),
        ],
    );
    let mut evidence = Vec::new();
    if report.identity == Identity::Helo {
        evidence.push(format!("identity checked: the HELO name {}", escape_str(&report.domain)));
    }
    if let Some(record) = &report.record {
        evidence.push(format!("TXT {}: \"{}\"", escape_str(&report.domain), escape_str(record)));
    }
    evidence.push(format!(
        "{} DNS lookup(s) of {LOOKUP_LIMIT}, {} void of {VOID_LIMIT}",
        report.lookups, report.void_lookups
    ));
    if let Some(text) = &report.explanation {
        evidence.push(format!("explanation (exp=), quoted by receivers when they reject: {}", escape_str(text)));
    }
    finding.with_evidence(evidence).with_detail(format!("Decided by: {path}."))
}

/// The report as lines of text: the result, the record, the deciding path, the explanation a
/// receiver would quote and the record that would pass.
pub fn describe(spf: &SpfReport) -> Vec<String> {
    let what = match spf.identity {
        Identity::MailFrom => "SPF of",
        Identity::Helo => "SPF of the HELO name",
    };
    let mut lines = vec![format!("{what} {} for {}: {}", escape_str(&spf.domain), spf.ip, spf.result.as_str())];
    if let Some(record) = &spf.record {
        lines.push(format!("  record: \"{}\"", escape_str(record)));
    }
    lines.push(format!("  decided by: {}", escape_str(&spf.decided_by())));
    lines.push(format!("  {} DNS lookup(s), {} void", spf.lookups, spf.void_lookups));
    if let Some(text) = &spf.explanation {
        lines.push(format!("  explanation receivers quote: \"{}\"", escape_str(text)));
    }
    if let (Some(mechanism), Some(proposed)) = (&spf.mechanism_to_add, &spf.proposed_record) {
        lines.push(format!("  to pass, add {mechanism}: \"{}\"", escape_str(proposed)));
    }
    lines
}

/// True for a name `check_host` can start from (RFC 7208 §4.3): no domain literal (`[192.0.2.1]`),
/// several labels, none empty, none over 63 bytes, at most 253 bytes in all.
pub fn valid_domain(domain: &str) -> bool {
    let name = domain.strip_suffix('.').unwrap_or(domain);
    !name.starts_with('[')
        && name.len() <= 253
        && name.contains('.')
        && name.split('.').all(|label| !label.is_empty() && label.len() <= 63)
}

/// How one `check_host` ended.
struct Verdict {
    result: SpfResult,
    path: Vec<String>,
    reason: String,
    explanation: Option<String>,
}

impl Verdict {
    fn new(result: SpfResult, reason: impl Into<String>) -> Verdict {
        Verdict { result, path: Vec::new(), reason: reason.into(), explanation: None }
    }

    fn perm(reason: impl Into<String>) -> Verdict {
        Verdict::new(SpfResult::PermError, reason)
    }

    fn temp(reason: impl Into<String>) -> Verdict {
        Verdict::new(SpfResult::TempError, reason)
    }

    /// This verdict reached through `term`.
    fn through(mut self, term: &str) -> Verdict {
        self.path.insert(0, term.to_string());
        self
    }
}

/// A term's match, or the error that ends the evaluation.
enum Step {
    /// Matched; the path inside an include that matched, empty for other terms.
    Match(Vec<String>),
    NoMatch,
    Stop(Verdict),
}

struct Walk<'a> {
    resolver: &'a Resolver,
    ip: IpAddr,
    sender: String,
    helo: String,
    lookups: usize,
    voids: usize,
    /// The domains being evaluated, outermost first, to name an include loop.
    stack: Vec<String>,
    top_record: Option<String>,
    /// `%{p}`, looked up the first time a macro asks for it.
    validated: Option<String>,
}

type Boxed<'b, T> = Pin<Box<dyn Future<Output = T> + Send + 'b>>;

impl Walk<'_> {
    fn check_host(&mut self, domain: String) -> Boxed<'_, Verdict> {
        Box::pin(async move {
            if !valid_domain(&domain) {
                return Verdict::new(
                    SpfResult::None,
                    format!(
                        "\"{domain}\" is not a domain SPF can be looked up for (one label, or an empty or over-long label)"
                    ),
                );
            }
            if let Some(at) = self.stack.iter().position(|d| d.eq_ignore_ascii_case(&domain)) {
                let mut chain = self.stack[at..].to_vec();
                chain.push(domain.clone());
                return Verdict::perm(format!("include loop: {}", chain.join(" → ")));
            }
            let (text, record) = match self.record(&domain).await {
                Ok(found) => found,
                Err(verdict) => return verdict,
            };
            if self.stack.is_empty() {
                self.top_record = Some(text.clone());
            }
            self.stack.push(domain.clone());
            let verdict = self.walk_record(&domain, &record).await;
            self.stack.pop();
            verdict
        })
    }

    /// The one SPF record of `domain`, as text and parsed.
    async fn record(&mut self, domain: &str) -> Result<(String, Record), Verdict> {
        let Ok(reply) = self.resolver.query_exact(domain, QueryType::Txt).await else {
            return Err(Verdict::new(SpfResult::None, format!("\"{domain}\" is not a domain name")));
        };
        match &reply.outcome {
            DnsOutcome::Records(_) => {}
            DnsOutcome::NoData => return Err(Verdict::new(SpfResult::None, format!("{domain} has no TXT record"))),
            DnsOutcome::NxDomain => return Err(Verdict::new(SpfResult::None, format!("{domain} does not exist"))),
            other => return Err(Verdict::temp(format!("the TXT lookup of {domain} failed ({})", other.label()))),
        }
        let records: Vec<String> = reply.txt_strings().into_iter().filter(|t| is_spf(t)).collect();
        match records.as_slice() {
            [] => Err(Verdict::new(SpfResult::None, format!("{domain} has no SPF record (no TXT starting v=spf1)"))),
            [text] => match Record::parse(text) {
                Ok(record) => Ok((text.clone(), record)),
                Err(why) => {
                    if self.stack.is_empty() {
                        self.top_record = Some(text.clone());
                    }
                    Err(Verdict::perm(format!("the SPF record of {domain} is not valid: {why}")))
                }
            },
            _ => {
                Err(Verdict::perm(format!("{domain} publishes {} SPF records; exactly one is allowed", records.len())))
            }
        }
    }

    async fn walk_record(&mut self, domain: &str, record: &Record) -> Verdict {
        for directive in &record.directives {
            let term = directive.text.as_str();
            match self.matches(domain, term, &directive.mechanism).await {
                Step::Stop(verdict) => return verdict,
                Step::NoMatch => {}
                Step::Match(inner) => {
                    let result = SpfResult::of(directive.qualifier);
                    let mut verdict = Verdict::new(result, format!("{term} matched in the record of {domain}"));
                    verdict.path = if inner.is_empty() { vec![format!("{term} matched")] } else { inner };
                    if result == SpfResult::Fail {
                        verdict.explanation = self.explanation(domain, record.exp.as_ref()).await;
                    }
                    return verdict;
                }
            }
        }
        if let Some(redirect) = &record.redirect {
            let target = self.expand(redirect, domain).await;
            let term = format!("redirect={target}");
            if let Some(stop) = self.count_lookup() {
                return stop;
            }
            let inner = self.check_host(target.clone()).await;
            return match inner.result {
                SpfResult::None => Verdict::perm(format!("{term}: {}", inner.reason)).through(&term),
                _ => inner.through(&term),
            };
        }
        Verdict::new(SpfResult::Neutral, format!("no term of the record of {domain} matched; the default is neutral"))
            .through("no term matched (default ?all)")
    }

    /// Whether `mechanism` matches: one arm per RFC 7208 mechanism.
    async fn matches(&mut self, domain: &str, term: &str, mechanism: &Mechanism) -> Step {
        match mechanism {
            Mechanism::All => Step::Match(Vec::new()),
            Mechanism::Ip4(network, prefix) => step(in_network(self.ip, IpAddr::V4(*network), *prefix, 0)),
            Mechanism::Ip6(network, prefix) => step(in_network(self.ip, IpAddr::V6(*network), 0, *prefix)),
            Mechanism::A(spec, cidr) => {
                let target = self.target(spec.as_ref(), domain).await;
                if let Some(stop) = self.count_lookup() {
                    return Step::Stop(stop);
                }
                match self.addresses(&target, self.address_type(), term).await {
                    Ok(addresses) => step(addresses.iter().any(|a| in_network(self.ip, *a, cidr.v4, cidr.v6))),
                    Err(stop) => stop,
                }
            }
            Mechanism::Mx(spec, cidr) => {
                let target = self.target(spec.as_ref(), domain).await;
                if let Some(stop) = self.count_lookup() {
                    return Step::Stop(stop);
                }
                self.mx_matches(&target, *cidr, term).await
            }
            Mechanism::Ptr(spec) => {
                let target = self.target(spec.as_ref(), domain).await;
                if let Some(stop) = self.count_lookup() {
                    return Step::Stop(stop);
                }
                let names = self.validated_names(&target, term).await;
                match names {
                    Ok(names) => step(names.iter().any(|n| is_within(n, &target))),
                    Err(stop) => Step::Stop(stop),
                }
            }
            Mechanism::Exists(spec) => {
                let target = self.expand(spec, domain).await;
                if let Some(stop) = self.count_lookup() {
                    return Step::Stop(stop);
                }
                match self.addresses(&target, QueryType::A, term).await {
                    Ok(addresses) => step(!addresses.is_empty()),
                    Err(stop) => stop,
                }
            }
            Mechanism::Include(spec) => {
                let target = self.expand(spec, domain).await;
                if let Some(stop) = self.count_lookup() {
                    return Step::Stop(stop);
                }
                let inner = self.check_host(target.clone()).await;
                match inner.result {
                    // The include matched: the deciding path goes on inside it.
                    SpfResult::Pass => Step::Match(inner.through(term).path),
                    SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral => Step::NoMatch,
                    SpfResult::TempError | SpfResult::PermError => Step::Stop(inner.through(term)),
                    SpfResult::None => Step::Stop(Verdict::perm(format!("{term}: {}", inner.reason)).through(term)),
                }
            }
        }
    }

    fn address_type(&self) -> QueryType {
        if self.ip.is_ipv4() { QueryType::A } else { QueryType::Aaaa }
    }

    async fn mx_matches(&mut self, target: &str, cidr: Cidr, term: &str) -> Step {
        let Some(reply) = self.query(target, QueryType::Mx).await else { return Step::NoMatch };
        let exchanges = match self.answered(&reply, term) {
            Ok(()) => reply.mx_records(),
            Err(Some(stop)) => return Step::Stop(stop),
            Err(None) => return Step::NoMatch,
        };
        if exchanges.len() > NAME_LIMIT {
            return Step::Stop(Verdict::perm(format!("{term}: {target} has more than {NAME_LIMIT} MX records")));
        }
        for (_, exchange) in exchanges.iter().filter(|(_, e)| e != ".") {
            let Some(reply) = self.query(exchange, self.address_type()).await else { continue };
            if !reply.outcome.is_definitive() {
                return Step::Stop(Verdict::temp(format!(
                    "{term}: the lookup of {exchange} failed ({})",
                    reply.outcome.label()
                )));
            }
            if reply.addresses().iter().any(|a| in_network(self.ip, *a, cidr.v4, cidr.v6)) {
                return Step::Match(Vec::new());
            }
        }
        Step::NoMatch
    }

    /// The names of our address that resolve back to it (RFC 7208 §5.5), those within `target`
    /// first. A failed PTR lookup is no match, not an error.
    async fn validated_names(&mut self, target: &str, term: &str) -> Result<Vec<String>, Verdict> {
        let reply = self.resolver.lookup_ptr(self.ip).await;
        match self.answered(&reply, term) {
            Ok(()) => {}
            Err(Some(stop)) if stop.result == SpfResult::PermError => return Err(stop),
            Err(_) => return Ok(Vec::new()),
        }
        let mut names = reply.ptr_names();
        names.truncate(NAME_LIMIT);
        // Names within the target are checked first, so the answer does not depend on order.
        names.sort_by_key(|n| !is_within(n, target));
        let mut validated = Vec::new();
        for name in names {
            if let Some(reply) = self.query(&name, self.address_type()).await
                && reply.addresses().contains(&self.ip)
            {
                validated.push(name.trim_end_matches('.').to_string());
            }
        }
        Ok(validated)
    }

    /// Counts a DNS-querying term; past the limit, the permerror that ends the walk.
    fn count_lookup(&mut self) -> Option<Verdict> {
        self.lookups += 1;
        (self.lookups > LOOKUP_LIMIT).then(|| {
            Verdict::perm(format!("more than {LOOKUP_LIMIT} DNS lookups (include, a, mx, ptr, exists, redirect)"))
        })
    }

    /// Asks for `name`; a name no query can be made for (an empty or over-long label from a
    /// macro) is treated as one that does not exist (RFC 7208 §4.3), so `None`.
    async fn query(&self, name: &str, qtype: QueryType) -> Option<DnsReply> {
        self.resolver.query_exact(name, qtype).await.ok()
    }

    /// `Ok` when the reply has records; `Err(None)` for a void lookup within the limit;
    /// `Err(Some(verdict))` for an error that ends the walk.
    fn answered(&mut self, reply: &DnsReply, term: &str) -> Result<(), Option<Verdict>> {
        match &reply.outcome {
            DnsOutcome::Records(_) => Ok(()),
            DnsOutcome::NoData | DnsOutcome::NxDomain => {
                self.voids += 1;
                if self.voids > VOID_LIMIT {
                    return Err(Some(Verdict::perm(format!(
                        "more than {VOID_LIMIT} lookups found nothing (the last: {term}, {} {})",
                        reply.qtype,
                        reply.outcome.label()
                    ))));
                }
                Err(None)
            }
            other => Err(Some(Verdict::temp(format!(
                "{term}: the {} lookup of {} failed ({})",
                reply.qtype,
                reply.name,
                other.label()
            )))),
        }
    }

    async fn addresses(&mut self, name: &str, qtype: QueryType, term: &str) -> Result<Vec<IpAddr>, Step> {
        let Some(reply) = self.query(name, qtype).await else { return Err(Step::NoMatch) };
        match self.answered(&reply, term) {
            Ok(()) => Ok(reply.addresses()),
            Err(None) => Ok(Vec::new()),
            Err(Some(stop)) => Err(Step::Stop(stop)),
        }
    }

    /// The target of `a`, `mx` or `ptr`: its domain-spec expanded, else the current domain.
    async fn target(&mut self, spec: Option<&MacroString>, domain: &str) -> String {
        match spec {
            Some(spec) => self.expand(spec, domain).await,
            None => domain.to_string(),
        }
    }

    /// A domain-spec with its macros expanded, shortened from the left to 253 bytes (RFC 7208
    /// §7.3).
    async fn expand(&mut self, spec: &MacroString, domain: &str) -> String {
        let validated = self.validated_name(spec, domain).await;
        let expanded = spec.expand(&self.values(domain, &validated));
        let mut name = expanded.strip_suffix('.').unwrap_or(&expanded);
        while name.len() > 253 {
            name = name.split_once('.').map_or("", |(_, rest)| rest);
        }
        name.to_string()
    }

    /// `%{p}` when `spec` uses it: a validated name of our address, preferring one within
    /// `domain`, else `unknown`.
    async fn validated_name(&mut self, spec: &MacroString, domain: &str) -> String {
        if !spec.uses_validated_name() {
            return String::new();
        }
        if let Some(name) = &self.validated {
            return name.clone();
        }
        let names = self.validated_names(domain, "%{p}").await.unwrap_or_default();
        let name = names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(domain))
            .or_else(|| names.iter().find(|n| is_within(n, domain)))
            .or_else(|| names.first())
            .cloned()
            .unwrap_or_else(|| "unknown".to_string());
        self.validated = Some(name.clone());
        name
    }

    fn values<'v>(&'v self, domain: &'v str, validated: &'v str) -> Values<'v> {
        let timestamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        Values {
            sender: &self.sender,
            domain,
            ip: self.ip,
            helo: &self.helo,
            validated,
            receiver: "unknown",
            timestamp,
        }
    }

    /// The `exp=` text of a failing record (RFC 7208 §6.2): the one TXT record of the expanded
    /// name, itself expanded; none when there is not exactly one or it cannot be read.
    async fn explanation(&mut self, domain: &str, exp: Option<&MacroString>) -> Option<String> {
        let target = self.expand(exp?, domain).await;
        let reply = self.query(&target, QueryType::Txt).await?;
        let [text] = reply.txt_strings().try_into().ok()?;
        let parsed = MacroString::parse(&text, Context::Explanation).ok()?;
        let validated = self.validated_name(&parsed, domain).await;
        Some(parsed.expand(&self.values(domain, &validated)))
    }
}

fn step(matched: bool) -> Step {
    if matched { Step::Match(Vec::new()) } else { Step::NoMatch }
}

/// True when `name` is `target` or a name below it, ignoring case.
fn is_within(name: &str, target: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let target = target.trim_end_matches('.').to_ascii_lowercase();
    name == target || name.ends_with(&format!(".{target}"))
}

/// True when `candidate`'s network of the given prefix length holds `ip` (same family only).
fn in_network(ip: IpAddr, candidate: IpAddr, v4_prefix: u8, v6_prefix: u8) -> bool {
    match (ip, candidate) {
        (IpAddr::V4(ip), IpAddr::V4(c)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(v4_prefix)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(c) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(c)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(v6_prefix)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(c) & mask
        }
        _ => false,
    }
}

/// The directive terms of a record as written (`-all`, `include:_spf.example.net`), in order;
/// the version and modifiers (`name=value`) are left out. Empty for a record that does not parse.
pub fn directive_terms(record: &str) -> Vec<String> {
    Record::parse(record).map(|r| r.directives.into_iter().map(|d| d.text).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_result_has_its_finding_in_the_catalogue() {
        for result in [
            SpfResult::Pass,
            SpfResult::Fail,
            SpfResult::SoftFail,
            SpfResult::Neutral,
            SpfResult::None,
            SpfResult::PermError,
            SpfResult::TempError,
        ] {
            let id = result.finding_id();
            assert!(crate::session::catalogue::entry(id).is_some(), "{id}");
            assert_eq!(id.strip_prefix("spf."), Some(result.as_str()));
        }
    }

    #[test]
    fn spf_records_are_told_from_other_txt() {
        assert!(is_spf("v=spf1 -all"));
        assert!(is_spf("V=SPF1"));
        assert!(!is_spf("v=spf10 -all"));
        assert!(!is_spf("google-site-verification=x"));
    }

    #[test]
    fn directive_terms_skip_version_and_modifiers() {
        let terms =
            directive_terms("v=spf1 ip4:192.0.2.0/24 redirect=_spf.example.net a:mail.example.com/28 exp=e.%{d} -all");
        assert_eq!(terms, ["ip4:192.0.2.0/24", "a:mail.example.com/28", "-all"]);
    }

    #[test]
    fn the_mechanism_goes_first() {
        assert_eq!(with_mechanism("v=spf1 mx -all", "ip4:203.0.113.5"), "v=spf1 ip4:203.0.113.5 mx -all");
    }

    #[test]
    fn an_invalid_term_is_named() {
        assert_eq!(Record::parse("v=spf1 mx bogus:x -all").unwrap_err(), "\"bogus:x\" is not an SPF mechanism");
        assert!(Record::parse("v=spf1 ip4:300.1.1.1 -all").unwrap_err().contains("ip4:300.1.1.1"));
        assert!(Record::parse("v=spf1 -ip6:2001:db8::/32 exp=x.%{d} ~all").is_ok());
        assert!(Record::parse("v=spf1 include -all").unwrap_err().contains("\"include\""));
    }

    #[test]
    fn names_check_host_refuses_are_told() {
        assert!(valid_domain("example.com"));
        assert!(!valid_domain("museum"));
        assert!(!valid_domain("[192.0.2.1]"));
        assert!(!valid_domain("a..example.com"));
        assert!(!valid_domain(&format!("{}.example.com", "a".repeat(64))));
    }
}
