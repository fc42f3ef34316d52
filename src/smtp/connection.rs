//! Opening an SMTP connection to one address and classifying how it went; the open connection
//! journals every line sent and received.

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};

use super::classify::{Classification, Classifier, ReplyStage};
use super::reply::ProtocolProblem;
use super::reply::{LineReader, LineTooLong, Reply, ReplyAssembler, ReplyLine};
use super::stream::SmtpStream;
use super::tls::{self, TlsInfo};
use super::transport::{Transport, ViaEnd, ViaStream};
use crate::context::Context;
use crate::session::escape::{escape_bytes, escape_str};
use crate::session::{Event, EventKind, Finding, Journal};

/// How a connection attempt ended; which one decides the likely cause (a firewall times out, a
/// connection filter closes or answers 421/554 at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectOutcome {
    Refused,
    Timeout,
    Unreachable,
    ClosedBeforeBanner,
    ResetBeforeBanner,
    Banner4xx,
    Banner5xx,
    ClosedAfterBanner,
    /// Connected, but no complete banner before the deadline: a tarpit or an overloaded server.
    NoBanner,
    /// A line longer than [`super::reply::LINE_LIMIT`] instead of a banner.
    LineTooLong,
    /// The via command (the second vantage point) failed on its own side: it could not log in,
    /// forward, or resolve; nothing is known of the receiver.
    ViaFailed,
    /// The peer's first line is not an SMTP reply (HTTP, TLS bytes, SSH, anything else).
    NotSmtp,
    /// The peer started an SMTP reply and broke the protocol: continuation lines without a last
    /// line, lines without a code or with another code than the first.
    ProtocolError,
    Ok,
}

impl ConnectOutcome {
    /// Every outcome.
    pub const ALL: [ConnectOutcome; 14] = [
        ConnectOutcome::Refused,
        ConnectOutcome::Timeout,
        ConnectOutcome::Unreachable,
        ConnectOutcome::ClosedBeforeBanner,
        ConnectOutcome::ResetBeforeBanner,
        ConnectOutcome::Banner4xx,
        ConnectOutcome::Banner5xx,
        ConnectOutcome::ClosedAfterBanner,
        ConnectOutcome::NoBanner,
        ConnectOutcome::LineTooLong,
        ConnectOutcome::ViaFailed,
        ConnectOutcome::NotSmtp,
        ConnectOutcome::ProtocolError,
        ConnectOutcome::Ok,
    ];

    /// The finding that reports this outcome, spelled out so the catalogue's ids can be found.
    pub fn finding_id(self) -> &'static str {
        match self {
            ConnectOutcome::Refused => "smtp.refused",
            ConnectOutcome::Timeout => "smtp.timeout",
            ConnectOutcome::Unreachable => "smtp.unreachable",
            ConnectOutcome::ClosedBeforeBanner => "smtp.closed_before_banner",
            ConnectOutcome::ResetBeforeBanner => "smtp.reset_before_banner",
            ConnectOutcome::Banner4xx => "smtp.banner_4xx",
            ConnectOutcome::Banner5xx => "smtp.banner_5xx",
            ConnectOutcome::ClosedAfterBanner => "smtp.closed_after_banner",
            ConnectOutcome::NoBanner => "smtp.no_banner",
            ConnectOutcome::LineTooLong => "smtp.line_too_long",
            ConnectOutcome::ViaFailed => "smtp.via_failed",
            ConnectOutcome::NotSmtp => "smtp.not_smtp",
            ConnectOutcome::ProtocolError => "smtp.protocol_error",
            ConnectOutcome::Ok => "smtp.ok",
        }
    }

    /// The `snake_case` name, also the finding id's last part.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectOutcome::Refused => "refused",
            ConnectOutcome::Timeout => "timeout",
            ConnectOutcome::Unreachable => "unreachable",
            ConnectOutcome::ClosedBeforeBanner => "closed_before_banner",
            ConnectOutcome::ResetBeforeBanner => "reset_before_banner",
            ConnectOutcome::Banner4xx => "banner_4xx",
            ConnectOutcome::Banner5xx => "banner_5xx",
            ConnectOutcome::ClosedAfterBanner => "closed_after_banner",
            ConnectOutcome::NoBanner => "no_banner",
            ConnectOutcome::LineTooLong => "line_too_long",
            ConnectOutcome::ViaFailed => "via_failed",
            ConnectOutcome::NotSmtp => "not_smtp",
            ConnectOutcome::ProtocolError => "protocol_error",
            ConnectOutcome::Ok => "ok",
        }
    }
}

