//! Scripted SMTP servers on loopback for the demo world and the tests.
//!
//! A [`ServerScript`] is plain data (the demo world reads it from TOML): the banner or its absence,
//! a close or reset before the banner, a delay, the reply to each command, when to hang up, and
//! STARTTLS with a caller-made rustls configuration. [`start`] serves it on `127.0.0.1:0` and
//! returns a [`ScriptedServer`] that stops serving when dropped.
//!
//! Reply texts may use `{client}` (the client's address, or [`ServerScript::client_ip`]),
//! `{hostname}` and `{helo}` (the name the client announced).

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::{CancellationToken, DropGuard};

/// The longest command line the scripted server reads; longer input ends the session.
const MAX_COMMAND: usize = 64 * 1024;

/// One SMTP reply: a code and one or more text lines, sent as `250-…` lines and a final `250 …`.
///
/// In TOML either a table `{ code = 250, lines = ["first", "last"] }` or a string
/// `"550 5.7.1 Blocked"` (code, space, text; `\n` separates the lines of a multi-line reply).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "ReplySpec")]
pub struct ScriptedReply {
    pub code: u16,
    pub lines: Vec<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ReplySpec {
    Text(String),
    Table { code: u16, lines: Vec<String> },
}

impl TryFrom<ReplySpec> for ScriptedReply {
    type Error = String;

    fn try_from(spec: ReplySpec) -> Result<ScriptedReply, String> {
        match spec {
            ReplySpec::Table { code, lines } => Ok(ScriptedReply { code, lines }),
            ReplySpec::Text(text) => ScriptedReply::parse(&text),
        }
    }
}

impl ScriptedReply {
    /// A reply of one or more lines.
    pub fn new<S: Into<String>>(code: u16, lines: impl IntoIterator<Item = S>) -> ScriptedReply {
        let mut lines: Vec<String> = lines.into_iter().map(Into::into).collect();
        if lines.is_empty() {
            lines.push(String::new());
        }
        ScriptedReply { code, lines }
    }

    /// Parses `"550 5.7.1 Blocked"`; `\n` separates the lines of a multi-line reply.
    pub fn parse(text: &str) -> Result<ScriptedReply, String> {
        let code = text
            .get(..3)
            .and_then(|c| c.parse::<u16>().ok())
            .filter(|c| (200..600).contains(c))
            .ok_or_else(|| format!("\"{text}\" does not start with a three-digit reply code"))?;
        let rest = text[3..].strip_prefix(' ').unwrap_or(&text[3..]);
        Ok(ScriptedReply::new(code, rest.split('\n')))
    }

    /// The reply on the wire, placeholders filled.
    fn render(&self, vars: &Vars) -> Vec<u8> {
        let mut out = Vec::new();
        let last = self.lines.len().saturating_sub(1);
        for (index, line) in self.lines.iter().enumerate() {
            let sep = if index == last { ' ' } else { '-' };
            out.extend_from_slice(format!("{}{}{}\r\n", self.code, sep, vars.fill(line)).as_bytes());
        }
        out
    }
}

impl fmt::Display for ScriptedReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.lines.join(" / "))
    }
}

/// What the server does before its banner.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BeforeBanner {
    /// Nothing: wait `banner_delay_ms`, then send the banner.
    #[default]
    Nothing,
    /// Close the connection without a byte (FIN).
    Close,
    /// Reset the connection (`SO_LINGER` 0, RST).
    Reset,
    /// Accept and stay silent until the client gives up.
    Silent,
}

/// A point of the dialogue after which the server hangs up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Banner,
    Ehlo,
    Helo,
    Starttls,
    Mail,
    Rcpt,
    Data,
    /// After the message ended with `.`.
    Message,
    Rset,
}

