//! The raw console: typed lines go to the server as typed plus CRLF, reply lines come back as
//! they arrive, each finished reply explained. `DATA` answered 354 switches to data mode until a
//! lone `.` (dot-stuffing applied and said); `STARTTLS` answered 220 upgrades the connection;
//! AUTH lines are sent as typed and redacted in the journal and on screen. Meta commands start
//! with `:` (`:connect host [port]`, `:tls [host] [port]`, `:close`, `:probe`, `:help`).
//!
//! The console knows nothing of the terminal: lines come in on a channel, [`ConsoleEvent`]s go out.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::sync::mpsc::{Receiver, UnboundedSender};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::classify::ReplyStage;
use super::connection::{self, ConnectReport, Connection};
use super::explain::{Explainer, Explanation};
use super::probe::{self, ProbeRequest, ProbeResult};
use super::reply::Reply;
use super::target::{self, HostPort};
use super::tls::TlsInfo;
use crate::context::Context;
use crate::session::{EventKind, Finding, MxTarget};

/// The port of implicit TLS (submissions).
pub const IMPLICIT_TLS_PORT: u16 = 465;

/// What the console reports, in order.
#[derive(Debug, Clone)]
pub enum ConsoleEvent {
    /// A remark of the console itself (mode changes, errors, help).
    Info(String),
    /// How a connection attempt ended.
    Connected(Box<ConnectReport>),
    /// A line sent, as shown (AUTH secrets redacted), and whether inside TLS.
    Sent(String, bool),
    /// A line received, escaped, and whether inside TLS.
    Received(String, bool),
    /// A reply is complete.
    Reply { code: Option<u16>, explanation: Explanation },
    /// TLS is up.
    Tls(TlsInfo),
    /// A finding (already journaled).
    Finding(Finding),
    /// A finding about a host that is not the target's (see [`Scope`]): shown, not counted.
    Experiment(Finding),
    /// A probe finished; its findings were also sent as [`ConsoleEvent::Finding`].
    Probe(Vec<ProbeResult>),
    /// The server named the address it sees us connect from in its EHLO/HELO reply.
    EchoedIp { host: String, ip: std::net::IpAddr },
    /// Data mode began (true) or ended (false): typed lines are message lines.
    DataMode(bool),
    /// The connection ended.
    Closed(String),
    /// The console began (true) or finished (false) acting on a connect or a typed line; with
    /// no connection open and nothing begun, it only waits for the user.
    Working(bool),
}

/// Where the console connects first.
#[derive(Debug, Clone)]
pub struct Start {
    pub target: HostPort,
    /// The addresses to try in turn; empty resolves `target.host`.
    pub addrs: Vec<SocketAddr>,
    pub implicit_tls: bool,
}

impl Start {
    /// Connect to `target`, resolving its name.
    pub fn host(target: HostPort, implicit_tls: bool) -> Start {
        Start { target, addrs: Vec::new(), implicit_tls }
    }
}

/// How the console runs.
#[derive(Debug, Clone)]
pub struct ConsoleOptions {
    /// Port for `:connect host` without a port.
    pub port: u16,
    /// What `:probe` sends.
    pub probe: ProbeRequest,
    /// The MX hosts `:probe` tries when no connection is open.
    pub mx: Vec<MxTarget>,
    /// Wait for the reply before taking the next typed line (pipes, scripts).
    pub lockstep: bool,
    /// The target the session is about; a connection elsewhere is an experiment. `None`: every
    /// connection is what was asked about (`mailwiz smtp HOST`).
    pub scope: Option<Scope>,
}

/// What counts as the target: its domain, its MX hosts and their addresses, and the port mail
/// goes to. A connection to anything else is an experiment: its findings are shown and
/// journaled as such, never added to the target's findings.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub domain: String,
    pub mx: Vec<MxTarget>,
    pub port: u16,
}

impl Scope {
    /// True when a connection typed as `typed` (host or domain) reached `host` at `addr`
    /// and is about the target.
    fn covers(&self, typed: &str, host: &str, addr: SocketAddr) -> bool {
        let same = |a: &str, b: &str| a.trim_end_matches('.').eq_ignore_ascii_case(b.trim_end_matches('.'));
        // Before the MX step has run, a host under the target's domain is taken for one of its MX.
        let under_domain = || {
            self.mx.is_empty()
                && host.to_ascii_lowercase().trim_end_matches('.').ends_with(&format!(".{}", self.domain))
        };
        addr.port() == self.port
            && (same(typed, &self.domain)
                || self.mx.iter().any(|m| same(&m.exchange, host) || m.addresses.contains(&addr.ip()))
                || under_domain())
    }
}

