//! The resolver every step shares: the system's name servers or `--dns-server`, one query at a
//! time per server, with a typed outcome that tells NXDOMAIN from "no records of that type", a
//! server failure from a timeout, and says which server answered and how long it took.
//!
//! Every query and every answer is written to the journal ([`EventKind::DnsQuery`] and
//! [`EventKind::DnsAnswer`]). There is no cache: asking twice asks the server twice, so repeated
//! console queries show what the server says now. The queries are sent by
//! [`super::exchange`], which takes only the answer to the question asked.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hickory_resolver::proto::op::{Message, ResponseCode};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use serde::{Deserialize, Serialize};

use super::exchange::{Failure, Question};
use crate::context::Context;
use crate::session::escape::escape_str;
use crate::session::{Event, EventKind, Journal};

/// The record types mailwiz asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum QueryType {
    A,
    Aaaa,
    Mx,
    Ptr,
    Txt,
    Cname,
    Ns,
    Soa,
    Tlsa,
    Any,
}

impl QueryType {
    /// Every type, in the order `help` lists them.
    pub const ALL: [QueryType; 10] = [
        QueryType::Mx,
        QueryType::A,
        QueryType::Aaaa,
        QueryType::Ptr,
        QueryType::Txt,
        QueryType::Cname,
        QueryType::Ns,
        QueryType::Soa,
        QueryType::Tlsa,
        QueryType::Any,
    ];

    /// The type's name as DNS writes it (`AAAA`).
    pub fn as_str(self) -> &'static str {
        match self {
            QueryType::A => "A",
            QueryType::Aaaa => "AAAA",
            QueryType::Mx => "MX",
            QueryType::Ptr => "PTR",
            QueryType::Txt => "TXT",
            QueryType::Cname => "CNAME",
            QueryType::Ns => "NS",
            QueryType::Soa => "SOA",
            QueryType::Tlsa => "TLSA",
            QueryType::Any => "ANY",
        }
    }

    /// The protocol's record type.
    pub fn record_type(self) -> RecordType {
        match self {
            QueryType::A => RecordType::A,
            QueryType::Aaaa => RecordType::AAAA,
            QueryType::Mx => RecordType::MX,
            QueryType::Ptr => RecordType::PTR,
            QueryType::Txt => RecordType::TXT,
            QueryType::Cname => RecordType::CNAME,
            QueryType::Ns => RecordType::NS,
            QueryType::Soa => RecordType::SOA,
            QueryType::Tlsa => RecordType::TLSA,
            QueryType::Any => RecordType::ANY,
        }
    }
}

impl fmt::Display for QueryType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A record type name mailwiz does not ask for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not a record type mailwiz asks for (mx, a, aaaa, ptr, txt, cname, ns, soa, tlsa, any)")]
pub struct UnknownType(pub String);

impl FromStr for QueryType {
    type Err = UnknownType;

    /// Case-insensitive: `mx`, `MX`, `aaaa`.
    fn from_str(text: &str) -> Result<QueryType, UnknownType> {
        QueryType::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| UnknownType(text.trim().to_string()))
    }
}

/// The data of one answer record. Names are in ASCII without the trailing dot (the root is `.`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordData {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    Mx {
        preference: u16,
        exchange: String,
    },
    Cname(String),
    Ptr(String),
    /// The character-strings of one TXT record, as received (not escaped).
    Txt(Vec<String>),
    Ns(String),
    Soa {
        mname: String,
        rname: String,
        serial: u32,
        refresh: i32,
        retry: i32,
        expire: i32,
        minimum: u32,
    },
    /// Any other type, in zone-file presentation form.
    Other {
        rtype: String,
        data: String,
    },
}

impl RecordData {
    /// The record type's name (`MX`).
    pub fn type_name(&self) -> String {
        match self {
            RecordData::A(_) => "A".into(),
            RecordData::Aaaa(_) => "AAAA".into(),
            RecordData::Mx { .. } => "MX".into(),
            RecordData::Cname(_) => "CNAME".into(),
            RecordData::Ptr(_) => "PTR".into(),
            RecordData::Txt(_) => "TXT".into(),
            RecordData::Ns(_) => "NS".into(),
            RecordData::Soa { .. } => "SOA".into(),
            RecordData::Other { rtype, .. } => rtype.clone(),
        }
    }

