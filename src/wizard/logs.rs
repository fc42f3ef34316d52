//! Step 3: the MTA's logs filtered to the target — reads `config.logs.paths` (or paths typed in
//! the console) in a job with progress, then shows statuses, reply codes, a per-hour bar chart
//! and the latest attempts with their full reply.

use std::path::PathBuf;

use chrono::{Duration, NaiveDateTime};

use super::logs_follow::{Followed, Following};
use super::{Effect, Job, JobEvent, JobKind, Jobs, Request, Row, Step, StepId, StepKey, StepStatus, StepView, Tone};
use crate::context::Context;
use crate::logs::summary::shorten;
use crate::logs::{self, Analysis, DomainFilter, LogSummary, LogsError, LogsRequest, Progress};
use crate::session::escape::escape_str;
use crate::session::{Finding, Session};

/// How many hours the bar chart shows, ending at the last hour seen.
const CHART_HOURS: i64 = 24;
/// Widest bar, in characters.
const BAR_WIDTH: u64 = 24;
/// Latest attempts shown in the step.
const LATEST_SHOWN: usize = 10;

/// What the logs job reports.
#[derive(Debug)]
pub enum LogsEvent {
    /// Bytes read so far.
    Progress(Progress),
    /// The result, with the findings already journaled.
    Done(Result<Box<(Analysis, Vec<Finding>)>, LogsError>),
}

/// State of the Logs step.
#[derive(Debug, Default)]
pub struct LogsStep {
    progress: Option<Progress>,
    /// Paths typed in the console; replace the configured ones.
    typed: Option<Vec<String>>,
    result: Option<Result<LogSummary, String>>,
    follow: Following,
}

impl LogsStep {
    /// Follows the step's files; without any, says so.
    fn follow(&mut self, session: &Session, ctx: &Context) -> Vec<Effect> {
        let patterns = self.paths(ctx);
        if patterns.is_empty() {
            self.result = Some(Err(
                "No log files to follow: type their paths below, or set [logs] paths in the config file.".into(),
            ));
            return Vec::new();
        }
        let summary = self.result.as_ref().and_then(|r| r.as_ref().ok());
        self.follow.start(patterns, session, summary)
    }

    fn paths(&self, ctx: &Context) -> Vec<String> {
        match &self.typed {
            Some(paths) => paths.clone(),
            None => ctx.config.logs.paths.iter().map(|p| p.display().to_string()).collect(),
        }
    }

    fn start(&mut self, session: &Session, ctx: &Context) -> Vec<Effect> {
        let patterns = self.paths(ctx);
        if patterns.is_empty() {
            self.result = Some(Err(
                "No log files to read: type their paths below, or set [logs] paths in the config file.".into(),
            ));
            return Vec::new();
        }
        let filter = session.target.as_ref().map(|target| {
            DomainFilter::new(&target.domain).with_mx(
                session.mx.iter().map(|mx| mx.exchange.clone()),
                session.mx.iter().flat_map(|mx| mx.addresses.iter().map(ToString::to_string)),
            )
        });
        let label = match &filter {
            Some(f) => format!("Reading logs for {}", f.domain),
            None => "Reading logs".to_string(),
        };
        let job = Job::new(StepId::Logs, label, move |jc| async move {
            let cancel = jc.cancel.clone();
            let reporter = jc.clone();
            let ctx = jc.ctx.clone();
            let outcome = tokio::task::spawn_blocking(move || {
                let paths: Vec<PathBuf> = logs::input::expand(&patterns)?;
                let request = LogsRequest { paths, filter, ..LogsRequest::default() };
                let mut last = -1.0f64;
                let mut progress = |p: Progress| {
                    // About a hundred updates per run are enough for a bar.
                    if p.fraction() - last >= 0.01 || p.done == p.total {
                        last = p.fraction();
                        reporter.emit(LogsEvent::Progress(p));
                    }
                };
                logs::read(&ctx, &request, &|| cancel.is_cancelled(), &mut progress)
            })
            .await
            .unwrap_or_else(|err| Err(LogsError::Input(format!("reading the logs failed: {err}"))));
            let outcome = outcome.map(|analysis| {
                let findings = analysis.findings();
                Box::new((analysis, findings))
            });
            jc.finish(LogsEvent::Done(outcome));
        });
        self.progress = None;
        self.result = None;
        vec![Effect::Spawn(job)]
    }
}

impl Step for LogsStep {
    fn id(&self) -> StepId {
        StepId::Logs
    }

