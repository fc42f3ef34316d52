//! Step 5: who we are to the receiver — our outbound address and where each candidate came
//! from, its PTR and forward confirmation, and the HELO name we announce; whether our mail
//! authenticates (SPF, DMARC, DKIM of the envelope domain) and the receiver's TLS policy
//! (MTA-STS, TLS-RPT, DANE).

use std::net::IpAddr;

use super::{Effect, Job, JobEvent, JobKind, Jobs, Row, Step, StepId, StepStatus, StepView, Tone};
use crate::auth::{self, ReceiverReport, SenderReport};
use crate::config::Family;
use crate::context::Context;
use crate::diagnosis;
use crate::dns::Resolver;
use crate::dns::identity::{IdentityReport, check_identity_for};
use crate::dns::ptr::{PtrReport, describe_addresses, describe_failure};
use crate::helo::check::HeloReport;
use crate::session::escape::escape_str;
use crate::session::{Finding, MxTarget, Session};
use crate::smtp::pipeline;

/// What the identity job sends back.
pub type IdentityOutcome = Result<IdentityReport, String>;

/// What the authentication part of the job sends back, after the identity outcome.
#[derive(Debug, Clone, Default)]
pub struct AuthOutcome {
    pub sender: Option<SenderReport>,
    pub receiver: Option<ReceiverReport>,
}

/// The families of findings this step owns.
const FAMILIES: [&str; 3] = ["ip.", "ptr.", "helo."];
/// The families of the authentication findings.
const AUTH_FAMILIES: [&str; 6] = ["spf.", "dmarc.", "dkim.", "mta_sts.", "tls_rpt.", "dane."];

/// State of the Identity step.
#[derive(Debug, Default)]
pub struct IdentityStep {
    report: Option<IdentityReport>,
    auth: Option<AuthOutcome>,
    error: Option<String>,
}

/// The job: resolver from the context, the whole identity check, then the authentication
/// checks for the address found (each journals its findings). Sends an [`IdentityOutcome`], then an
/// [`AuthOutcome`] as its last event.
pub fn identity_job(session: &Session) -> Job {
    let mut known = session.identity.clone();
    let receiver = session.target.as_ref().map(|t| t.domain.clone());
    let mx: Vec<String> = session.mx.iter().map(|m| m.exchange.clone()).collect();
    let exchangers = session.mx.clone();
    Job::new(
        StepId::Identity,
        "Identity: our address, its PTR, our HELO name and authentication",
        move |jc| async move {
            known.sender = known.sender.or_else(|| jc.ctx.config.from.clone());
            let resolver = match Resolver::from_context(&jc.ctx) {
                Ok(resolver) => resolver,
                Err(err) => return jc.finish(IdentityOutcome::Err(err.to_string())),
            };
            // Who we are to this receiver: our address of a family it has no address of is not judged.
            let judge = async {
                let families = match receiver.as_deref() {
                    Some(domain) => receiver_families(&jc.ctx, exchangers, domain).await,
                    None => Vec::new(),
                };
                check_identity_for(&jc.ctx, &resolver, &known, &families).await
            };
            let report = tokio::select! {
                report = judge => report,
                () = jc.cancel.cancelled() => return jc.finish(IdentityOutcome::Err("cancelled".to_string())),
            };
            let (ips, helo) = (report.chosen.clone(), report.helo.as_ref().map(|h| h.helo.clone()));
            jc.emit(IdentityOutcome::Ok(report));
            let ctx = &jc.ctx;
            let sender = auth::check_envelope(ctx, &resolver, ctx.config.from.as_deref(), &ips, helo.clone());
            let receiver = async {
                let domain = receiver.as_deref()?;
                let hosts = if mx.is_empty() { auth::mx_hosts(&resolver, domain).await } else { mx.clone() };
                let ehlo = helo.clone().unwrap_or_else(|| "localhost".into());
                Some(auth::check_receiver_probing(ctx, &resolver, domain, &hosts, &ehlo).await)
            };
            let outcome = tokio::select! {
                (sender, receiver) = async { tokio::join!(sender, receiver) } => AuthOutcome { sender, receiver },
                () = jc.cancel.cancelled() => AuthOutcome::default(),
            };
            jc.finish(outcome);
        },
    )
}

/// The address families of `domain`'s mail exchangers: those the MX step found, else looked up
/// as an MTA would; empty when none is known. Our addresses of other families are not judged: our
/// IPv6 identity says nothing to a receiver reached over IPv4 only.
async fn receiver_families(ctx: &Context, known: Vec<MxTarget>, domain: &str) -> Vec<Family> {
    let exchangers = pipeline::routes(ctx, known, domain, ctx.config.port).await;
    diagnosis::receiver_families(exchangers.iter().flat_map(|m| m.addresses.iter().copied()))
}

