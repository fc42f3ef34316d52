//! The probe: EHLO (HELO if EHLO gets 5xx) → STARTTLS if offered → EHLO → MAIL FROM → RCPT TO →
//! RSET → QUIT, never DATA. One finding per stage that went wrong, the exact reply as evidence.

use std::net::{IpAddr, SocketAddr};
use std::sync::LazyLock;
use std::time::Instant;

use futures::StreamExt;
use regex::Regex;
use serde::Serialize;
use tokio::sync::mpsc::UnboundedSender;

use super::classify::{Classification, Classifier, ReplyStage};
use super::connection::{self, ConnectOutcome, ConnectReport, Connection, ReadError, ReplyError};
use super::explain::{Explainer, Explanation};
use super::reply::Reply;
use super::tls::TlsInfo;
use super::tls_policy::{judge_starttls, our_tls_policy};
use crate::context::Context;
use crate::session::{Finding, MxTarget};

/// A point of the probe; `--quit-after` stops after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Connect,
    Banner,
    Ehlo,
    Starttls,
    Mail,
    Rcpt,
}

/// What to probe with.
#[derive(Debug, Clone)]
pub struct ProbeRequest {
    /// The name announced in EHLO/HELO.
    pub ehlo: String,
    /// Envelope sender; empty sends the null sender `<>`.
    pub from: String,
    /// Envelope recipient; none skips RCPT TO.
    pub to: Option<String>,
    /// Upgrade with STARTTLS when offered.
    pub starttls: bool,
    pub quit_after: Option<Stage>,
    /// TLS from the first byte (port 465).
    pub implicit_tls: bool,
}

impl ProbeRequest {
    /// Refuses an EHLO name or address that would change the dialogue or break RFC 5321's
    /// limits (see [`crate::session::envelope`]).
    pub fn check(&self) -> Result<(), crate::session::envelope::EnvelopeError> {
        crate::session::envelope::check_ehlo("the EHLO name", &self.ehlo)?;
        crate::session::envelope::check_address("the envelope sender", &self.from, true)?;
        if let Some(to) = &self.to {
            crate::session::envelope::check_address("the envelope recipient", to, false)?;
        }
        Ok(())
    }
}

/// One command of the probe and its reply.
#[derive(Debug, Clone, Serialize)]
pub struct StageResult {
    pub stage: String,
    /// The line sent, as sent.
    pub command: String,
    pub code: Option<u16>,
    /// The reply lines, escaped.
    pub reply: Vec<String>,
    /// Why no (complete) reply came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Explanation>,
}

/// Everything one probe of one address showed.
#[derive(Debug, Clone, Serialize)]
pub struct ProbeResult {
    pub connect: ConnectReport,
    pub stages: Vec<StageResult>,
    pub tls: Option<TlsInfo>,
    /// The address the server says we connect from ("Hello [203.0.113.5]").
    pub echoed_ip: Option<IpAddr>,
    pub findings: Vec<Finding>,
}

/// Probes one address of `host`; every finding is journaled. Stage results are also sent to
/// `progress` as they come.
pub async fn probe(
    ctx: &Context,
    host: &str,
    addr: SocketAddr,
    request: &ProbeRequest,
    progress: Option<&UnboundedSender<StageResult>>,
) -> ProbeResult {
    let read_banner = request.quit_after != Some(Stage::Connect);
    let session = async {
        let (report, conn) = connection::open_with(ctx, host, addr, request.implicit_tls, read_banner).await;
        let mut run = Run { ctx, request, progress, result: new_result(report, ctx.config.smtp.slow_banner_ms) };
        if let Some(conn) = conn {
            run.dialogue(conn).await;
        }
        run.result
    };
    // The journal must keep the refused STARTTLS as judged by our policy, not as first seen.
    let (mut result, policy) = tokio::join!(session, our_tls_policy(ctx));
    judge_starttls(&mut result.findings, &policy);
    // Every finding of this probe is about one path: the rules tell the families apart by it.
    let family = crate::config::Family::of(addr.ip()).label();
    for finding in &mut result.findings {
        if finding.arg("family").is_none() {
            finding.args.push(("family".into(), family.into()));
        }
        ctx.journal.finding(finding);
    }
    result.findings.sort_by_key(|f| f.severity);
    result
}

