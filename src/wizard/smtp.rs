//! Step 4: a telnet-like SMTP session with the receiver. Typed lines go to a console job that owns
//! the connection (sent by the runtime, as [`Effect::Send`]); replies stream back as job events
//! and are explained inline. Enter (or `p`) probes every address of every MX, `c` connects the
//! console to the first MX.

use std::collections::VecDeque;
use std::net::SocketAddr;

use tokio::sync::mpsc;

use super::{
    Effect, Job, JobEvent, JobId, JobKind, Jobs, Row, Step, StepId, StepKey, StepStatus, StepView, Tone, Undelivered,
};
use crate::context::Context;
use crate::session::escape::escape_str;
use crate::session::marks;
use crate::session::mx_path::{MxPath, PathEnd};
use crate::session::{Event, EventKind, Finding, Session, Severity, Target};
use crate::smtp::connection::{ConnectOutcome, ConnectReport};
use crate::smtp::family;
use crate::smtp::pipeline::{self, Envelope};
use crate::smtp::probe::{ProbeRequest, ProbeResult};
use crate::smtp::session::{self as console, ConsoleEvent, ConsoleOptions, Scope, Start};
use crate::smtp::swaks;
use crate::smtp::target::HostPort;
use crate::smtp::tls::TlsInfo;
use crate::smtp::vantage;

/// Rows of transcript kept; older ones scroll away (the journal keeps everything).
const MAX_ROWS: usize = 5_000;

/// The console job ended.
#[derive(Debug)]
pub struct ConsoleEnded;

/// What the console is doing: only with a connection open or while acting on a line is
/// anything in progress.
#[derive(Debug, Default, Clone, Copy)]
struct Activity {
    /// The connection is open (greeted and not yet closed).
    open: bool,
    /// Acting on a connect or a typed line.
    working: bool,
}

/// State of the SMTP step.
#[derive(Default)]
pub struct SmtpStep {
    transcript: VecDeque<Row>,
    /// The last connection attempt of the console.
    connection: Option<ConnectReport>,
    activity: Activity,
    tls: Option<TlsInfo>,
    data_mode: bool,
    /// AUTH was typed and the server has not ended it yet: typed lines are secrets.
    auth: bool,
    probed: Option<Vec<ProbeResult>>,
    /// What the last probe asked.
    asked: Option<ProbeRequest>,
    /// The second vantage point of the last probe (`[smtp] via`), if any.
    via: Option<String>,
    findings: Vec<Finding>,
}

/// What the probe job found: from here, and through the second vantage point when one is set,
/// with where the two differ.
#[derive(Debug, Default)]
pub struct Probed {
    here: Vec<ProbeResult>,
    there: Option<Vec<ProbeResult>>,
    differs: Vec<Finding>,
    /// `smtp.family_differs` for hosts that answered IPv4 and IPv6 differently.
    families: Vec<Finding>,
    /// What the probe asked (EHLO name, envelope), for `w` whatever stage each probe reached.
    asked: Option<ProbeRequest>,
}

impl std::fmt::Debug for SmtpStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpStep").field("rows", &self.transcript.len()).finish_non_exhaustive()
    }
}

impl SmtpStep {
    fn push(&mut self, row: Row) {
        if self.transcript.len() == MAX_ROWS {
            self.transcript.pop_front();
        }
        self.transcript.push_back(row);
    }

    fn note(&mut self, text: impl Into<String>) {
        self.push(Row::new(Tone::Dim, format!("{} {}", marks::INFO, text.into())));
    }

    /// What the probe asks with, from the session: its HELO name, target and queued recipient.
    fn envelope(session: &Session) -> (Option<Target>, Option<String>, Envelope) {
        let target = session.target.clone();
        let queued = target
            .as_ref()
            .and_then(|t| session.queued_recipient.clone().filter(|to| pipeline::in_domain(to, &t.domain)));
        (target, queued, Envelope { ehlo: session.identity.helo.clone(), ..Envelope::default() })
    }

