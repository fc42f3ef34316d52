//! `check`: every step headless, independent work at the same time, then the diagnosis. This
//! module sits above the engines: it calls `dns`, `smtp`, `auth`, `queue` and `logs`, and hands
//! their findings to the rules of `diagnosis`.
//!
//! Two chains run side by side — MX → SMTP probes of every MX address (and the logs, filtered
//! with the MX names) and identity → block lists — beside the queue. Wall time stays near the
//! longer chain, not the sum of all round trips.

mod timings;

use std::net::IpAddr;
use std::time::Instant;

use chrono::Utc;
use serde::Serialize;
use tokio::sync::oneshot;

pub use timings::Timings;
use timings::{millis, timed};

use crate::auth::{self, ReceiverReport, SenderReport};
use crate::config::Family;
use crate::context::Context;
use crate::diagnosis::{self, Cause, Facts, diagnose, rule};
use crate::dns::Resolver;
use crate::dns::dnsbl::{self, DnsblReport, Subject};
use crate::dns::identity::{self, IdentityReport, identify};
use crate::dns::mx::{self, MxAnalysis};
use crate::logs::summary::LogSummary;
use crate::logs::{self, DomainFilter, LogsRequest};
use crate::queue::{self, QueueReport, source::LoadRequest};
use crate::session::{AlsoFix, Finding, Identity, MxTarget, StepId, Target, conclusion};
use crate::smtp::connection::ConnectOutcome;
use crate::smtp::family;
use crate::smtp::pipeline::{self, Envelope};
use crate::smtp::probe::{self, ProbeRequest, ProbeResult};
use crate::smtp::vantage;

/// The envelope of the SMTP probes, and evidence from outside the steps.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    pub from: Option<String>,
    pub to: Option<String>,
    /// Findings the caller brings (a bounce's replies): weighed by the diagnosis with the
    /// steps' own, already journaled by the caller.
    pub evidence: Vec<Finding>,
}

impl CheckOptions {
    /// The probe's envelope: the EHLO name is left to the config or the local MTA.
    fn envelope(&self) -> Envelope {
        Envelope { ehlo: None, from: self.from.clone(), to: self.to.clone() }
    }
}

/// Everything a check found.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub target: Target,
    pub mx: MxAnalysis,
    pub smtp: Vec<ProbeResult>,
    /// The same probes through the second vantage point (`--via`), when one is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_via: Option<Vec<ProbeResult>>,
    pub identity: IdentityReport,
    pub blocklists: Option<DnsblReport>,
    /// The block lists asked about our IPv6 address, beside `blocklists` for the IPv4 one.
    pub blocklists_ipv6: Option<DnsblReport>,
    /// SPF, DMARC and DKIM of the envelope sender's domain, when a sender is known.
    pub auth: Option<SenderReport>,
    /// MTA-STS, TLS-RPT and DANE of the target.
    pub receiver_auth: ReceiverReport,
    /// The queue's groups for the target domain, when a queue could be read.
    #[serde(skip)]
    pub queue: Option<QueueReport>,
    pub logs: Option<LogSummary>,
    /// Parts that could not run, one sentence each.
    pub skipped: Vec<String>,
    /// The steps that did not run or could not look (by their titles).
    pub not_checked: Vec<String>,
    /// Our defects no cause cites: the receiver has not judged them yet.
    pub also_fix: Vec<AlsoFix>,
    /// Every finding, causes last.
    pub findings: Vec<Finding>,
    #[serde(skip)]
    pub causes: Vec<Cause>,
    pub timings: Timings,
}

/// Why a check could not run at all.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CheckError(pub String);

/// Diagnoses `findings`, settles them against the verdict, journals and adds the causes, and
/// journals what is left to fix and what was not checked.
fn conclude(
    ctx: &Context,
    target: &Target,
    (identity, mx): (&IdentityReport, &MxAnalysis),
    findings: &mut Vec<Finding>,
    not_checked: &[String],
) -> (Vec<Cause>, Vec<AlsoFix>) {
    let helo = identity.helo.as_ref().map(|h| h.helo.clone()).or_else(|| ctx.config.helo.clone());
    let facts = Facts {
        ip: identity.chosen.first().map(ToString::to_string),
        helo,
        domain: Some(target.domain.clone()),
        mail_name: identity.mail_name.clone(),
        receiver_families: receiver_families(&mx.targets()),
        ours: identity.chosen.clone(),
    };
    let causes = diagnose(&rule::bundled(), findings, &facts);
    diagnosis::soften_when_deliverable(findings, &causes, &target.domain);
    let also_fix = diagnosis::also_fix(rule::bundled_defects(), findings, &causes, &facts);
    for cause in &causes {
        let finding = cause.to_finding();
        ctx.journal.finding(&finding);
        findings.push(finding);
    }
    ctx.journal.record(conclusion::event(&also_fix, not_checked));
    (causes, also_fix)
}

