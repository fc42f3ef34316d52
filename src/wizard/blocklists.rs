//! Step 6: our address of each family against the DNS block lists, all asked at once under one
//! deadline; a list that lists IPv4 addresses only is said to be skipped for our IPv6 address.

use std::net::IpAddr;

use super::{Effect, Job, JobEvent, JobKind, Jobs, Row, Step, StepId, StepStatus, StepView, Tone};
use crate::config::Family;
use crate::context::Context;
use crate::dns::Resolver;
use crate::dns::dnsbl::{DnsblReport, Subject, ZoneStatus, check_configured, dnsbl_findings};
use crate::session::escape::escape_str;
use crate::session::{Finding, Session};

/// What the block-list job sends back: a report per address and their findings, or why it could
/// not run.
pub type BlocklistOutcome = Result<(Vec<DnsblReport>, Vec<Finding>), String>;

/// State of the Blocklists step.
#[derive(Debug, Default)]
pub struct BlocklistsStep {
    reports: Option<Vec<DnsblReport>>,
    error: Option<String>,
}

/// The job: the zone list (bundled or configured), the resolver, the check (which journals its
/// findings).
/// The demo world's lists are local, so its documentation addresses may be asked.
pub fn blocklist_job(ips: Vec<IpAddr>) -> Job {
    let shown: Vec<String> = ips.iter().map(ToString::to_string).collect();
    Job::new(StepId::Blocklists, format!("Block lists for {}", shown.join(" and ")), move |jc| async move {
        let ctx = &jc.ctx;
        let run = async {
            let resolver = Resolver::from_context(ctx).map_err(|e| e.to_string())?;
            let subjects: Vec<Subject> = ips.iter().map(|ip| Subject::Ip(*ip)).collect();
            let checks = subjects.iter().map(|subject| check_configured(ctx, &resolver, subject));
            let reports = futures::future::join_all(checks).await.into_iter().collect::<Result<Vec<_>, _>>()?;
            let findings = reports.iter().flat_map(dnsbl_findings).collect();
            Ok((reports, findings))
        };
        let outcome: BlocklistOutcome = tokio::select! {
            outcome = run => outcome,
            () = jc.cancel.cancelled() => Err("cancelled".to_string()),
        };
        jc.finish(outcome);
    })
}

/// Our address of each family the session knows: the identity step's choice first.
fn session_ips(session: &Session) -> Vec<IpAddr> {
    let known: Vec<IpAddr> =
        session.identity.ip.into_iter().chain(session.identity.ip_candidates.iter().map(|c| c.ip)).collect();
    [Family::V4, Family::V6].iter().filter_map(|family| known.iter().copied().find(|ip| family.contains(*ip))).collect()
}

/// The addresses to check, one per family: those the identity step settled on, else `--ip`;
/// of the families the target's MX hosts have, when the MX step found them (a receiver reached
/// over IPv4 only never sees our IPv6 address).
fn subject_ips(session: &Session, ctx: &Context) -> Vec<IpAddr> {
    let known = session_ips(session);
    let mut ips = if known.is_empty() { ctx.config.our_ips() } else { known };
    let receiver = crate::diagnosis::receiver_families(session.mx.iter().flat_map(|m| m.addresses.iter().copied()));
    if ips.iter().any(|ip| receiver.contains(&Family::of(*ip))) {
        ips.retain(|ip| receiver.contains(&Family::of(*ip)));
    }
    ips
}

impl Step for BlocklistsStep {
    fn id(&self) -> StepId {
        StepId::Blocklists
    }

    fn status(&self) -> StepStatus {
        let last = if self.error.is_some() { Some(false) } else { self.reports.as_ref().map(|_| true) };
        StepStatus::after(last)
    }

    fn view(&self, session: &Session, jobs: Jobs<'_>) -> StepView {
        let running = jobs.running(JobKind::Run);
        let subtitle = if running {
            "Asking every block list at once… (Esc cancels)".to_string()
        } else {
            let ips: Vec<String> = session_ips(session).iter().map(ToString::to_string).collect();
            if ips.is_empty() {
                "Enter: check our address against the block lists".to_string()
            } else {
                format!("Enter: check {} against the block lists", ips.join(" and "))
            }
        };
        let mut rows = Vec::new();
        if let Some(error) = &self.error {
            rows.push(Row::new(Tone::Fail, escape_str(error)));
        }
        match &self.reports {
            Some(reports) => {
                for (index, report) in reports.iter().enumerate() {
                    if index > 0 {
                        rows.push(Row::plain(""));
                    }
                    rows.extend(report_rows(report));
                }
            }
            None if !running => {
                rows.push(Row::plain("Receivers refuse mail from addresses on the block lists they use."));
                rows.push(Row::new(
                    Tone::Dim,
                    "Answers are decoded per list; 127.255.255.x means the list refused the query (public resolver, \
                     rate limit), never that we are listed.",
                ));
            }
            None => {}
        }
        StepView { subtitle, rows, ..StepView::default() }
    }