/// Probes the addresses of the MX set in preference order, A and AAAA alike, at most
/// `[smtp] mx_address_limit` of them per family as MTAs do (Postfix `smtp_mx_address_limit`),
/// only one family under `-4`/`-6`, `ctx.config.smtp.concurrency` at a time; results come back
/// in that order. When addresses were left out, the first result carries an
/// `smtp.mx_address_limit` finding saying so.
pub async fn probe_mx(ctx: &Context, mx: &[MxTarget], port: u16, request: &ProbeRequest) -> Vec<ProbeResult> {
    let mut targets: Vec<(u16, String, SocketAddr)> = mx
        .iter()
        .flat_map(|m| m.addresses.iter().map(move |ip| (m.preference, m.exchange.clone(), SocketAddr::new(*ip, port))))
        .filter(|(_, _, addr)| ctx.config.family_allows(addr.ip()))
        .collect();
    targets.sort_by_key(|(preference, _, _)| *preference);
    let total = targets.len();
    let limit = ctx.config.smtp.mx_address_limit.max(1);
    let mut kept = [0usize; 2];
    targets.retain(|(_, _, addr)| {
        let count = &mut kept[usize::from(addr.is_ipv6())];
        *count += 1;
        *count <= limit
    });
    let probes: Vec<_> = targets.into_iter().map(|(_, host, addr)| probe_owned(ctx, host, addr, request)).collect();
    let mut results: Vec<ProbeResult> =
        futures::stream::iter(probes).buffered(ctx.config.smtp.concurrency.max(1)).collect().await;
    for result in &results {
        ctx.journal.record(super::family::path(result).event());
    }
    if let Some(first) = results.first_mut().filter(|_| total > kept.iter().map(|k| (*k).min(limit)).sum()) {
        let finding =
            Finding::new("smtp.mx_address_limit", &[("limit", &limit.to_string()), ("count", &total.to_string())]);
        ctx.journal.finding(&finding);
        first.findings.push(finding);
    }
    results
}

async fn probe_owned(ctx: &Context, host: String, addr: SocketAddr, request: &ProbeRequest) -> ProbeResult {
    probe(ctx, &host, addr, request, None).await
}

fn new_result(connect: ConnectReport, slow_banner_ms: u64) -> ProbeResult {
    let mut findings = vec![connect.finding()];
    findings.extend(connect.slow_banner(slow_banner_ms));
    if let Some(reply) = &connect.banner_reply {
        findings.extend(Explainer::global().finding(reply, ReplyStage::Greeting));
    }
    if let Some(tls) = &connect.tls {
        findings.extend(cert_finding(&connect.host, tls));
    }
    ProbeResult { tls: connect.tls.clone(), connect, stages: Vec::new(), echoed_ip: None, findings }
}

fn cert_finding(host: &str, tls: &TlsInfo) -> Option<Finding> {
    let error = tls.verify_error.as_deref()?;
    Some(Finding::new("smtp.tls_cert_invalid", &[("host", host), ("error", error)]).with_evidence(tls.describe()))
}

/// The first IP in brackets (or bare) in the first line of an EHLO/HELO reply.
pub fn echoed_ip(reply: &Reply) -> Option<IpAddr> {
    static BRACKETED: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\[(?:IPv6:)?([0-9A-Fa-f:.]+)\]").expect("valid pattern"));
    let first = String::from_utf8_lossy(reply.lines.first()?.text_bytes()).into_owned();
    if let Some(ip) = BRACKETED.captures_iter(&first).find_map(|c| c[1].parse().ok()) {
        return Some(ip);
    }
    first
        .split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')')
        .find_map(|word| word.parse::<IpAddr>().ok())
}

struct Run<'a> {
    ctx: &'a Context,
    request: &'a ProbeRequest,
    progress: Option<&'a UnboundedSender<StageResult>>,
    result: ProbeResult,
}