/// The steps whose part of the check did not run or could not look, by their titles.
fn steps_not_checked(
    queue: Option<&QueueReport>,
    logs: Option<&LogSummary>,
    identity: &IdentityReport,
    blocklists: bool,
) -> Vec<String> {
    let mut out = Vec::new();
    for (step, missing) in [
        (StepId::Queue, queue.is_none()),
        (StepId::Logs, logs.is_none()),
        (StepId::Identity, identity.chosen.is_empty()),
        (StepId::Blocklists, !blocklists),
    ] {
        if missing {
            out.push(step.title().to_string());
        }
    }
    out
}

/// Our identity from the addresses the receivers echoed in EHLO, when any did, for the
/// receiver `mx` leads to, and how long finding it took.
async fn identify_from_echoes(
    ctx: &Context,
    resolver: &Resolver,
    known: &Identity,
    smtp: &[ProbeResult],
    mx: &MxAnalysis,
) -> Option<(IdentityReport, u64)> {
    let echoed: Vec<_> = smtp.iter().filter_map(|p| p.echoed_ip.map(|ip| (ip, p.connect.host.clone()))).collect();
    if echoed.is_empty() {
        return None;
    }
    let mut known = known.clone();
    for (ip, host) in echoed {
        known.add_candidate(ip, format!("ehlo:{host}"));
    }
    let (mut report, ms) = timed(identify(ctx, resolver, &known)).await;
    report.keep_families(&receiver_families(&mx.targets()));
    Some((report, ms))
}

/// The address families of the receiver's mail exchangers; empty when none was found.
fn receiver_families(targets: &[MxTarget]) -> Vec<Family> {
    diagnosis::receiver_families(targets.iter().flat_map(|m| m.addresses.iter().copied()))
}

/// Runs every step for `target` and diagnoses the result.
pub async fn run(ctx: &Context, target: &Target, options: &CheckOptions) -> Result<CheckReport, CheckError> {
    // Its state machine is large (every step's state at once): it lives on the heap.
    Box::pin(run_steps(ctx, target, options)).await
}