    /// The console job: the one that runs, or (with a `start`, or when none runs) a new one,
    /// with the effects that start it.
    fn ensure_console(session: &Session, ctx: &Context, start: Option<Start>, jobs: Jobs<'_>) -> (JobId, Vec<Effect>) {
        let running = jobs.id(JobKind::Console);
        if let (Some(job), None) = (running, &start) {
            return (job, Vec::new());
        }
        // A new start replaces the old console; closing its input ends it.
        let mut effects: Vec<Effect> = running.map(Effect::CloseInput).into_iter().collect();
        let (target, queued, envelope) = SmtpStep::envelope(session);
        let scope = session.target.as_ref().map(|target| Scope {
            domain: target.domain.clone(),
            mx: session.mx.clone(),
            port: ctx.config.port,
        });
        let mx = session.mx.clone();
        let port = ctx.config.port;
        let label = match &start {
            Some(start) => format!("SMTP session with {}", start.target.host),
            None => "SMTP console".to_string(),
        };
        let job = Job::console(StepId::Smtp, label, move |jc, rx| async move {
            let probe = pipeline::request(&jc.ctx, target.as_ref(), queued, envelope).await;
            let options = ConsoleOptions { port, probe, mx, lockstep: false, scope };
            let (events_tx, mut events_rx) = mpsc::unbounded_channel();
            let run = console::run(jc.ctx.clone(), options, start, rx, events_tx, jc.cancel.clone());
            let forward = async {
                while let Some(event) = events_rx.recv().await {
                    jc.emit(event);
                }
            };
            tokio::join!(run, forward);
            jc.finish(ConsoleEnded);
        });
        let id = job.id;
        effects.push(Effect::Spawn(job));
        (id, effects)
    }

    fn first_mx(session: &Session, port: u16) -> Option<Start> {
        let mx = session.mx.iter().min_by_key(|m| m.preference)?;
        let addrs: Vec<SocketAddr> = mx.addresses.iter().map(|ip| SocketAddr::new(*ip, port)).collect();
        Some(Start { target: HostPort { host: mx.exchange.clone(), port }, addrs, implicit_tls: false })
    }

    fn connect_first(&mut self, session: &Session, ctx: &Context, jobs: Jobs<'_>) -> Vec<Effect> {
        let start = SmtpStep::first_mx(session, ctx.config.port).or_else(|| {
            let domain = session.target.as_ref()?.domain.clone();
            Some(Start::host(HostPort { host: domain, port: ctx.config.port }, false))
        });
        if let Some(start) = start {
            self.connection = None;
            self.activity.open = false;
            self.tls = None;
            SmtpStep::ensure_console(session, ctx, Some(start), jobs).1
        } else {
            self.note("no MX known and no target: type :connect HOST [PORT]");
            Vec::new()
        }
    }

    fn start_probe(&mut self, session: &Session, ctx: &Context) -> Vec<Effect> {
        let (target, queued, envelope) = SmtpStep::envelope(session);
        let mx = session.mx.clone();
        let domain = session.target.as_ref().map(|t| t.domain.clone()).unwrap_or_default();
        if mx.is_empty() && domain.is_empty() {
            self.note("no target to probe: choose one in the Queue step, or :connect HOST");
            return Vec::new();
        }
        // A new run replaces the last one: its transcript, tally and findings.
        self.transcript.clear();
        self.probed = None;
        self.findings.clear();
        let shown =
            envelope.ehlo.clone().or_else(|| ctx.config.helo.clone()).unwrap_or_else(|| "(our MTA's name)".into());
        if mx.is_empty() {
            // Run before the MX step: look the exchangers up here, as an MTA would.
            self.note(format!("looking up the MX of {domain}, then probing: EHLO {shown} → STARTTLS → MAIL → RCPT"));
        } else {
            let count: usize = mx.iter().map(|m| m.addresses.len().max(1)).sum();
            self.note(format!("probing {count} address(es): EHLO {shown} → STARTTLS → MAIL → RCPT → RSET → QUIT"));
        }
        let port = ctx.config.port;
        self.via.clone_from(&ctx.config.smtp.via);
        // Our addresses, one per family when known, to name the failing family's in its finding.
        let mut ours = ctx.config.our_ips();
        ours.extend(session.identity.ip.into_iter().chain(session.identity.ip_candidates.iter().map(|c| c.ip)));
        let job = Job::new(StepId::Smtp, "SMTP probe", move |jc| async move {
            let request = pipeline::request(&jc.ctx, target.as_ref(), queued, envelope).await;
            let mx = pipeline::routes(&jc.ctx, mx, &domain, port).await;
            let probes = pipeline::probe_both(&jc.ctx, &mx, port, &request);
            let probed = tokio::select! {
                () = jc.cancel.cancelled() => Probed::default(),
                (here, there) = probes => {
                    let differs = there.as_ref().map(|there| vantage::compare(&jc.ctx, &here, there)).unwrap_or_default();
                    let families = family::compare_journaled(&jc.ctx, &here, &ours);
                    Probed { here, there, differs, families, asked: Some(request.clone()) }
                }
            };
            jc.finish(probed);
        });
        vec![Effect::Spawn(job)]
    }