/// JSON spells an outcome as [`ConnectOutcome::as_str`] does: `banner_4xx`, not `banner4xx`.
impl Serialize for ConnectOutcome {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl fmt::Display for ConnectOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one connection attempt showed.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectReport {
    pub host: String,
    /// The address we meant to reach.
    pub addr: SocketAddr,
    /// Where the connection really went, when the demo world redirects it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routed_to: Option<SocketAddr>,
    /// The command that carried the connection from another vantage point.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    pub source: Option<IpAddr>,
    pub outcome: ConnectOutcome,
    pub connect_ms: Option<u64>,
    pub banner_ms: Option<u64>,
    /// The banner lines, escaped.
    pub banner: Vec<String>,
    #[serde(skip)]
    pub banner_reply: Option<Reply>,
    /// The system's error or our reason, when the outcome is not `ok`.
    pub error: Option<String>,
    /// No connection was tried: this host has no route of the address's family (IPv6), so
    /// the path cannot be tested from here. Nothing is known of the receiver.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub no_route: bool,
    /// TLS details for implicit TLS.
    pub tls: Option<TlsInfo>,
    #[serde(skip)]
    pub timeout: Duration,
}

impl ConnectReport {
    /// The finding for this outcome (`smtp.ok`, `smtp.refused`, …).
    pub fn finding(&self) -> Finding {
        let banner = self.banner_reply.as_ref().map(Reply::one_line).unwrap_or_default();
        let args = [
            ("host", self.host.as_str()),
            ("addr", &self.addr.ip().to_string()),
            ("port", &self.addr.port().to_string()),
            ("timeout", &format!("{:.1} s", self.timeout.as_secs_f64())),
            ("error", self.error.as_deref().unwrap_or("")),
            ("reply", &banner),
            ("banner", &banner),
            ("ms", &self.banner_ms.or(self.connect_ms).unwrap_or(0).to_string()),
        ];
        let class = self
            .banner_reply
            .as_ref()
            .filter(|r| !r.is_positive() && r.code.is_some())
            .map(|r| Classifier::bundled().classify_reply(r, ReplyStage::Greeting));
        let id = if self.no_route { "smtp.no_route" } else { self.outcome.finding_id() };
        let mut finding = Finding::new(id, &args)
            .with_evidence(self.banner.clone())
            .with_args(class.iter().flat_map(Classification::args));
        // A greeting that names its reason gets that reason's fix, not the general advice.
        if let Some(remedy) = class.and_then(|c| c.class.remedy()) {
            finding = finding.with_fix(remedy);
        }
        if let Some(error) = &self.error {
            finding = finding.with_detail(error.clone());
        }
        finding
    }

    /// The `smtp.slow_banner` finding when the banner took longer than `limit_ms`.
    pub fn slow_banner(&self, limit_ms: u64) -> Option<Finding> {
        let ms = self.banner_ms.filter(|ms| *ms > limit_ms)?;
        let args = [("host", self.host.as_str()), ("addr", &self.addr.ip().to_string()), ("ms", &ms.to_string())];
        Some(Finding::new("smtp.slow_banner", &args).with_evidence(self.banner.clone()))
    }
}

/// Why a reply could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReadError {
    #[error("the server closed the connection")]
    Closed,
    #[error("the server reset the connection")]
    Reset,
    #[error("no complete reply within {0:.1} s")]
    Timeout(f64),
    #[error("the server sent a line longer than {} KiB without a line end", .0 / 1024)]
    LineTooLong(usize),
    #[error("{0}")]
    Io(String),
}

/// A reply, or why there was none, with what came before the failure.
#[derive(Debug, Clone)]
pub struct ReplyError {
    pub error: ReadError,
    pub partial: Option<Reply>,
}

impl fmt::Display for ReplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.error)?;
        if let Some(partial) = &self.partial {
            write!(f, " after: {}", partial.one_line())?;
        }
        Ok(())
    }
}