async fn run_steps(ctx: &Context, target: &Target, options: &CheckOptions) -> Result<CheckReport, CheckError> {
    let started = Instant::now();
    let resolver = Resolver::from_context(ctx).map_err(|err| CheckError(err.to_string()))?;
    let mut skipped = Vec::new();

    // The receiver's address families, for our side: our address of a family it lacks is not
    // judged for it.
    let (families_tx, families_rx) = oneshot::channel();
    let receiver_chain = about_them(ctx, &resolver, target, options, families_tx);
    let known = Identity {
        helo: ctx.config.helo.clone(),
        sender: options.from.clone().or_else(|| ctx.config.from.clone()),
        ..Identity::default()
    };
    let sender_chain = about_us_first(ctx, &resolver, &known, options, families_rx);
    let (receiver, sender) = tokio::join!(receiver_chain, sender_chain);
    let TheirSide { mx, mx_ms, smtp, smtp_ms, logs, logs_ms, receiver_auth, smtp_there, queue, queue_ms } = receiver;
    let (mut identity, mut identity_ms, lists, mut blocklists_ms, mut sender_auth) = sender;
    let (mut blocklists, mut blocklists_ipv6) = lists.unwrap_or_default();

    if identity.chosen.is_empty() {
        // With no address known in advance, what the receivers echoed in EHLO is the best we have.
        if let Some((again, ms)) = identify_from_echoes(ctx, &resolver, &known, &smtp, &mx).await {
            identity = again;
            identity_ms += ms;
        }
        ((blocklists, blocklists_ipv6), blocklists_ms, sender_auth) =
            about_us(ctx, &resolver, &identity, options, None).await;
    }

    skipped.extend(identity.not_judged_sentence(&target.domain));
    let queue = queue.map_err(|reason| skipped.push(reason)).ok();
    let (logs, log_findings) = logs.map_err(|reason| skipped.push(reason)).ok().flatten().unzip();
    let log_findings = log_findings.unwrap_or_default();
    skipped.extend(lists_skipped(&resolver, blocklists.is_some() || blocklists_ipv6.is_some()));

    let queue_findings: Vec<Finding> = queue.iter().flat_map(|q| q.findings.iter().cloned()).collect();
    let list_findings: Vec<Finding> =
        blocklists.iter().chain(&blocklists_ipv6).flat_map(dnsbl::dnsbl_findings).collect();
    let resolver_findings: Vec<Finding> = silent_resolver(ctx, &resolver).into_iter().collect();
    let auth_findings: Vec<Finding> =
        sender_auth.iter().flat_map(|a| a.findings.iter()).chain(&receiver_auth.findings).cloned().collect();
    // The engines journal their findings as they make them; those made here are journaled here.
    for finding in &resolver_findings {
        ctx.journal.finding(finding);
    }
    let mut findings: Vec<Finding> = options.evidence.iter().cloned().chain(resolver_findings).collect();
    findings.extend(queue_findings);
    findings.extend(mx.findings.iter().cloned());
    findings.extend(log_findings);
    findings.extend(smtp.iter().flat_map(|p| p.findings.iter().cloned()));
    if let Some(there) = &smtp_there {
        findings.extend(vantage::compare(ctx, &smtp, there));
    }
    findings.extend(family::compare_journaled(ctx, &smtp, &identity.chosen));
    findings.extend(identity.findings.iter().cloned());
    findings.extend(list_findings);
    findings.extend(auth_findings);

    let not_checked =
        steps_not_checked(queue.as_ref(), logs.as_ref(), &identity, blocklists.is_some() || blocklists_ipv6.is_some());
    let (causes, also_fix) = conclude(ctx, target, (&identity, &mx), &mut findings, &not_checked);

    let timings =
        Timings { mx_ms, smtp_ms, identity_ms, blocklists_ms, queue_ms, logs_ms, wall_ms: millis(started.elapsed()) };
    Ok(CheckReport {
        target: target.clone(),
        mx,
        smtp,
        smtp_via: smtp_there,
        identity,
        blocklists,
        blocklists_ipv6,
        auth: sender_auth,
        receiver_auth,
        queue,
        logs,
        skipped,
        not_checked,
        also_fix,
        findings,
        causes,
        timings,
    })
}

/// Why no block list was asked, when none was.
fn lists_skipped(resolver: &Resolver, asked: bool) -> Option<String> {
    if resolver.is_silent() {
        Some("Block lists and further lookups: our resolver answers nothing, so none was asked.".into())
    } else if asked {
        None
    } else {
        Some("Block lists: our public IP is not known, so no list was asked.".into())
    }
}

/// When every MX timed out, whether a known-good mail host answers tells our egress firewall from
/// the receiver's: its outcome joins the probes, so the firewall rule sees it.
async fn egress_check(ctx: &Context, probes: &[ProbeResult], request: &ProbeRequest) -> Option<ProbeResult> {
    let all_timed_out = !probes.is_empty() && probes.iter().all(|p| p.connect.outcome == ConnectOutcome::Timeout);
    let host = ctx.config.identity.known_good_host.as_deref().filter(|_| all_timed_out)?;
    let target = crate::smtp::target::parse_host_port(host, ctx.config.port).ok()?;
    let addr = *crate::smtp::target::addresses(ctx, &target).await.ok()?.first()?;
    let request = ProbeRequest { quit_after: Some(probe::Stage::Banner), ..request.clone() };
    Some(probe::probe(ctx, &target.host, addr, &request, None).await)
}

/// `dns.resolver_silent` when our resolver answered nothing at all.
fn silent_resolver(ctx: &Context, resolver: &Resolver) -> Option<Finding> {
    if !resolver.is_silent() {
        return None;
    }
    let servers: Vec<String> = resolver.servers().iter().map(ToString::to_string).collect();
    let limits = resolver.limits();
    let timeout = format!("{:.1} s ({} tries)", limits.timeout.as_secs_f64(), limits.attempts);
    let count = resolver.silent_queries().to_string();
    let source = if ctx.config.dns_servers.is_empty() { "the system's resolver" } else { "--dns-server" };
    Some(
        Finding::new(
            "dns.resolver_silent",
            &[("server", &servers.join(", ")), ("count", &count), ("timeout", &timeout)],
        )
        .with_detail(format!(
            "{} ({source}) gave no response at all, so MX, PTR and HELO lookups could not be made; \
                 further lookups were not sent.",
            servers.join(", ")
        )),
    )
}

/// The block lists' reports on our IPv4 and our IPv6 address.
type ListReports = (Option<DnsblReport>, Option<DnsblReport>);

