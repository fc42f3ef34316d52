//! Step 2: the MX records of the target and their addresses (Enter), and an nslookup-style
//! console below them. Lookups run as jobs; the step only keeps what they report.

use std::net::SocketAddr;

use super::{Effect, Job, JobEvent, JobKind, Jobs, Row, Step, StepId, StepStatus, StepView, Tone};
use crate::config::parse_server;
use crate::context::Context;
use crate::dns::Resolver;
use crate::dns::console::{Console, ConsoleAction, ConsoleLine, LineKind, Lookup};
use crate::dns::mx::{MxAnalysis, analyse, both_ways, problem};
use crate::dns::resolver::QueryType;
use crate::session::{Session, Severity, Target};

const PROMPT: &str = "dns> ";

/// Findings that say a lookup got no usable answer; the step is not done after one of them.
const UNANSWERED: [&str; 5] = ["dns.timeout", "dns.servfail", "dns.refused", "dns.outside_demo", "dns.unreachable"];

/// What the analysis job reports.
#[derive(Debug)]
pub struct AnalysisDone(pub Result<MxAnalysis, String>);

/// What a console lookup job reports.
#[derive(Debug)]
pub struct ConsoleDone(pub Vec<ConsoleLine>);

/// State of the MX step.
#[derive(Debug)]
pub struct MxStep {
    status: StepStatus,
    /// The domain the last analysis started for.
    looking_up: String,
    analysis: Option<MxAnalysis>,
    /// Why the last run could not complete, or why it cannot start.
    problem: Option<String>,
    console: Console,
    transcript: Vec<ConsoleLine>,
}

impl Default for MxStep {
    fn default() -> MxStep {
        MxStep {
            status: StepStatus::Idle,
            looking_up: String::new(),
            analysis: None,
            problem: None,
            console: Console::with_type(QueryType::Mx),
            transcript: Vec::new(),
        }
    }
}

impl MxStep {
    /// The last analysis, once one has finished.
    pub fn analysis(&self) -> Option<&MxAnalysis> {
        self.analysis.as_ref()
    }

    fn analysis_job(target: Target, compare_with: Option<SocketAddr>) -> Job {
        let label = format!("MX lookup for {}", target.display);
        Job::new(StepId::Mx, label, move |jc| async move {
            let result = match Resolver::from_context(&jc.ctx) {
                Ok(resolver) => tokio::select! {
                    analysis = analyse(&jc.ctx, &resolver, &target, compare_with) => Ok(analysis),
                    () = jc.cancel.cancelled() => Err("cancelled".to_string()),
                },
                Err(err) => Err(err.to_string()),
            };
            jc.finish(AnalysisDone(result));
        })
    }

    fn console_job(lookup: Lookup) -> Job {
        Job::new(StepId::Mx, "DNS query", move |jc| async move {
            let lines = tokio::select! {
                lines = lookup.run(&jc.ctx) => lines,
                () = jc.cancel.cancelled() => vec![ConsoleLine { kind: LineKind::Problem, text: "cancelled".into() }],
            };
            jc.finish(ConsoleDone(lines));
        })
        .of_kind(JobKind::Lookup)
    }

    fn analysis_rows(analysis: &MxAnalysis, rows: &mut Vec<Row>) {
        let table = analysis_rows(analysis);
        let (footer, head) = table.split_last().expect("the table ends with its tally");
        rows.extend(head.iter().cloned());
        for finding in &analysis.findings {
            let tone = match finding.severity {
                Severity::Fail => Tone::Fail,
                Severity::Warn => Tone::Warn,
                Severity::Ok => Tone::Ok,
                Severity::Info | Severity::Note => Tone::Normal,
            };
            rows.push(
                Row::new(tone, format!("  {} {}", finding.severity.mark(), finding.id))
                    .push(Tone::Normal, format!("  {}", finding.summary)),
            );
        }
        rows.push(footer.clone());
    }
}

