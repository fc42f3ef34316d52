//! The nslookup-style console language, shared by step 2 of the wizard and `mailwiz dns`.
//!
//! [`Console::submit`] parses one line and changes settings at once; a query comes back as a
//! [`Lookup`] the front end runs where it may do I/O ([`Lookup::run`]). Both give
//! [`ConsoleLine`]s, which the TUI styles and the CLI prints.
//!
//! ```text
//! > set type=mx
//! > server 192.0.2.53
//! > bank.example
//! > 192.0.2.10            (reverse lookup)
//! ```

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::resolver::{DnsOutcome, DnsReply, Limits, QueryType, Resolver};
use crate::config::parse_server;
use crate::context::Context;
use crate::session::Finding;
use crate::session::escape::escape_str;
use crate::session::target::to_ascii_domain;

/// What kind of line the console prints; the TUI gives each a style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// The line the user typed, echoed.
    Input,
    /// Settings, the question, the server used, the time taken.
    Info,
    /// One answer record.
    Answer,
    /// NXDOMAIN, NODATA, SERVFAIL, timeout.
    Problem,
    /// A command the console could not understand.
    Error,
}

/// One line of console output. The text is safe to print: network data is escaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleLine {
    pub kind: LineKind,
    pub text: String,
}

impl ConsoleLine {
    fn new(kind: LineKind, text: impl Into<String>) -> ConsoleLine {
        ConsoleLine { kind, text: text.into() }
    }
}

/// One console command.
#[derive(Debug, Clone, PartialEq)]
pub enum ConsoleCommand {
    SetType(QueryType),
    SetPort(u16),
    SetTimeout(Duration),
    /// `set` or `set all`: show the settings.
    ShowSettings,
    /// `server IP[:PORT]`.
    Server(IpAddr, Option<u16>),
    /// `server` alone.
    ShowServer,
    /// `server default`: back to the run's own resolver.
    DefaultServer,
    /// A name to look up with the current type, or `TYPE NAME`, optionally `NAME SERVER`.
    Query {
        name: String,
        qtype: Option<QueryType>,
        server: Option<SocketAddr>,
    },
    /// An address: the reverse (PTR) lookup.
    Reverse {
        ip: IpAddr,
        server: Option<SocketAddr>,
    },
    Help,
    Exit,
}

/// A line the console does not understand; the message is one sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConsoleError(pub String);

fn err<T>(text: impl Into<String>) -> Result<T, ConsoleError> {
    Err(ConsoleError(text.into()))
}

/// Why the demo's console asks no other server: its world answers every name itself.
pub const DEMO_CONFINED: &str =
    "is outside the demo world, whose own resolver answers every name of its story (leave --demo to ask real servers)";

/// Longest deadline `set timeout` accepts, in seconds.
const MAX_TIMEOUT_SECS: f64 = 300.0;

/// Parses one line; `Ok(None)` for a blank line or a `#` comment.
pub fn parse(line: &str) -> Result<Option<ConsoleCommand>, ConsoleError> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    let keyword = words[0].to_ascii_lowercase();
    let command = match (keyword.as_str(), words.len()) {
        ("help" | "?", 1) => ConsoleCommand::Help,
        ("exit" | "quit", 1) => ConsoleCommand::Exit,
        ("set", 1) => ConsoleCommand::ShowSettings,
        ("set", 2) => parse_set(words[1])?,
        ("set", _) => return err("set takes one setting, e.g. \"set type=mx\""),
        ("server" | "lserver", 1) => ConsoleCommand::ShowServer,
        ("server" | "lserver", 2) => parse_server_word(words[1])?,
        ("server" | "lserver", _) => return err("server takes one address, e.g. \"server 192.0.2.53\""),
        _ => parse_query(&words)?,
    };
    Ok(Some(command))
}

