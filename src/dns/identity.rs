//! Who we are to a receiver: our outbound address (from every source we have, and whether they
//! agree), its reverse DNS, and the HELO name we announce checked against both.

use std::net::{IpAddr, SocketAddr};

use serde::Serialize;

use super::address_class::AddressClass;
use super::mta_bind::mta_bind;
use super::myip::{self, MyIpAnswer};
use super::ptr::{PtrReport, check_ptr, private_finding, ptr_findings};
use super::resolver::Resolver;
use crate::config::Family;
use crate::context::Context;
use crate::helo::check::{HeloReport, check_helo, helo_finding, with_proposal};
use crate::helo::from_mta::mta_helo;
use crate::helo::propose;
use crate::helo::syntax::{HeloForm, helo_form};
use crate::session::escape::escape_str;
use crate::session::{Finding, Identity, IpCandidate};

/// Source of an address given with `--ip` or in the config.
pub const SOURCE_CONFIG: &str = "--ip/config";
/// Source of the local address of an outgoing connection.
pub const SOURCE_LOCAL: &str = "local";

/// Everything the identity check found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IdentityReport {
    /// Every candidate for our address, with its source.
    pub candidates: Vec<IpCandidate>,
    /// The addresses checked: the best IPv4 and the best IPv6 candidate.
    pub chosen: Vec<IpAddr>,
    /// False when public candidates of one family name different addresses.
    pub agree: bool,
    pub myip: Vec<MyIpAnswer>,
    pub ptr: Vec<PtrReport>,
    pub helo: Option<HeloReport>,
    /// The one name proposed for our PTR and HELO (see [`propose::proposal`]).
    pub mail_name: Option<String>,
    pub findings: Vec<Finding>,
    /// Our addresses of a family the receiver has no address of, left out of the judgement
    /// ([`IdentityReport::keep_families`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_judged: Vec<IpAddr>,
}

impl IdentityReport {
    /// Keeps what concerns our addresses of `families`, the receiver's: it sees no other of our
    /// addresses, so their PTR, HELO and listings say nothing about it. The others go to
    /// `not_judged`. Nothing is left out when `families` is empty (not known) or when it would
    /// leave no address at all.
    pub fn keep_families(&mut self, families: &[Family]) {
        let keeps = |ip: IpAddr| families.contains(&Family::of(ip));
        if families.is_empty() || !self.chosen.iter().any(|ip| keeps(*ip)) {
            return;
        }
        self.not_judged.extend(self.chosen.iter().copied().filter(|ip| !keeps(*ip)));
        self.chosen.retain(|ip| keeps(*ip));
        self.candidates.retain(|c| keeps(c.ip));
        self.ptr.retain(|p| keeps(p.ip));
        self.findings.retain(|f| f.arg("ip").and_then(|ip| ip.parse::<IpAddr>().ok()).is_none_or(keeps));
    }

    /// Why `not_judged` was not judged for `domain`, in one sentence.
    pub fn not_judged_sentence(&self, domain: &str) -> Option<String> {
        let first = self.not_judged.first()?;
        let (left, kept) = match Family::of(*first) {
            Family::V4 => (Family::V4, Family::V6),
            Family::V6 => (Family::V6, Family::V4),
        };
        let list: Vec<String> = self.not_judged.iter().map(ToString::to_string).collect();
        Some(format!(
            "Our {} address {} was not judged: {} has no {} address, so our MTA reaches it over {} only.",
            left.label(),
            list.join(", "),
            escape_str(domain),
            left.label(),
            kept.label()
        ))
    }
}

/// [`identify`] for a receiver whose mail exchangers have addresses of `families` (all when
/// empty), its findings journaled: what step 5 runs.
pub async fn check_identity_for(
    ctx: &Context,
    resolver: &Resolver,
    known: &Identity,
    families: &[Family],
) -> IdentityReport {
    let mut report = identify(ctx, resolver, known).await;
    report.keep_families(families);
    for finding in &report.findings {
        ctx.journal.finding(finding);
    }
    report
}

/// Runs the identity check and journals its findings. `known` carries what other steps found
/// (candidates such as `ehlo:mx1.bank.example`, the HELO name used); `--ip`, `--helo` and the
/// config come from `ctx`.
pub async fn check_identity(ctx: &Context, resolver: &Resolver, known: &Identity) -> IdentityReport {
    let report = identify(ctx, resolver, known).await;
    for finding in &report.findings {
        ctx.journal.finding(finding);
    }
    report
}