    fn run(&mut self, session: &mut Session, ctx: &Context, _jobs: Jobs<'_>) -> Vec<Effect> {
        let ips = subject_ips(session, ctx);
        if ips.is_empty() {
            self.error = Some("Our address is not known: run the Identity step, or give it with --ip.".into());
            return Vec::new();
        }
        self.error = None;
        vec![Effect::Spawn(blocklist_job(ips))]
    }

    fn on_event(&mut self, event: JobEvent, session: &mut Session, _jobs: Jobs<'_>) -> Vec<Effect> {
        if let Some(outcome) = event.take::<BlocklistOutcome>() {
            match outcome {
                Ok((reports, findings)) => {
                    let (own, other): (Vec<Finding>, Vec<Finding>) =
                        findings.into_iter().partition(|f| f.id.starts_with("dnsbl."));
                    session.replace_step_findings(StepId::Blocklists, own);
                    for finding in other {
                        if !session.findings.iter().any(|f| f.id == finding.id && f.summary == finding.summary) {
                            session.push_finding(finding);
                        }
                    }
                    self.reports = Some(reports);
                }
                Err(error) => self.error = Some(format!("The check could not run: {error}")),
            }
        }
        Vec::new()
    }

    fn cancelled(&mut self, _kinds: &[JobKind], _session: &mut Session) {
        self.error = Some("Cancelled.".into());
    }
}

/// The report as rows, one line per zone, worst first, with the meaning, TXT reason and
/// delisting page of each listing: step 6 shows them, `mailwiz blocklist` prints them.
pub fn report_rows(report: &DnsblReport) -> Vec<Row> {
    if let Some(why) = &report.not_queried {
        return vec![Row::new(Tone::Warn, format!("{} not checked: {why}.", report.subject))];
    }
    let asked = report.results.iter().filter(|r| !matches!(r.status, ZoneStatus::Skipped { .. })).count();
    let mut rows = vec![Row::new(
        Tone::Heading,
        format!(
            "{} against {asked} block list(s), all at once (deadline {:.1} s, took {:.2} s)",
            report.subject,
            report.deadline_ms as f64 / 1000.0,
            report.elapsed_ms as f64 / 1000.0
        ),
    )];
    let width = report.results.iter().map(|r| r.zone.len()).max().unwrap_or(0);
    let deadline = report.deadline_ms as f64 / 1000.0;
    let mut skipped: Vec<(String, Vec<String>)> = Vec::new();
    for result in report.worst_first() {
        let zone = |mark: &str| format!("  {mark} {:<width$}  ", result.zone);
        match &result.status {
            ZoneStatus::Clean => rows.push(Row::plain(zone("✓")).push(Tone::Ok, "not listed")),
            ZoneStatus::Listed { codes, txt } => {
                for code in codes {
                    rows.push(
                        Row::plain(zone("✗")).push(Tone::Fail, format!("listed {}: {}", code.code, code.meaning)),
                    );
                }
                for reason in txt {
                    rows.push(Row::new(Tone::Dim, format!("      reason: {reason}")));
                }
                if let Some(delist) = &result.delist {
                    rows.push(Row::new(Tone::Dim, format!("      delist: {delist}")));
                }
            }
            ZoneStatus::Refused { code, reason } => {
                rows.push(Row::plain(zone("⚠")).push(Tone::Warn, format!("query refused ({code}): {reason}")));
            }
            ZoneStatus::Timeout => {
                rows.push(Row::plain(zone("⚠")).push(Tone::Warn, format!("no answer within {deadline:.1} s")));
            }
            ZoneStatus::Skipped { reason } => match skipped.iter_mut().find(|(why, _)| why == reason) {
                Some((_, zones)) => zones.push(result.zone.clone()),
                None => skipped.push((reason.clone(), vec![result.zone.clone()])),
            },
        }
    }
    // One line per reason, the lists it holds back named once each.
    for (why, zones) in &skipped {
        let which = if zones.len() == 1 { why.clone() } else { format!("{}, each {why}", zones.len()) };
        rows.push(Row::new(Tone::Dim, format!("  Not asked ({which}): {}.", zones.join(", "))));
    }
    rows
}