/// The MX set as rows: the resolvers asked, null or implicit MX, each exchanger with its
/// addresses and problems, and a tally of the queries. Step 2 shows them; `mailwiz mx` prints them.
pub fn analysis_rows(analysis: &MxAnalysis) -> Vec<Row> {
    let domain = both_ways(&analysis.domain, &analysis.display);
    let mut servers: Vec<String> = analysis.replies.iter().map(|r| r.server.to_string()).collect();
    servers.dedup();
    let asked = if servers.is_empty() { String::new() } else { format!(" (asked {})", servers.join(", ")) };
    let mut rows = vec![Row::new(Tone::Heading, format!("MX of {domain}{asked}"))];
    if analysis.null_mx {
        rows.push(Row::new(Tone::Fail, "  0 .  null MX: the domain takes no mail (RFC 7505)"));
    }
    if analysis.implicit {
        rows.push(Row::new(Tone::Warn, "  no MX record: mail goes to the domain's own address (implicit MX)"));
    }
    let width = analysis.mx.iter().map(|h| h.label().chars().count()).max().unwrap_or(0);
    for host in &analysis.mx {
        let tone = host_tone(&host.problems);
        let addresses = if host.addresses.is_empty() {
            "no address".to_string()
        } else {
            host.addresses.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
        };
        let mut row =
            Row::new(tone, format!("  {:<width$}", host.label())).push(Tone::Normal, format!("  {addresses}"));
        if !host.problems.is_empty() {
            row = row.push(tone, format!("  [{}]", host.problems.join(", ")));
        }
        rows.push(row);
    }
    rows.push(Row::new(
        Tone::Dim,
        format!("  {} queries, {} ms", analysis.replies.len(), analysis.elapsed.as_millis()),
    ));
    rows
}

fn host_tone(problems: &[String]) -> Tone {
    let fails = [problem::IP_LITERAL, problem::NO_ADDRESS, problem::NXDOMAIN, problem::SERVFAIL, problem::TIMEOUT];
    if problems.iter().any(|p| fails.contains(&p.as_str())) {
        Tone::Fail
    } else if problems.is_empty() {
        Tone::Ok
    } else {
        Tone::Warn
    }
}

fn line_tone(kind: LineKind) -> Tone {
    match kind {
        LineKind::Input => Tone::Sent,
        LineKind::Info => Tone::Dim,
        LineKind::Answer => Tone::Received,
        LineKind::Problem => Tone::Warn,
        LineKind::Error => Tone::Fail,
    }
}

/// The resolver to compare with from the configuration, only where public lookups are allowed.
fn configured_compare(ctx: &Context) -> Option<SocketAddr> {
    ctx.config.dns.compare_with.as_deref().filter(|_| ctx.public_lookups_allowed()).and_then(|s| parse_server(s).ok())
}

impl Step for MxStep {
    fn id(&self) -> StepId {
        StepId::Mx
    }

    fn status(&self) -> StepStatus {
        self.status
    }

    fn view(&self, session: &Session, jobs: Jobs<'_>) -> StepView {
        let analysing = jobs.running(JobKind::Run);
        let lookups = jobs.running(JobKind::Lookup);
        let subtitle = match (analysing, &session.target) {
            (true, _) => format!("Looking up the MX records of {}… (Esc cancels)", self.looking_up),
            (false, Some(target)) => format!(
                "Enter: analyse MX of {} · console: nslookup commands",
                both_ways(&target.domain, &target.display)
            ),
            (false, None) => "No target yet: choose one in the Queue step · console: nslookup commands".into(),
        };
        let mut rows = Vec::new();
        if let Some(problem) = &self.problem {
            rows.push(Row::new(Tone::Fail, problem.clone()));
        }
        match &self.analysis {
            Some(analysis) => Self::analysis_rows(analysis, &mut rows),
            None if !analysing && self.problem.is_none() => {
                rows.push(Row::new(Tone::Dim, "Press Enter to look up the MX records and their addresses."));
            }
            None => {}
        }
        if !self.transcript.is_empty() || lookups {
            rows.push(Row::plain(""));
            rows.push(Row::new(Tone::Heading, format!("Console (type={})", self.console.qtype())));
            rows.extend(self.transcript.iter().map(|line| Row::new(line_tone(line.kind), line.text.clone())));
            if lookups {
                rows.push(Row::new(Tone::Dim, "waiting for the answer…"));
            }
        }
        StepView {
            subtitle,
            rows,
            selected: None,
            follow_tail: !self.transcript.is_empty(),
            progress: None,
            idle: false,
        }
    }