    fn record_findings(&mut self, new: Vec<Finding>, session: &mut Session) {
        for finding in new {
            if !self.findings.iter().any(|f| f.id == finding.id && f.summary == finding.summary) {
                self.findings.push(finding);
            }
        }
        session.replace_step_findings(StepId::Smtp, self.findings.clone());
    }

    /// Applies an event of console job `job`.
    fn console_event(&mut self, event: ConsoleEvent, job: JobId, session: &mut Session) -> Vec<Effect> {
        match event {
            ConsoleEvent::Info(text) => self.note(crate::session::escape::escape_str(&text)),
            ConsoleEvent::Connected(report) => {
                self.push(outcome_row(&report));
                self.tls.clone_from(&report.tls);
                self.activity.open = report.outcome == ConnectOutcome::Ok;
                self.connection = Some(*report);
            }
            ConsoleEvent::Sent(text, tls) => self.push(Row::new(
                Tone::Sent,
                format!("{} {}", marks::sent(tls), crate::session::escape::escape_str(&text)),
            )),
            ConsoleEvent::Received(text, tls) => {
                self.push(Row::new(Tone::Received, format!("{} {text}", marks::received(tls, &text))));
            }
            ConsoleEvent::Reply { code, explanation } => {
                self.auth &= code == Some(334);
                let lines = explanation.lines();
                let shown = if code.is_some_and(|c| c < 400) { &lines[..lines.len().min(1)] } else { &lines[..] };
                for line in shown {
                    self.push(Row::wrapped(
                        Tone::Explain,
                        format!("  = {}", crate::session::escape::escape_str(line)),
                        4,
                    ));
                }
            }
            ConsoleEvent::Tls(info) => {
                for line in info.describe() {
                    let tone = if line.contains("NOT verified") { Tone::Warn } else { Tone::Ok };
                    self.push(Row::new(tone, format!("{} {line}", marks::INFO)));
                }
                self.tls = Some(info);
            }
            ConsoleEvent::Finding(finding) => self.record_findings(vec![finding], session),
            ConsoleEvent::Experiment(finding) => {
                let text =
                    format!("experiment, not counted: {} {} {}", finding.severity.mark(), finding.id, finding.summary);
                self.note(crate::session::escape::escape_str(&text));
            }
            ConsoleEvent::Probe(results) => self.probe_done(results, session),
            ConsoleEvent::EchoedIp { host, ip } => {
                self.note(format!("{host} sees us as {ip}"));
                session.identity.add_candidate(ip, format!("ehlo:{host}"));
            }
            ConsoleEvent::DataMode(on) => self.data_mode = on,
            ConsoleEvent::Working(on) => self.activity.working = on,
            ConsoleEvent::Closed(why) => {
                self.note(format!("connection closed: {}", crate::session::escape::escape_str(&why)));
                self.tls = None;
                self.auth = false;
                self.activity.open = false;
                // Nothing runs once the server has hung up (after its 221): the console ends, so
                // no spinner turns; the next typed line starts a new one.
                return vec![Effect::CloseInput(job)];
            }
        }
        Vec::new()
    }