    /// The address of an A or AAAA record.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            RecordData::A(ip) => Some(IpAddr::V4(*ip)),
            RecordData::Aaaa(ip) => Some(IpAddr::V6(*ip)),
            _ => None,
        }
    }

    fn from_rdata(data: &RData) -> RecordData {
        match data {
            RData::A(a) => RecordData::A(a.0),
            RData::AAAA(aaaa) => RecordData::Aaaa(aaaa.0),
            RData::MX(mx) => RecordData::Mx { preference: mx.preference, exchange: name_text(&mx.exchange) },
            RData::CNAME(cname) => RecordData::Cname(name_text(&cname.0)),
            RData::PTR(ptr) => RecordData::Ptr(name_text(&ptr.0)),
            RData::NS(ns) => RecordData::Ns(name_text(&ns.0)),
            RData::TXT(txt) => {
                RecordData::Txt(txt.txt_data.iter().map(|s| String::from_utf8_lossy(s).into_owned()).collect())
            }
            RData::SOA(soa) => RecordData::Soa {
                mname: name_text(&soa.mname),
                rname: name_text(&soa.rname),
                serial: soa.serial,
                refresh: soa.refresh,
                retry: soa.retry,
                expire: soa.expire,
                minimum: soa.minimum,
            },
            other => RecordData::Other { rtype: other.record_type().to_string(), data: other.to_string() },
        }
    }
}

impl fmt::Display for RecordData {
    /// nslookup-like wording, with anything from the network escaped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordData::A(ip) => write!(f, "address {ip}"),
            RecordData::Aaaa(ip) => write!(f, "address {ip}"),
            RecordData::Mx { preference, exchange } => {
                write!(f, "mail exchanger = {preference} {}", escape_str(exchange))
            }
            RecordData::Cname(target) => write!(f, "canonical name = {}", escape_str(target)),
            RecordData::Ptr(target) => write!(f, "name = {}", escape_str(target)),
            RecordData::Ns(host) => write!(f, "nameserver = {}", escape_str(host)),
            RecordData::Txt(strings) => {
                let quoted: Vec<String> = strings.iter().map(|s| format!("\"{}\"", escape_str(s))).collect();
                write!(f, "text = {}", quoted.join(" "))
            }
            RecordData::Soa { mname, rname, serial, refresh, retry, expire, minimum } => write!(
                f,
                "origin = {}, mail addr = {}, serial = {serial}, refresh = {refresh}, retry = {retry}, expire = {expire}, minimum = {minimum}",
                escape_str(mname),
                escape_str(rname)
            ),
            RecordData::Other { rtype, data } => write!(f, "{rtype} {}", escape_str(data)),
        }
    }
}

/// One record of an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// The owner name, ASCII, without the trailing dot.
    pub name: String,
    pub ttl: u32,
    pub data: RecordData,
}

impl fmt::Display for Answer {
    /// `bank.example  300  mail exchanger = 10 mx1.bank.example`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}  ttl={}  {}", escape_str(&self.name), self.ttl, self.data)
    }
}

/// How a query ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", content = "detail", rename_all = "snake_case")]
pub enum DnsOutcome {
    /// The server answered with records (possibly only a CNAME chain).
    Records(Vec<Answer>),
    /// The name exists but has no record of the type asked (NOERROR, empty answer).
    NoData,
    /// The name does not exist.
    NxDomain,
    /// The server could not answer (SERVFAIL).
    ServFail,
    /// The server refused to answer (REFUSED).
    Refused,
    /// Another response code (FORMERR, NOTIMP, ...).
    Rcode(String),
    /// No answer before the deadline.
    Timeout,
    /// The query could not be sent or its answer not read.
    Failed(String),
}

impl DnsOutcome {
    /// True when the server gave an answer about the name (records, NODATA or NXDOMAIN), as
    /// opposed to an error or silence; another server would say the same.
    pub fn is_definitive(&self) -> bool {
        matches!(self, DnsOutcome::Records(_) | DnsOutcome::NoData | DnsOutcome::NxDomain)
    }

