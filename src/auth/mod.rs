//! Does our mail authenticate, and what TLS does the receiver demand? SPF of our envelope domain
//! for our address, DMARC of the From domain, DKIM keys of our selectors; MTA-STS, TLS-RPT and
//! DANE of the receiving domain. Every lookup goes through [`Resolver`], so it is journaled and
//! follows `--dns-server`; a lookup that could not be made is reported as unknown, never as a
//! failure of the thing checked.

pub mod dane;
pub mod dkim;
pub mod dmarc;
pub mod https;
pub mod mta_sts;
pub mod signer_config;
pub mod spf;
pub mod spf_macro;
pub mod spf_record;
pub mod tags;
pub mod tls_rpt;

use std::net::IpAddr;

use serde::Serialize;

use crate::context::Context;
use crate::dns::Resolver;
use crate::session::Finding;
use crate::session::escape::escape_str;
use crate::smtp::probe::{self, ProbeRequest, Stage};
use crate::smtp::tls_policy::our_tls_policy;

pub use dkim::Selector;

/// Findings that make our mail fail authentication at a receiver that checks.
pub const AUTH_PROBLEMS: &[&str] = &[
    "spf.fail",
    "spf.softfail",
    "spf.permerror",
    "spf.none",
    "dmarc.none",
    "dmarc.invalid",
    "dkim.key_missing",
    "dkim.key_revoked",
    "dkim.key_invalid",
];

/// What to check about our own mail.
#[derive(Debug, Clone, Default)]
pub struct SenderRequest {
    /// The envelope domain (SPF).
    pub domain: String,
    /// The envelope sender address, for SPF macros.
    pub sender: Option<String>,
    /// The From header domain when it differs from the envelope domain (DMARC, DKIM).
    pub header_from: Option<String>,
    /// Our public address (the IPv4 one on a dual-stack host); without it SPF is not evaluated.
    pub ip: Option<IpAddr>,
    /// Our IPv6 address beside the IPv4 one in `ip`: SPF of MAIL FROM is judged for it too.
    pub ip6: Option<IpAddr>,
    pub helo: Option<String>,
    pub selectors: Vec<Selector>,
}

/// SPF, DMARC and DKIM of our domain.
#[derive(Debug, Clone, Serialize)]
pub struct SenderReport {
    pub domain: String,
    pub from_domain: String,
    pub spf: Option<spf::SpfReport>,
    /// SPF of MAIL FROM for our IPv6 address, on a dual-stack host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spf_ipv6: Option<spf::SpfReport>,
    /// SPF of the HELO name, when it is known.
    pub helo_spf: Option<spf::SpfReport>,
    pub dmarc: dmarc::DmarcReport,
    pub dkim: Vec<dkim::KeyReport>,
    #[serde(skip)]
    pub findings: Vec<Finding>,
}

/// [`check_sender`] with its findings journaled: what `mailwiz auth` asks.
pub async fn check_our_mail(ctx: &Context, resolver: &Resolver, request: &SenderRequest) -> SenderReport {
    // Boxed: the SPF walks, DMARC and DKIM side by side would make every caller's future large.
    let report = Box::pin(check_sender(resolver, request)).await;
    journal(ctx, &report.findings);
    report
}

fn journal(ctx: &Context, findings: &[Finding]) {
    for finding in findings {
        ctx.journal.finding(finding);
    }
}