/// An open SMTP connection. Every line it sends or receives goes to the journal.
#[derive(Debug)]
pub struct Connection {
    reader: LineReader<BufReader<SmtpStream>>,
    assembler: ReplyAssembler,
    journal: Journal,
    pub host: String,
    pub addr: SocketAddr,
    pub tls: Option<TlsInfo>,
    read_timeout: Duration,
}

impl Connection {
    fn new(stream: SmtpStream, host: &str, addr: SocketAddr, ctx: &Context) -> Connection {
        Connection {
            reader: LineReader::new(BufReader::new(stream)),
            assembler: ReplyAssembler::default(),
            journal: ctx.journal.clone(),
            host: host.to_string(),
            addr,
            tls: None,
            read_timeout: ctx.config.read_timeout(),
        }
    }

    /// True inside TLS.
    pub fn is_tls(&self) -> bool {
        self.reader.get_ref().get_ref().is_tls()
    }

    /// The deadline of one whole reply.
    pub fn read_timeout(&self) -> Duration {
        self.read_timeout
    }

    /// Sends `line` as typed plus CRLF. `journal_text` replaces the line in the journal (AUTH
    /// secrets); the bytes on the wire are always exactly `line`.
    pub async fn send(&mut self, line: &str, journal_text: Option<&str>) -> io::Result<()> {
        let mut bytes = Vec::with_capacity(line.len() + 2);
        bytes.extend_from_slice(line.as_bytes());
        bytes.extend_from_slice(b"\r\n");
        let kind = if self.is_tls() { EventKind::TlsSent } else { EventKind::Sent };
        let text = journal_text.map(str::to_string).unwrap_or_else(|| escape_bytes(line.as_bytes()));
        self.journal.record(Event::new(kind, text).with_data(serde_json::json!({ "peer": self.addr.to_string() })));
        let stream = self.reader.get_mut().get_mut();
        stream.write_all(&bytes).await?;
        stream.flush().await
    }

    /// The next line from the server, journaled; `Ok(None)` when the server closed. Once the
    /// reply being assembled holds [`super::reply::MAX_LINES`] lines, further continuation lines
    /// are counted and dropped here, neither journaled nor returned, and the reply's last line
    /// comes with a note of how many. No deadline: the console waits as long as the user lets
    /// it; use [`Connection::read_reply`] otherwise. Cancel-safe.
    pub async fn next_line(&mut self) -> io::Result<Option<ReplyLine>> {
        loop {
            let Some(line) = self.reader.next_line().await? else { return Ok(None) };
            let last = !line.is_continuation() || line.unterminated;
            if self.assembler.is_full() && !last {
                self.assembler.skip();
                continue;
            }
            if last && self.assembler.dropped() > 0 {
                let dropped = self.assembler.dropped();
                self.journal.log(EventKind::Info, format!("{dropped} more line(s) of this reply were dropped"));
            }
            self.journal_line(&line);
            return Ok(Some(line));
        }
    }

    fn journal_line(&self, line: &ReplyLine) {
        let kind = if self.is_tls() { EventKind::TlsReceived } else { EventKind::Received };
        let mut data = serde_json::json!({ "peer": self.addr.to_string() });
        let clean = std::str::from_utf8(&line.raw).is_ok_and(|s| !s.chars().any(char::is_control));
        if !clean {
            data["raw_hex"] = serde_json::Value::from(hex_string(&line.raw));
        }
        if line.cut {
            data["cut"] = serde_json::Value::from(true);
        }
        self.journal.record(Event::new(kind, line.display()).with_data(data));
    }

    /// Adds a line to the reply being assembled; the whole reply once its last line is in.
    pub fn assemble(&mut self, line: ReplyLine) -> Option<Reply> {
        self.assembler.push(line)
    }

    /// The unfinished reply, when the stream ended in the middle of one.
    pub fn assemble_finish(&mut self) -> Option<Reply> {
        self.assembler.finish()
    }

    /// Reads one whole reply within the read deadline.
    pub async fn read_reply(&mut self) -> Result<Reply, ReplyError> {
        let deadline = self.read_timeout;
        let result = tokio::time::timeout(deadline, async {
            loop {
                match self.next_line().await {
                    Ok(Some(line)) => {
                        if let Some(reply) = self.assembler.push(line) {
                            return Ok(reply);
                        }
                    }
                    Ok(None) => return Err(ReadError::Closed),
                    Err(err) => return Err(read_error(&err)),
                }
            }
        })
        .await;
        let error = match result {
            Ok(Ok(reply)) if reply.incomplete => {
                return Err(ReplyError { error: ReadError::Closed, partial: Some(reply) });
            }
            Ok(Ok(reply)) => return Ok(reply),
            Ok(Err(error)) => error,
            Err(_) => ReadError::Timeout(deadline.as_secs_f64()),
        };
        Err(ReplyError { error, partial: self.assembler.finish() })
    }