/// Runs the console until the input ends or `cancel` fires; connects to `start` first if given
/// (with implicit TLS when its flag is set).
pub async fn run(
    ctx: Context,
    options: ConsoleOptions,
    start: Option<Start>,
    mut input: Receiver<String>,
    events: UnboundedSender<ConsoleEvent>,
    cancel: CancellationToken,
) {
    let mut console = Console::new(ctx, options, events);
    if let Some(start) = start {
        console.emit(ConsoleEvent::Working(true));
        tokio::select! {
            () = cancel.cancelled() => return,
            () = console.connect(start) => {}
        }
        console.emit(ConsoleEvent::Working(false));
    }
    loop {
        let waiting = console.deadline;
        let take_input = !(console.options.lockstep && waiting.is_some());
        tokio::select! {
            () = cancel.cancelled() => break,
            line = input.recv(), if take_input => match line {
                Some(line) => {
                    console.emit(ConsoleEvent::Working(true));
                    tokio::select! {
                        () = cancel.cancelled() => break,
                        () = console.typed(&line) => {}
                    }
                    console.emit(ConsoleEvent::Working(false));
                }
                None => break,
            },
            line = next_line(&mut console.conn) => console.received(line).await,
            () = sleep_until(waiting) => console.no_reply(),
        }
    }
    if let Some(conn) = console.conn.take() {
        conn.close().await;
    }
}