fn parse_set(arg: &str) -> Result<ConsoleCommand, ConsoleError> {
    if arg.eq_ignore_ascii_case("all") {
        return Ok(ConsoleCommand::ShowSettings);
    }
    let Some((key, value)) = arg.split_once('=') else {
        return err(format!("\"set {arg}\" needs a value, e.g. \"set type=mx\""));
    };
    match key.to_ascii_lowercase().as_str() {
        "type" | "querytype" | "q" | "ty" => {
            value.parse().map(ConsoleCommand::SetType).map_err(|e| ConsoleError(e.to_string()))
        }
        "port" => match value.parse::<u16>() {
            Ok(port) if port > 0 => Ok(ConsoleCommand::SetPort(port)),
            _ => err(format!("\"{value}\" is not a port; set port needs a number from 1 to 65535")),
        },
        "timeout" => match value.parse::<f64>() {
            Ok(secs) if secs > 0.0 && secs <= MAX_TIMEOUT_SECS => {
                Ok(ConsoleCommand::SetTimeout(Duration::from_secs_f64(secs)))
            }
            _ => err(format!("\"{value}\" is not a timeout; set timeout needs seconds, more than 0 and at most 300")),
        },
        other => err(format!("\"{other}\" is not a setting; use type, port or timeout")),
    }
}

fn parse_server_word(word: &str) -> Result<ConsoleCommand, ConsoleError> {
    if word.eq_ignore_ascii_case("default") {
        return Ok(ConsoleCommand::DefaultServer);
    }
    if let Ok(ip) = word.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
        return Ok(ConsoleCommand::Server(ip, None));
    }
    match parse_server(word) {
        Ok(addr) => Ok(ConsoleCommand::Server(addr.ip(), Some(addr.port()))),
        Err(_) => err(format!("\"{word}\" is not a server address; use IP or IP:PORT")),
    }
}

fn parse_query(words: &[&str]) -> Result<ConsoleCommand, ConsoleError> {
    let (qtype, rest) = match words {
        [first, rest @ ..] if !rest.is_empty() => match first.parse::<QueryType>() {
            Ok(t) => (Some(t), rest),
            Err(_) => (None, words),
        },
        _ => (None, words),
    };
    let (target, server) = match rest {
        [name] => (*name, None),
        [name, server] => match parse_server(server) {
            Ok(addr) => (*name, Some(addr)),
            Err(_) => return err(format!("\"{}\" is not a command or a name to look up; type help", words.join(" "))),
        },
        _ => return err(format!("\"{}\" is not a command or a name to look up; type help", words.join(" "))),
    };
    if let Ok(ip) = target.parse::<IpAddr>()
        && (qtype.is_none() || qtype == Some(QueryType::Ptr))
    {
        return Ok(ConsoleCommand::Reverse { ip, server });
    }
    let name = to_ascii_domain(target).map_err(|e| ConsoleError(e.to_string()))?;
    Ok(ConsoleCommand::Query {
        name: if target.is_ascii() { target.trim_end_matches('.').to_string() } else { name },
        qtype,
        server,
    })
}

/// What the front end should do with a submitted line.
#[derive(Debug, Clone, PartialEq)]
pub enum ConsoleAction {
    /// Print these lines; nothing to run.
    Print(Vec<ConsoleLine>),
    /// Run this lookup (it may take up to its deadline) and print what it returns.
    Run(Lookup),
    /// Leave the console.
    Exit,
}

/// Which server a console query goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerChoice {
    /// The run's resolver (`--dns-server` or the system's), with the port changed when set.
    Default { port: Option<u16> },
    /// One explicit server.
    Explicit(SocketAddr),
}

/// A query the console asks the front end to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Lookup {
    pub question: Question,
    pub server: ServerChoice,
    /// Overrides the configured deadline of one try.
    pub timeout: Option<Duration>,
}

/// What a lookup asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Question {
    Name {
        name: String,
        qtype: QueryType,
    },
    Reverse(IpAddr),
    /// `server` alone: which server(s) the console uses.
    Servers,
}