    /// Sends a command and reads its reply.
    pub async fn command(&mut self, line: &str) -> Result<Reply, ReplyError> {
        if let Err(err) = self.send(line, None).await {
            return Err(ReplyError { error: read_error(&err), partial: None });
        }
        self.read_reply().await
    }

    /// Upgrades to TLS after the server answered 220 to STARTTLS. Bytes the server sent after its
    /// 220 are dropped, as RFC 3207 requires.
    pub async fn upgrade(self, ctx: &Context) -> Result<Connection, tls::TlsError> {
        let Connection { reader, host, addr, journal, read_timeout, .. } = self;
        let stream = reader.into_inner().into_inner();
        let SmtpStream::Plain(tcp) = stream else {
            return Err(tls::TlsError::Config("the connection is already inside TLS".into()));
        };
        journal.log(EventKind::Info, format!("TLS handshake with {host} ({addr})"));
        match tls::handshake(tcp, &host, ctx).await {
            Ok((tls_stream, info)) => {
                journal.record(
                    Event::new(EventKind::Info, format!("TLS established: {}", info.describe().join("; ")))
                        .with_data(serde_json::to_value(&info).unwrap_or_default()),
                );
                let mut conn = Connection::new(SmtpStream::Tls(Box::new(tls_stream)), &host, addr, ctx);
                conn.tls = Some(info);
                conn.read_timeout = read_timeout;
                Ok(conn)
            }
            Err(err) => {
                journal.log(EventKind::Error, err.to_string());
                Err(err)
            }
        }
    }

    /// How a via command ended; `None` for TCP.
    async fn via_end(&mut self) -> Option<ViaEnd> {
        match self.reader.get_mut().get_mut() {
            SmtpStream::Plain(Transport::Via(via)) => Some(via.end().await),
            _ => None,
        }
    }

    /// Closes the connection (FIN; TLS `close_notify` first when inside TLS).
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.reader.get_mut().get_mut().shutdown()).await;
        self.journal.log(EventKind::Info, format!("closed the connection to {} ({})", self.host, self.addr));
    }
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn read_error(err: &io::Error) -> ReadError {
    match err.kind() {
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => ReadError::Reset,
        io::ErrorKind::UnexpectedEof | io::ErrorKind::BrokenPipe => ReadError::Closed,
        _ => match LineTooLong::limit_of(err) {
            Some(limit) => ReadError::LineTooLong(limit),
            None => ReadError::Io(err.to_string()),
        },
    }
}

/// Connects to `addr` (through `ctx.connect_map`), optionally inside TLS from the first byte, reads
/// the banner and classifies the attempt. The connection is returned when the banner is 2xx.
pub async fn open(
    ctx: &Context,
    host: &str,
    addr: SocketAddr,
    implicit_tls: bool,
) -> (ConnectReport, Option<Connection>) {
    open_with(ctx, host, addr, implicit_tls, true).await
}