    /// True when no answer came: silence, a resolver that could not be reached or that refused
    /// us. The question is then still open ("could not run"), not answered badly.
    pub fn is_no_answer(&self) -> bool {
        matches!(self, DnsOutcome::Timeout | DnsOutcome::Failed(_) | DnsOutcome::Refused)
    }

    /// A short word for the outcome: `NOERROR`, `NODATA`, `NXDOMAIN`, `SERVFAIL`, `REFUSED`,
    /// `timeout`, ...
    pub fn label(&self) -> String {
        match self {
            DnsOutcome::Records(_) => "NOERROR".into(),
            DnsOutcome::NoData => "NODATA".into(),
            DnsOutcome::NxDomain => "NXDOMAIN".into(),
            DnsOutcome::ServFail => "SERVFAIL".into(),
            DnsOutcome::Refused => "REFUSED".into(),
            DnsOutcome::Rcode(code) => code.clone(),
            DnsOutcome::Timeout => "timeout".into(),
            DnsOutcome::Failed(_) => "error".into(),
        }
    }
}

/// The result of one query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsReply {
    /// The name asked for, ASCII, without the trailing dot.
    pub name: String,
    pub qtype: QueryType,
    /// The server whose answer this is (the last one tried when none answered).
    pub server: SocketAddr,
    /// Time from sending the query to this outcome, across every server tried.
    #[serde(with = "millis")]
    pub elapsed: Duration,
    pub outcome: DnsOutcome,
}

impl DnsReply {
    /// The answer records; empty unless the outcome is [`DnsOutcome::Records`].
    pub fn records(&self) -> &[Answer] {
        match &self.outcome {
            DnsOutcome::Records(records) => records,
            _ => &[],
        }
    }

    /// The A and AAAA addresses among the records.
    pub fn addresses(&self) -> Vec<IpAddr> {
        self.records().iter().filter_map(|a| a.data.ip()).collect()
    }

    /// Names from the PTR records.
    pub fn ptr_names(&self) -> Vec<String> {
        self.records()
            .iter()
            .filter_map(|a| match &a.data {
                RecordData::Ptr(name) => Some(name.clone()),
                _ => None,
            })
            .collect()
    }

    /// The TXT records, each with its character-strings joined.
    pub fn txt_strings(&self) -> Vec<String> {
        self.records()
            .iter()
            .filter_map(|a| match &a.data {
                RecordData::Txt(parts) => Some(parts.concat()),
                _ => None,
            })
            .collect()
    }

    /// The MX records as (preference, exchange).
    pub fn mx_records(&self) -> Vec<(u16, String)> {
        self.records()
            .iter()
            .filter_map(|a| match &a.data {
                RecordData::Mx { preference, exchange } => Some((*preference, exchange.clone())),
                _ => None,
            })
            .collect()
    }

    /// The CNAME targets met on the way (a name that is an alias).
    pub fn cnames(&self) -> Vec<(String, String)> {
        self.records()
            .iter()
            .filter_map(|a| match &a.data {
                RecordData::Cname(target) => Some((a.name.clone(), target.clone())),
                _ => None,
            })
            .collect()
    }

    /// One readable line: `MX bank.example @127.0.0.1:53: NOERROR, 2 record(s) in 12 ms`.
    pub fn summary(&self) -> String {
        let what = match &self.outcome {
            DnsOutcome::Records(records) => format!("NOERROR, {} record(s)", records.len()),
            DnsOutcome::NoData => "NOERROR, no records of that type (NODATA)".into(),
            DnsOutcome::NxDomain => "NXDOMAIN, the name does not exist".into(),
            DnsOutcome::ServFail => "SERVFAIL, the server could not answer".into(),
            DnsOutcome::Refused => "REFUSED, the server would not answer".into(),
            DnsOutcome::Rcode(code) => format!("{code}, an error answer"),
            DnsOutcome::Timeout => "no answer (timeout)".into(),
            DnsOutcome::Failed(why) => format!("failed: {}", escape_str(why)),
        };
        format!("{} {} @{}: {what} in {} ms", self.qtype, escape_str(&self.name), self.server, self.elapsed.as_millis())
    }
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

/// A resolver that could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolverError {
    #[error("{0}")]
    BadServer(String),
    #[error("cannot read the system's DNS configuration: {0}")]
    SystemConfig(String),
    #[error("the system's DNS configuration lists no name server")]
    NoServers,
}