/// How one scripted server behaves. Every field has a default: an ESMTP server that accepts all.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerScript {
    /// The name in the banner and the EHLO reply.
    pub hostname: String,
    pub before_banner: BeforeBanner,
    /// Milliseconds to wait before the banner.
    pub banner_delay_ms: u64,
    /// The greeting; `None` uses `220 {hostname} ESMTP`.
    pub banner: Option<ScriptedReply>,
    /// The address echoed as `{client}`, instead of the real peer (the demo world shows a public one).
    pub client_ip: Option<IpAddr>,
    /// The whole EHLO reply; `None` builds `250-{hostname} Hello [{client}]` plus `extensions`.
    pub ehlo: Option<ScriptedReply>,
    /// EHLO keywords after the greeting line; STARTTLS is added when TLS is configured.
    pub extensions: Vec<String>,
    /// Advertise STARTTLS in EHLO when `tls` is set.
    pub advertise_starttls: bool,
    pub helo: Option<ScriptedReply>,
    /// The reply to STARTTLS; with `tls` set and a 220 here, the connection is upgraded.
    pub starttls: Option<ScriptedReply>,
    pub mail: ScriptedReply,
    /// The reply to RCPT TO, unless `rcpt_by_domain` has the recipient's domain.
    pub rcpt: ScriptedReply,
    /// Replies to RCPT TO by the recipient's domain (lowercase).
    pub rcpt_by_domain: BTreeMap<String, ScriptedReply>,
    /// The greeting for connections from these peer addresses, instead of `banner`: a receiver
    /// that filters by address (a 4xx/5xx here ends the session).
    pub banner_by_client: BTreeMap<IpAddr, ScriptedReply>,
    pub data: ScriptedReply,
    /// The reply after the message's final `.`.
    pub message: ScriptedReply,
    pub rset: ScriptedReply,
    pub noop: ScriptedReply,
    pub quit: ScriptedReply,
    /// The reply to AUTH.
    pub auth: ScriptedReply,
    /// The reply to anything else.
    pub unknown: ScriptedReply,
    /// Hang up (FIN) after replying at this stage.
    pub close_after: Option<Stage>,
    /// Milliseconds to wait before every reply after the banner.
    pub reply_delay_ms: u64,
    /// Serve TLS from the first byte (port 465 style) with `tls`.
    pub implicit_tls: bool,
    /// The TLS configuration for STARTTLS or implicit TLS; made by the caller (rcgen certificates).
    #[serde(skip)]
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

impl fmt::Debug for ServerScript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerScript")
            .field("hostname", &self.hostname)
            .field("before_banner", &self.before_banner)
            .field("banner", &self.banner)
            .field("close_after", &self.close_after)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for ServerScript {
    fn default() -> ServerScript {
        let ok = |text: &str| ScriptedReply::new(250, [text]);
        ServerScript {
            hostname: "mx.test".into(),
            before_banner: BeforeBanner::Nothing,
            banner_delay_ms: 0,
            banner: None,
            client_ip: None,
            ehlo: None,
            extensions: vec![
                "PIPELINING".into(),
                "SIZE 10240000".into(),
                "ENHANCEDSTATUSCODES".into(),
                "8BITMIME".into(),
            ],
            advertise_starttls: true,
            helo: None,
            starttls: None,
            mail: ok("2.1.0 Ok"),
            rcpt: ok("2.1.5 Ok"),
            rcpt_by_domain: BTreeMap::new(),
            banner_by_client: BTreeMap::new(),
            data: ScriptedReply::new(354, ["End data with <CR><LF>.<CR><LF>"]),
            message: ok("2.0.0 Ok: queued as 4ABCDEF"),
            rset: ok("2.0.0 Ok"),
            noop: ok("2.0.0 Ok"),
            quit: ScriptedReply::new(221, ["2.0.0 Bye"]),
            auth: ScriptedReply::new(535, ["5.7.8 Error: authentication failed"]),
            unknown: ScriptedReply::new(502, ["5.5.2 Error: command not recognized"]),
            close_after: None,
            reply_delay_ms: 0,
            implicit_tls: false,
            tls: None,
        }
    }
}