/// Puts the authentication findings into the session, replacing those of an earlier run.
pub fn apply_auth(outcome: &AuthOutcome, session: &mut Session) {
    let findings: Vec<Finding> = outcome
        .sender
        .iter()
        .flat_map(|s| s.findings.iter())
        .chain(outcome.receiver.iter().flat_map(|r| r.findings.iter()))
        .cloned()
        .collect();
    session.replace_findings(&AUTH_FAMILIES, findings);
}

/// Puts the report into the session: candidates, the address receivers see, the HELO name and
/// the findings (DNS failures met on the way are added without removing the MX step's).
pub fn apply_report(report: &IdentityReport, session: &mut Session) {
    for candidate in &report.candidates {
        session.identity.add_candidate(candidate.ip, candidate.source.clone());
    }
    if let Some(ip) = report.chosen.first() {
        session.identity.ip = Some(*ip);
    }
    if let Some(helo) = &report.helo {
        session.identity.helo.get_or_insert_with(|| helo.helo.clone());
    }
    let (own, dns): (Vec<Finding>, Vec<Finding>) =
        report.findings.iter().cloned().partition(|f| FAMILIES.iter().any(|family| f.id.starts_with(family)));
    session.replace_findings(&FAMILIES, own);
    for finding in dns {
        if !session.findings.iter().any(|f| f.id == finding.id && f.summary == finding.summary) {
            session.push_finding(finding);
        }
    }
}

impl Step for IdentityStep {
    fn id(&self) -> StepId {
        StepId::Identity
    }

    fn status(&self) -> StepStatus {
        let last = if self.error.is_some() { Some(false) } else { self.report.as_ref().map(|_| true) };
        StepStatus::after(last)
    }

    fn view(&self, session: &Session, jobs: Jobs<'_>) -> StepView {
        let running = jobs.running(JobKind::Run);
        let subtitle = if running {
            "Checking our address, its PTR, our HELO name and authentication… (Esc cancels)".to_string()
        } else {
            "Enter: check our address, its PTR, our HELO name and authentication".to_string()
        };
        let mut rows = Vec::new();
        if let Some(error) = &self.error {
            rows.push(Row::new(Tone::Fail, format!("The check could not run: {}", escape_str(error))));
        }
        match &self.report {
            Some(report) => {
                rows.extend(report_rows(report, session.target.as_ref().map(|t| t.domain.as_str())));
                rows.extend(auth_rows(self.auth.as_ref(), running));
                rows.push(Row::plain(""));
                rows.push(Row::new(Tone::Dim, "The findings panel holds what this means and what to do (] selects)."));
            }
            None if !running => rows.extend(intro_rows(session)),
            None => {}
        }
        StepView { subtitle, rows, ..StepView::default() }
    }

    fn run(&mut self, session: &mut Session, _ctx: &Context, _jobs: Jobs<'_>) -> Vec<Effect> {
        self.error = None;
        vec![Effect::Spawn(identity_job(session))]
    }

    fn on_event(&mut self, event: JobEvent, session: &mut Session, _jobs: Jobs<'_>) -> Vec<Effect> {
        if event.is::<AuthOutcome>() {
            if let Some(outcome) = event.take::<AuthOutcome>() {
                apply_auth(&outcome, session);
                self.auth = Some(outcome);
            }
        } else if let Some(outcome) = event.take::<IdentityOutcome>() {
            match outcome {
                Ok(report) => {
                    apply_report(&report, session);
                    self.report = Some(report);
                    self.auth = None;
                }
                Err(error) => self.error = Some(error),
            }
        }
        Vec::new()
    }

    fn cancelled(&mut self, _kinds: &[JobKind], _session: &mut Session) {
        self.error = Some("cancelled".into());
    }
}

/// The authentication part: one heading, then the engines' own lines (detail lines dimmed).
fn auth_rows(outcome: Option<&AuthOutcome>, running: bool) -> Vec<Row> {
    let mut rows = vec![Row::plain(""), Row::new(Tone::Heading, "Does our mail authenticate? Their TLS policy")];
    let Some(outcome) = outcome else {
        let note = if running { "  checking SPF, DMARC, DKIM, MTA-STS and DANE…" } else { "  not checked" };
        rows.push(Row::new(Tone::Dim, note));
        return rows;
    };
    let lines: Vec<String> = match &outcome.sender {
        Some(sender) => sender.describe(),
        None => vec!["SPF, DMARC and DKIM not checked: no envelope sender known (give --from or config from)".into()],
    };
    let receiver = outcome.receiver.iter().flat_map(ReceiverReport::describe);
    for line in lines.into_iter().chain(receiver) {
        rows.push(if line.starts_with(' ') {
            Row::new(Tone::Dim, format!("  {line}"))
        } else {
            Row::plain(format!("  {line}"))
        });
    }
    rows
}