/// Checks SPF, DMARC and DKIM for `request`; the lookups run at the same time.
pub async fn check_sender(resolver: &Resolver, request: &SenderRequest) -> SenderReport {
    let domain = request.domain.trim_end_matches('.').to_ascii_lowercase();
    let from_domain =
        request.header_from.as_deref().map_or_else(|| domain.clone(), |d| d.trim_end_matches('.').to_ascii_lowercase());
    // The domain in its ASCII form (an IDN typed by the user is looked up as A-labels).
    let local = request.sender.as_deref().and_then(|s| s.rsplit_once('@')).map_or("", |(local, _)| local);
    let sender = format!("{local}@{domain}");
    let spf_for = |ip: Option<IpAddr>| {
        let sender = sender.clone();
        async move {
            let ip = ip?;
            Some(spf::evaluate(resolver, &spf::SpfRequest::mail_from(&sender, request.helo.as_deref(), ip)).await)
        }
    };
    let spf = spf_for(request.ip);
    let spf_ipv6 = spf_for(request.ip6.filter(|ip6| request.ip.is_some_and(|ip| ip != *ip6)));
    // Receivers check the HELO name too (RFC 7208 §2.3), whatever MAIL FROM says.
    let helo_spf = async {
        let (ip, helo) = (request.ip?, request.helo.as_deref().map(str::trim).filter(|h| !h.is_empty())?);
        Some(spf::evaluate(resolver, &spf::SpfRequest::helo(helo, ip)).await)
    };
    let keys = futures::future::join_all(request.selectors.iter().map(|s| dkim::check_key(resolver, &from_domain, s)));
    let (spf, spf_ipv6, helo_spf, mut dmarc, dkim) =
        tokio::join!(spf, spf_ipv6, helo_spf, dmarc::check(resolver, &from_domain), keys);
    if let Some(spf) = &spf {
        dmarc::judge_alignment(&mut dmarc, &domain, spf.result);
    }
    let mut findings: Vec<Finding> = spf.iter().chain(&spf_ipv6).map(spf::spf_finding).collect();
    // A HELO name without SPF is the common case and no defect: only its other results are
    // findings (RFC 7208 §2.3); `helo_spf` shows it whatever it is.
    findings.extend(helo_spf.iter().filter(|r| r.result != spf::SpfResult::None).map(spf::spf_finding));
    findings.extend(dmarc::dmarc_findings(&dmarc));
    findings.extend(dkim::dkim_findings(&from_domain, &dkim));
    for finding in findings.iter_mut().filter(|f| AUTH_PROBLEMS.contains(&f.id.as_str())) {
        // The diagnosis names the problem and its fix; `domain` there is the receiver's.
        let (problem, fix) = (finding.summary.clone(), finding.fix.clone());
        finding.args.extend([("auth_problem".to_string(), problem), ("auth_fix".to_string(), fix)]);
    }
    SenderReport { domain, from_domain, spf, spf_ipv6, helo_spf, dmarc, dkim, findings }
}

/// The selectors to check: `extra` (from `--selector`), then config `[auth] selectors`, then
/// those the local signer's configuration names (`[auth] signer_configs`; the demo world sets
/// none, so it never reads the machine's files).
pub fn selectors(ctx: &Context, domain: &str, extra: &[String]) -> Vec<Selector> {
    let given = extra.iter().map(|s| (s, "--selector")).chain(ctx.config.auth.selectors.iter().map(|s| (s, "config")));
    let mut found: Vec<Selector> = Vec::new();
    for (name, source) in given {
        let name = name.trim().to_string();
        if signer_config::valid_selector(&name) && !found.iter().any(|s| s.name == name) {
            found.push(Selector { name, source: source.into() });
        }
    }
    let paths = ctx.config.auth.signer_configs.clone().unwrap_or_else(signer_config::default_paths);
    for selector in signer_config::selectors(&paths, domain) {
        if !found.iter().any(|s| s.name == selector.name) {
            found.push(selector);
        }
    }
    found
}

/// One MX host of the receiver and the certificates it presented (empty when none was seen).
#[derive(Debug, Clone, Default)]
pub struct PeerCertificates {
    pub host: String,
    pub chain: Vec<Vec<u8>>,
}

/// MTA-STS, TLS-RPT and DANE of the receiving domain.
#[derive(Debug, Clone, Serialize)]
pub struct ReceiverReport {
    pub domain: String,
    pub mta_sts: mta_sts::MtaStsReport,
    pub tls_rpt: tls_rpt::TlsRptReport,
    pub dane: Vec<dane::DaneReport>,
    #[serde(skip)]
    pub findings: Vec<Finding>,
}

/// Checks the receiving `domain` whose MX hosts presented `peers`; its findings journaled.
pub async fn check_receiver(
    ctx: &Context,
    resolver: &Resolver,
    domain: &str,
    peers: &[PeerCertificates],
) -> ReceiverReport {
    let hosts: Vec<String> = peers.iter().map(|p| p.host.clone()).collect();
    let policies = receiver_policies(ctx, resolver, domain).await;
    check_receiver_with(ctx, resolver, policies, &hosts, peers).await
}

/// What the receiving domain publishes that needs neither its MX hosts nor a probe: its MTA-STS
/// record and policy and its TLS-RPT; with our own TLS policy, to judge its DANE records by.
pub struct ReceiverPolicies {
    mta_sts: mta_sts::MtaStsReport,
    tls_rpt: tls_rpt::TlsRptReport,
    ours: crate::smtp::tls_policy::TlsPolicy,
}