async fn next_line(conn: &mut Option<Connection>) -> std::io::Result<Option<super::reply::ReplyLine>> {
    match conn {
        Some(conn) => conn.next_line().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

struct Console {
    ctx: Context,
    options: ConsoleOptions,
    events: UnboundedSender<ConsoleEvent>,
    conn: Option<Connection>,
    /// When a reply is overdue.
    deadline: Option<Instant>,
    data_mode: bool,
    /// The verbs of the commands awaiting a reply, oldest first (typed lines may be pipelined):
    /// DATA answered 354 opens data mode, STARTTLS answered 220 upgrades, EHLO's reply may echo
    /// our address.
    pending: VecDeque<String>,
    /// AUTH is in progress: lines sent are secrets until a reply other than 334.
    auth: bool,
    /// Explain failure replies inline (`:explain off` for the bare dialogue).
    explain: bool,
    /// Whether the open connection is about the target (see [`Scope`]).
    about: About,
}

/// What a console connection is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum About {
    Target,
    /// Another host or port: shown and kept, never the target's findings.
    Experiment,
}

impl Console {
    fn new(ctx: Context, options: ConsoleOptions, events: UnboundedSender<ConsoleEvent>) -> Console {
        Console {
            ctx,
            options,
            events,
            conn: None,
            deadline: None,
            data_mode: false,
            pending: VecDeque::new(),
            auth: false,
            explain: true,
            about: About::Target,
        }
    }

    fn emit(&self, event: ConsoleEvent) {
        // The receiver is gone only when the front end stops.
        let _ = self.events.send(event);
    }

    fn info(&self, text: impl Into<String>) {
        let text = text.into();
        self.ctx.journal.log(EventKind::Info, text.clone());
        self.emit(ConsoleEvent::Info(text));
    }

    fn found(&self, finding: Finding) {
        let ctx = self.probe_context();
        ctx.journal.finding(&finding);
        self.emit(if self.about == About::Experiment {
            ConsoleEvent::Experiment(finding)
        } else {
            ConsoleEvent::Finding(finding)
        });
    }

    /// The context findings are made in: the session's, or for an experiment one whose journal
    /// keeps them as text only.
    fn probe_context(&self) -> Context {
        if self.about == About::Experiment {
            Context { journal: self.ctx.journal.experiment(), ..self.ctx.clone() }
        } else {
            self.ctx.clone()
        }
    }

    fn read_timeout(&self) -> Duration {
        self.ctx.config.read_timeout()
    }

    async fn typed(&mut self, line: &str) {
        if !self.data_mode && line.starts_with(':') {
            return self.meta(line).await;
        }
        let Some(conn) = self.conn.as_mut() else {
            // The line is shown with why it went nowhere, so a pasted session can be followed.
            let shown = crate::session::escape::escape_str(line);
            return self.info(format!("not sent, no connection is open: {shown} (use :connect HOST [PORT], or :help)"));
        };
        let (wire, shown) = if self.data_mode {
            data_line(line)
        } else if self.auth {
            (line.to_string(), "[redacted]".to_string())
        } else {
            (line.to_string(), redact_auth(line))
        };
        let redacted = (shown != wire).then_some(shown.as_str());
        let tls = conn.is_tls();
        if let Err(err) = conn.send(&wire, redacted).await {
            self.emit(ConsoleEvent::Sent(shown, tls));
            return self.lost(&format!("sending failed: {err}")).await;
        }
        self.emit(ConsoleEvent::Sent(shown.clone(), tls));
        if self.data_mode {
            if wire.starts_with("..") {
                self.info(format!("dot-stuffed: the line went out as {shown}"));
            }
            if wire == "." {
                self.data_mode = false;
                self.emit(ConsoleEvent::DataMode(false));
                self.expect_reply(".".into());
            }
            return;
        }
        let verb = if self.auth {
            "AUTH".to_string()
        } else {
            line.split_whitespace().next().unwrap_or("").to_ascii_uppercase()
        };
        self.auth |= verb == "AUTH";
        self.expect_reply(verb);
    }

    fn expect_reply(&mut self, verb: String) {
        self.pending.push_back(verb);
        let timeout = self.read_timeout();
        self.deadline.get_or_insert_with(|| Instant::now() + timeout);
    }

    async fn received(&mut self, line: std::io::Result<Option<super::reply::ReplyLine>>) {
        let line = match line {
            Ok(Some(line)) => line,
            Ok(None) => return self.lost("the server closed the connection").await,
            Err(err) => return self.lost(&format!("the connection failed: {err}")).await,
        };
        let tls = self.conn.as_ref().is_some_and(Connection::is_tls);
        self.emit(ConsoleEvent::Received(line.display(), tls));
        let Some(conn) = self.conn.as_mut() else { return };
        let Some(reply) = conn.assemble(line) else { return };
        let verb = self.pending.pop_front().unwrap_or_default();
        self.deadline = (!self.pending.is_empty()).then(|| Instant::now() + self.read_timeout());
        self.reply(reply, &verb).await;
    }

    async fn reply(&mut self, reply: Reply, verb: &str) {
        let explainer = Explainer::global();
        let stage = ReplyStage::of_command(verb).unwrap_or(ReplyStage::Unknown);
        let explanation = if self.explain { explainer.explain(&reply, stage) } else { Explanation::default() };
        self.emit(ConsoleEvent::Reply { code: reply.code, explanation });
        if let Some(finding) = explainer.finding(&reply, stage) {
            self.found(finding);
        }
        if verb == "AUTH" && reply.code != Some(334) {
            self.auth = false;
        }
        if (verb == "EHLO" || verb == "HELO")
            && reply.is_positive()
            && let (Some(ip), Some(conn)) = (probe::echoed_ip(&reply), self.conn.as_ref())
        {
            self.emit(ConsoleEvent::EchoedIp { host: conn.host.clone(), ip });
        }
        if verb == "DATA" && reply.code == Some(354) {
            self.data_mode = true;
            self.emit(ConsoleEvent::DataMode(true));
            self.info("data mode: type the message; a line with a single '.' ends it (lines starting with '.' are dot-stuffed)");
        }
        if verb == "STARTTLS" && reply.code == Some(220) {
            self.upgrade().await;
        }
    }

    async fn upgrade(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        let host = conn.host.clone();
        match conn.upgrade(&self.ctx).await {
            Ok(conn) => {
                if let Some(info) = conn.tls.clone() {
                    self.emit(ConsoleEvent::Tls(info.clone()));
                    if let Some(error) = &info.verify_error {
                        self.found(
                            Finding::new("smtp.tls_cert_invalid", &[("host", &host), ("error", error)])
                                .with_evidence(info.describe()),
                        );
                    }
                }
                self.info("TLS is up: the server forgot the EHLO, send it again");
                self.conn = Some(conn);
            }
            Err(err) => {
                self.found(Finding::new("smtp.starttls_failed", &[("host", &host), ("error", &err.to_string())]));
                self.reset_modes();
                self.emit(ConsoleEvent::Closed(err.to_string()));
            }
        }
    }

    async fn lost(&mut self, why: &str) {
        if let Some(mut conn) = self.conn.take() {
            if let Some(partial) = conn.assemble_finish() {
                self.reply(partial, "").await;
            }
            conn.close().await;
        }
        self.reset_modes();
        self.ctx.journal.log(EventKind::Info, why.to_string());
        self.emit(ConsoleEvent::Closed(why.to_string()));
    }

    fn reset_modes(&mut self) {
        self.deadline = None;
        self.pending.clear();
        if std::mem::take(&mut self.data_mode) {
            self.emit(ConsoleEvent::DataMode(false));
        }
        self.auth = false;
    }

    fn no_reply(&mut self) {
        self.deadline = None;
        self.info(format!(
            "no reply within {:.1} s; still waiting (:close to give up)",
            self.read_timeout().as_secs_f64()
        ));
    }

    async fn meta(&mut self, line: &str) {
        let words: Vec<&str> = line[1..].split_whitespace().collect();
        match words.as_slice() {
            ["connect" | "c", host] => self.connect_typed(host, None, false).await,
            ["connect" | "c", host, port] => self.connect_typed(host, Some(port), false).await,
            ["tls"] => match self.conn.as_ref().map(|c| c.host.clone()) {
                Some(host) => self.connect_typed(&host, Some(&IMPLICIT_TLS_PORT.to_string()), true).await,
                None => self.info("usage: :tls [HOST] [PORT] (implicit TLS, port 465 by default; HOST may be left out only while connected)"),
            },
            ["tls", host] => self.connect_typed(host, Some(&IMPLICIT_TLS_PORT.to_string()), true).await,
            ["tls", host, port] => self.connect_typed(host, Some(port), true).await,
            ["close"] => match self.conn.take() {
                Some(conn) => {
                    conn.close().await;
                    self.reset_modes();
                    self.emit(ConsoleEvent::Closed("closed by you".into()));
                }
                None => self.info("not connected"),
            },
            ["probe"] => self.probe().await,
            ["explain", switch @ ("on" | "off")] => {
                self.explain = *switch == "on";
                self.info(format!("explanations of replies are {switch}"));
            }
            ["explain"] => self.info(format!(
                "explanations of replies are {}: :explain on|off",
                if self.explain { "on" } else { "off" }
            )),
            ["via", "on"] => match self.ctx.config.smtp.via.clone() {
                Some(via) => {
                    self.info(format!(
                        "the next :connect goes through `{}` (the second vantage point)",
                        crate::session::escape::escape_str(&via)
                    ));
                    self.ctx.via = Some(via);
                }
                None => self.info("no second vantage point is set: start with --via CMD or set [smtp] via"),
            },
            ["via", "off"] => {
                self.ctx.via = None;
                self.info("the next :connect goes from here");
            }
            ["via"] => self.info(match &self.ctx.via {
                Some(via) => {
                    format!("connections go through `{}`: :via on|off", crate::session::escape::escape_str(via))
                }
                None => "connections go from here: :via on|off".to_string(),
            }),
            ["help" | "h" | "?"] => self.info(HELP),
            _ => self.info(format!("unknown command {}; {HELP}", crate::session::escape::escape_str(line))),
        }
    }

    async fn connect_typed(&mut self, host: &str, port: Option<&str>, implicit_tls: bool) {
        let text = match port {
            Some(port) => format!("{}:{port}", bracket(host)),
            None => host.to_string(),
        };
        match target::parse_host_port(&text, self.options.port) {
            Ok(target) => self.connect(Start::host(target, implicit_tls)).await,
            Err(err) => self.info(err),
        }
    }

    /// Connects to each address of `start` in turn until one greets with 2xx.
    async fn connect(&mut self, start: Start) {
        if let Some(conn) = self.conn.take() {
            conn.close().await;
        }
        self.reset_modes();
        let Start { target, addrs, implicit_tls } = start;
        let routes: Vec<(String, SocketAddr)> = if addrs.is_empty() {
            match target::route(&self.ctx, &target).await {
                Ok(routes) => routes,
                Err(err) => return self.info(err),
            }
        } else {
            addrs.into_iter().map(|addr| (target.host.clone(), addr)).collect()
        };
        if routes.first().is_some_and(|(host, _)| *host != target.host) {
            self.info(format!("{} has MX records: connecting to its mail exchangers in preference order", target.host));
        }
        for (host, addr) in routes {
            self.info(format!("connecting to {host} ({addr}){}", if implicit_tls { " with TLS" } else { "" }));
            let elsewhere = self.options.scope.as_ref().is_some_and(|s| !s.covers(&target.host, &host, addr));
            self.about = if elsewhere { About::Experiment } else { About::Target };
            if let Some(scope) = self.options.scope.as_ref().filter(|_| elsewhere) {
                self.info(format!(
                    "an experiment: {host} port {} is not an MX of {} on port {}, so what it answers is not counted for {}",
                    addr.port(),
                    scope.domain,
                    scope.port,
                    scope.domain
                ));
            }
            let (report, conn) = connection::open(&self.ctx, &host, addr, implicit_tls).await;
            self.report(&report);
            if let Some(conn) = conn {
                self.conn = Some(conn);
                return;
            }
        }
    }

    fn report(&self, report: &ConnectReport) {
        self.emit(ConsoleEvent::Connected(Box::new(report.clone())));
        for line in &report.banner {
            self.emit(ConsoleEvent::Received(line.clone(), report.tls.is_some()));
        }
        if let Some(banner) = &report.banner_reply {
            self.emit(ConsoleEvent::Reply {
                code: banner.code,
                explanation: Explainer::global().explain(banner, ReplyStage::Greeting),
            });
        }
        if let Some(info) = &report.tls {
            self.emit(ConsoleEvent::Tls(info.clone()));
        }
        self.found(report.finding());
        if let Some(slow) = report.slow_banner(self.ctx.config.smtp.slow_banner_ms) {
            self.found(slow);
        }
        if let Some(finding) =
            report.banner_reply.as_ref().and_then(|b| Explainer::global().finding(b, ReplyStage::Greeting))
        {
            self.found(finding);
        }
    }

    async fn probe(&mut self) {
        let results = match self.conn.take() {
            Some(conn) => {
                let (host, addr) = (conn.host.clone(), conn.addr);
                conn.close().await;
                self.reset_modes();
                self.info(format!("probing {host} ({addr}); the console connection was closed"));
                vec![probe::probe(&self.probe_context(), &host, addr, &self.options.probe, None).await]
            }
            None if !self.options.mx.is_empty() => {
                self.about = About::Target;
                self.info("probing every address of every MX");
                probe::probe_mx(&self.ctx, &self.options.mx, self.options.port, &self.options.probe).await
            }
            None => return self.info("nothing to probe: :connect HOST first, or run the MX step"),
        };
        for result in &results {
            for finding in &result.findings {
                // The probe journaled its findings already.
                let finding = finding.clone();
                self.emit(if self.about == About::Experiment {
                    ConsoleEvent::Experiment(finding)
                } else {
                    ConsoleEvent::Finding(finding)
                });
            }
        }
        if self.about == About::Target {
            self.emit(ConsoleEvent::Probe(results));
        }
    }
}

const HELP: &str = ":connect HOST|DOMAIN [PORT] · :tls [HOST] [PORT] (implicit TLS) · :close · :probe · :explain on|off · :via on|off (the second vantage point) · anything else is sent as typed";

fn bracket(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') { format!("[{host}]") } else { host.to_string() }
}

/// A message line in data mode: the line as it goes out (dot-stuffed) and as shown.
fn data_line(line: &str) -> (String, String) {
    if line != "." && line.starts_with('.') {
        let stuffed = format!(".{line}");
        (stuffed.clone(), stuffed)
    } else {
        (line.to_string(), line.to_string())
    }
}

/// `AUTH PLAIN secret` → `AUTH PLAIN [redacted]`; `AUTH LOGIN` stays (no secret in it).
pub fn redact_auth(line: &str) -> String {
    let mut words = line.split_whitespace();
    let verb = words.next().unwrap_or("");
    if !verb.eq_ignore_ascii_case("AUTH") {
        return line.to_string();
    }
    match (words.next(), words.next()) {
        (Some(mechanism), Some(_)) => format!("{verb} {mechanism} [redacted]"),
        _ => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_secrets_are_redacted() {
        assert_eq!(redact_auth("AUTH PLAIN AGZvbwBiYXI="), "AUTH PLAIN [redacted]");
        assert_eq!(redact_auth("auth login"), "auth login");
        assert_eq!(redact_auth("MAIL FROM:<a@b>"), "MAIL FROM:<a@b>");
    }

    #[test]
    fn data_lines_are_dot_stuffed() {
        assert_eq!(data_line(".hidden").0, "..hidden");
        assert_eq!(data_line(".").0, ".");
        assert_eq!(data_line("text").0, "text");
    }
}