/// [`check_identity`] without journaling the findings, for a caller that may run it again with
/// more candidates and keep only the second report (it journals the report it keeps).
pub async fn identify(ctx: &Context, resolver: &Resolver, known: &Identity) -> IdentityReport {
    let timeout = ctx.config.timeout();
    let helo_wanted = ctx
        .config
        .helo
        .clone()
        .map(|h| (h, "--helo/config".to_string()))
        .or_else(|| known.helo.clone().map(|h| (h, "session".to_string())));
    let ask_mta = helo_wanted.is_none() && ctx.config.identity.ask_mta;
    let ask_bind = ctx.config.identity.ask_mta && ctx.public_lookups_allowed();
    let lab = !ctx.public_lookups_allowed();
    let sender_domain = known.sender.as_deref().and_then(|a| a.rsplit_once('@')).map(|(_, d)| d.to_string());

    // What `--ip`, the config and the other steps name wins its family whatever the discovery
    // finds, so its examination starts beside the discovery, not after it.
    let given = given_candidates(ctx, known);
    let early_chosen = choose(&given.ip_candidates, lab);
    let early = given_addresses(ctx, known);
    let early_helo = if ask_mta { None } else { helo_wanted.clone() };
    let discovery = async {
        tokio::join!(myip::ask_all(ctx), async { if ask_mta { mta_helo(timeout).await } else { None } }, async {
            if ask_bind { mta_bind(timeout).await } else { Vec::new() }
        })
    };
    let early_exam =
        examine(ctx, resolver, &early, early_helo.as_ref(), early_chosen.first().copied(), sender_domain.as_deref());
    let ((myip, mta, binds), early_exam) = tokio::join!(discovery, early_exam);
    let helo = helo_wanted.or_else(|| mta.map(|m| (m.name, m.source)));

    let mut identity = Identity::default();
    for ip in ctx.config.our_ips() {
        identity.add_candidate(ip, SOURCE_CONFIG);
    }
    for bind in binds {
        identity.add_candidate(bind.ip, bind.source);
    }
    for candidate in &known.ip_candidates {
        identity.add_candidate(candidate.ip.to_canonical(), candidate.source.clone());
    }
    for answer in &myip {
        if let Some(ip) = answer.ip {
            identity.add_candidate(ip, answer.source());
        }
    }
    if ctx.public_lookups_allowed()
        && let Some(ip) = local_address(&myip)
    {
        identity.add_candidate(ip, SOURCE_LOCAL);
    }
    let candidates = identity.ip_candidates;
    let chosen = choose(&candidates, lab);
    let agree = agreement(&candidates, lab);

    let checked: Vec<IpAddr> = chosen.iter().copied().filter(|ip| usable(*ip, lab)).collect();
    // Discovery may add an address of the other family, or the MTA name the HELO: what the
    // early examination has is kept, the rest asked now.
    let late: Vec<IpAddr> = checked.iter().copied().filter(|ip| !early.contains(ip)).collect();
    let helo_again = helo != early_helo;
    let propose_again = helo_again || chosen.first() != early_chosen.first();
    let late_exam = examine(
        ctx,
        resolver,
        &late,
        helo.as_ref().filter(|_| helo_again),
        chosen.first().copied().filter(|_| propose_again),
        sender_domain.as_deref(),
    )
    .await;
    let mut ptr: Vec<PtrReport> =
        early_exam.ptr.into_iter().chain(late_exam.ptr).filter(|r| checked.contains(&r.ip)).collect();
    ptr.sort_by_key(|report| checked.iter().position(|ip| *ip == report.ip));
    let helo_report = if helo_again { late_exam.helo } else { early_exam.helo };
    let mail_name = if propose_again { late_exam.mail_name } else { early_exam.mail_name };
    let findings =
        identity_findings(&candidates, &chosen, agree, lab, &ptr, helo_report.as_ref(), mail_name.as_deref());
    IdentityReport {
        candidates,
        chosen,
        agree,
        myip,
        ptr,
        helo: helo_report,
        mail_name,
        findings,
        not_judged: Vec::new(),
    }
}

/// The candidates `--ip`, the config and the other steps give, before anything is asked.
fn given_candidates(ctx: &Context, known: &Identity) -> Identity {
    let mut given = Identity::default();
    for ip in ctx.config.our_ips() {
        given.add_candidate(ip, SOURCE_CONFIG);
    }
    for candidate in &known.ip_candidates {
        given.add_candidate(candidate.ip.to_canonical(), candidate.source.clone());
    }
    given
}

/// The addresses [`identify`] will check that are known before anything is asked: the usable
/// ones `--ip`, the config and the other steps give, best per family. Each is the one chosen
/// for its family whatever the discovery finds (it ranks first, see `rank`), so what depends
/// on it may start at once; the discovery may only add the other family.
pub fn given_addresses(ctx: &Context, known: &Identity) -> Vec<IpAddr> {
    let lab = !ctx.public_lookups_allowed();
    choose(&given_candidates(ctx, known).ip_candidates, lab).into_iter().filter(|ip| usable(*ip, lab)).collect()
}