/// A name that cannot be asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not a name that can be looked up")]
pub struct BadName(pub String);

struct Server {
    addr: SocketAddr,
    /// This server's share of the query's limits.
    limits: Limits,
    /// Whether it has answered anything; until then each query is watched for a refusal.
    answered: AtomicBool,
}

/// Deadline, tries and servers of a resolver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How long one try may take; several servers share it.
    pub timeout: Duration,
    /// Tries per server (at least one).
    pub attempts: usize,
}

/// A cloneable handle on the resolver. Servers are asked in order; the next one is asked only
/// when one fails (SERVFAIL, REFUSED, timeout, network error), as a stub resolver does.
#[derive(Clone)]
pub struct Resolver {
    servers: Arc<[Server]>,
    limits: Limits,
    journal: Journal,
    health: Arc<Health>,
}

/// What the servers have shown of themselves, shared by every clone of a resolver: whether any
/// query got a response at all, and how many met silence.
#[derive(Debug, Default)]
struct Health {
    answered: AtomicBool,
    silent: AtomicUsize,
}

/// After this many queries without any response, and none answered before, the servers count
/// as silent: further queries are not sent, since they would wait the same way.
const SILENT_AFTER: usize = 2;

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolver")
            .field("servers", &self.servers())
            .field("limits", &self.limits)
            .field("health", &self.health)
            .finish_non_exhaustive()
    }
}

impl Resolver {
    /// The resolver for this run: `ctx.config.dns_servers` when given, else the system's
    /// name servers; timeout and attempts from the config; journaling to `ctx.journal`.
    pub fn from_context(ctx: &Context) -> Result<Resolver, ResolverError> {
        let limits = Limits::from_context(ctx);
        let addrs = if ctx.config.dns_servers.is_empty() {
            system_servers()?
        } else {
            ctx.config.dns_server_addrs().map_err(|e| ResolverError::BadServer(e.to_string()))?
        };
        Ok(Resolver::with_servers(&addrs, limits, ctx.journal.clone()))
    }

    /// A resolver asking only `server` (the console's `server`, `--compare-with`, the
    /// what-is-my-IP servers), with the limits and journal of `ctx`.
    pub fn for_server(ctx: &Context, server: SocketAddr) -> Resolver {
        Resolver::with_servers(&[server], Limits::from_context(ctx), ctx.journal.clone())
    }

    /// A resolver asking `servers` in order with explicit limits, which bound a query across all
    /// the servers: each gets an equal share of every try, so `--timeout` holds however many
    /// servers there are.
    pub fn with_servers(servers: &[SocketAddr], limits: Limits, journal: Journal) -> Resolver {
        let share = limits.shared_by(servers.len());
        let servers =
            servers.iter().map(|&addr| Server { addr, limits: share, answered: AtomicBool::new(false) }).collect();
        Resolver { servers, limits, journal, health: Arc::default() }
    }

    /// True when no server has responded to anything and several queries met silence: our
    /// resolver is down or unreachable, and what is looked up through it is unknown.
    pub fn is_silent(&self) -> bool {
        !self.health.answered.load(Ordering::Relaxed) && self.silent_queries() >= SILENT_AFTER
    }

    /// How many queries got no response at all.
    pub fn silent_queries(&self) -> usize {
        self.health.silent.load(Ordering::Relaxed)
    }

    /// The same servers with other limits (the console's `set timeout`).
    pub fn with_limits(&self, limits: Limits) -> Resolver {
        Resolver::with_servers(&self.servers(), limits, self.journal.clone())
    }

    /// The servers asked, in order.
    pub fn servers(&self) -> Vec<SocketAddr> {
        self.servers.iter().map(|s| s.addr).collect()
    }