    fn status(&self) -> StepStatus {
        StepStatus::after(self.result.as_ref().map(Result::is_ok))
    }

    fn view(&self, session: &Session, jobs: Jobs<'_>) -> StepView {
        let (reading, following) = (jobs.running(JobKind::Run), jobs.running(JobKind::Follow));
        let target = session.target.as_ref().map(|t| t.display.as_str());
        let mut rows = Vec::new();
        let subtitle = if reading {
            let read = self.progress.map_or(0, |p| p.done);
            let total = self.progress.map_or(0, |p| p.total);
            rows.push(Row::new(Tone::Dim, format!("Reading… {} of {}", megabytes(read), megabytes(total))));
            "Reading the logs — Esc cancels".to_string()
        } else {
            match target {
                Some(t) => format!("Enter reads the logs for {t}; type paths or globs to read other files"),
                None => "Enter reads the logs (no target yet: all domains); type paths or globs to read other files"
                    .to_string(),
            }
        };
        match &self.result {
            Some(Ok(summary)) => rows.extend(summary_rows(summary)),
            Some(Err(message)) => rows.push(Row::new(Tone::Fail, escape_str(message))),
            None if !reading => {
                rows.push(Row::plain("Counts attempts, statuses and reply codes for the target in the MTA's logs"));
                rows.push(Row::new(Tone::Dim, format!("({} logs; .gz too).", logs::Format::labels())));
            }
            None => {}
        }
        rows.extend(self.follow.rows(following));
        StepView {
            subtitle,
            rows,
            follow_tail: following,
            progress: reading.then(|| self.progress.map_or(0.0, Progress::fraction)),
            ..StepView::default()
        }
    }

    fn prompt(&self) -> Option<String> {
        Some("logs> ".into())
    }

    fn run(&mut self, session: &mut Session, ctx: &Context, jobs: Jobs<'_>) -> Vec<Effect> {
        if jobs.running(JobKind::Run) {
            return Vec::new();
        }
        self.start(session, ctx)
    }

    fn submit(&mut self, line: &str, session: &mut Session, ctx: &Context, jobs: Jobs<'_>) -> Vec<Effect> {
        let paths: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        if paths.is_empty() || jobs.running(JobKind::Run) {
            return Vec::new();
        }
        self.typed = Some(paths);
        self.start(session, ctx)
    }

    fn all_keys(&self) -> Vec<StepKey> {
        vec![StepKey { key: 'f', hint: "follow (tail -f)" }]
    }

    fn keys(&self, jobs: Jobs<'_>) -> Vec<StepKey> {
        // Esc stops a follow, like any job.
        if jobs.running(JobKind::Follow) { Vec::new() } else { self.all_keys() }
    }

    fn key(&mut self, key: char, session: &mut Session, ctx: &Context, jobs: Jobs<'_>) -> Vec<Effect> {
        if key == 'f' && !jobs.running(JobKind::Follow) { self.follow(session, ctx) } else { Vec::new() }
    }

    fn request(&mut self, request: Request, session: &mut Session, ctx: &Context, jobs: Jobs<'_>) -> Vec<Effect> {
        match request {
            Request::Follow if !jobs.running(JobKind::Follow) => self.follow(session, ctx),
            other => self.run_if_idle(&other, session, ctx, jobs),
        }
    }

    fn on_event(&mut self, event: JobEvent, session: &mut Session, _jobs: Jobs<'_>) -> Vec<Effect> {
        if event.is::<Followed>() {
            return match event.take::<Followed>() {
                Some(Followed(events)) => self.follow.take(events, session),
                None => Vec::new(),
            };
        }
        match event.take::<LogsEvent>() {
            Some(LogsEvent::Progress(progress)) => self.progress = Some(progress),
            Some(LogsEvent::Done(outcome)) => {
                self.result = Some(match outcome {
                    Ok(boxed) => {
                        let (analysis, findings) = *boxed;
                        session.replace_step_findings(StepId::Logs, findings);
                        if session.observed_error.is_none() {
                            session.observed_error = observed_error(&analysis.summary);
                        }
                        Ok(analysis.summary)
                    }
                    Err(err) => Err(err.to_string()),
                });
            }
            None => {}
        }
        Vec::new()
    }

    fn cancelled(&mut self, kinds: &[JobKind], _session: &mut Session) {
        if kinds.contains(&JobKind::Run) {
            self.result = Some(Err(LogsError::Cancelled.to_string()));
        }
    }
}