/// What [`examine`] found about our addresses and HELO name.
struct Examined {
    ptr: Vec<PtrReport>,
    helo: Option<HeloReport>,
    mail_name: Option<String>,
}

/// The reverse DNS of each of `ips`, the HELO name, and the name proposed for `propose_for`,
/// all at once.
async fn examine(
    ctx: &Context,
    resolver: &Resolver,
    ips: &[IpAddr],
    helo: Option<&(String, String)>,
    propose_for: Option<IpAddr>,
    sender_domain: Option<&str>,
) -> Examined {
    let ptr_checks = futures::future::join_all(ips.iter().map(|ip| check_ptr(resolver, *ip)));
    let helo_check = async {
        match helo {
            Some((name, source)) => Some(check_helo(resolver, name, source).await),
            None => None,
        }
    };
    let helo_name = helo.map(|(name, _)| name.trim().to_string());
    let proposal = async {
        match propose_for {
            Some(ip) => Some(propose_name(ctx, resolver, ip, helo_name.as_deref(), sender_domain).await),
            None => None,
        }
    };
    let (ptr, helo, mail_name) = tokio::join!(ptr_checks, helo_check, proposal);
    Examined { ptr, helo, mail_name }
}

/// The reverse DNS of `ip` and the HELO name of `--helo` or the config against it, as `mailwiz ptr`
/// asks; the findings journaled.
pub async fn check_address(
    ctx: &Context,
    resolver: &Resolver,
    ip: IpAddr,
) -> (PtrReport, Option<HeloReport>, Vec<Finding>) {
    let helo = ctx.config.helo.clone();
    let sender_domain = ctx.config.from.as_deref().and_then(|a| a.rsplit_once('@')).map(|(_, d)| d.to_string());
    let (report, helo_report, proposed) = tokio::join!(
        check_ptr(resolver, ip),
        async {
            match &helo {
                Some(name) => Some(check_helo(resolver, name, "--helo/config").await),
                None => None,
            }
        },
        propose_name(ctx, resolver, ip, helo.as_deref(), sender_domain.as_deref())
    );
    let mut findings: Vec<_> = private_finding(ip, !ctx.public_lookups_allowed()).into_iter().collect();
    findings.extend(ptr_findings(&report, Some(&escape_str(&proposed))));
    if let Some(helo_report) = &helo_report {
        findings.push(with_proposal(helo_finding(helo_report, ip, Some(&report)), Some(&escape_str(&proposed))));
    }
    for finding in &findings {
        ctx.journal.finding(finding);
    }
    (report, helo_report, findings)
}

/// The one name proposed for our PTR and HELO (see [`propose::proposal`]); its lookups run
/// one after another, so one deadline bounds them all.
async fn propose_name(
    ctx: &Context,
    resolver: &Resolver,
    ip: IpAddr,
    helo: Option<&str>,
    sender_domain: Option<&str>,
) -> String {
    let suggestion = propose::suggest(resolver, ip, helo, sender_domain);
    let found = tokio::time::timeout(ctx.config.timeout(), suggestion).await.ok().flatten();
    propose::proposal(found.as_deref(), ip, helo, sender_domain)
}

fn usable(ip: IpAddr, lab: bool) -> bool {
    let class = AddressClass::of(ip);
    class.is_public() || (lab && class == AddressClass::Documentation)
}

/// How much a source is trusted: what we were told, then what a receiver saw, then what a
/// what-is-my-IP server saw, then our own socket.
fn rank(source: &str) -> u8 {
    if source == SOURCE_CONFIG {
        0
    } else if source.starts_with("ehlo:") {
        1
    } else if source.starts_with("dns:") {
        2
    } else if source == SOURCE_LOCAL {
        4
    } else {
        3
    }
}

/// The best candidate of each family, usable addresses first; IPv4 first.
fn choose(candidates: &[IpCandidate], lab: bool) -> Vec<IpAddr> {
    let mut chosen = Vec::new();
    for v4 in [true, false] {
        let best = candidates
            .iter()
            .filter(|c| c.ip.is_ipv4() == v4)
            .min_by_key(|c| (!usable(c.ip, lab), rank(&c.source)))
            .map(|c| c.ip);
        chosen.extend(best);
    }
    chosen
}

/// True when the usable candidates of each family name one address.
fn agreement(candidates: &[IpCandidate], lab: bool) -> bool {
    [true, false].into_iter().all(|v4| {
        let mut addresses: Vec<IpAddr> =
            candidates.iter().filter(|c| c.ip.is_ipv4() == v4 && usable(c.ip, lab)).map(|c| c.ip).collect();
        addresses.sort();
        addresses.dedup();
        addresses.len() <= 1
    })
}