impl ServerScript {
    /// Parses a script from TOML.
    pub fn from_toml(text: &str) -> Result<ServerScript, String> {
        toml::from_str(text).map_err(|err| err.message().to_string())
    }

    /// The same script serving STARTTLS (or implicit TLS) with `config`.
    pub fn with_tls(mut self, config: Arc<rustls::ServerConfig>) -> ServerScript {
        self.tls = Some(config);
        self
    }
}

/// A running scripted server. Dropping it stops the listener and every open session.
#[derive(Debug)]
pub struct ScriptedServer {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
    _stop: DropGuard,
}

impl ScriptedServer {
    /// Where the server listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every command line received so far, over all sessions (message lines excluded).
    pub fn commands(&self) -> Vec<String> {
        self.log.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

/// Serves `script` on `127.0.0.1:0`.
pub async fn start(script: ServerScript) -> io::Result<ScriptedServer> {
    start_on(SocketAddr::from(([127, 0, 0, 1], 0)), script).await
}

/// Serves `script` on `addr` (`[::1]:0` for IPv6).
pub async fn start_on(addr: SocketAddr, script: ServerScript) -> io::Result<ScriptedServer> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let stop = CancellationToken::new();
    let log = Arc::new(Mutex::new(Vec::new()));
    let script = Arc::new(script);
    let token = stop.clone();
    let accept_log = log.clone();
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                () = token.cancelled() => return,
                accepted = listener.accept() => accepted,
            };
            let Ok((stream, peer)) = accepted else { continue };
            let (script, log, token) = (script.clone(), accept_log.clone(), token.clone());
            tokio::spawn(async move {
                tokio::select! {
                    () = token.cancelled() => {}
                    _ = serve(stream, peer, script, log) => {}
                }
            });
        }
    });
    Ok(ScriptedServer { addr, log, _stop: stop.drop_guard() })
}

struct Vars {
    client: String,
    hostname: String,
    helo: String,
}

impl Vars {
    fn fill(&self, text: &str) -> String {
        text.replace("{client}", &self.client).replace("{hostname}", &self.hostname).replace("{helo}", &self.helo)
    }
}

/// What the command loop asks of the connection.
enum Next {
    Close,
    StartTls,
}

async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    script: Arc<ServerScript>,
    log: Arc<Mutex<Vec<String>>>,
) -> io::Result<()> {
    match script.before_banner {
        BeforeBanner::Close => return Ok(()),
        BeforeBanner::Reset => return stream.set_zero_linger(),
        BeforeBanner::Silent => std::future::pending::<()>().await,
        BeforeBanner::Nothing => {}
    }
    let mut vars = Vars {
        client: script.client_ip.unwrap_or(peer.ip()).to_string(),
        hostname: script.hostname.clone(),
        helo: String::new(),
    };
    if let (Some(config), true) = (&script.tls, script.implicit_tls) {
        let mut tls = tokio_rustls::TlsAcceptor::from(config.clone()).accept(stream).await?;
        if greet(&mut tls, &script, &vars, peer.ip()).await? {
            dialogue(&mut tls, &script, &mut vars, true, &log).await?;
        }
        return tls.shutdown().await;
    }
    let mut stream = stream;
    if !greet(&mut stream, &script, &vars, peer.ip()).await? {
        return stream.shutdown().await;
    }
    match dialogue(&mut stream, &script, &mut vars, false, &log).await? {
        Next::Close => stream.shutdown().await,
        Next::StartTls => {
            let Some(config) = script.tls.clone() else { return Ok(()) };
            let mut tls = tokio_rustls::TlsAcceptor::from(config).accept(stream).await?;
            vars.helo.clear();
            dialogue(&mut tls, &script, &mut vars, true, &log).await?;
            tls.shutdown().await
        }
    }
}