fn intro_rows(session: &Session) -> Vec<Row> {
    let mut rows = vec![
        Row::plain("Receivers look at the address we connect from and the name we announce:"),
        Row::new(Tone::Dim, "  · does the address have a PTR, and does that name resolve back to it?"),
        Row::new(Tone::Dim, "  · does the PTR look like a mail server, not a dynamic end-user line?"),
        Row::new(Tone::Dim, "  · is the HELO name a real host name matching the PTR and resolving to us?"),
        Row::new(Tone::Dim, "  · does our mail pass SPF, with a DMARC record and published DKIM keys?"),
        Row::new(Tone::Dim, "  · what TLS does the receiver demand (MTA-STS, DANE)?"),
    ];
    if session.identity.ip_candidates.is_empty() {
        rows.push(Row::plain(""));
        rows.push(Row::plain(
            "No address known yet: give --ip, or run the SMTP step first (receivers echo our address in EHLO).",
        ));
    }
    rows
}

fn report_rows(report: &IdentityReport, domain: Option<&str>) -> Vec<Row> {
    let mut rows = vec![Row::new(Tone::Heading, "Our address")];
    if report.candidates.is_empty() {
        rows.push(Row::new(Tone::Warn, "  unknown — give it with --ip"));
    }
    let mut addresses: Vec<IpAddr> = Vec::new();
    for candidate in &report.candidates {
        if !addresses.contains(&candidate.ip) {
            addresses.push(candidate.ip);
        }
    }
    for ip in &addresses {
        let sources: Vec<String> =
            report.candidates.iter().filter(|c| c.ip == *ip).map(|c| escape_str(&c.source)).collect();
        let row = Row::plain(format!("  {ip}"));
        rows.push(if report.chosen.contains(ip) { row.push(Tone::Ok, "  ✓ checked") } else { row });
        rows.push(Row::new(Tone::Dim, format!("    from {}", sources.join(" · "))));
    }
    if !report.agree {
        rows.push(Row::new(Tone::Warn, "  The sources disagree: mail may leave through another address."));
    } else if report.candidates.len() > 1 {
        rows.push(Row::new(Tone::Ok, format!("  All {} sources agree.", report.candidates.len())));
    }
    if let Some(sentence) = report.not_judged_sentence(domain.unwrap_or("the receiver")) {
        rows.push(Row::wrapped(Tone::Dim, format!("  {sentence}"), 4));
    }
    for ptr in &report.ptr {
        rows.push(Row::plain(""));
        rows.extend(ptr_rows(ptr));
    }
    rows.push(Row::plain(""));
    rows.extend(helo_rows(report.helo.as_ref()));
    rows
}

/// The reverse DNS of one address as rows: each PTR name and whether it resolves back, or why
/// that is not known. Step 5 shows them; `mailwiz ptr` prints them.
pub fn ptr_rows(ptr: &PtrReport) -> Vec<Row> {
    let mut rows = vec![Row::new(Tone::Heading, format!("Reverse DNS of {}", ptr.ip))];
    if !ptr.answered() {
        let why = describe_failure(&ptr.reply.outcome, ptr.reply.elapsed);
        rows.push(Row::new(Tone::Warn, format!("  not known: {why}")));
    } else if ptr.names.is_empty() {
        rows.push(Row::new(Tone::Fail, format!("  no PTR ({})", ptr.reply.outcome.label())));
    }
    for name in &ptr.names {
        let unanswered = name.forward.iter().any(|r| !r.outcome.is_definitive());
        let (tone, verdict) = match (name.confirmed, unanswered) {
            (true, _) => (Tone::Ok, "forward-confirmed"),
            (false, true) => (Tone::Warn, "not known whether it resolves back"),
            (false, false) => (Tone::Fail, "does not resolve back"),
        };
        rows.push(
            Row::plain(format!(
                "  {} → {}  ",
                escape_str(&name.name),
                describe_addresses(&name.addresses, &name.forward)
            ))
            .push(tone, verdict.to_string()),
        );
        if let Some(reason) = &name.generic {
            rows.push(Row::new(Tone::Warn, format!("    looks generic: {reason}")));
        }
    }
    rows
}

/// The HELO name as rows: where it resolves and where it came from.
pub fn helo_rows(helo: Option<&HeloReport>) -> Vec<Row> {
    match helo {
        Some(helo) => vec![
            Row::new(Tone::Heading, "HELO name"),
            Row::plain(format!(
                "  {} → {}",
                escape_str(&helo.helo),
                describe_addresses(&helo.addresses, &helo.forward)
            )),
            Row::new(Tone::Dim, format!("    from {}", escape_str(&helo.source))),
        ],
        None => vec![Row::new(Tone::Warn, "HELO name unknown: give it with --helo")],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_halves_are_the_identity_steps_families() {
        let mut halves: Vec<&str> = FAMILIES.iter().chain(&AUTH_FAMILIES).map(|f| f.trim_end_matches('.')).collect();
        let mut listed = StepId::Identity.info().families.to_vec();
        halves.sort_unstable();
        listed.sort_unstable();
        assert_eq!(halves, listed);
    }
}
