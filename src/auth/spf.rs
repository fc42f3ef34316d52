//! SPF (RFC 7208): the record of our envelope domain evaluated for our address, with the path
//! of terms that decided the result and, when it does not pass, the mechanism to add.
//!
//! Records are parsed by `mail-auth` (terms and macros); the walk is ours, so every query goes
//! through [`Resolver`] (journaled, `--dns-server`) and the deciding path can be reported.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use mail_auth::common::parse::TxtRecordParser;
use mail_auth::spf::{Macro, Mechanism, Qualifier, Spf, Variables};
use serde::Serialize;

use crate::dns::{Outcome, QueryType, Reply, Resolver};
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

    fn of(qualifier: &Qualifier) -> SpfResult {
        match qualifier {
            Qualifier::Pass => SpfResult::Pass,
            Qualifier::Fail => SpfResult::Fail,
            Qualifier::SoftFail => SpfResult::SoftFail,
            Qualifier::Neutral => SpfResult::Neutral,
        }
    }
}

/// What is evaluated: the domain, the sender address and HELO name (for macros), our address.
#[derive(Debug, Clone)]
pub struct SpfRequest {
    pub domain: String,
    /// The envelope sender; `postmaster@DOMAIN` when unknown (RFC 7208 §4.3).
    pub sender: Option<String>,
    pub ip: IpAddr,
    pub helo: Option<String>,
}

/// The evaluation of one domain's SPF for one address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpfReport {
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
    /// The `exp=` text of a failing record, expanded.
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
    };
    let verdict = walk.check_host(domain.clone()).await;
    let misses = matches!(verdict.result, SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral | SpfResult::None);
    let mechanism = match walk.ip {
        IpAddr::V4(ip) => format!("ip4:{ip}"),
        IpAddr::V6(ip) => format!("ip6:{ip}"),
    };
    let proposed = misses.then(|| match &walk.top_record {
        Some(record) => with_mechanism(record, &mechanism),
        None => format!("v=spf1 {mechanism} ~all"),
    });
    SpfReport {
        domain,
        ip: walk.ip,
        result: verdict.result,
        record: walk.top_record.clone(),
        path: verdict.path,
        reason: verdict.reason,
        lookups: walk.lookups,
        void_lookups: walk.voids,
        mechanism_to_add: misses.then_some(mechanism),
        proposed_record: proposed,
        explanation: verdict.explanation,
    }
}

/// `record` with `mechanism` as its first term, right after `v=spf1`.
fn with_mechanism(record: &str, mechanism: &str) -> String {
    let rest = record.split_whitespace().skip(1).collect::<Vec<_>>().join(" ");
    if rest.is_empty() { format!("v=spf1 {mechanism}") } else { format!("v=spf1 {mechanism} {rest}") }
}

/// The finding for a report ([`SpfResult::finding_id`]), with `domain`, `ip`, `path`, `reason`, `mechanism`
/// and `proposed` as arguments.
pub fn spf_finding(report: &SpfReport) -> Finding {
    let ip = report.ip.to_string();
    let path = escape_str(&report.decided_by());
    let reason = escape_str(&report.reason);
    let mechanism = report.mechanism_to_add.clone().unwrap_or_default();
    let proposed = escape_str(report.proposed_record.as_deref().unwrap_or_default());
    let finding = Finding::new(
        report.result.finding_id(),
        &[
            ("domain", &escape_str(&report.domain)),
            ("ip", &ip),
            ("path", &path),
            ("reason", &reason),
            ("mechanism", &mechanism),
            ("proposed", &proposed),
        ],
    );
    let mut evidence = Vec::new();
    if let Some(record) = &report.record {
        evidence.push(format!("TXT {}: \"{}\"", escape_str(&report.domain), escape_str(record)));
    }
    evidence.push(format!(
        "{} DNS lookup(s) of {LOOKUP_LIMIT}, {} void of {VOID_LIMIT}",
        report.lookups, report.void_lookups
    ));
    if let Some(text) = &report.explanation {
        evidence.push(format!("explanation (exp=): {}", escape_str(text)));
    }
    finding.with_evidence(evidence).with_detail(format!("Decided by: {path}."))
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
}

type Boxed<'b, T> = Pin<Box<dyn Future<Output = T> + Send + 'b>>;