/// The console's settings. UI-free: no I/O happens here.
#[derive(Debug, Clone, PartialEq)]
pub struct Console {
    qtype: QueryType,
    server: Option<IpAddr>,
    port: Option<u16>,
    timeout: Option<Duration>,
    /// Why `server` may not switch to another address (the demo world answers every name
    /// itself), or `None` when it may.
    confined: Option<String>,
}

impl Default for Console {
    fn default() -> Console {
        Console { qtype: QueryType::A, server: None, port: None, timeout: None, confined: None }
    }
}

impl Console {
    /// A console asking for `qtype` by default (nslookup starts with A; step 2 with MX).
    pub fn with_type(qtype: QueryType) -> Console {
        Console { qtype, ..Console::default() }
    }

    /// Keeps `server` with the run's resolver, saying `why` when asked to switch (`None` lets
    /// it switch).
    pub fn confine(&mut self, why: Option<String>) {
        self.confined = why;
    }

    /// The current record type.
    pub fn qtype(&self) -> QueryType {
        self.qtype
    }

    /// Parses and applies one line.
    pub fn submit(&mut self, line: &str) -> ConsoleAction {
        match parse(line) {
            Ok(None) => ConsoleAction::Print(Vec::new()),
            Ok(Some(command)) => self.apply(command),
            Err(error) => ConsoleAction::Print(vec![ConsoleLine::new(LineKind::Error, format!("error: {error}"))]),
        }
    }

    /// Applies a parsed command.
    pub fn apply(&mut self, command: ConsoleCommand) -> ConsoleAction {
        let info = |text: String| ConsoleAction::Print(vec![ConsoleLine::new(LineKind::Info, text)]);
        match command {
            ConsoleCommand::SetType(qtype) => {
                self.qtype = qtype;
                info(format!("type is now {qtype}"))
            }
            ConsoleCommand::SetPort(port) => {
                self.port = Some(port);
                info(format!("port is now {port}"))
            }
            ConsoleCommand::SetTimeout(timeout) => {
                self.timeout = Some(timeout);
                info(format!("timeout is now {} s per try", secs(timeout)))
            }
            ConsoleCommand::ShowSettings => ConsoleAction::Print(self.settings()),
            ConsoleCommand::Query { server: Some(addr), .. } | ConsoleCommand::Reverse { server: Some(addr), .. }
                if self.confined.is_some() =>
            {
                let why = self.confined.as_deref().unwrap_or_default();
                let text = format!("error: {} {why}; nothing was asked of it", addr.ip());
                ConsoleAction::Print(vec![ConsoleLine::new(LineKind::Error, text)])
            }
            ConsoleCommand::Server(ip, _) if self.confined.is_some() => {
                let why = self.confined.as_deref().unwrap_or_default();
                ConsoleAction::Print(vec![ConsoleLine::new(
                    LineKind::Error,
                    format!("error: {ip} {why}; the server stays as it is"),
                )])
            }
            ConsoleCommand::DefaultServer => {
                self.server = None;
                self.port = None;
                info("server is the run's own resolver again".into())
            }
            ConsoleCommand::Server(ip, port) => {
                self.server = Some(ip);
                if port.is_some() {
                    self.port = port;
                }
                info(format!("server is now {}", SocketAddr::new(ip, self.port.unwrap_or(53))))
            }
            ConsoleCommand::ShowServer => ConsoleAction::Run(self.lookup(Question::Servers, None)),
            ConsoleCommand::Query { name, qtype, server } => {
                ConsoleAction::Run(self.lookup(Question::Name { name, qtype: qtype.unwrap_or(self.qtype) }, server))
            }
            ConsoleCommand::Reverse { ip, server } => ConsoleAction::Run(self.lookup(Question::Reverse(ip), server)),
            ConsoleCommand::Help => ConsoleAction::Print(help()),
            ConsoleCommand::Exit => ConsoleAction::Exit,
        }
    }

    fn lookup(&self, question: Question, server: Option<SocketAddr>) -> Lookup {
        let server = match (server, self.server) {
            (Some(addr), _) => ServerChoice::Explicit(addr),
            (None, Some(ip)) => ServerChoice::Explicit(SocketAddr::new(ip, self.port.unwrap_or(53))),
            (None, None) => ServerChoice::Default { port: self.port },
        };
        Lookup { question, server, timeout: self.timeout }
    }