    fn prompt(&self) -> Option<String> {
        Some(PROMPT.into())
    }

    fn run(&mut self, session: &mut Session, ctx: &Context, _jobs: Jobs<'_>) -> Vec<Effect> {
        let Some(target) = session.target.clone() else {
            self.problem =
                Some("No target domain yet: choose one in the Queue step, or start mailwiz with a domain.".into());
            return Vec::new();
        };
        let job = MxStep::analysis_job(target.clone(), configured_compare(ctx));
        self.looking_up = both_ways(&target.domain, &target.display);
        self.problem = None;
        vec![Effect::Spawn(job)]
    }

    fn submit(&mut self, line: &str, _session: &mut Session, ctx: &Context, _jobs: Jobs<'_>) -> Vec<Effect> {
        self.transcript.push(ConsoleLine { kind: LineKind::Input, text: format!("{PROMPT}{}", line.trim()) });
        self.console.confine(ctx.demo.then(|| crate::dns::console::DEMO_CONFINED.to_string()));
        match self.console.submit(line) {
            ConsoleAction::Print(lines) => {
                self.transcript.extend(lines);
                Vec::new()
            }
            ConsoleAction::Run(lookup) => {
                vec![Effect::Spawn(MxStep::console_job(lookup))]
            }
            ConsoleAction::Exit => vec![Effect::LeaveInput],
        }
    }

    fn on_event(&mut self, event: JobEvent, session: &mut Session, _jobs: Jobs<'_>) -> Vec<Effect> {
        if event.is::<AnalysisDone>() {
            match event.take::<AnalysisDone>() {
                Some(AnalysisDone(Ok(analysis))) => {
                    session.mx = analysis.targets();
                    session.replace_step_findings(StepId::Mx, analysis.findings.clone());
                    // ✓ only when every lookup was answered: after a timeout the result is partial.
                    let unanswered: Vec<&str> =
                        analysis.findings.iter().map(|f| f.id.as_str()).filter(|id| UNANSWERED.contains(id)).collect();
                    if unanswered.is_empty() {
                        self.status = StepStatus::Done;
                    } else {
                        self.problem = Some(format!(
                            "Some lookups got no usable answer ({}): the result below is incomplete; Enter tries again.",
                            unanswered.join(", ")
                        ));
                        self.status = StepStatus::Failed;
                    }
                    self.analysis = Some(analysis);
                }
                Some(AnalysisDone(Err(why))) => {
                    self.problem = Some(format!("The MX lookup could not run: {why}."));
                    self.status = StepStatus::Failed;
                }
                None => {}
            }
        } else if let Some(ConsoleDone(lines)) = event.take::<ConsoleDone>() {
            self.transcript.extend(lines);
        }
        Vec::new()
    }

    fn cancelled(&mut self, kinds: &[JobKind], _session: &mut Session) {
        if kinds.contains(&JobKind::Run) {
            self.problem = Some("The MX lookup was cancelled; press Enter to run it again.".into());
        }
        if kinds.contains(&JobKind::Lookup) {
            self.transcript.push(ConsoleLine { kind: LineKind::Problem, text: "cancelled".into() });
        }
    }
}