    /// Whether the first server vouches for `qtype` records of `name`: the AD bit of its reply
    /// to a query that asks for it (see [`super::authenticated`]), with the server asked;
    /// journaled.
    pub async fn authenticated(&self, name: &str, qtype: QueryType) -> Result<(SocketAddr, bool), String> {
        let Some(server) = self.servers.first() else { return Err("no name server is configured".into()) };
        let shown = escape_str(name);
        self.journal.log(EventKind::DnsQuery, format!("{qtype} {shown} @{} (authentic data asked)", server.addr));
        let answer = super::authenticated::ask(server.addr, name, qtype.record_type(), server.limits.total()).await;
        let said = match &answer {
            Ok(true) => "AD set: the resolver validated the answer".to_string(),
            Ok(false) => "AD clear: not validated".to_string(),
            Err(why) => why.clone(),
        };
        self.journal.log(EventKind::DnsAnswer, format!("{qtype} {shown} @{}: {said}", server.addr));
        answer.map(|ad| (server.addr, ad))
    }

    /// The deadline and tries.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Asks for `qtype` records of `name` (ASCII or Unicode; a trailing dot is optional; no
    /// search domains are appended). Never fails: every way a query can end is a [`DnsOutcome`].
    pub async fn query(&self, name: &str, qtype: QueryType) -> Result<DnsReply, BadName> {
        let fqdn = fqdn(name)?;
        Ok(self.query_name(fqdn, qtype).await)
    }

    /// Asks for `qtype` records of `name` byte for byte: labels split at dots, no IDNA, any
    /// printable byte allowed (SPF macros expand to names holding spaces or `%`). Fails only
    /// for an empty or over-long label.
    pub async fn query_exact(&self, name: &str, qtype: QueryType) -> Result<DnsReply, BadName> {
        let trimmed = name.strip_suffix('.').unwrap_or(name);
        let mut parsed = Name::from_labels(trimmed.split('.').map(str::as_bytes))
            .ok()
            .filter(|_| !trimmed.is_empty() && !trimmed.split('.').any(str::is_empty))
            .ok_or_else(|| BadName(name.to_string()))?;
        parsed.set_fqdn(true);
        Ok(self.query_name(parsed, qtype).await)
    }

    /// A and AAAA of `name`, asked at the same time.
    pub async fn lookup_ip(&self, name: &str) -> Result<(DnsReply, DnsReply), BadName> {
        let fqdn = fqdn(name)?;
        Ok(tokio::join!(self.query_name(fqdn.clone(), QueryType::A), self.query_name(fqdn, QueryType::Aaaa)))
    }

    /// MX records of `domain`.
    pub async fn lookup_mx(&self, domain: &str) -> Result<DnsReply, BadName> {
        self.query(domain, QueryType::Mx).await
    }

    /// TXT records of `name`.
    pub async fn lookup_txt(&self, name: &str) -> Result<DnsReply, BadName> {
        self.query(name, QueryType::Txt).await
    }

    /// The PTR records of `ip` (the reverse name under in-addr.arpa or ip6.arpa).
    pub async fn lookup_ptr(&self, ip: IpAddr) -> DnsReply {
        self.query_name(Name::from(ip), QueryType::Ptr).await
    }

    async fn query_name(&self, name: Name, qtype: QueryType) -> DnsReply {
        let started = Instant::now();
        let shown = name_text(&name);
        if self.is_silent() {
            let outcome = DnsOutcome::Failed(format!(
                "not asked: the resolver answered none of {} queries before",
                self.silent_queries()
            ));
            let server = self.servers.first().map_or(SocketAddr::from(([0, 0, 0, 0], 53)), |s| s.addr);
            let reply = DnsReply { name: shown, qtype, server, elapsed: started.elapsed(), outcome };
            self.journal.record(
                Event::new(EventKind::DnsAnswer, reply.summary())
                    .with_data(serde_json::to_value(&reply).expect("replies serialise")),
            );
            return reply;
        }
        let mut last = None;
        for server in self.servers.iter() {
            let outcome = self.ask(server, &name, &shown, qtype).await;
            match outcome {
                DnsOutcome::Timeout | DnsOutcome::Failed(_) => {
                    self.health.silent.fetch_add(1, Ordering::Relaxed);
                }
                _ => self.health.answered.store(true, Ordering::Relaxed),
            }
            let reply =
                DnsReply { name: shown.clone(), qtype, server: server.addr, elapsed: started.elapsed(), outcome };
            self.journal.record(
                Event::new(EventKind::DnsAnswer, reply.summary())
                    .with_data(serde_json::to_value(&reply).expect("replies serialise")),
            );
            if reply.outcome.is_definitive() {
                return reply;
            }
            last = Some(reply);
        }
        last.unwrap_or_else(|| DnsReply {
            name: shown,
            qtype,
            server: SocketAddr::from(([0, 0, 0, 0], 53)),
            elapsed: started.elapsed(),
            outcome: DnsOutcome::Failed("no name server is configured".into()),
        })
    }