    fn settings(&self) -> Vec<ConsoleLine> {
        let server = match self.server {
            Some(ip) => SocketAddr::new(ip, self.port.unwrap_or(53)).to_string(),
            None => "the default resolver".to_string(),
        };
        let port = self.port.map_or("default".to_string(), |p| p.to_string());
        let timeout = self.timeout.map_or("from the configuration".to_string(), |t| format!("{} s", secs(t)));
        [
            format!("type={}", self.qtype),
            format!("server={server}"),
            format!("port={port}"),
            format!("timeout={timeout}"),
        ]
        .into_iter()
        .map(|t| ConsoleLine::new(LineKind::Info, t))
        .collect()
    }
}

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 { format!("{s:.0}") } else { format!("{s}") }
}

/// The console's help text.
pub fn help() -> Vec<ConsoleLine> {
    [
        "NAME                 look NAME up with the current type (IDN names may be typed in Unicode)",
        "TYPE NAME            look NAME up with TYPE once, e.g. \"mx bank.example\"",
        "NAME SERVER          look NAME up at SERVER (IP or IP:PORT) once",
        "IP                   reverse lookup (PTR) of an IPv4 or IPv6 address",
        "set type=T           T is mx, a, aaaa, ptr, txt, cname, ns, soa or any",
        "set port=N           ask the servers on port N",
        "set timeout=S        wait S seconds per try",
        "set                  show the settings",
        "server IP[:PORT]     ask this server from now on",
        "server               show the server(s) in use",
        "server default       back to the run's own resolver",
        "help                 this text",
        "exit                 leave the console",
    ]
    .into_iter()
    .map(|t| ConsoleLine::new(LineKind::Info, t))
    .collect()
}

impl Question {
    /// Asks a name or reverse question of `resolver`, as `mailwiz dns` does, with the `dns.*`
    /// finding of a reply that is no answer (NODATA is one), journaled; `server` asks nothing.
    pub async fn ask(&self, ctx: &Context, resolver: &Resolver) -> Result<(DnsReply, Vec<Finding>), String> {
        let reply = match self {
            Question::Name { name, qtype } => resolver.query(name, *qtype).await.map_err(|err| err.to_string())?,
            Question::Reverse(ip) => resolver.lookup_ptr(*ip).await,
            Question::Servers => return Err("`server` is not a question to ask".into()),
        };
        let findings: Vec<Finding> = super::mx::failure_finding(&reply, &reply.name, resolver)
            .map(|f| f.with_evidence([reply.summary()]))
            .into_iter()
            .collect();
        for finding in &findings {
            ctx.journal.finding(finding);
        }
        Ok((reply, findings))
    }
}

impl Lookup {
    /// Runs the lookup with the resolver of `ctx` (or the chosen server) and renders it.
    pub async fn run(&self, ctx: &Context) -> Vec<ConsoleLine> {
        let resolver = match self.resolver(ctx) {
            Ok(resolver) => resolver,
            Err(error) => return vec![ConsoleLine::new(LineKind::Error, format!("error: {error}"))],
        };
        match &self.question {
            Question::Servers => describe_servers(&resolver, &self.server),
            Question::Reverse(ip) => render(&resolver.lookup_ptr(*ip).await, Some(&ip.to_string())),
            Question::Name { name, qtype } => match resolver.query(name, *qtype).await {
                Ok(reply) => render(&reply, None),
                Err(error) => vec![ConsoleLine::new(LineKind::Error, format!("error: {error}"))],
            },
        }
    }