    /// Shows (and journals) the last probe of each host as a swaks command line that runs as it
    /// stands on another box.
    fn as_swaks(&mut self) -> Vec<Effect> {
        let Some(results) = &self.probed else {
            self.note("no probe has run yet: p probes the MX hosts, then w shows it as a swaks command");
            return Vec::new();
        };
        // A probe stopped before EHLO (a refusal at the greeting) is repeated with what was asked.
        let mut lines: Vec<String> = results
            .iter()
            .filter_map(|result| {
                swaks::from_result(result).or_else(|| {
                    let asked = self.asked.as_ref()?;
                    let host = if result.connect.host.is_empty() {
                        result.connect.addr.ip().to_string()
                    } else {
                        result.connect.host.clone()
                    };
                    Some(swaks::command_line(&host, result.connect.addr.port(), asked, asked.starttls))
                })
            })
            .collect();
        lines.dedup();
        if lines.is_empty() {
            self.note("no probe has a host to repeat with swaks");
            return Vec::new();
        }
        let effects =
            lines.iter().map(|line| Effect::Record(Event::new(EventKind::Info, format!("as swaks: {line}")))).collect();
        for line in lines {
            self.push(Row::new(Tone::Normal, escape_str(&line)));
        }
        effects
    }

    /// Beside the probe from here, the same probe through the second vantage point (`--via`), one
    /// row per address: what each side got, and the findings where they differ (`differs`).
    fn vantage_done(
        &mut self,
        here: &[ProbeResult],
        there: &[ProbeResult],
        via: &str,
        differs: Vec<Finding>,
        session: &mut Session,
    ) {
        self.push(Row::new(Tone::Heading, format!("from here  ·  through {}", escape_str(via))));
        for ours in here {
            let theirs = there.iter().find(|t| t.connect.addr == ours.connect.addr);
            let (_, said_here) = vantage::progress(ours);
            let said_there = theirs.map_or_else(|| "not probed".to_string(), |t| vantage::progress(t).1);
            let tone = if said_here == said_there { Tone::Dim } else { Tone::Warn };
            self.push(Row::wrapped(
                tone,
                format!("{} ({}): {} · {}", ours.connect.host, ours.connect.addr.ip(), said_here, said_there),
                2,
            ));
        }
        self.record_findings(differs, session);
    }

    fn probe_done(&mut self, results: Vec<ProbeResult>, session: &mut Session) {
        self.push_paths(&results);
        for result in &results {
            self.push(outcome_row(&result.connect));
            // The server's own words, as `mailwiz smtp` shows them (a refusal at the greeting).
            for line in &result.connect.banner {
                self.push(Row::new(Tone::Received, format!("  {} {line}", marks::received(false, line))));
            }
            let mut tls = result.connect.tls.is_some();
            for stage in &result.stages {
                if stage.stage == "tls" {
                    tls = stage.error.is_none();
                    for line in &stage.reply {
                        self.push(Row::new(Tone::Dim, format!("  {} {line}", marks::INFO)));
                    }
                    continue;
                }
                let command = crate::session::escape::escape_str(&stage.command);
                self.push(Row::new(Tone::Sent, format!("  {} {command}", marks::sent(tls))));
                for line in &stage.reply {
                    self.push(Row::new(Tone::Received, format!("  {} {line}", marks::received(tls, line))));
                }
                if let Some(error) = &stage.error {
                    self.push(Row::new(Tone::Fail, format!("  {} {error}", marks::EVENT)));
                }
                if let Some(explanation) = &stage.explanation {
                    for line in explanation.lines() {
                        self.push(Row::wrapped(
                            Tone::Explain,
                            format!("    = {}", crate::session::escape::escape_str(&line)),
                            6,
                        ));
                    }
                }
            }
            if let Some(ip) = result.echoed_ip {
                session.identity.add_candidate(ip, format!("ehlo:{}", result.connect.host));
                self.note(format!("{} sees us as {ip}", result.connect.host));
            }
        }
        let findings: Vec<Finding> = results.iter().flat_map(|r| r.findings.clone()).collect();
        self.record_findings(findings, session);
        self.probed = Some(results);
    }

    /// One row per MX address probed, with its family, above the transcript: the two paths to a
    /// dual-stack receiver side by side.
    fn push_paths(&mut self, results: &[ProbeResult]) {
        if results.is_empty() {
            return;
        }
        let paths: Vec<MxPath> = results.iter().map(family::path).collect();
        self.push(Row::new(Tone::Heading, "Each MX address: family, address, how far the probe got"));
        for (path, line) in paths.iter().zip(MxPath::table(&paths)) {
            let tone = match path.end {
                PathEnd::Accepted => Tone::Ok,
                PathEnd::Failed => Tone::Fail,
                PathEnd::Unknown => Tone::Dim,
            };
            self.push(Row::wrapped(tone, format!("  {line}"), 4));
        }
    }