/// Like [`open`]; without `read_banner` the attempt ends at the TCP (and TLS) handshake.
pub async fn open_with(
    ctx: &Context,
    host: &str,
    addr: SocketAddr,
    implicit_tls: bool,
    read_banner: bool,
) -> (ConnectReport, Option<Connection>) {
    let routed = ctx.connect_map.route(addr);
    let source = ctx.config.source;
    let timeout = ctx.config.connect_timeout();
    let mut report = ConnectReport {
        host: host.to_string(),
        addr,
        routed_to: (routed != addr).then_some(routed),
        via: ctx.via.clone(),
        source,
        outcome: ConnectOutcome::Ok,
        connect_ms: None,
        banner_ms: None,
        banner: Vec::new(),
        banner_reply: None,
        error: None,
        no_route: false,
        tls: None,
        timeout,
    };
    if ctx.via.is_none()
        && source.is_none()
        && let Some(why) = no_route_to(routed)
    {
        report.outcome = ConnectOutcome::Unreachable;
        report.no_route = true;
        report.error = Some(why);
        ctx.journal.log(EventKind::Error, format!("{host} ({addr}): {}", report.error.as_deref().unwrap_or("")));
        return (report, None);
    }
    if ctx.connect_map.blocked(addr) {
        report.outcome = ConnectOutcome::Unreachable;
        report.error = Some(format!("{addr} is not part of the demo world, so no connection was made"));
        ctx.journal.log(EventKind::Error, format!("{host} ({addr}): {}", report.error.as_deref().unwrap_or("")));
        return (report, None);
    }
    let through = ctx.via.as_deref().map(|v| format!(" through `{}`", escape_str(v))).unwrap_or_default();
    ctx.journal.log(EventKind::Info, format!("connecting to {host} ({addr}){}{through}", via(routed, addr)));
    let started = Instant::now();
    let tcp = match connect_transport(ctx.via.as_deref(), routed, source, timeout).await {
        Ok(tcp) => tcp,
        Err((outcome, error)) => {
            report.outcome = outcome;
            report.error = Some(error);
            ctx.journal.log(EventKind::Error, format!("{host} ({addr}): {}", report.error.as_deref().unwrap_or("")));
            return (report, None);
        }
    };
    report.connect_ms = Some(millis(started.elapsed()));
    ctx.journal.log(EventKind::Info, format!("connected to {host} ({addr}) in {} ms", millis(started.elapsed())));
    let stream = if implicit_tls {
        match tls::handshake(tcp, host, ctx).await {
            Ok((tls_stream, info)) => {
                ctx.journal.record(
                    Event::new(EventKind::Info, format!("TLS established: {}", info.describe().join("; ")))
                        .with_data(serde_json::to_value(&info).unwrap_or_default()),
                );
                report.tls = Some(info);
                SmtpStream::Tls(Box::new(tls_stream))
            }
            Err(err) => {
                report.outcome = ConnectOutcome::ClosedBeforeBanner;
                report.error = Some(err.to_string());
                ctx.journal.log(EventKind::Error, err.to_string());
                return (report, None);
            }
        }
    } else {
        SmtpStream::Plain(tcp)
    };
    let mut conn = Connection::new(stream, host, addr, ctx);
    conn.tls = report.tls.clone();
    if !read_banner {
        return (report, Some(conn));
    }
    let banner = conn.read_reply().await;
    report.banner_ms = Some(millis(started.elapsed()));
    if matches!(banner, Err(ReplyError { error: ReadError::Timeout(_), .. })) {
        // The deadline that ran out is the read deadline, not the connect timeout.
        report.timeout = conn.read_timeout;
    }
    classify_banner(&mut report, banner);
    if matches!(report.outcome, ConnectOutcome::ClosedBeforeBanner | ConnectOutcome::ResetBeforeBanner)
        && let Some(end) = conn.via_end().await
    {
        // Nothing came through the via command: when it failed, the failure is its own (ssh
        // says "stdio forwarding failed", with the reason only at its default log level).
        if end.failed || end.said.is_some() {
            let said = end.said.as_deref().unwrap_or("nothing, and it failed");
            report.outcome = end.said.as_deref().and_then(via_outcome).unwrap_or(ConnectOutcome::ViaFailed);
            report.error = Some(format!("the via command said: {}", escape_str(said)));
        }
    }
    (report.clone(), (report.outcome == ConnectOutcome::Ok).then_some(conn))
}

/// TCP from here, or the via command's pipes.
async fn connect_transport(
    via: Option<&str>,
    addr: SocketAddr,
    source: Option<IpAddr>,
    timeout: Duration,
) -> Result<Transport, (ConnectOutcome, String)> {
    match via {
        Some(template) => ViaStream::spawn(template, addr)
            .map(|via| Transport::Via(Box::new(via)))
            .map_err(|e| (ConnectOutcome::ViaFailed, e.to_string())),
        None => tcp_connect(addr, source, timeout).await.map(Transport::Tcp),
    }
}