/// Sends the banner after the delay; false when the session ends with it.
async fn greet<S: AsyncWrite + Unpin>(
    io: &mut S,
    script: &ServerScript,
    vars: &Vars,
    peer: IpAddr,
) -> io::Result<bool> {
    tokio::time::sleep(Duration::from_millis(script.banner_delay_ms)).await;
    let banner = script
        .banner_by_client
        .get(&peer)
        .or(script.banner.as_ref())
        .cloned()
        .unwrap_or_else(|| ScriptedReply::new(220, ["{hostname} ESMTP"]));
    io.write_all(&banner.render(vars)).await?;
    Ok(banner.code < 400 && script.close_after != Some(Stage::Banner))
}

/// Runs commands until the session ends or STARTTLS is accepted.
async fn dialogue<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut S,
    script: &ServerScript,
    vars: &mut Vars,
    tls_active: bool,
    log: &Mutex<Vec<String>>,
) -> io::Result<Next> {
    let mut reader = BufReader::new(io);
    loop {
        let Some(line) = read_line(&mut reader).await? else { return Ok(Next::Close) };
        log.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(line.clone());
        let verb = line.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
        let (reply, stage) = match verb.as_str() {
            "EHLO" => {
                vars.helo = line[4..].trim().to_string();
                (ehlo_reply(script, tls_active), Some(Stage::Ehlo))
            }
            "HELO" => {
                vars.helo = line[4..].trim().to_string();
                (script.helo.clone().unwrap_or_else(|| ScriptedReply::new(250, ["{hostname}"])), Some(Stage::Helo))
            }
            "STARTTLS" => (starttls_reply(script, tls_active), Some(Stage::Starttls)),
            "MAIL" => (script.mail.clone(), Some(Stage::Mail)),
            "RCPT" => (rcpt_reply(script, &line), Some(Stage::Rcpt)),
            "DATA" => (script.data.clone(), Some(Stage::Data)),
            "RSET" => (script.rset.clone(), Some(Stage::Rset)),
            "NOOP" => (script.noop.clone(), None),
            "AUTH" => (script.auth.clone(), None),
            "QUIT" => (script.quit.clone(), None),
            _ => (script.unknown.clone(), None),
        };
        tokio::time::sleep(Duration::from_millis(script.reply_delay_ms)).await;
        reader.get_mut().write_all(&reply.render(vars)).await?;
        if verb == "QUIT" || reply.code == 421 || (stage.is_some() && stage == script.close_after) {
            return Ok(Next::Close);
        }
        if verb == "STARTTLS" && reply.code == 220 && script.tls.is_some() && !tls_active {
            // Bytes pipelined after STARTTLS are dropped with the buffer, as RFC 3207 asks.
            return Ok(Next::StartTls);
        }
        if verb == "DATA" && reply.code == 354 {
            if !read_message(&mut reader).await? {
                return Ok(Next::Close);
            }
            tokio::time::sleep(Duration::from_millis(script.reply_delay_ms)).await;
            reader.get_mut().write_all(&script.message.render(vars)).await?;
            if script.close_after == Some(Stage::Message) || script.message.code == 421 {
                return Ok(Next::Close);
            }
        }
    }
}

fn ehlo_reply(script: &ServerScript, tls_active: bool) -> ScriptedReply {
    if let Some(reply) = &script.ehlo {
        return reply.clone();
    }
    let mut lines = vec!["{hostname} Hello {helo} [{client}]".to_string()];
    lines.extend(script.extensions.iter().cloned());
    if script.tls.is_some() && script.advertise_starttls && !tls_active {
        lines.push("STARTTLS".into());
    }
    ScriptedReply::new(250, lines)
}

fn starttls_reply(script: &ServerScript, tls_active: bool) -> ScriptedReply {
    match (&script.starttls, &script.tls) {
        _ if tls_active => ScriptedReply::new(554, ["5.5.1 Error: TLS already active"]),
        (Some(reply), _) => reply.clone(),
        (None, Some(_)) => ScriptedReply::new(220, ["2.0.0 Ready to start TLS"]),
        (None, None) => script.unknown.clone(),
    }
}