/// Asks for [`ReceiverPolicies`]: `check` asks it beside the MX lookup and the probes.
pub async fn receiver_policies(ctx: &Context, resolver: &Resolver, domain: &str) -> ReceiverPolicies {
    let deadline = ctx.config.timeout();
    let ca_file = ctx.config.auth.ca_file.as_deref();
    let (mta_sts, tls_rpt, ours) = tokio::join!(
        mta_sts::fetch(ctx, resolver, domain, ca_file, deadline),
        tls_rpt::check(resolver, domain),
        our_tls_policy(ctx)
    );
    ReceiverPolicies { mta_sts, tls_rpt, ours }
}

/// The receiver check from its `policies`, judged for its MX `hosts`, and the certificates its
/// MX hosts presented (`peers`), whose DANE records are asked now; its findings journaled.
pub async fn check_receiver_with(
    ctx: &Context,
    resolver: &Resolver,
    policies: ReceiverPolicies,
    hosts: &[String],
    peers: &[PeerCertificates],
) -> ReceiverReport {
    let report = receiver_report(ctx, resolver, policies, hosts, peers).await;
    journal(ctx, &report.findings);
    report
}

async fn receiver_report(
    ctx: &Context,
    resolver: &Resolver,
    policies: ReceiverPolicies,
    hosts: &[String],
    peers: &[PeerCertificates],
) -> ReceiverReport {
    let ReceiverPolicies { mta_sts, tls_rpt, ours } = policies;
    let mta_sts = mta_sts::for_mx(mta_sts, hosts);
    let dane =
        futures::future::join_all(peers.iter().map(|p| dane::check(resolver, &p.host, ctx.config.port, &p.chain)))
            .await;
    let mut findings = mta_sts::mta_sts_findings(&mta_sts);
    findings.push(tls_rpt::tls_rpt_finding(&tls_rpt));
    findings.extend(dane.iter().map(|d| dane::dane_finding(d, &ours)));
    ReceiverReport { domain: mta_sts.domain.clone(), mta_sts, tls_rpt, dane, findings }
}

/// The MX hosts of `domain`, most preferred first; the domain itself when it has none.
pub async fn mx_hosts(resolver: &Resolver, domain: &str) -> Vec<String> {
    let mut mx: Vec<(u16, String)> = resolver.lookup_mx(domain).await.map(|r| r.mx_records()).unwrap_or_default();
    mx.retain(|(_, host)| host != ".");
    mx.sort();
    if mx.is_empty() {
        return vec![domain.to_string()];
    }
    mx.into_iter().map(|(_, host)| host).collect()
}

/// `hosts` with the certificate each presented to a probe that stops after STARTTLS.
pub async fn probe_certificates(
    ctx: &Context,
    resolver: &Resolver,
    hosts: &[String],
    ehlo: &str,
) -> Vec<PeerCertificates> {
    let request = ProbeRequest {
        ehlo: ehlo.to_string(),
        from: String::new(),
        to: None,
        starttls: true,
        quit_after: Some(Stage::Starttls),
        implicit_tls: false,
    };
    let probes = hosts.iter().map(|host| {
        let request = request.clone();
        async move {
            let ip = match resolver.lookup_ip(host).await {
                Ok((v4, v6)) => v4.addresses().into_iter().chain(v6.addresses()).next(),
                Err(_) => None,
            };
            let chain = match ip {
                Some(ip) => {
                    let addr = std::net::SocketAddr::new(ip, ctx.config.port);
                    probe::probe(ctx, host, addr, &request, None).await.tls.map(|t| t.chain).unwrap_or_default()
                }
                None => Vec::new(),
            };
            PeerCertificates { host: host.clone(), chain }
        }
    });
    futures::future::join_all(probes).await
}