/// How the via command's own connection ended, from its words (`ssh -W`: "connect failed:
/// Connection refused"; socat: "Connection timed out").
fn via_outcome(complaint: &str) -> Option<ConnectOutcome> {
    let lower = complaint.to_ascii_lowercase();
    if lower.contains("refused") {
        Some(ConnectOutcome::Refused)
    } else if lower.contains("timed out") || lower.contains("timeout") {
        Some(ConnectOutcome::Timeout)
    } else if lower.contains("unreachable") || lower.contains("no route") {
        Some(ConnectOutcome::Unreachable)
    } else {
        None
    }
}

fn via(routed: SocketAddr, addr: SocketAddr) -> String {
    if routed == addr { String::new() } else { format!(" via {routed}") }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn classify_banner(report: &mut ConnectReport, banner: Result<Reply, ReplyError>) {
    let (reply, error) = match banner {
        Ok(reply) => (Some(reply), None),
        Err(ReplyError { error, partial }) => (partial, Some(error)),
    };
    report.banner = reply.as_ref().map(Reply::display_lines).unwrap_or_default();
    let broken = reply.as_ref().and_then(|r| r.protocol_problem(error.is_some()));
    report.outcome = match (&reply, &error, &broken) {
        (_, _, Some(ProtocolProblem::NotSmtp(_))) => ConnectOutcome::NotSmtp,
        (Some(reply), _, _) if reply.is_transient() => ConnectOutcome::Banner4xx,
        (Some(reply), _, _) if reply.is_permanent() => ConnectOutcome::Banner5xx,
        // A peer dripping lines is slow, not closed: the deadline bounds the whole banner.
        (_, Some(ReadError::Timeout(_)), _) => ConnectOutcome::NoBanner,
        (_, Some(ReadError::LineTooLong(_)), _) => ConnectOutcome::LineTooLong,
        (_, _, Some(_)) => ConnectOutcome::ProtocolError,
        (Some(_), None, None) => ConnectOutcome::Ok,
        (Some(_), Some(_), None) => ConnectOutcome::ClosedAfterBanner,
        (None, Some(ReadError::Reset), _) => ConnectOutcome::ResetBeforeBanner,
        (None, _, _) => ConnectOutcome::ClosedBeforeBanner,
    };
    let lines = reply.as_ref().map_or(0, |r| r.lines.len());
    if matches!(report.outcome, ConnectOutcome::NotSmtp | ConnectOutcome::ProtocolError) {
        report.error = broken.map(|b| b.to_string());
        report.banner_reply = reply;
        return;
    }
    report.error = error.map(|e| match e {
        ReadError::Timeout(secs) if lines > 0 => {
            format!("connected, but the banner was still incomplete after {secs:.1} s ({lines} line(s) came)")
        }
        ReadError::Timeout(secs) => format!("connected, but no banner within {secs:.1} s"),
        other => other.to_string(),
    });
    report.banner_reply = reply;
}

/// Why this host cannot reach the IPv6 address `addr` at all (no IPv6 on this host, or no
/// route to it), asked of the routing table: a UDP `connect` picks a route and sends nothing.
/// `None` when a route exists, and always for IPv4.
fn no_route_to(addr: SocketAddr) -> Option<String> {
    if addr.is_ipv4() {
        return None;
    }
    let socket = match std::net::UdpSocket::bind((std::net::Ipv6Addr::UNSPECIFIED, 0)) {
        Ok(socket) => socket,
        Err(err) => return Some(format!("this host has no IPv6 ({err}): not possible from here")),
    };
    let err = socket.connect(addr).err().filter(|err| err.kind() == io::ErrorKind::NetworkUnreachable)?;
    Some(format!("this host has no IPv6 route to {} ({err}): not possible from here", addr.ip()))
}

async fn tcp_connect(
    addr: SocketAddr,
    source: Option<IpAddr>,
    timeout: Duration,
) -> Result<TcpStream, (ConnectOutcome, String)> {
    let socket = if addr.is_ipv4() { TcpSocket::new_v4() } else { TcpSocket::new_v6() };
    let socket = socket.map_err(|e| (ConnectOutcome::Unreachable, e.to_string()))?;
    if let Some(source) = source {
        if source.is_ipv4() != addr.is_ipv4() {
            return Err((
                ConnectOutcome::Unreachable,
                format!("the source address {source} cannot reach {}", addr.ip()),
            ));
        }
        socket
            .bind(SocketAddr::new(source, 0))
            .map_err(|e| (ConnectOutcome::Unreachable, format!("cannot use the source address {source}: {e}")))?;
    }
    match tokio::time::timeout(timeout, socket.connect(addr)).await {
        Err(_) => Err((ConnectOutcome::Timeout, format!("no answer within {:.1} s", timeout.as_secs_f64()))),
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(err)) => Err((connect_outcome(&err), err.to_string())),
    }
}