fn rcpt_reply(script: &ServerScript, line: &str) -> ScriptedReply {
    let domain = line
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches(|c: char| c == '>' || c.is_whitespace()).to_ascii_lowercase());
    domain.and_then(|d| script.rcpt_by_domain.get(&d).cloned()).unwrap_or_else(|| script.rcpt.clone())
}

/// One command line without its line ending; `None` at end of stream.
async fn read_line<R: AsyncBufReadExt + Unpin>(reader: &mut R) -> io::Result<Option<String>> {
    let mut buf = Vec::new();
    let read = AsyncReadExt::take(&mut *reader, MAX_COMMAND as u64).read_until(b'\n', &mut buf).await?;
    if read == 0 {
        return Ok(None);
    }
    if !buf.ends_with(b"\n") {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "command line too long"));
    }
    while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        buf.pop();
    }
    Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
}

/// Reads message lines up to the lone `.`; false when the client went away first.
async fn read_message<R: AsyncBufReadExt + Unpin>(reader: &mut R) -> io::Result<bool> {
    while let Some(line) = read_line(reader).await? {
        if line == "." {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    use super::*;

    async fn converse(addr: SocketAddr, lines: &[&str]) -> String {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut read = BufReader::new(read);
        let mut out = String::new();
        let mut line = String::new();
        read.read_line(&mut line).await.unwrap();
        out.push_str(&line);
        for command in lines {
            write.write_all(format!("{command}\r\n").as_bytes()).await.unwrap();
            loop {
                line.clear();
                if read.read_line(&mut line).await.unwrap() == 0 {
                    return out;
                }
                out.push_str(&line);
                if line.as_bytes().get(3) != Some(&b'-') {
                    break;
                }
            }
        }
        out
    }

    #[test]
    fn scripts_read_from_toml() {
        let script = ServerScript::from_toml(
            "hostname = \"mx1.bank.example\"\nbanner = \"554 5.7.1 Go away\"\nclient_ip = \"203.0.113.5\"\n\
             close_after = \"rcpt\"\n[rcpt_by_domain]\n\"bank.example\" = { code = 550, lines = [\"5.1.1 No\", \"such user\"] }\n",
        )
        .unwrap();
        assert_eq!(script.banner, Some(ScriptedReply::new(554, ["5.7.1 Go away"])));
        assert_eq!(script.close_after, Some(Stage::Rcpt));
        assert_eq!(script.rcpt_by_domain["bank.example"].lines.len(), 2);
        assert!(ServerScript::from_toml("banner = \"hello\"").is_err());
        assert!(ServerScript::from_toml("no_such = 1").is_err());
    }

    #[tokio::test]
    async fn serves_a_scripted_dialogue() {
        let mut script = ServerScript { client_ip: Some("203.0.113.5".parse().unwrap()), ..ServerScript::default() };
        script.rcpt_by_domain.insert("bank.example".into(), ScriptedReply::new(450, ["4.7.1 Try later", "really"]));
        script.close_after = Some(Stage::Rcpt);
        let server = start(script).await.unwrap();
        let text = converse(
            server.addr(),
            &["EHLO me.example", "MAIL FROM:<a@me.example>", "RCPT TO:<b@bank.example>", "NOOP"],
        )
        .await;
        assert!(text.starts_with("220 mx.test ESMTP\r\n"), "{text}");
        assert!(text.contains("250-mx.test Hello me.example [203.0.113.5]\r\n"), "{text}");
        assert!(text.ends_with("450-4.7.1 Try later\r\n450 really\r\n"), "{text}");
        assert_eq!(server.commands().len(), 3);
    }

    #[tokio::test]
    async fn a_421_banner_hangs_up() {
        let server =
            start(ServerScript { banner: Some(ScriptedReply::new(421, ["4.3.2 Busy"])), ..ServerScript::default() })
                .await
                .unwrap();
        let mut stream = TcpStream::connect(server.addr()).await.unwrap();
        let mut text = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut stream, &mut text).await.unwrap();
        assert_eq!(text, "421 4.3.2 Busy\r\n");
    }
}