/// What `check` learns about the receiver and our way to it.
struct TheirSide {
    mx: MxAnalysis,
    mx_ms: u64,
    smtp: Vec<ProbeResult>,
    smtp_ms: u64,
    smtp_there: Option<Vec<ProbeResult>>,
    logs: Result<Option<(LogSummary, Vec<Finding>)>, String>,
    logs_ms: u64,
    receiver_auth: ReceiverReport,
    queue: Result<QueueReport, String>,
    queue_ms: u64,
}

/// The receiver's side: its MX (the queue read beside it, for the probe to ask RCPT TO for a
/// real recipient waiting in it), the probes and our logs about it, and its TLS policies, of
/// which only the TLSA records wait for the probes' certificates.
/// The address families of its MX hosts are sent to `families` once they are known.
async fn about_them(
    ctx: &Context,
    resolver: &Resolver,
    target: &Target,
    options: &CheckOptions,
    families: oneshot::Sender<Vec<Family>>,
) -> TheirSide {
    let policies = auth::receiver_policies(ctx, resolver, &target.domain);
    let paths = async {
        let ((mx, mx_ms), (queue, queue_ms)) =
            tokio::join!(timed(mx::analyse(ctx, resolver, target, None)), timed(read_queue(ctx, target)));
        let targets = mx.targets();
        // Our side may have ended already, with no address to judge.
        let _ = families.send(receiver_families(&targets));
        let queued = queue.as_ref().ok().and_then(|q| queue::entry::oldest_recipient(&q.entries, &target.domain));
        let request = pipeline::request(ctx, Some(target), queued, options.envelope()).await;
        let probes = timed(pipeline::probe_both(ctx, &targets, ctx.config.port, &request));
        let logs = timed(read_logs(ctx, target, &mx));
        let (((mut smtp, smtp_there), mut smtp_ms), (logs, logs_ms)) = tokio::join!(probes, logs);
        if let Some(egress) = egress_check(ctx, &smtp, &request).await {
            smtp_ms += egress.connect.connect_ms.unwrap_or(0);
            smtp.push(egress);
        }
        (mx, mx_ms, smtp, smtp_ms, smtp_there, logs, logs_ms, queue, queue_ms)
    };
    let (policies, (mx, mx_ms, smtp, smtp_ms, smtp_there, logs, logs_ms, queue, queue_ms)) =
        tokio::join!(policies, paths);
    let mut hosts: Vec<String> = Vec::new();
    for exchange in mx.targets().into_iter().map(|t| t.exchange) {
        if !hosts.iter().any(|h| h.eq_ignore_ascii_case(&exchange)) {
            hosts.push(exchange);
        }
    }
    let receiver_auth =
        auth::check_receiver_with(ctx, resolver, policies, &hosts, &auth::peers_from_probes(&smtp)).await;
    TheirSide { mx, mx_ms, smtp, smtp_ms, smtp_there, logs, logs_ms, receiver_auth, queue, queue_ms }
}

/// Our side: the identity check, then the block lists and our mail's authentication. Those are
/// asked about an address given up front beside the identity check, which cannot choose another
/// for its family (see `identity::given_addresses`). Our addresses of a family the receiver's MX
/// hosts lack (`families`) are not judged: what was asked early about one of them is dropped,
/// never journaled.
async fn about_us_first(
    ctx: &Context,
    resolver: &Resolver,
    known: &Identity,
    options: &CheckOptions,
    families: oneshot::Receiver<Vec<Family>>,
) -> (IdentityReport, u64, Option<ListReports>, u64, Option<SenderReport>) {
    let given = identity::given_addresses(ctx, known);
    let given_helo = ctx.config.helo.clone().or_else(|| known.helo.clone());
    let early = async {
        if given.is_empty() { None } else { Some(ask_about_us(ctx, resolver, &given, given_helo, options).await) }
    };
    let ((mut identity, identity_ms), early) = tokio::join!(timed(identify(ctx, resolver, known)), early);
    if identity.chosen.is_empty() {
        // The receivers may echo our address in EHLO: what depends on it waits for the probes.
        return (identity, identity_ms, None, 0, None);
    }
    identity.keep_families(&families.await.unwrap_or_default());
    let (blocklists, blocklists_ms, sender_auth) = about_us(ctx, resolver, &identity, options, early).await;
    (identity, identity_ms, Some(blocklists), blocklists_ms, sender_auth)
}