    /// The connection (and TLS) of the console while it runs, in one line.
    fn status_line(&self, console: bool) -> Option<String> {
        let mut parts = Vec::new();
        if let (Some(report), true) = (&self.connection, console) {
            parts.push(format!("{} ({}) {}", report.host, report.addr, report.outcome));
            if let Some(tls) = &self.tls {
                let verified = if tls.verified { "certificate verified" } else { "certificate NOT verified" };
                parts.push(format!("{} {verified}", tls.protocol));
            }
            if self.data_mode {
                parts.push("data mode: end with a lone '.'".into());
            }
        }
        // The probe's tally is the pane's first row; the subtitle does not repeat it.
        (!parts.is_empty()).then(|| parts.join(" · "))
    }

    fn header(&self) -> Vec<Row> {
        let mut rows = Vec::new();
        if let Some(report) = &self.connection {
            rows.push(outcome_row(report).push(Tone::Dim, if self.data_mode { "  [data mode]" } else { "" }));
        }
        if let Some(tls) = &self.tls {
            let verified = if tls.verified { (Tone::Ok, "verified") } else { (Tone::Warn, "NOT verified") };
            rows.push(
                Row::new(Tone::Dim, format!("TLS {} {} · {} · ", tls.protocol, tls.cipher, tls.subject))
                    .push(verified.0, verified.1),
            );
        }
        if let Some(results) = &self.probed {
            let ok = results.iter().filter(|r| r.connect.outcome == ConnectOutcome::Ok).count();
            let worst = results.iter().flat_map(|r| r.findings.iter()).map(|f| f.severity).min();
            let tone = match worst {
                Some(Severity::Fail) => Tone::Fail,
                Some(Severity::Warn) => Tone::Warn,
                _ => Tone::Ok,
            };
            rows.push(Row::new(tone, format!("probe: {ok} of {} address(es) greeted", results.len())));
        }
        rows
    }
}

fn outcome_row(report: &ConnectReport) -> Row {
    let tone = match report.outcome {
        ConnectOutcome::Ok => Tone::Ok,
        ConnectOutcome::ClosedAfterBanner | ConnectOutcome::ViaFailed => Tone::Warn,
        _ => Tone::Fail,
    };
    Row::new(tone, pipeline::outcome_line(report))
}

impl Step for SmtpStep {
    fn id(&self) -> StepId {
        StepId::Smtp
    }

    fn status(&self) -> StepStatus {
        if self.findings.iter().any(|f| f.severity == Severity::Fail) {
            StepStatus::Failed
        } else if self.probed.is_some() || self.connection.is_some() {
            StepStatus::Done
        } else {
            StepStatus::Idle
        }
    }

    fn view(&self, session: &Session, jobs: Jobs<'_>) -> StepView {
        let subtitle = if jobs.running(JobKind::Run) {
            "probing… (Esc cancels)".to_string()
        } else {
            self.status_line(jobs.running(JobKind::Console)).unwrap_or_else(|| {
                "Enter: probe every MX address · c: connect to the first MX · type SMTP below (:help)".to_string()
            })
        };
        let mut rows = self.header();
        if self.transcript.is_empty() {
            let mx: Vec<String> = session.mx.iter().map(|m| format!("{} {}", m.preference, m.exchange)).collect();
            rows.push(Row::plain(if mx.is_empty() {
                "No MX known yet: Enter looks the target's up and probes it, or type :connect HOST|DOMAIN [PORT]."
                    .to_string()
            } else {
                format!("MX: {}", mx.join(", "))
            }));
            rows.push(Row::new(
                Tone::Dim,
                "Lines you type are sent as typed plus CRLF; :connect HOST [PORT], :tls, :close, :probe.",
            ));
        }
        rows.extend(self.transcript.iter().cloned());
        let idle = !jobs.running(JobKind::Run) && !self.activity.open && !self.activity.working;
        StepView { subtitle, rows, follow_tail: true, progress: None, selected: None, idle }
    }