/// The findings of the identity check, in the order an admin reads them.
pub fn identity_findings(
    candidates: &[IpCandidate],
    chosen: &[IpAddr],
    agree: bool,
    lab: bool,
    ptr: &[PtrReport],
    helo: Option<&HeloReport>,
    mail_name: Option<&str>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let proposed = mail_name.map(escape_str);
    if chosen.is_empty() {
        findings.push(Finding::new("ip.unknown", &[]).with_detail(
            "No address was given (--ip or `ip` in the config), no receiver echoed one in its EHLO reply, and no \
             what-is-my-IP query answered.",
        ));
    }
    if !agree {
        let list: Vec<String> = candidates.iter().map(|c| format!("{} ({})", c.ip, escape_str(&c.source))).collect();
        findings.push(
            Finding::new("ip.candidates_disagree", &[("candidates", &list.join(", "))])
                .with_evidence(list.iter().cloned()),
        );
    }
    for ip in chosen {
        if let Some(private) = private_finding(*ip, lab) {
            let sources: Vec<String> = candidates
                .iter()
                .filter(|c| c.ip == *ip)
                .map(|c| format!("{ip} from {}", escape_str(&c.source)))
                .collect();
            findings.push(private.with_evidence(sources));
        }
    }
    for report in ptr {
        findings.extend(ptr_findings(report, proposed.as_deref()));
    }
    if let Some(helo) = helo {
        if ptr.is_empty() {
            // Without an address to compare with, only the shape of the name can be judged.
            if !matches!(helo_form(&helo.helo), HeloForm::Name(_)) {
                let ip = chosen.first().copied().unwrap_or(IpAddr::from([0, 0, 0, 0]));
                findings.push(with_proposal(helo_finding(helo, ip, None), proposed.as_deref()));
            }
        } else {
            for report in ptr {
                findings.push(with_proposal(helo_finding(helo, report.ip, Some(report)), proposed.as_deref()));
            }
        }
    }
    findings
}

/// The local address the system would use towards the first what-is-my-IP server: UDP
/// `connect` only picks a route and sends nothing. A public one is a candidate (no NAT).
fn local_address(myip: &[MyIpAnswer]) -> Option<IpAddr> {
    let server: SocketAddr = myip.iter().find_map(|a| crate::config::parse_server(&a.server).ok())?;
    let bind: SocketAddr =
        if server.is_ipv4() { ([0, 0, 0, 0], 0).into() } else { (std::net::Ipv6Addr::UNSPECIFIED, 0).into() };
    let socket = std::net::UdpSocket::bind(bind).ok()?;
    socket.connect(server).ok()?;
    let ip = socket.local_addr().ok()?.ip();
    AddressClass::of(ip).is_public().then_some(ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(ip: &str, source: &str) -> IpCandidate {
        IpCandidate { ip: ip.parse().unwrap(), source: source.into() }
    }

    #[test]
    fn the_configured_address_wins_and_families_are_kept_apart() {
        let candidates = vec![
            candidate("192.168.1.10", "local"),
            candidate("198.51.100.9", "dns:myip.test"),
            candidate("203.0.113.5", "ehlo:mx.test"),
            candidate("2001:db8::25", "dns:myip6.test"),
        ];
        assert_eq!(
            choose(&candidates, true),
            vec!["203.0.113.5".parse::<IpAddr>().unwrap(), "2001:db8::25".parse().unwrap()]
        );
        assert!(!agreement(&candidates, true));
        let mut with_config = candidates.clone();
        with_config.push(candidate("198.51.100.9", SOURCE_CONFIG));
        assert_eq!(choose(&with_config, true)[0], "198.51.100.9".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn a_private_address_is_chosen_only_when_nothing_else_is_known() {
        let candidates = vec![candidate("10.0.0.5", SOURCE_CONFIG)];
        assert_eq!(choose(&candidates, false), vec!["10.0.0.5".parse::<IpAddr>().unwrap()]);
        assert!(agreement(&candidates, false));
        let findings = identity_findings(&candidates, &choose(&candidates, false), true, false, &[], None, None);
        assert_eq!(findings.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(), ["ip.private"]);
        // Documentation addresses stand in for public ones only in a lab.
        let doc = vec![candidate("203.0.113.5", SOURCE_CONFIG)];
        assert!(identity_findings(&doc, &choose(&doc, true), true, true, &[], None, None).is_empty());
        assert_eq!(identity_findings(&doc, &choose(&doc, false), true, false, &[], None, None)[0].id, "ip.private");
    }

    #[test]
    fn no_candidate_is_ip_unknown() {
        let findings = identity_findings(&[], &[], true, false, &[], None, None);
        assert_eq!(findings[0].id, "ip.unknown");
    }
}