/// What was asked about the addresses given up front, before the identity check ended and before
/// it was known which of them are judged: the block lists and our mail's authentication, both
/// journaled only once kept.
struct AskedEarly {
    ips: Vec<IpAddr>,
    helo: Option<String>,
    lists: ListReports,
    lists_ms: u64,
    sender: Option<SenderReport>,
}

impl AskedEarly {
    /// The block lists' reports on those of its addresses that are among `chosen`, the ones
    /// judged.
    fn lists_of(&mut self, chosen: &[IpAddr]) -> ListReports {
        let judged = |v4: bool| self.ips.iter().any(|ip| ip.is_ipv4() == v4 && chosen.contains(ip));
        let (v4, v6) = (judged(true), judged(false));
        (self.lists.0.take().filter(|_| v4), self.lists.1.take().filter(|_| v6))
    }
}

async fn ask_about_us(
    ctx: &Context,
    resolver: &Resolver,
    ips: &[IpAddr],
    helo: Option<String>,
    options: &CheckOptions,
) -> AskedEarly {
    let from = options.from.as_deref().or(ctx.config.from.as_deref());
    let ((lists, lists_ms), sender) = tokio::join!(
        timed(ask_blocklists(ctx, resolver, ips)),
        auth::check_envelope_unjournaled(ctx, resolver, from, ips, helo.clone())
    );
    AskedEarly { ips: ips.to_vec(), helo, lists, lists_ms, sender }
}

/// Journals the findings of the identity report kept, then asks the block lists and SPF, DMARC
/// and DKIM about the addresses it chose, one per family, and journals their findings. What
/// `early` asked about the same addresses and HELO name is kept, not asked again; what it asked
/// about an address not chosen (not judged) is dropped.
async fn about_us(
    ctx: &Context,
    resolver: &Resolver,
    identity: &IdentityReport,
    options: &CheckOptions,
    early: Option<AskedEarly>,
) -> (ListReports, u64, Option<SenderReport>) {
    for finding in &identity.findings {
        ctx.journal.finding(finding);
    }
    let helo = identity.helo.as_ref().map(|h| h.helo.clone()).or_else(|| ctx.config.helo.clone());
    let Some(mut early) = early else {
        let ((lists, lists_ms), sender) = tokio::join!(
            timed(ask_blocklists(ctx, resolver, &identity.chosen)),
            check_auth(ctx, resolver, &identity.chosen, helo, options)
        );
        keep_lists(ctx, &lists);
        return (lists, lists_ms, sender);
    };
    // The discovery may only have added the other family (see `identity::given_addresses`); the
    // receiver's families may have left a given address out.
    let added: Vec<IpAddr> = identity.chosen.iter().copied().filter(|ip| !early.ips.contains(ip)).collect();
    let same_sender = added.is_empty() && identity.chosen.len() == early.ips.len() && helo == early.helo;
    let sender_again = async {
        if same_sender { None } else { Some(check_auth(ctx, resolver, &identity.chosen, helo.clone(), options).await) }
    };
    let ((added_lists, added_ms), sender_again) =
        tokio::join!(timed(ask_blocklists(ctx, resolver, &added)), sender_again);
    let sender = if let Some(sender) = sender_again {
        sender
    } else {
        if let Some(report) = &early.sender {
            auth::keep(ctx, report);
        }
        early.sender.take()
    };
    let kept = early.lists_of(&identity.chosen);
    let lists = (kept.0.or(added_lists.0), kept.1.or(added_lists.1));
    keep_lists(ctx, &lists);
    (lists, early.lists_ms + added_ms, sender)
}

/// SPF, DMARC and DKIM of the envelope sender (`--from`, else config `from`) for our addresses.
async fn check_auth(
    ctx: &Context,
    resolver: &Resolver,
    ips: &[IpAddr],
    helo: Option<String>,
    options: &CheckOptions,
) -> Option<SenderReport> {
    let from = options.from.as_deref().or(ctx.config.from.as_deref());
    auth::check_envelope(ctx, resolver, from, ips, helo).await
}

/// Our IPv4 address and our IPv6 address of `ips` against the lists, at the same time; a list
/// that lists IPv4 addresses only is skipped for the IPv6 one (`dnsbl.not_ipv6`). Nothing is
/// journaled: [`keep_lists`] journals the reports kept.
async fn ask_blocklists(ctx: &Context, resolver: &Resolver, ips: &[IpAddr]) -> ListReports {
    if resolver.is_silent() {
        return (None, None);
    }
    let ask = |v4: bool| async move {
        let ip = *ips.iter().find(|ip| ip.is_ipv4() == v4)?;
        dnsbl::check_configured_unjournaled(ctx, resolver, &Subject::Ip(ip)).await.ok()
    };
    tokio::join!(ask(true), ask(false))
}