    fn prompt(&self) -> Option<String> {
        Some(if self.data_mode { "data> ".into() } else { "smtp> ".into() })
    }

    fn run(&mut self, session: &mut Session, ctx: &Context, jobs: Jobs<'_>) -> Vec<Effect> {
        if jobs.running(JobKind::Run) {
            return Vec::new();
        }
        self.start_probe(session, ctx)
    }

    fn history_entry(&self, line: &str) -> Option<String> {
        (!self.auth).then(|| crate::smtp::session::redact_auth(line))
    }

    fn submit(&mut self, line: &str, session: &mut Session, ctx: &Context, jobs: Jobs<'_>) -> Vec<Effect> {
        let (job, mut effects) = SmtpStep::ensure_console(session, ctx, None, jobs);
        let verb = line.split_whitespace().next().unwrap_or("");
        self.auth |= !self.data_mode && verb.eq_ignore_ascii_case("AUTH");
        effects.push(Effect::Send { step: StepId::Smtp, job, line: line.to_string() });
        effects
    }

    fn undelivered(&mut self, why: Undelivered) {
        match why {
            Undelivered::Busy => self.note("the console is busy; line not sent"),
            Undelivered::Ended => self.note("the console has ended; press c or type the line again"),
        }
    }

    fn keys(&self, _jobs: Jobs<'_>) -> Vec<StepKey> {
        vec![
            StepKey { key: 'p', hint: "probe MX" },
            StepKey { key: 'c', hint: "connect" },
            StepKey { key: 'w', hint: "swaks" },
        ]
    }

    fn key(&mut self, key: char, session: &mut Session, ctx: &Context, jobs: Jobs<'_>) -> Vec<Effect> {
        match key {
            'p' => self.run(session, ctx, jobs),
            'c' => self.connect_first(session, ctx, jobs),
            'w' => self.as_swaks(),
            _ => Vec::new(),
        }
    }

    fn on_event(&mut self, event: JobEvent, session: &mut Session, _jobs: Jobs<'_>) -> Vec<Effect> {
        let job = event.job;
        if event.is::<Probed>() {
            if let Some(Probed { here, there, differs, families, asked }) = event.take::<Probed>() {
                let compared = there.zip(self.via.clone()).map(|(there, via)| (here.clone(), there, via));
                self.asked = asked;
                self.probe_done(here, session);
                self.record_findings(families, session);
                if let Some((here, there, via)) = compared {
                    self.vantage_done(&here, &there, &via, differs, session);
                }
            }
            return Vec::new();
        }
        if event.done {
            // The console ended.
            self.data_mode = false;
            self.activity = Activity::default();
            return Vec::new();
        }
        match event.take::<ConsoleEvent>() {
            Some(console_event) => self.console_event(console_event, job, session),
            None => Vec::new(),
        }
    }