    /// The resolver this lookup uses.
    pub fn resolver(&self, ctx: &Context) -> Result<Resolver, String> {
        let mut limits = Limits::from_context(ctx);
        if let Some(timeout) = self.timeout {
            // Like --timeout, `set timeout` bounds the query with all its tries.
            limits.timeout = Limits::per_try(timeout, limits.attempts);
        }
        let servers = match &self.server {
            ServerChoice::Explicit(addr) => vec![*addr],
            ServerChoice::Default { port } => {
                let base = Resolver::from_context(ctx).map_err(|e| e.to_string())?;
                let mut servers = base.servers();
                if let Some(port) = port {
                    for server in &mut servers {
                        server.set_port(*port);
                    }
                }
                servers
            }
        };
        for server in &servers {
            ctx.dns_server_allowed(*server)?;
        }
        Ok(Resolver::with_servers(&servers, limits, ctx.journal.clone()))
    }
}

fn describe_servers(resolver: &Resolver, choice: &ServerChoice) -> Vec<ConsoleLine> {
    let source = match choice {
        ServerChoice::Explicit(_) => "chosen with the server command",
        ServerChoice::Default { .. } => "the default resolver",
    };
    let servers: Vec<String> = resolver.servers().iter().map(ToString::to_string).collect();
    let limits = resolver.limits();
    vec![ConsoleLine::new(
        LineKind::Info,
        format!(
            "Server: {} ({source}); timeout {} s, {} tr{} per query",
            servers.join(", "),
            secs(limits.total()),
            limits.attempts,
            if limits.attempts == 1 { "y" } else { "ies" }
        ),
    )]
}