/// The most frequent failure reply, as the error the admin sees (the server's words when the MTA
/// quotes them after "said:").
pub fn observed_error(summary: &LogSummary) -> Option<String> {
    let top = summary.top_failure()?;
    let reply = logs::reply::server_words(&top.reply).unwrap_or(&top.reply);
    let text = if reply.is_empty() { top.code.clone() } else { reply.to_string() };
    (!text.is_empty()).then(|| escape_str(&shorten(&text, 300)))
}

/// The summary as rows, shared by the step and `mailwiz logs`. Everything read from a log is
/// escaped.
pub fn summary_rows(summary: &LogSummary) -> Vec<Row> {
    let mut rows = Vec::new();
    let scope = summary.domain.as_deref().map_or("all domains".to_string(), escape_str);
    rows.push(Row::new(Tone::Heading, format!("Logs for {scope}")));
    rows.extend(file_rows(summary));
    if summary.records == 0 {
        rows.push(Row::new(Tone::Dim, format!("No log record concerns {scope}.")));
        return rows;
    }
    let not_attempted = if summary.not_attempted > 0 {
        format!(" (+{} without a new try)", thousands(summary.not_attempted))
    } else {
        String::new()
    };
    rows.push(Row::plain(format!("Attempts {}{not_attempted}", thousands(summary.attempts))));
    if let (Some(first), Some(last)) = (summary.first_seen, summary.last_seen) {
        rows.push(Row::new(Tone::Dim, format!("First {first} · last {last}")));
    }
    let mut statuses = Row::new(Tone::Normal, "Statuses ");
    for (i, count) in summary.statuses.iter().enumerate() {
        let tone = if count.status.is_failure() { Tone::Fail } else { Tone::Ok };
        if i > 0 {
            statuses = statuses.push(Tone::Dim, " · ");
        }
        statuses = statuses.push(tone, format!("{} {}", count.status.as_str(), thousands(count.count)));
    }
    rows.push(statuses);
    if !summary.codes.is_empty() {
        let mut codes = Row::new(Tone::Normal, "Reply codes ");
        for (i, code) in summary.codes.iter().enumerate() {
            if i > 0 {
                codes = codes.push(Tone::Dim, " · ");
            }
            let tone = if code.failure { Tone::Warn } else { Tone::Normal };
            codes = codes.push(tone, format!("{} ×{}", escape_str(&code.code), thousands(code.count)));
        }
        rows.push(codes);
    }
    rows.extend(histogram_rows(summary));
    if !summary.failures.is_empty() {
        rows.push(Row::new(Tone::Heading, "Most frequent failures"));
        for failure in summary.failures.iter().take(5) {
            rows.push(
                Row::new(Tone::Warn, format!("  {:>6}× {:<8} ", thousands(failure.count), failure.status.as_str()))
                    .push(Tone::Received, escape_str(&failure.reply)),
            );
        }
    }
    rows.extend(family_rows(summary));
    if !summary.domains.is_empty() {
        rows.push(Row::new(Tone::Heading, "Recipient domains (most failures first)"));
        for domain in &summary.domains {
            rows.push(Row::plain(format!(
                "  {:<32} {:>8} records {:>8} failed",
                escape_str(&domain.domain),
                thousands(domain.records),
                thousands(domain.failed)
            )));
        }
    }
    rows.extend(latest_rows(summary));
    rows
}

/// When our MTA tried both families, one row per family: a refusal over one path and
/// deliveries over the other are the signature of an IPv6 identity the receiver does not accept.
fn family_rows(summary: &LogSummary) -> Vec<Row> {
    if summary.families.len() < 2 {
        return Vec::new();
    }
    let mut rows = vec![Row::new(Tone::Heading, "By address family (the peer our MTA tried)")];
    for count in &summary.families {
        let tone = if count.fails() {
            Tone::Fail
        } else if count.failed > 0 {
            Tone::Warn
        } else {
            Tone::Ok
        };
        let label = format!("  {}  {:>8} outcome(s): ", count.family.label(), thousands(count.outcomes));
        rows.push(Row { hang: Some(8), ..Row::new(Tone::Normal, label).push(tone, count.verdict()) });
    }
    rows
}