impl Walk<'_> {
    fn check_host(&mut self, domain: String) -> Boxed<'_, Verdict> {
        Box::pin(async move {
            if let Some(at) = self.stack.iter().position(|d| *d == domain) {
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
            let verdict = self.walk_record(&domain, &text, &record).await;
            self.stack.pop();
            verdict
        })
    }

    /// The one SPF record of `domain`, as text and parsed.
    async fn record(&mut self, domain: &str) -> Result<(String, Spf), Verdict> {
        let Ok(reply) = self.resolver.lookup_txt(domain).await else {
            return Err(Verdict::new(SpfResult::None, format!("\"{domain}\" is not a domain name")));
        };
        match &reply.outcome {
            Outcome::Records(_) => {}
            Outcome::NoData => return Err(Verdict::new(SpfResult::None, format!("{domain} has no TXT record"))),
            Outcome::NxDomain => return Err(Verdict::new(SpfResult::None, format!("{domain} does not exist"))),
            other => return Err(Verdict::temp(format!("the TXT lookup of {domain} failed ({})", other.label()))),
        }
        let records: Vec<String> = reply.txt_strings().into_iter().filter(|t| is_spf(t)).collect();
        match records.as_slice() {
            [] => Err(Verdict::new(SpfResult::None, format!("{domain} has no SPF record (no TXT starting v=spf1)"))),
            [text] => match check_terms(text).and_then(|()| Spf::parse(text.as_bytes()).map_err(|_| bad_term(text))) {
                Ok(record) => Ok((text.clone(), record)),
                Err(why) => Err(Verdict::perm(format!("the SPF record of {domain} is not valid: {why}"))),
            },
            _ => {
                Err(Verdict::perm(format!("{domain} publishes {} SPF records; exactly one is allowed", records.len())))
            }
        }
    }

    async fn walk_record(&mut self, domain: &str, text: &str, record: &Spf) -> Verdict {
        let terms = directive_terms(text);
        for (n, directive) in record.directives.iter().enumerate() {
            let term = terms.get(n).cloned().unwrap_or_else(|| format!("term {}", n + 1));
            match self.matches(domain, &term, &directive.mechanism).await {
                Step::Stop(verdict) => return verdict,
                Step::NoMatch => {}
                Step::Match(inner) => {
                    let result = SpfResult::of(&directive.qualifier);
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
            let target = self.expand(redirect, domain);
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
    #[allow(clippy::too_many_lines, reason = "one match arm per mechanism, each with its own lookups and limits")]
    async fn matches(&mut self, domain: &str, term: &str, mechanism: &Mechanism) -> Step {
        match mechanism {
            Mechanism::All => Step::Match(Vec::new()),
            Mechanism::Ip4 { addr, mask } => {
                step(matches!(self.ip, IpAddr::V4(ip) if u32::from(ip) & mask == u32::from(*addr) & mask))
            }
            Mechanism::Ip6 { addr, mask } => {
                step(matches!(self.ip, IpAddr::V6(ip) if u128::from(ip) & mask == u128::from(*addr) & mask))
            }
            Mechanism::A { macro_string, ip4_mask, ip6_mask } => {
                let target = self.expand(macro_string, domain);
                if let Some(stop) = self.count_lookup() {
                    return Step::Stop(stop);
                }
                let qtype = if self.ip.is_ipv4() { QueryType::A } else { QueryType::Aaaa };
                match self.addresses(&target, qtype, term).await {
                    Ok(addresses) => step(addresses.iter().any(|a| in_network(self.ip, *a, *ip4_mask, *ip6_mask))),
                    Err(stop) => Step::Stop(stop),
                }
            }
            Mechanism::Mx { macro_string, ip4_mask, ip6_mask } => {
                let target = self.expand(macro_string, domain);
                if let Some(stop) = self.count_lookup() {
                    return Step::Stop(stop);
                }
                let reply = match self.query(&target, QueryType::Mx, term).await {
                    Ok(reply) => reply,
                    Err(stop) => return Step::Stop(stop),
                };
                let exchanges = match self.answered(&reply, term) {
                    Ok(()) => reply.mx_records(),
                    Err(Some(stop)) => return Step::Stop(stop),
                    Err(None) => return Step::NoMatch,
                };
                if exchanges.len() > NAME_LIMIT {
                    return Step::Stop(Verdict::perm(format!(
                        "{term}: {target} has more than {NAME_LIMIT} MX records"
                    )));
                }
                let qtype = if self.ip.is_ipv4() { QueryType::A } else { QueryType::Aaaa };
                for (_, exchange) in exchanges.iter().filter(|(_, e)| e != ".") {
                    let reply = match self.query(exchange, qtype, term).await {
                        Ok(reply) => reply,
                        Err(stop) => return Step::Stop(stop),
                    };
                    if !reply.outcome.is_definitive() {
                        return Step::Stop(Verdict::temp(format!(
                            "{term}: the lookup of {exchange} failed ({})",
                            reply.outcome.label()
                        )));
                    }
                    if reply.addresses().iter().any(|a| in_network(self.ip, *a, *ip4_mask, *ip6_mask)) {
                        return Step::Match(Vec::new());
                    }
                }
                Step::NoMatch
            }
            Mechanism::Ptr { macro_string } => {
                let target = self.expand(macro_string, domain).to_ascii_lowercase();
                if let Some(stop) = self.count_lookup() {
                    return Step::Stop(stop);
                }
                let reply = self.resolver.lookup_ptr(self.ip).await;
                match self.answered(&reply, term) {
                    Ok(()) => {}
                    Err(Some(stop)) => return Step::Stop(stop),
                    Err(None) => return Step::NoMatch,
                }
                let qtype = if self.ip.is_ipv4() { QueryType::A } else { QueryType::Aaaa };
                for name in reply.ptr_names().into_iter().take(NAME_LIMIT) {
                    let lower = name.to_ascii_lowercase();
                    if lower != target && !lower.ends_with(&format!(".{target}")) {
                        continue;
                    }
                    // A PTR name counts only when it resolves back to the address.
                    if self.query(&name, qtype, term).await.is_ok_and(|r| r.addresses().contains(&self.ip)) {
                        return Step::Match(Vec::new());
                    }
                }
                Step::NoMatch
            }
            Mechanism::Exists { macro_string } => {
                let target = self.expand(macro_string, domain);
                if let Some(stop) = self.count_lookup() {
                    return Step::Stop(stop);
                }
                match self.addresses(&target, QueryType::A, term).await {
                    Ok(addresses) => step(!addresses.is_empty()),
                    Err(stop) => Step::Stop(stop),
                }
            }
            Mechanism::Include { macro_string } => {
                let target = self.expand(macro_string, domain);
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

    /// Counts a DNS-querying term; past the limit, the permerror that ends the walk.
    fn count_lookup(&mut self) -> Option<Verdict> {
        self.lookups += 1;
        (self.lookups > LOOKUP_LIMIT).then(|| {
            Verdict::perm(format!("more than {LOOKUP_LIMIT} DNS lookups (include, a, mx, ptr, exists, redirect)"))
        })
    }

    /// Asks for `name`; a name that cannot be asked for (a macro expanded to no domain name)
    /// is a permerror of `term`.
    async fn query(&self, name: &str, qtype: QueryType, term: &str) -> Result<Reply, Verdict> {
        self.resolver
            .query(name, qtype)
            .await
            .map_err(|_| Verdict::perm(format!("{term}: \"{name}\" is not a domain name")))
    }

    /// `Ok` when the reply has records; `Err(None)` for a void lookup within the limit;
    /// `Err(Some(verdict))` for an error that ends the walk.
    fn answered(&mut self, reply: &Reply, term: &str) -> Result<(), Option<Verdict>> {
        match &reply.outcome {
            Outcome::Records(_) => Ok(()),
            Outcome::NoData | Outcome::NxDomain => {
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

    async fn addresses(&mut self, name: &str, qtype: QueryType, term: &str) -> Result<Vec<IpAddr>, Verdict> {
        let reply = self.query(name, qtype, term).await?;
        match self.answered(&reply, term) {
            Ok(()) => Ok(reply.addresses()),
            Err(None) => Ok(Vec::new()),
            Err(Some(stop)) => Err(stop),
        }
    }

    fn variables(&self, domain: &str) -> Variables<'static> {
        let mut vars = Variables::new();
        vars.set_ip(&self.ip);
        vars.set_sender(self.sender.as_bytes().to_vec());
        vars.set_helo_domain(self.helo.as_bytes().to_vec());
        vars.set_domain(domain.as_bytes().to_vec());
        vars.set_host_domain(b"mailwiz".to_vec());
        vars
    }

    /// A domain-spec with its macros expanded; `domain` when none is given.
    fn expand(&self, spec: &Macro, domain: &str) -> String {
        let vars = self.variables(domain);
        spec.eval(&vars, domain, false).trim_end_matches('.').to_ascii_lowercase()
    }

    /// The `exp=` text of a failing record, if one is given and can be read.
    async fn explanation(&self, domain: &str, exp: Option<&Macro>) -> Option<String> {
        let target = self.expand(exp?, domain);
        let reply = self.resolver.lookup_txt(&target).await.ok()?;
        let text = reply.txt_strings().into_iter().next()?;
        let parsed = Macro::parse(text.as_bytes()).ok()?;
        let vars = self.variables(domain);
        Some(parsed.eval(&vars, "", false).into_owned())
    }
}

fn step(matched: bool) -> Step {
    if matched { Step::Match(Vec::new()) } else { Step::NoMatch }
}

fn in_network(ip: IpAddr, candidate: IpAddr, v4_mask: u32, v6_mask: u128) -> bool {
    match (ip, candidate) {
        (IpAddr::V4(ip), IpAddr::V4(c)) => u32::from(ip) & v4_mask == u32::from(c) & v4_mask,
        (IpAddr::V6(ip), IpAddr::V6(c)) => u128::from(ip) & v6_mask == u128::from(c) & v6_mask,
        _ => false,
    }
}

/// True for a TXT string that is an SPF record: `v=spf1` alone or followed by a space.
pub fn is_spf(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 6 && bytes[..6].eq_ignore_ascii_case(b"v=spf1") && (bytes.len() == 6 || bytes[6] == b' ')
}

/// The directive terms of a record as written (`-all`, `include:_spf.example.net`), in order;
/// the version and modifiers (`name=value`) are left out.
pub fn directive_terms(record: &str) -> Vec<String> {
    record.split_whitespace().skip(1).filter(|term| !is_modifier(term)).map(str::to_string).collect()
}

fn is_modifier(term: &str) -> bool {
    let name_end =
        term.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))).unwrap_or(term.len());
    name_end > 0 && term.as_bytes()[0].is_ascii_alphabetic() && term[name_end..].starts_with('=')
}

/// Mechanisms RFC 7208 defines; any other mechanism is a permanent error (`mail-auth` would
/// skip it as if it were a modifier).
const MECHANISMS: [&str; 8] = ["all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"];

/// Checks what `mail-auth` lets pass: every directive names a known mechanism and `ip4:`/`ip6:`
/// hold addresses.
fn check_terms(record: &str) -> Result<(), String> {
    for term in directive_terms(record) {
        let bare = term.trim_start_matches(['+', '-', '~', '?']);
        let name_end = bare.find([':', '/']).unwrap_or(bare.len());
        let name = bare[..name_end].to_ascii_lowercase();
        if !MECHANISMS.contains(&name.as_str()) {
            return Err(format!("\"{term}\" is not an SPF mechanism"));
        }
        let value = bare[name_end..].trim_start_matches(':');
        let address = value.split('/').next().unwrap_or_default();
        let bad_address = match name.as_str() {
            "ip4" => address.parse::<std::net::Ipv4Addr>().is_err(),
            "ip6" => address.parse::<std::net::Ipv6Addr>().is_err(),
            _ => false,
        };
        if bad_address {
            return Err(format!("the term \"{term}\" does not hold an {name} address"));
        }
    }
    Ok(())
}

/// Names the first term of an invalid record that does not parse on its own.
fn bad_term(record: &str) -> String {
    record
        .split_whitespace()
        .skip(1)
        .find(|term| Spf::parse(format!("v=spf1 {term}").as_bytes()).is_err())
        .map(|term| format!("the term \"{term}\" cannot be read"))
        .unwrap_or_else(|| "its terms cannot be read together (a modifier given twice?)".to_string())
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
        assert_eq!(check_terms("v=spf1 mx bogus:x -all").unwrap_err(), "\"bogus:x\" is not an SPF mechanism");
        assert!(check_terms("v=spf1 ip4:300.1.1.1 -all").unwrap_err().contains("ip4:300.1.1.1"));
        assert!(check_terms("v=spf1 -ip6:2001:db8::/32 exp=x.%{d} ~all").is_ok());
        assert_eq!(bad_term("v=spf1 include -all"), "the term \"include\" cannot be read");
    }
}