/// The receiver check where no probe has run yet: MTA-STS, TLS-RPT and TLSA of `hosts`, and
/// only when some host publishes TLSA, a STARTTLS probe of the hosts to compare it with; its
/// findings journaled.
pub async fn check_receiver_probing(
    ctx: &Context,
    resolver: &Resolver,
    domain: &str,
    hosts: &[String],
    ehlo: &str,
) -> ReceiverReport {
    let bare: Vec<PeerCertificates> =
        hosts.iter().map(|host| PeerCertificates { host: host.clone(), chain: Vec::new() }).collect();
    let policies = receiver_policies(ctx, resolver, domain).await;
    let mut report = receiver_report(ctx, resolver, policies, hosts, &bare).await;
    if report.dane.iter().any(|d| d.status == dane::DaneStatus::Unchecked) {
        let peers = probe_certificates(ctx, resolver, hosts, ehlo).await;
        let port = ctx.config.port;
        report.dane =
            futures::future::join_all(peers.iter().map(|p| dane::check(resolver, &p.host, port, &p.chain))).await;
        report.findings.retain(|f| f.family() != "dane");
        let ours = our_tls_policy(ctx).await;
        report.findings.extend(report.dane.iter().map(|d| dane::dane_finding(d, &ours)));
    }
    journal(ctx, &report.findings);
    report
}

impl SenderReport {
    /// Readable lines: the SPF result and its path, the DMARC policy, each DKIM key.
    pub fn describe(&self) -> Vec<String> {
        let mut lines = Vec::new();
        match &self.spf {
            Some(spf) => lines.extend(spf::describe(spf)),
            None => lines.push("SPF not evaluated: our public IP is not known (give --ip)".into()),
        }
        lines.extend(self.helo_spf.iter().flat_map(spf::describe));
        let dmarc = &self.dmarc;
        match dmarc.status {
            dmarc::DmarcStatus::Ok => lines.push(format!(
                "DMARC of {} at {}: p={} sp={} pct={} adkim={} aspf={}",
                escape_str(&dmarc.domain),
                escape_str(dmarc.record_at.as_deref().unwrap_or_default()),
                dmarc.p.as_deref().unwrap_or_default(),
                dmarc.sp.as_deref().unwrap_or_default(),
                dmarc.pct.unwrap_or(100),
                dmarc.adkim.as_deref().unwrap_or_default(),
                dmarc.aspf.as_deref().unwrap_or_default(),
            )),
            _ => lines.push(format!("DMARC of {}: {}", escape_str(&dmarc.domain), escape_str(&dmarc.reason))),
        }
        for (tag, addresses) in [("rua", &dmarc.rua), ("ruf", &dmarc.ruf)] {
            if !addresses.is_empty() {
                lines.push(format!("  {tag} (reports): {}", escape_str(&addresses.join(", "))));
            }
        }
        if let Some(a) = &dmarc.spf_alignment {
            let verdict = match (a.aligned, a.spf_passes) {
                (true, true) => "aligned and passing",
                (true, false) => "aligned, but SPF does not pass",
                (false, _) => "not aligned",
            };
            lines.push(format!("  SPF alignment of {}: {verdict}", escape_str(&a.envelope_domain)));
        }
        if self.dkim.is_empty() {
            lines.push("DKIM: no selector known (give --selector)".into());
        }
        for key in &self.dkim {
            let state = match &key.status {
                dkim::KeyStatus::Ok { key_type, bits, testing } => {
                    format!("{key_type} {bits} bits{}", if *testing { ", testing (t=y)" } else { "" })
                }
                dkim::KeyStatus::Missing { outcome } => format!("missing ({outcome})"),
                dkim::KeyStatus::Revoked => "revoked (empty p=)".into(),
                dkim::KeyStatus::Invalid { reason } => format!("invalid: {}", escape_str(reason)),
                dkim::KeyStatus::Unknown { reason } => format!("unknown: {}", escape_str(reason)),
            };
            lines.push(format!(
                "DKIM {}: {state}  (selector from {})",
                escape_str(&key.name),
                escape_str(&key.selector.source)
            ));
        }
        lines
    }
}