/// The latest attempts, newest first, with the receiver's reply under each.
fn latest_rows(summary: &LogSummary) -> Vec<Row> {
    let mut rows = Vec::new();
    if summary.latest.is_empty() {
        return rows;
    }
    rows.push(Row::new(Tone::Heading, "Latest attempts"));
    let skip = summary.latest.len().saturating_sub(LATEST_SHOWN);
    for attempt in summary.latest.iter().skip(skip).rev() {
        let r = &attempt.record;
        let status = r.status.map_or("", |s| s.as_str());
        let tone = if r.status.is_some_and(crate::logs::record::Status::is_failure) { Tone::Fail } else { Tone::Ok };
        let time = r.time.map_or_else(|| "(no time)".to_string(), |t| t.local.format("%Y-%m-%d %H:%M:%S").to_string());
        let peer = match (&r.remote_host, &r.remote_ip) {
            (Some(host), Some(ip)) => format!(" via {}[{}]", escape_str(host), escape_str(ip)),
            (Some(host), None) => format!(" via {}", escape_str(host)),
            (None, Some(ip)) => format!(" via [{}]", escape_str(ip)),
            (None, None) => String::new(),
        };
        let recipient = r.recipient.as_deref().map_or(String::new(), |a| format!(" {}", escape_str(a)));
        rows.push(
            Row::new(Tone::Dim, format!("  {time} "))
                .push(tone, format!("{status:<9}"))
                .push(Tone::Normal, format!("{}{recipient}{peer}", escape_str(&r.code_label()))),
        );
        if let Some(reply) = &r.reply {
            rows.push(Row::new(Tone::Received, format!("      {}", escape_str(reply))));
        }
    }
    rows
}

/// One row per log file read: its format, how much was read and skipped, or why it was not.
fn file_rows(summary: &LogSummary) -> Vec<Row> {
    let mut rows = Vec::new();
    for file in &summary.files {
        let name = escape_str(&file.path);
        match (&file.error, file.format) {
            (Some(error), _) => rows.push(Row::new(Tone::Fail, format!("  {}", escape_str(error)))),
            (None, None) => rows.push(Row::new(Tone::Dim, format!("  {name}: empty"))),
            (None, Some(format)) => {
                let gz = match (file.compressed, file.json) {
                    (true, true) => " (gzip, JSON)",
                    (true, false) => " (gzip)",
                    (false, true) => " (JSON)",
                    (false, false) => "",
                };
                let examined = if summary.domain.is_none() || file.examined == file.lines {
                    String::new()
                } else {
                    format!(" · {} mention the target", thousands(file.examined))
                };
                rows.push(Row::plain(format!(
                    "  {name}{gz}: {format}, {} lines{examined} · {} read · {} skipped",
                    thousands(file.lines),
                    thousands(file.recognised),
                    thousands(file.skipped)
                )));
            }
        }
        if let Some(note) = &file.note {
            rows.push(Row::wrapped(Tone::Warn, format!("    {}", escape_str(note)), 4));
        }
    }
    rows
}

/// The per-hour bar chart: the last [`CHART_HOURS`] hours up to the last one seen, failed part
/// drawn `█`, the rest `░`.
fn histogram_rows(summary: &LogSummary) -> Vec<Row> {
    let parse = |h: &str| NaiveDateTime::parse_from_str(&format!("{h}:00"), "%Y-%m-%dT%H:%M:%S").ok();
    let Some(last) = summary.hours.last().and_then(|h| parse(&h.hour)) else { return Vec::new() };
    let first_shown = last - Duration::hours(CHART_HOURS - 1);
    let counts: std::collections::HashMap<NaiveDateTime, (u64, u64)> = summary
        .hours
        .iter()
        .filter_map(|h| parse(&h.hour).map(|t| (t, (h.total, h.failed))))
        .filter(|(t, _)| *t >= first_shown)
        .collect();
    let start = counts.keys().min().copied().unwrap_or(last);
    let max = counts.values().map(|c| c.0).max().unwrap_or(1).max(1);
    let mut rows = vec![Row::new(Tone::Heading, "Per hour (█ failed, ░ other)")];
    let mut hour = start;
    while hour <= last {
        let (total, failed) = counts.get(&hour).copied().unwrap_or((0, 0));
        let width = |n: u64| usize::try_from((n * BAR_WIDTH).div_ceil(max)).unwrap_or(usize::MAX);
        let failed_width = width(failed);
        let other_width = width(total).saturating_sub(failed_width);
        rows.push(
            Row::new(Tone::Dim, format!("  {} │", hour.format("%m-%d %H:00")))
                .push(Tone::Fail, "█".repeat(failed_width))
                .push(Tone::Ok, "░".repeat(other_width))
                .push(Tone::Normal, if total > 0 { format!(" {total}") } else { String::new() })
                .in_table(),
        );
        hour += Duration::hours(1);
    }
    rows
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}