    async fn ask(&self, server: &Server, name: &Name, shown: &str, qtype: QueryType) -> DnsOutcome {
        self.journal.record(
            Event::new(EventKind::DnsQuery, format!("{qtype} {} @{}", escape_str(shown), server.addr))
                .with_data(serde_json::json!({"name": shown, "type": qtype, "server": server.addr.to_string()})),
        );
        // Each try has its deadline; this one bounds the whole exchange whatever the transport
        // does (a silent server over TCP, a retry that would start late).
        let deadline = server.limits.total() + Duration::from_millis(50);
        let question = Question { name: name.clone(), qtype: qtype.record_type(), authentic_data: false };
        let exchange = tokio::time::timeout(
            deadline,
            super::exchange::exchange(server.addr, &question, server.limits.timeout, server.limits.attempts),
        );
        // A server that answers at once never sees the watch's copy of the question.
        let watch = async {
            if server.answered.load(Ordering::Relaxed) {
                return std::future::pending().await;
            }
            tokio::time::sleep(REFUSAL_GRACE.min(server.limits.total() / 4)).await;
            super::refusal::refused(server.addr, name, qtype.record_type()).await
        };
        let result = tokio::select! {
            result = exchange => result,
            why = watch => return DnsOutcome::Failed(why),
        };
        if !matches!(result, Err(_) | Ok(Err(Failure::Timeout))) {
            server.answered.store(true, Ordering::Relaxed);
        }
        match result {
            Err(_) | Ok(Err(Failure::Timeout)) => DnsOutcome::Timeout,
            Ok(Err(Failure::Failed(why))) => DnsOutcome::Failed(why),
            Ok(Ok(reply)) => outcome_of_reply(&reply),
        }
    }
}

/// How long a query waits for its answer before a refusal of the port is watched for.
const REFUSAL_GRACE: Duration = Duration::from_millis(250);

/// The shortest try a server is given when several share a query's deadline.
const MIN_TRY: Duration = Duration::from_millis(100);

impl Limits {
    /// The limits of `ctx.config`: the generic timeout bounds a query with all its tries, so
    /// each try gets its share.
    pub fn from_context(ctx: &Context) -> Limits {
        let attempts = ctx.config.dns.attempts.clamp(1, 10);
        Limits { timeout: Limits::per_try(ctx.config.timeout(), attempts), attempts }
    }

    /// Each try's share of `total` over `attempts` tries.
    pub fn per_try(total: Duration, attempts: usize) -> Duration {
        total / u32::try_from(attempts.max(1)).unwrap_or(u32::MAX)
    }

    /// The limits of one of `servers` servers: its share of each try, at least 100 ms.
    pub fn shared_by(self, servers: usize) -> Limits {
        let share = self.timeout / u32::try_from(servers.max(1)).unwrap_or(u32::MAX);
        Limits { timeout: share.max(MIN_TRY.min(self.timeout)), ..self }
    }

    /// How long a query may take with all its tries.
    pub fn total(&self) -> Duration {
        self.timeout.saturating_mul(u32::try_from(self.attempts.max(1)).unwrap_or(u32::MAX))
    }
}