impl ReceiverReport {
    /// Readable lines: MTA-STS mode and patterns, TLS-RPT, TLSA per MX host.
    pub fn describe(&self) -> Vec<String> {
        let domain = escape_str(&self.domain);
        let mut lines = vec![match &self.mta_sts.status {
            mta_sts::MtaStsStatus::None => format!("MTA-STS of {domain}: none"),
            mta_sts::MtaStsStatus::Policy { id, policy, unmatched } => format!(
                "MTA-STS of {domain}: mode {}, max_age {} s, mx {} (id {}){}",
                policy.mode.as_str(),
                policy.max_age,
                escape_str(&policy.mx.join(", ")),
                escape_str(id),
                if unmatched.is_empty() {
                    String::new()
                } else {
                    format!("; not covered: {}", escape_str(&unmatched.join(", ")))
                }
            ),
            mta_sts::MtaStsStatus::Unknown { reason }
            | mta_sts::MtaStsStatus::InvalidRecord { reason }
            | mta_sts::MtaStsStatus::FetchFailed { reason }
            | mta_sts::MtaStsStatus::InvalidPolicy { reason } => format!("MTA-STS of {domain}: {}", escape_str(reason)),
        }];
        lines.push(match &self.tls_rpt.status {
            tls_rpt::TlsRptStatus::Ok { rua } => {
                format!("TLS-RPT of {domain}: reports to {}", escape_str(&rua.join(", ")))
            }
            tls_rpt::TlsRptStatus::None => format!("TLS-RPT of {domain}: none"),
            tls_rpt::TlsRptStatus::Invalid { reason } | tls_rpt::TlsRptStatus::Unknown { reason } => {
                format!("TLS-RPT of {domain}: {}", escape_str(reason))
            }
        });
        for dane in &self.dane {
            let state = match &dane.status {
                dane::DaneStatus::None => "no TLSA".to_string(),
                dane::DaneStatus::Unknown { reason } => escape_str(reason),
                dane::DaneStatus::Unchecked => "TLSA published; no certificate seen".into(),
                dane::DaneStatus::Match { record } => {
                    format!("TLSA {} {} {} matches the certificate", record.usage, record.selector, record.matching)
                }
                dane::DaneStatus::Mismatch => "no TLSA record matches the certificate".into(),
            };
            lines.push(format!("DANE {}: {state}", escape_str(&dane.name)));
            if dane.dnssec != dane::Dnssec::NotAsked {
                lines.push(format!("  DNSSEC: {}", dane.dnssec.describe()));
            }
        }

        lines
    }
}

/// SPF, DMARC and DKIM of the envelope domain of `from` (an address or a domain) for our
/// addresses `ips` (SPF for each family);
/// `None` when no sender is known. What `check --from` judges; its findings journaled.
pub async fn check_envelope(
    ctx: &Context,
    resolver: &Resolver,
    from: Option<&str>,
    ips: &[IpAddr],
    helo: Option<String>,
) -> Option<SenderReport> {
    let report = check_envelope_unjournaled(ctx, resolver, from, ips, helo).await?;
    journal(ctx, &report.findings);
    Some(report)
}

/// [`check_envelope`] without journaling its findings, for a caller that asks before it knows
/// whether it keeps the answer; [`keep`] journals the one kept.
pub async fn check_envelope_unjournaled(
    ctx: &Context,
    resolver: &Resolver,
    from: Option<&str>,
    ips: &[IpAddr],
    helo: Option<String>,
) -> Option<SenderReport> {
    let from = from.map(str::trim).filter(|f| !f.is_empty())?;
    let target = crate::session::Target::parse(from).ok()?;
    let selectors = selectors(ctx, &target.domain, &[]);
    let ip = ips.iter().copied().find(IpAddr::is_ipv4).or_else(|| ips.first().copied());
    let ip6 = ips.iter().copied().find(|other| other.is_ipv6() && Some(*other) != ip);
    let request =
        SenderRequest { domain: target.domain, sender: target.address, header_from: None, ip, ip6, helo, selectors };
    // Boxed: the SPF walks, DMARC and DKIM side by side would make every caller's future large.
    Some(Box::pin(check_sender(resolver, &request)).await)
}

/// Journals the findings of a report of [`check_envelope_unjournaled`] that is kept.
pub fn keep(ctx: &Context, report: &SenderReport) {
    journal(ctx, &report.findings);
}

/// The certificates each MX host presented to the probes, one entry per host.
pub fn peers_from_probes(probes: &[probe::ProbeResult]) -> Vec<PeerCertificates> {
    let mut peers: Vec<PeerCertificates> = Vec::new();
    for result in probes {
        let chain = result.tls.as_ref().map(|t| t.chain.clone()).unwrap_or_default();
        match peers.iter_mut().find(|p| p.host.eq_ignore_ascii_case(&result.connect.host)) {
            Some(peer) if peer.chain.is_empty() => peer.chain = chain,
            Some(_) => {}
            None => peers.push(PeerCertificates { host: result.connect.host.clone(), chain }),
        }
    }
    peers
}