fn connect_outcome(err: &io::Error) -> ConnectOutcome {
    match err.kind() {
        io::ErrorKind::ConnectionRefused => ConnectOutcome::Refused,
        io::ErrorKind::TimedOut => ConnectOutcome::Timeout,
        io::ErrorKind::ConnectionReset => ConnectOutcome::ResetBeforeBanner,
        _ => ConnectOutcome::Unreachable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smtp::reply::LINE_LIMIT;

    #[test]
    fn banner_classification() {
        let mut report = open_report();
        classify_banner(&mut report, Ok(Reply::parse("554 5.7.1 go away")));
        assert_eq!(report.outcome, ConnectOutcome::Banner5xx);
        classify_banner(&mut report, Err(ReplyError { error: ReadError::Reset, partial: None }));
        assert_eq!(report.outcome, ConnectOutcome::ResetBeforeBanner);
        let partial = Some(Reply::parse("220-mx.test"));
        classify_banner(&mut report, Err(ReplyError { error: ReadError::Closed, partial }));
        assert_eq!(report.outcome, ConnectOutcome::ProtocolError);
        assert!(report.error.as_deref().unwrap().contains("ended without its last line"));
        classify_banner(&mut report, Ok(Reply::parse("HTTP/1.1 400 Bad Request")));
        assert_eq!(report.outcome, ConnectOutcome::NotSmtp);
        assert_eq!(report.finding().id, "smtp.not_smtp");
        assert!(report.error.as_deref().unwrap().starts_with("a web server answered (HTTP/1.1 400"));
        classify_banner(&mut report, Ok(Reply::parse("220-mx.test\n250 ok")));
        assert_eq!(report.outcome, ConnectOutcome::ProtocolError);
        classify_banner(&mut report, Err(ReplyError { error: ReadError::Timeout(1.0), partial: None }));
        assert_eq!(report.outcome, ConnectOutcome::NoBanner);
        assert_eq!(report.finding().id, "smtp.no_banner");
        let partial = Some(Reply::parse("220-mx.test\n220-slowly"));
        classify_banner(&mut report, Err(ReplyError { error: ReadError::Timeout(1.0), partial }));
        assert_eq!(report.outcome, ConnectOutcome::NoBanner);
        assert!(report.error.as_deref().unwrap().contains("still incomplete"));
        classify_banner(&mut report, Err(ReplyError { error: ReadError::LineTooLong(LINE_LIMIT), partial: None }));
        assert_eq!(report.finding().id, "smtp.line_too_long");
    }

    #[test]
    fn every_outcome_has_its_finding_in_the_catalogue() {
        for outcome in ConnectOutcome::ALL {
            assert!(crate::session::catalogue::entry(outcome.finding_id()).is_some(), "{outcome}");
            assert_eq!(outcome.finding_id().strip_prefix("smtp."), Some(outcome.as_str()));
        }
        let ids: Vec<&str> = ConnectOutcome::ALL.iter().map(|o| o.finding_id()).collect();
        assert_eq!(ids, crate::session::vocabulary::CONNECTION_OUTCOMES, "the diagnosis rules read that list");
    }

    #[test]
    fn json_spells_the_outcome_as_the_text_does() {
        for outcome in ConnectOutcome::ALL {
            assert_eq!(serde_json::to_value(outcome).unwrap(), outcome.as_str());
        }
        let mut report = open_report();
        report.outcome = ConnectOutcome::Banner4xx;
        assert_eq!(serde_json::to_value(&report).unwrap()["outcome"], "banner_4xx");
    }

    fn open_report() -> ConnectReport {
        ConnectReport {
            host: "mx.test".into(),
            addr: "192.0.2.1:25".parse().unwrap(),
            routed_to: None,
            via: None,
            source: None,
            outcome: ConnectOutcome::Ok,
            connect_ms: Some(1),
            banner_ms: None,
            banner: Vec::new(),
            banner_reply: None,
            error: None,
            no_route: false,
            tls: None,
            timeout: Duration::from_secs(1),
        }
    }
}