/// What a reply to our question says.
fn outcome_of_reply(reply: &Message) -> DnsOutcome {
    match reply.metadata.response_code {
        ResponseCode::NoError => {
            let records: Vec<Answer> = reply.answers.iter().map(answer).collect();
            if records.is_empty() { DnsOutcome::NoData } else { DnsOutcome::Records(records) }
        }
        ResponseCode::NXDomain => DnsOutcome::NxDomain,
        ResponseCode::ServFail => DnsOutcome::ServFail,
        ResponseCode::Refused => DnsOutcome::Refused,
        code => DnsOutcome::Rcode(code.to_str().to_uppercase()),
    }
}

fn answer(record: &Record) -> Answer {
    Answer { name: name_text(&record.name), ttl: record.ttl, data: RecordData::from_rdata(&record.data) }
}

/// A name as text: ASCII, without the trailing dot; the root stays `.`. Printable bytes stay as
/// they are (an MX target may be `foo:bar/baz.example.com`, and is asked for as such); a label
/// holding a dot, a backslash, a space or another byte is written escaped.
fn name_text(name: &Name) -> String {
    if name.is_root() {
        return ".".into();
    }
    let labels: Vec<String> = name
        .iter()
        .map(|label| match std::str::from_utf8(label) {
            Ok(text) if text.bytes().all(|b| (0x21..0x7f).contains(&b) && b != b'.' && b != b'\\') => text.to_string(),
            _ => hickory_resolver::proto::rr::domain::Label::from_raw_bytes(label)
                .map(|l| l.to_ascii())
                .unwrap_or_default(),
        })
        .collect();
    labels.join(".")
}

/// `name` as a fully qualified DNS name; Unicode labels become A-labels.
fn fqdn(name: &str) -> Result<Name, BadName> {
    let trimmed = name.trim();
    if trimmed.is_empty() || trimmed.chars().any(char::is_whitespace) {
        return Err(BadName(trimmed.to_string()));
    }
    let ascii = if trimmed.is_ascii() {
        trimmed.to_string()
    } else {
        idna::domain_to_ascii(trimmed).map_err(|_| BadName(trimmed.to_string()))?
    };
    let mut parsed = Name::from_ascii(&ascii).map_err(|_| BadName(trimmed.to_string()))?;
    parsed.set_fqdn(true);
    Ok(parsed)
}

/// The system's name servers (`/etc/resolv.conf` on Unix, the adapters' settings on Windows).
fn system_servers() -> Result<Vec<SocketAddr>, ResolverError> {
    let (config, _) =
        hickory_resolver::system_conf::read_system_conf().map_err(|e| ResolverError::SystemConfig(e.to_string()))?;
    let mut addrs: Vec<SocketAddr> = Vec::new();
    for ns in config.name_servers() {
        let port = ns.connections.first().map_or(53, |c| c.port);
        let addr = SocketAddr::new(ns.ip, port);
        if !addrs.contains(&addr) {
            addrs.push(addr);
        }
    }
    if addrs.is_empty() {
        return Err(ResolverError::NoServers);
    }
    Ok(addrs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_types_parse_case_insensitively() {
        assert_eq!("mx".parse::<QueryType>().unwrap(), QueryType::Mx);
        assert_eq!("AAAA".parse::<QueryType>().unwrap(), QueryType::Aaaa);
        assert!("mxx".parse::<QueryType>().unwrap_err().to_string().contains("\"mxx\""));
    }

    #[test]
    fn names_become_fully_qualified_ascii() {
        assert_eq!(fqdn("Bank.Example").unwrap().to_ascii(), "Bank.Example.");
        assert_eq!(fqdn("bücher.example.").unwrap().to_ascii(), "xn--bcher-kva.example.");
        assert!(fqdn("bank example").is_err());
        assert!(fqdn("").is_err());
    }

    #[test]
    fn record_text_escapes_control_bytes() {
        let txt = RecordData::Txt(vec!["listed\x1b[31m".into()]);
        assert_eq!(txt.to_string(), "text = \"listed\\x1b[31m\"");
        let root = RecordData::Mx { preference: 0, exchange: ".".into() };
        assert_eq!(root.to_string(), "mail exchanger = 0 .");
    }
}