    fn cancelled(&mut self, kinds: &[JobKind], _session: &mut Session) {
        if kinds.contains(&JobKind::Run) {
            self.note("probe cancelled");
        }
        if kinds.contains(&JobKind::Console) {
            self.data_mode = false;
            self.activity = Activity::default();
            self.note("console closed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::smtp_server::{self, ScriptedReply, ServerScript};
    use crate::session::Journal;
    use crate::session::MxTarget;
    use crate::wizard::SoloStep;
    use crate::wizard::job::{Message, run_collect};

    fn test_ctx() -> Context {
        let mut config = crate::config::Config::default();
        config.smtp.read_timeout = Some(2.0);
        config.smtp.connect_timeout = Some(1.0);
        config.helo = Some("mail.sender.example".into());
        Context::new(config)
    }

    /// Runs the console job with `lines` typed, as the runtime would, until its input ends
    /// (dropping it ends the console after QUIT), and hands its events to the step.
    async fn run_console(
        step: &mut SoloStep<SmtpStep>,
        mut job: Job,
        lines: Vec<String>,
        ctx: &Context,
        session: &mut Session,
    ) {
        let input = job.input.take().expect("a console job");
        for line in lines {
            input.try_send(line).unwrap();
        }
        let events = tokio::spawn(run_collect(job, ctx.clone()));
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        drop(input);
        let events = tokio::time::timeout(std::time::Duration::from_secs(10), events).await.unwrap().unwrap();
        for event in events {
            step.on_event(event, session);
        }
    }

    fn spawned(effects: Vec<Effect>) -> Job {
        effects.into_iter().find_map(|e| if let Effect::Spawn(job) = e { Some(job) } else { None }).expect("a job")
    }

    /// The lines `effects` send to the console.
    fn sent(effects: &[Effect]) -> Vec<String> {
        effects
            .iter()
            .filter_map(|e| if let Effect::Send { line, .. } = e { Some(line.clone()) } else { None })
            .collect()
    }

    #[tokio::test]
    async fn the_console_streams_replies_and_explains_them() {
        let server = smtp_server::start(ServerScript {
            client_ip: Some("203.0.113.5".parse().unwrap()),
            rcpt: ScriptedReply::new(550, ["5.7.1 Client host [203.0.113.5] blocked using zen.spamhaus.org"]),
            ..ServerScript::default()
        })
        .await
        .unwrap();
        let ctx = test_ctx();
        let mut session = Session::new(Journal::in_memory());
        let mut step = SoloStep::<SmtpStep>::default();
        let connect = format!(":connect 127.0.0.1 {}", server.addr().port());
        let effects = step.submit(&connect, &mut session, &ctx);
        let mut lines = sent(&effects);
        let job = spawned(effects);
        for line in ["EHLO mail.sender.example", "MAIL FROM:<a@sender.example>", "RCPT TO:<b@bank.example>", "QUIT"] {
            let effects = step.submit(line, &mut session, &ctx);
            assert!(!effects.iter().any(|e| matches!(e, Effect::Spawn(_))), "one console job");
            lines.extend(sent(&effects));
        }
        run_console(&mut step, job, lines, &ctx, &mut session).await;
        let text: Vec<String> = step.view(&session).rows.iter().map(Row::text).collect();
        assert!(text.iter().any(|l| l.starts_with("127.0.0.1 (127.0.0.1:") && l.contains(" ok ")), "{text:#?}");
        assert!(text.iter().any(|l| l == "-> RCPT TO:<b@bank.example>"));
        let at = text.iter().position(|l| l.starts_with("<** 550")).unwrap();
        assert!(text[at + 1].starts_with("  = 550:"));
        assert!(text.iter().any(|l| l.contains("Spamhaus")));
        assert!(session.findings.iter().any(|f| f.id == "smtp.reply_explained"));
        assert_eq!(session.identity.ip_candidates[0].source, "ehlo:127.0.0.1");
        assert_eq!(step.prompt().as_deref(), Some("smtp> "));
    }

    #[tokio::test]
    async fn a_console_with_no_connection_shows_no_work_in_progress() {
        let ctx = test_ctx();
        let mut session = Session::new(Journal::in_memory());
        let mut step = SoloStep::<SmtpStep>::default();
        let job = spawned(step.submit("NOOP", &mut session, &ctx));
        assert!(step.view(&session).idle, "the console only waits for the user");
        let event =
            |payload: ConsoleEvent| JobEvent { job: job.id, step: StepId::Smtp, payload: payload.wrap(), done: false };
        step.on_event(event(ConsoleEvent::Working(true)), &mut session);
        assert!(!step.view(&session).idle, "acting on the typed line");
        step.on_event(event(ConsoleEvent::Info("not sent, no connection is open: NOOP".into())), &mut session);
        step.on_event(event(ConsoleEvent::Working(false)), &mut session);
        assert!(step.view(&session).idle, "nothing open, nothing begun");
    }

    /// Connects the console to `line`'s host (mapped to a scripted server refusing at the
    /// greeting), with bank.example as the target, and returns the session and the view.
    async fn console_connect(line: &str) -> (Session, Vec<String>, Vec<crate::session::Event>) {
        let server = smtp_server::start(ServerScript {
            banner: Some(ScriptedReply::new(554, ["5.7.1 not for you"])),
            ..ServerScript::default()
        })
        .await
        .unwrap();
        let mut ctx = test_ctx();
        let mut map = crate::context::ConnectMap::default();
        for addr in ["192.0.2.10:25", "192.0.2.10:587", "192.0.2.99:25"] {
            map.insert(addr.parse().unwrap(), server.addr());
        }
        ctx.connect_map = std::sync::Arc::new(map);
        let mut session = Session::new(ctx.journal.clone());
        session.target = Some(crate::session::Target::parse("bank.example").unwrap());
        session.mx = vec![MxTarget {
            preference: 10,
            exchange: "mx1.bank.example".into(),
            addresses: vec!["192.0.2.10".parse().unwrap()],
        }];
        let mut step = SoloStep::<SmtpStep>::default();
        let effects = step.submit(line, &mut session, &ctx);
        let lines = sent(&effects);
        run_console(&mut step, spawned(effects), lines, &ctx, &mut session).await;
        let text = step.view(&session).rows.iter().map(Row::text).collect();
        (session, text, ctx.journal.events())
    }

    #[tokio::test]
    async fn a_console_connection_elsewhere_is_an_experiment_that_changes_no_finding() {
        for line in [":connect 192.0.2.99", ":connect 192.0.2.10 587"] {
            let (session, text, journal) = console_connect(line).await;
            assert!(session.findings.is_empty(), "{line}: {:#?}", session.findings);
            assert!(text.iter().any(|l| l.contains("an experiment")), "{line}: {text:#?}");
            assert!(text.iter().any(|l| l.contains("experiment, not counted: ✗ smtp.banner_5xx")), "{text:#?}");
            // The exchange is in the journal; no finding is, so no report counts it.
            assert!(journal.iter().any(|e| e.kind == crate::session::EventKind::Received));
            assert!(journal.iter().all(|e| e.finding().is_none()), "{line}");
        }
        // The target's own MX on port 25 is evidence about the target.
        let (session, _, journal) = console_connect(":connect 192.0.2.10").await;
        assert!(session.findings.iter().any(|f| f.id == "smtp.banner_5xx"), "{:#?}", session.findings);
        assert!(journal.iter().any(|e| e.finding().is_some_and(|f| f.id == "smtp.banner_5xx")));
    }

    #[tokio::test]
    async fn enter_probes_every_mx_address() {
        let server = smtp_server::start(ServerScript {
            client_ip: Some("203.0.113.5".parse().unwrap()),
            ..ServerScript::default()
        })
        .await
        .unwrap();
        let mut ctx = test_ctx();
        let mut map = crate::context::ConnectMap::default();
        map.insert("192.0.2.10:25".parse().unwrap(), server.addr());
        ctx.connect_map = std::sync::Arc::new(map);
        let mut session = Session::new(Journal::in_memory());
        session.mx = vec![MxTarget {
            preference: 10,
            exchange: "mx1.bank.example".into(),
            addresses: vec!["192.0.2.10".parse().unwrap()],
        }];
        let mut step = SoloStep::<SmtpStep>::default();
        let job = spawned(step.run(&mut session, &ctx));
        assert_eq!(step.status(), StepStatus::Running);
        for event in run_collect(job, ctx.clone()).await {
            step.on_event(event, &mut session);
        }
        assert_eq!(step.status(), StepStatus::Done);
        assert!(session.findings.iter().any(|f| f.id == "smtp.ok"));
        assert!(session.findings.iter().any(|f| f.id == "smtp.starttls_missing"));
        assert_eq!(session.identity.ip, Some("203.0.113.5".parse().unwrap()));
        let text: Vec<String> = step.view(&session).rows.iter().map(Row::text).collect();
        assert!(text.iter().any(|l| l.starts_with("probe: 1 of 1")), "{text:#?}");
        assert!(text.iter().any(|l| l.contains("-> EHLO mail.sender.example")));
        assert!(!step.view(&session).subtitle.contains("probe:"), "the tally is said once");

        // A second run replaces the first: one transcript, one tally.
        let job = spawned(step.run(&mut session, &ctx));
        for event in run_collect(job, ctx.clone()).await {
            step.on_event(event, &mut session);
        }
        let text: Vec<String> = step.view(&session).rows.iter().map(Row::text).collect();
        assert_eq!(text.iter().filter(|l| l.contains("-> EHLO mail.sender.example")).count(), 1, "{text:#?}");
        assert_eq!(text.iter().filter(|l| l.starts_with("probe: ")).count(), 1, "{text:#?}");
    }
}