/// Journals the findings of the block lists' reports kept.
fn keep_lists(ctx: &Context, (v4, v6): &ListReports) {
    for report in v4.iter().chain(v6) {
        dnsbl::keep(ctx, report);
    }
}

/// The configured queue file, else the local MTA's queue; an `Err` says why none was read.
async fn read_queue(ctx: &Context, target: &Target) -> Result<QueueReport, String> {
    let now = Utc::now();
    let mut report = queue::read(ctx, &LoadRequest::default(), now, Some(&target.domain))
        .await
        .map_err(|err| format!("Queue: {err}"))?;
    report.entries.retain(|e| e.recipients().any(|r| r.domain().eq_ignore_ascii_case(&target.domain)));
    Ok(report)
}

/// The configured logs filtered to the target and its MX hosts, with their findings; `Ok(None)`
/// when none are set.
async fn read_logs(
    ctx: &Context,
    target: &Target,
    mx: &MxAnalysis,
) -> Result<Option<(LogSummary, Vec<Finding>)>, String> {
    if ctx.config.logs.paths.is_empty() {
        return Ok(None);
    }
    let mut filter = DomainFilter::new(&target.domain);
    filter.mx_hosts = mx.mx.iter().map(|h| h.exchange.to_ascii_lowercase()).collect();
    filter.mx_ips = mx.mx.iter().flat_map(|h| h.addresses.iter().map(ToString::to_string)).collect();
    let request = LogsRequest { paths: ctx.config.logs.paths.clone(), filter: Some(filter), ..LogsRequest::default() };
    let reader = ctx.clone();
    let analysis = tokio::task::spawn_blocking(move || logs::read(&reader, &request, &|| false, &mut |_| {}))
        .await
        .map_err(|err| format!("Logs: reading failed: {err}"))?
        .map_err(|err| format!("Logs: {err}"))?;
    let findings = analysis.findings();
    Ok(Some((analysis.summary, findings)))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use super::*;
    use crate::config::Config;
    use crate::demo::attach_world;
    use crate::demo::world::World;

    async fn check_demo(domain: &str, adjust: impl FnOnce(&mut Config)) -> (Context, CheckReport) {
        let config = Config { timeout: 2.0, ..Config::default() };
        let mut ctx = attach_world(Context::new(config), World::bundled()).await.expect("the world starts");
        adjust(Arc::make_mut(&mut ctx.config));
        let target = Target::parse(domain).unwrap();
        let report = run(&ctx, &target, &CheckOptions::default()).await.expect("the check runs");
        (ctx, report)
    }

    /// Each finding of the report is in the journal, and no finding is there twice.
    fn assert_journaled_once(ctx: &Context, report: &CheckReport) {
        let mut journaled: HashMap<(String, String), usize> = HashMap::new();
        for finding in ctx.journal.events().iter().filter_map(crate::session::Event::finding) {
            *journaled.entry((finding.id, finding.summary)).or_default() += 1;
        }
        for finding in &report.findings {
            let count = journaled.get(&(finding.id.clone(), finding.summary.clone())).copied().unwrap_or(0);
            assert_eq!(count, 1, "{} ({}) journaled {count} times", finding.id, finding.summary);
        }
        assert!(journaled.values().all(|&n| n == 1), "{journaled:#?}");
    }

    #[tokio::test]
    async fn the_demo_check_journals_every_finding_once() {
        let (ctx, report) = check_demo("bank.example", |_| {}).await;
        assert!(report.findings.len() > 10);
        assert_journaled_once(&ctx, &report);
    }

    #[tokio::test]
    async fn an_address_learnt_from_the_receiver_is_checked_once_and_journaled_once() {
        let (ctx, report) = check_demo("good.example", |config| {
            config.ip = None;
            config.identity.myip = Some(Vec::new());
        })
        .await;
        assert_eq!(report.identity.chosen, ["203.0.113.5".parse::<std::net::IpAddr>().unwrap()]);
        assert!(report.blocklists.is_some() && report.auth.is_some());
        assert_journaled_once(&ctx, &report);
        // The first identity check knew no address; its report was replaced, not journaled.
        assert!(ctx.journal.events().iter().filter_map(crate::session::Event::finding).all(|f| f.id != "ip.unknown"));
    }
}