/// Renders a reply the way the console and `mailwiz dns` print it: the question, the server,
/// the answers with TTLs or what went wrong in words, and the time taken.
pub fn render(reply: &DnsReply, asked_as: Option<&str>) -> Vec<ConsoleLine> {
    let mut lines = Vec::new();
    let (unicode, _) = idna::domain_to_unicode(&reply.name);
    let shown = match asked_as {
        Some(text) => format!("{text} ({})", reply.name),
        None if unicode != reply.name => format!("{unicode} ({})", reply.name),
        None => reply.name.clone(),
    };
    let shown = escape_str(&shown);
    lines.push(ConsoleLine::new(LineKind::Info, format!("Question: {shown} {}", reply.qtype)));
    lines.push(ConsoleLine::new(LineKind::Info, format!("Server:   {}", reply.server)));
    let ms = reply.elapsed.as_millis();
    let name = escape_str(&reply.name);
    let problem = |text: String| ConsoleLine::new(LineKind::Problem, text);
    let (line, time) = match &reply.outcome {
        DnsOutcome::Records(records) => {
            for record in records {
                lines.push(ConsoleLine::new(LineKind::Answer, record.to_string()));
            }
            lines.push(ConsoleLine::new(LineKind::Info, format!("{} answer(s) in {ms} ms", records.len())));
            return lines;
        }
        DnsOutcome::NoData => {
            (problem(format!("** {name}: no {} record (NODATA, the name exists)", reply.qtype)), "answered in")
        }
        DnsOutcome::NxDomain => (problem(format!("** {name}: NXDOMAIN, no such name")), "answered in"),
        DnsOutcome::ServFail => (problem(format!("** {name}: SERVFAIL, the server failed to answer")), "answered in"),
        DnsOutcome::Refused => (problem(format!("** {name}: REFUSED, the server will not answer")), "answered in"),
        DnsOutcome::Rcode(code) => (problem(format!("** {name}: {code}, an error answer")), "answered in"),
        DnsOutcome::Timeout => (problem(format!(";; no answer from {} (timeout)", reply.server)), "gave up after"),
        DnsOutcome::Failed(why) => {
            (problem(format!(";; query to {} failed: {}", reply.server, escape_str(why))), "gave up after")
        }
    };
    lines.push(line);
    lines.push(ConsoleLine::new(LineKind::Info, format!("{time} {ms} ms")));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_nslookup_vocabulary() {
        assert_eq!(parse("set type=MX").unwrap(), Some(ConsoleCommand::SetType(QueryType::Mx)));
        assert_eq!(parse("set q=aaaa").unwrap(), Some(ConsoleCommand::SetType(QueryType::Aaaa)));
        assert_eq!(parse("set port=5353").unwrap(), Some(ConsoleCommand::SetPort(5353)));
        assert_eq!(parse("set timeout=2.5").unwrap(), Some(ConsoleCommand::SetTimeout(Duration::from_millis(2500))));
        assert_eq!(
            parse("server 192.0.2.53").unwrap(),
            Some(ConsoleCommand::Server("192.0.2.53".parse().unwrap(), None))
        );
        assert_eq!(
            parse("server 192.0.2.53:5353").unwrap(),
            Some(ConsoleCommand::Server("192.0.2.53".parse().unwrap(), Some(5353)))
        );
        assert_eq!(parse("server").unwrap(), Some(ConsoleCommand::ShowServer));
        assert_eq!(parse("  ").unwrap(), None);
        assert_eq!(
            parse("198.51.100.7").unwrap(),
            Some(ConsoleCommand::Reverse { ip: "198.51.100.7".parse().unwrap(), server: None })
        );
        assert_eq!(
            parse("mx bank.example").unwrap(),
            Some(ConsoleCommand::Query { name: "bank.example".into(), qtype: Some(QueryType::Mx), server: None })
        );
        assert_eq!(
            parse("bücher.example").unwrap(),
            Some(ConsoleCommand::Query { name: "xn--bcher-kva.example".into(), qtype: None, server: None })
        );
    }

    #[test]
    fn bad_commands_get_one_sentence() {
        for bad in [
            "set type=mxx",
            "set port=0",
            "set port=http",
            "set timeout=-1",
            "set colour=red",
            "server dns.example",
            "bank..example",
            "set type=mx extra",
        ] {
            let error = parse(bad).unwrap_err().0;
            assert!(!error.contains('\n') && !error.is_empty(), "{bad}: {error}");
        }
        assert!(parse(&"a".repeat(300)).unwrap_err().0.contains("300 characters"));
    }

    #[test]
    fn settings_shape_the_next_lookup() {
        let mut console = Console::default();
        console.submit("set type=mx");
        console.submit("set port=5353");
        console.submit("server 192.0.2.53");
        let ConsoleAction::Run(lookup) = console.submit("bank.example") else { panic!("a query runs") };
        assert_eq!(lookup.question, Question::Name { name: "bank.example".into(), qtype: QueryType::Mx });
        assert_eq!(lookup.server, ServerChoice::Explicit("192.0.2.53:5353".parse().unwrap()));
        let ConsoleAction::Print(lines) = console.submit("set type=bogus") else { panic!("an error prints") };
        assert_eq!(lines[0].kind, LineKind::Error);
        assert_eq!(console.qtype(), QueryType::Mx, "a bad command changes nothing");
        assert_eq!(console.submit("exit"), ConsoleAction::Exit);
        let ConsoleAction::Print(lines) = console.submit("server default") else { panic!("prints") };
        assert_eq!(lines[0].kind, LineKind::Info);
        let ConsoleAction::Run(lookup) = console.submit("bank.example") else { panic!("a query runs") };
        assert_eq!(lookup.server, ServerChoice::Default { port: None }, "server default forgets the port too");
    }

    #[test]
    fn a_confined_console_asks_no_other_server() {
        let mut console = Console::default();
        console.confine(Some(DEMO_CONFINED.into()));
        for line in ["server 9.9.9.9", "bank.example 9.9.9.9", "192.0.2.10 9.9.9.9"] {
            let ConsoleAction::Print(lines) = console.submit(line) else { panic!("{line}: nothing may run") };
            assert_eq!(lines[0].kind, LineKind::Error, "{line}");
            assert!(lines[0].text.contains("9.9.9.9 is outside the demo world"), "{}", lines[0].text);
        }
        let ConsoleAction::Run(lookup) = console.submit("bank.example") else { panic!("a query runs") };
        assert_eq!(lookup.server, ServerChoice::Default { port: None });
        assert!(matches!(console.submit("server"), ConsoleAction::Run(Lookup { question: Question::Servers, .. })));
    }
}
