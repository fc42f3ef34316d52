//! Step 5: who we are to the receiver — our outbound address and where each candidate came
//! from, its PTR and forward confirmation, and the HELO name we announce.

use std::net::IpAddr;

use super::{Effect, Job, JobEvent, JobId, Row, Step, StepId, StepStatus, StepView, Tone};
use crate::context::Context;
use crate::dns::Resolver;
use crate::dns::identity::{IdentityReport, check_identity};
use crate::dns::ptr::describe_addresses;
use crate::session::escape::escape_str;
use crate::session::{Finding, Session};

/// What the identity job sends back.
pub type IdentityOutcome = Result<IdentityReport, String>;

/// The families of findings this step owns.
const FAMILIES: [&str; 3] = ["ip.", "ptr.", "helo."];

/// State of the Identity step.
#[derive(Debug, Default)]
pub struct IdentityStep {
    job: Option<JobId>,
    report: Option<IdentityReport>,
    error: Option<String>,
}

/// The job: resolver from the context, the whole identity check, findings journaled.
pub fn identity_job(session: &Session) -> Job {
    let mut known = session.identity.clone();
    Job::new(StepId::Identity, "Identity: our address, its PTR and our HELO name", move |jc| async move {
        known.sender = known.sender.or_else(|| jc.ctx.config.from.clone());
        let outcome: IdentityOutcome = match Resolver::from_context(&jc.ctx) {
            Err(err) => Err(err.to_string()),
            Ok(resolver) => tokio::select! {
                report = check_identity(&jc.ctx, &resolver, &known) => Ok(report),
                () = jc.cancel.cancelled() => Err("cancelled".to_string()),
            },
        };
        if let Ok(report) = &outcome {
            for finding in &report.findings {
                jc.ctx.journal.finding(finding);
            }
        }
        jc.finish(outcome);
    })
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
        StepStatus::of_run(self.job.is_some(), last)
    }

    fn view(&self, session: &Session) -> StepView {
        let subtitle = if self.job.is_some() {
            "Checking our address, its PTR and our HELO name… (Esc cancels)".to_string()
        } else {
            "Enter: check our address, its PTR and our HELO name".to_string()
        };
        let mut rows = Vec::new();
        if let Some(error) = &self.error {
            rows.push(Row::new(Tone::Fail, format!("The check could not run: {}", escape_str(error))));
        }
        match &self.report {
            Some(report) => rows.extend(report_rows(report)),
            None if self.job.is_none() => rows.extend(intro_rows(session)),
            None => {}
        }
        StepView { subtitle, rows, ..StepView::default() }
    }

    fn run(&mut self, session: &mut Session, _ctx: &Context) -> Vec<Effect> {
        let job = identity_job(session);
        self.job = Some(job.id);
        self.error = None;
        vec![Effect::Spawn(job)]
    }

    fn on_event(&mut self, event: JobEvent, session: &mut Session) -> Vec<Effect> {
        if Some(event.job) != self.job {
            return Vec::new();
        }
        let done = event.done;
        if let Some(outcome) = event.take::<IdentityOutcome>() {
            match outcome {
                Ok(report) => {
                    apply_report(&report, session);
                    self.report = Some(report);
                }
                Err(error) => self.error = Some(error),
            }
        }
        if done {
            self.job = None;
        }
        Vec::new()
    }

    fn cancel(&mut self, _session: &mut Session) {
        if self.job.take().is_some() {
            self.error = Some("cancelled".into());
        }
    }
}

fn intro_rows(session: &Session) -> Vec<Row> {
    let mut rows = vec![
        Row::plain("Receivers look at the address we connect from and the name we announce:"),
        Row::new(Tone::Dim, "  · does the address have a PTR, and does that name resolve back to it?"),
        Row::new(Tone::Dim, "  · does the PTR look like a mail server, not a dynamic end-user line?"),
        Row::new(Tone::Dim, "  · is the HELO name a real host name matching the PTR and resolving to us?"),
    ];
    if session.identity.ip_candidates.is_empty() {
        rows.push(Row::plain(""));
        rows.push(Row::plain(
            "No address known yet: give --ip, or run the SMTP step first (receivers echo our address in EHLO).",
        ));
    }
    rows
}

fn report_rows(report: &IdentityReport) -> Vec<Row> {
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
    for ptr in &report.ptr {
        rows.push(Row::plain(""));
        rows.push(Row::new(Tone::Heading, format!("Reverse DNS of {}", ptr.ip)));
        if ptr.names.is_empty() {
            rows.push(Row::new(Tone::Fail, format!("  no PTR ({})", ptr.reply.outcome.label())));
        }
        for name in &ptr.names {
            let (tone, verdict) =
                if name.confirmed { (Tone::Ok, "forward-confirmed") } else { (Tone::Fail, "does not resolve back") };
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
    }
    rows.push(Row::plain(""));
    match &report.helo {
        Some(helo) => {
            rows.push(Row::new(Tone::Heading, "HELO name"));
            rows.push(Row::plain(format!(
                "  {} → {}",
                escape_str(&helo.helo),
                describe_addresses(&helo.addresses, &helo.forward)
            )));
            rows.push(Row::new(Tone::Dim, format!("    from {}", escape_str(&helo.source))));
        }
        None => rows.push(Row::new(Tone::Warn, "HELO name unknown: give it with --helo")),
    }
    rows.push(Row::plain(""));
    rows.push(Row::new(Tone::Dim, "The findings panel holds what this means and what to do (] selects)."));
    rows
}