impl Run<'_> {
    fn host(&self) -> String {
        self.result.connect.host.clone()
    }

    fn stops_after(&self, stage: Stage) -> bool {
        self.request.quit_after.is_some_and(|q| q <= stage)
    }

    async fn dialogue(&mut self, conn: Connection) {
        let mut conn = conn;
        if let Err(err) = self.request.check() {
            // The front ends refuse such input; the engine never sends it either.
            self.record(StageResult {
                stage: "ehlo".into(),
                command: "(not sent)".into(),
                code: None,
                reply: Vec::new(),
                error: Some(err.to_string()),
                ms: 0,
                explanation: None,
            });
            return self.quit(conn).await;
        }
        if self.stops_after(Stage::Banner) {
            if self.request.quit_after != Some(Stage::Connect) {
                self.step(&mut conn, "quit", "QUIT").await;
            }
            return conn.close().await;
        }
        let Some(ehlo) = self.greet(&mut conn).await else { return conn.close().await };
        if self.stops_after(Stage::Ehlo) {
            return self.quit(conn).await;
        }
        if ehlo.has_extension("STARTTLS") && self.request.starttls && !conn.is_tls() {
            match self.starttls(conn).await {
                Some(upgraded) => conn = upgraded,
                None => return,
            }
        } else if !ehlo.has_extension("STARTTLS") && !conn.is_tls() && ehlo.code.is_some_and(|c| c / 100 == 2) {
            self.result.findings.push(
                Finding::new("smtp.starttls_missing", &[("host", &self.host())]).with_evidence(ehlo.display_lines()),
            );
        }
        if self.stops_after(Stage::Starttls) {
            return self.quit(conn).await;
        }
        if !self.envelope(&mut conn).await {
            return conn.close().await;
        }
        if self.request.quit_after.is_none() {
            self.step(&mut conn, "rset", "RSET").await;
        }
        self.quit(conn).await;
    }

    /// EHLO, or HELO after a 5xx to EHLO; `None` when the session cannot go on.
    async fn greet(&mut self, conn: &mut Connection) -> Option<Reply> {
        let helo = self.request.ehlo.clone();
        let mut reply = self.step(conn, "ehlo", &format!("EHLO {helo}")).await?;
        if reply.is_permanent() {
            reply = self.step(conn, "helo", &format!("HELO {helo}")).await?;
        }
        if let Some(ip) = echoed_ip(&reply) {
            self.result.echoed_ip.get_or_insert(ip);
        }
        if !reply.is_positive() {
            let args = [("host", self.host()), ("helo", helo), ("reply", reply.one_line())];
            let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            self.result.findings.push(rejection("smtp.ehlo_rejected", &args, &reply, ReplyStage::Ehlo));
            return None;
        }
        Some(reply)
    }

    async fn starttls(&mut self, mut conn: Connection) -> Option<Connection> {
        let host = self.host();
        let reply = self.step(&mut conn, "starttls", "STARTTLS").await?;
        if reply.code != Some(220) {
            let finding = Finding::new("smtp.starttls_failed", &[("host", &host), ("error", &reply.one_line())])
                .with_evidence(reply.display_lines());
            self.result.findings.push(finding);
            return Some(conn);
        }
        let started = Instant::now();
        match conn.upgrade(self.ctx).await {
            Ok(mut upgraded) => {
                let info = upgraded.tls.clone();
                self.result.findings.extend(info.as_ref().and_then(|i| cert_finding(&host, i)));
                self.record(StageResult {
                    stage: "tls".into(),
                    command: "(TLS handshake)".into(),
                    code: None,
                    reply: info.as_ref().map(TlsInfo::describe).unwrap_or_default(),
                    error: None,
                    ms: millis(started),
                    explanation: None,
                });
                self.result.tls = info;
                let ehlo = self.request.ehlo.clone();
                let again = self.step(&mut upgraded, "ehlo", &format!("EHLO {ehlo}")).await?;
                if !again.is_positive() {
                    let args = [("host", host.as_str()), ("helo", ehlo.as_str()), ("reply", &again.one_line())];
                    self.result.findings.push(rejection("smtp.ehlo_rejected", &args, &again, ReplyStage::Ehlo));
                    upgraded.close().await;
                    return None;
                }
                Some(upgraded)
            }
            Err(err) => {
                let finding = Finding::new("smtp.starttls_failed", &[("host", &host), ("error", &err.to_string())]);
                self.result.findings.push(finding);
                None
            }
        }
    }

    /// MAIL FROM and RCPT TO; false when the session cannot go on.
    async fn envelope(&mut self, conn: &mut Connection) -> bool {
        let host = self.host();
        let from = self.request.from.clone();
        let Some(reply) = self.step(conn, "mail", &format!("MAIL FROM:<{from}>")).await else { return false };
        if !reply.is_positive() {
            let args = [("host", host.as_str()), ("from", from.as_str()), ("reply", &reply.one_line())];
            self.result.findings.push(rejection("smtp.mail_rejected", &args, &reply, ReplyStage::Mail));
            return reply.code != Some(421);
        }
        if self.stops_after(Stage::Mail) {
            return true;
        }
        let Some(to) = self.request.to.clone() else { return true };
        let Some(reply) = self.step(conn, "rcpt", &format!("RCPT TO:<{to}>")).await else { return false };
        if !reply.is_positive() {
            let args = [("host", host.as_str()), ("to", to.as_str()), ("reply", &reply.one_line())];
            let mut finding = rejection("smtp.rcpt_rejected", &args, &reply, ReplyStage::Rcpt);
            if reply.is_transient() {
                finding = finding.with_severity(crate::session::Severity::Warn);
            }
            self.result.findings.push(finding);
            return reply.code != Some(421);
        }
        let addr = self.result.connect.addr.ip().to_string();
        // RFC 5321 makes postmaster special and many sites exempt it from their filters, so
        // its acceptance says less than a real recipient's.
        let postmaster = to.split_once('@').is_some_and(|(local, _)| local.eq_ignore_ascii_case("postmaster"));
        let scope =
            if postmaster { format!(" ({})", crate::session::vocabulary::POSTMASTER_ONLY) } else { String::new() };
        let args = [
            ("host", host.as_str()),
            ("addr", &addr),
            ("to", to.as_str()),
            ("reply", &reply.one_line()),
            ("recipient_scope", &scope),
        ];
        self.result.findings.push(Finding::new("smtp.rcpt_accepted", &args).with_evidence(reply.display_lines()));
        true
    }

    async fn quit(&mut self, mut conn: Connection) {
        self.step(&mut conn, "quit", "QUIT").await;
        conn.close().await;
    }

    /// Sends one command, records the stage and explains a failure reply. `None` when no
    /// complete reply came (the connection is then unusable).
    async fn step(&mut self, conn: &mut Connection, stage: &str, command: &str) -> Option<Reply> {
        let started = Instant::now();
        let outcome = conn.command(command).await;
        let (reply, error) = match outcome {
            Ok(reply) => (Some(reply), None),
            Err(ReplyError { error, partial }) => (partial, Some(error)),
        };
        let reply_stage = ReplyStage::of_command(command).unwrap_or(ReplyStage::Unknown);
        // A reply SMTP does not allow is not explained as a refusal.
        let problem = reply.as_ref().filter(|_| error.is_none()).and_then(|r| r.protocol_problem(false));
        let explained = reply.as_ref().filter(|r| !r.is_positive() && problem.is_none());
        let explanation = explained.map(|r| Explainer::global().explain(r, reply_stage));
        if let Some(finding) = explained.and_then(|r| Explainer::global().finding(r, reply_stage)) {
            self.result.findings.push(finding);
        }
        self.record(StageResult {
            stage: stage.into(),
            command: command.into(),
            code: reply.as_ref().and_then(|r| r.code),
            reply: reply.as_ref().map(Reply::display_lines).unwrap_or_default(),
            error: error.as_ref().map(ToString::to_string),
            ms: millis(started),
            explanation,
        });
        if let Some(error) = error {
            self.no_reply(conn, command, stage, &error, reply.as_ref());
            return None;
        }
        if let Some(problem) = problem {
            // A reply SMTP does not allow: nothing more can be read from this session.
            let connect = &self.result.connect;
            let (addr, port) = (connect.addr.ip().to_string(), connect.addr.port().to_string());
            let args = [("host", self.host()), ("addr", addr), ("port", port), ("error", problem.to_string())];
            let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let lines = reply.as_ref().map(Reply::display_lines).unwrap_or_default();
            self.result.findings.push(Finding::new("smtp.protocol_error", &args).with_evidence(lines));
            return None;
        }
        reply
    }

    /// Says why a command got no complete reply: a close or reset right after the banner is how
    /// the connection ended; a slow or endless reply is named as such.
    fn no_reply(&mut self, conn: &Connection, command: &str, stage: &str, error: &ReadError, partial: Option<&Reply>) {
        let connect = &self.result.connect;
        let (host, addr, port) = (connect.host.clone(), connect.addr.ip().to_string(), connect.addr.port().to_string());
        let shown = crate::session::escape::escape_str(command);
        let finding = match error {
            ReadError::Timeout(_) => {
                let timeout = format!("{:.1} s", conn.read_timeout().as_secs_f64());
                let args = [("host", host.as_str()), ("addr", &addr), ("command", &shown), ("timeout", &timeout)];
                Finding::new("smtp.reply_timeout", &args)
            }
            ReadError::LineTooLong(_) => {
                let args = [("host", host.as_str()), ("addr", &addr), ("port", &port), ("error", &error.to_string())];
                Finding::new("smtp.line_too_long", &args)
            }
            ReadError::Closed | ReadError::Reset | ReadError::Io(_) => {
                if stage == "ehlo" && self.result.stages.len() == 1 {
                    self.connection_dropped_after_banner(&error.to_string());
                }
                return;
            }
        };
        let evidence = partial.map(Reply::display_lines).unwrap_or_default();
        self.result.findings.push(finding.with_evidence(evidence));
    }

    fn connection_dropped_after_banner(&mut self, error: &str) {
        let connect = &mut self.result.connect;
        connect.outcome = ConnectOutcome::ClosedAfterBanner;
        connect.error = Some(error.to_string());
        let finding = connect.finding();
        self.result.findings.retain(|f| f.id != "smtp.ok");
        self.result.findings.insert(0, finding);
    }

    fn record(&mut self, stage: StageResult) {
        if let Some(progress) = self.progress {
            let _ = progress.send(stage.clone());
        }
        self.result.stages.push(stage);
    }
}

/// A finding for a refused command, with the reply as evidence and its reason class.
fn rejection(id: &str, args: &[(&str, &str)], reply: &Reply, stage: ReplyStage) -> Finding {
    let class = reply.code.is_some().then(|| Classifier::bundled().classify_reply(reply, stage));
    let finding = Finding::new(id, args)
        .with_evidence(reply.display_lines())
        .with_args(class.iter().flat_map(Classification::args));
    // The command's own advice (check the recipient, the HELO name, the sender domain) holds only
    // when the reply does not say why.
    match class.and_then(|c| c.class.remedy()) {
        Some(remedy) => finding.with_fix(remedy),
        None => finding,
    }
}

fn millis(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_echoed_address() {
        let ip = |text: &str| echoed_ip(&Reply::parse(text));
        assert_eq!(ip("250-mx.test Hello [203.0.113.5]\n250 SIZE"), "203.0.113.5".parse().ok());
        assert_eq!(ip("250 mx.google.com at your service, [2001:db8::5]"), "2001:db8::5".parse().ok());
        assert_eq!(ip("250-mx Hello host [IPv6:2001:db8::7], pleased"), "2001:db8::7".parse().ok());
        assert_eq!(ip("250-mx.test\n250 STARTTLS"), None);
    }
}
