//! An authoritative DNS server in the process, for the demo world and the tests: zones given as
//! zone-file text, served over UDP and TCP on one loopback port, answering as soon as
//! [`DnsServerBuilder::start`] returns and stopping when the [`DnsServer`] is dropped.
//!
//! Options make it misbehave on purpose: a fixed delay before every answer (benchmarks), SERVFAIL
//! or REFUSED for chosen names, or no answer at all (a silent server that lets queries time out);
//! or act as a validating resolver for a signed zone (the AD bit).
//!
//! ```no_run
//! # async fn demo() -> Result<(), mailwiz::demo::dns_server::DnsServerError> {
//! use mailwiz::demo::dns_server::DnsServer;
//! let server = DnsServer::builder()
//!     .zone("bank.example", "@ 300 IN MX 10 mx1\nmx1 300 IN A 192.0.2.10\n")
//!     .start()
//!     .await?;
//! println!("ask {}", server.addr());
//! # Ok(()) }
//! ```

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_server::Server;
use hickory_server::net::NetError;
use hickory_server::net::runtime::Time;
use hickory_server::proto::op::{Header, HeaderCounts, Metadata, ResponseCode};
use hickory_server::proto::rr::rdata::SOA;
use hickory_server::proto::rr::{LowerName, Name, RData, Record, RecordSet, RecordType, RrKey};
use hickory_server::proto::serialize::txt::Parser;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, MessageResponse, MessageResponseBuilder, ZoneType};
use tokio::net::{TcpListener, UdpSocket};
use tokio::task::JoinSet;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum DnsServerError {
    #[error("the zone {origin} is not valid: {message}")]
    Zone { origin: String, message: String },
    #[error("\"{0}\" is not a valid domain name")]
    Name(String),
    #[error("cannot listen on 127.0.0.1: {0}")]
    Bind(std::io::Error),
}

/// What the server should do besides answering from its zones.
#[derive(Debug, Clone, Default)]
pub struct DnsServerBuilder {
    zones: Vec<(String, String)>,
    record_zones: Vec<(String, Vec<Record>)>,
    delay: Duration,
    silent: bool,
    rcodes: Vec<(String, ResponseCode)>,
    silent_names: Vec<String>,
    silent_types: Vec<(String, Vec<RecordType>)>,
    validated: Vec<String>,
}

impl DnsServerBuilder {
    /// Serves the zone `origin` from zone-file text. Relative names are relative to `origin`
    /// (`$ORIGIN` and `$TTL` work as usual). Without an SOA at the origin, a default one is added.
    pub fn zone(mut self, origin: &str, text: &str) -> DnsServerBuilder {
        self.zones.push((origin.to_string(), text.to_string()));
        self
    }

    /// Serves the zone `origin` from records built by the caller, for data no zone file can
    /// spell (names holding spaces, TXT records of no string or of any byte).
    pub fn zone_records(mut self, origin: &str, records: Vec<Record>) -> DnsServerBuilder {
        self.record_zones.push((origin.to_string(), records));
        self
    }

    /// Waits `delay` before sending each answer.
    pub fn delay(mut self, delay: Duration) -> DnsServerBuilder {
        self.delay = delay;
        self
    }

    /// Never answers: queries are read and dropped, TCP connections are held open.
    pub fn silent(mut self) -> DnsServerBuilder {
        self.silent = true;
        self
    }

    /// Answers SERVFAIL for `name` and every name below it.
    pub fn servfail(self, name: &str) -> DnsServerBuilder {
        self.rcode(name, ResponseCode::ServFail)
    }

    /// Answers REFUSED for `name` and every name below it.
    pub fn refuse(self, name: &str) -> DnsServerBuilder {
        self.rcode(name, ResponseCode::Refused)
    }

    /// Never answers queries for `name` and every name below it (a block list that is down),
    /// while answering every other name.
    pub fn silent_for(mut self, name: &str) -> DnsServerBuilder {
        self.silent_names.push(name.to_string());
        self
    }

    /// Never answers queries for exactly `name` unless they ask for one of `answered`: a server
    /// that times out on some types only (the RFC 7208 test suite's `TIMEOUT`).
    pub fn silent_except(mut self, name: &str, answered: &[RecordType]) -> DnsServerBuilder {
        self.silent_types.push((name.to_string(), answered.to_vec()));
        self
    }

    /// Answers for `name` and every name below it as a validating resolver does for a signed
    /// zone: with the AD bit set when the query asks for it (RFC 6840 §5.7).
    pub fn validated(mut self, name: &str) -> DnsServerBuilder {
        self.validated.push(name.to_string());
        self
    }

    fn rcode(mut self, name: &str, code: ResponseCode) -> DnsServerBuilder {
        self.rcodes.push((name.to_string(), code));
        self
    }

    /// Binds UDP and TCP on one port of 127.0.0.1 and starts serving. Needs a tokio runtime.
    pub async fn start(self) -> Result<DnsServer, DnsServerError> {
        let (udp, tcp) = bind_pair().await.map_err(DnsServerError::Bind)?;
        let addr = udp.local_addr().map_err(DnsServerError::Bind)?;
        let queries = Arc::new(AtomicUsize::new(0));
        let running = if self.silent {
            let mut tasks = JoinSet::new();
            tasks.spawn(swallow_udp(udp, queries.clone()));
            tasks.spawn(hold_tcp(tcp, queries.clone()));
            Running::Silent(tasks)
        } else {
            let mut catalog = Catalog::new();
            for (origin, text) in &self.zones {
                let (name, handler) = zone_handler(origin, text)?;
                catalog.upsert(name, vec![Arc::new(handler)]);
            }
            for (origin, records) in &self.record_zones {
                let (name, handler) = records_handler(origin, records)?;
                catalog.upsert(name, vec![Arc::new(handler)]);
            }
            let mut rcodes = Vec::new();
            for (name, code) in &self.rcodes {
                rcodes.push((LowerName::from(parse_name(name)?), *code));
            }
            let mut silent_names = Vec::new();
            for name in &self.silent_names {
                silent_names.push(LowerName::from(parse_name(name)?));
            }
            let mut silent_types = Vec::new();
            for (name, answered) in &self.silent_types {
                silent_types.push((LowerName::from(parse_name(name)?), answered.clone()));
            }
            let validated =
                self.validated.iter().map(|n| parse_name(n).map(LowerName::from)).collect::<Result<_, _>>()?;
            let handler = Handler {
                catalog,
                delay: self.delay,
                rcodes,
                silent_names,
                silent_types,
                validated,
                queries: queries.clone(),
            };
            let mut server = Server::new(handler);
            server.register_socket(udp);
            server.register_listener(tcp, Duration::from_secs(10), 64 * 1024);
            Running::Serving(Box::new(server))
        };
        Ok(DnsServer { addr, queries, _running: Mutex::new(running) })
    }
}

// Never read: held so that dropping the handle stops the server.
#[expect(dead_code, reason = "held only to be dropped")]
enum Running {
    Serving(Box<Server<Handler>>),
    Silent(JoinSet<()>),
}

/// A running server; dropping it stops it.
pub struct DnsServer {
    addr: SocketAddr,
    queries: Arc<AtomicUsize>,
    // Dropping the server or the join set aborts every task serving it.
    _running: Mutex<Running>,
}

impl std::fmt::Debug for DnsServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DnsServer").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl DnsServer {
    /// A builder with no zones, no delay, answering every query.
    pub fn builder() -> DnsServerBuilder {
        DnsServerBuilder::default()
    }

    /// The address serving UDP and TCP.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many queries (UDP datagrams or TCP connections for a silent server) arrived so far.
    pub fn queries(&self) -> usize {
        self.queries.load(Ordering::SeqCst)
    }
}

struct Handler {
    catalog: Catalog,
    delay: Duration,
    rcodes: Vec<(LowerName, ResponseCode)>,
    silent_names: Vec<LowerName>,
    silent_types: Vec<(LowerName, Vec<RecordType>)>,
    validated: Vec<LowerName>,
    queries: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl RequestHandler for Handler {
    async fn handle_request<R: ResponseHandler, T: Time>(&self, request: &Request, mut response: R) -> ResponseInfo {
        self.queries.fetch_add(1, Ordering::SeqCst);
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        let silenced = request.request_info().ok().is_some_and(|info| {
            let (asked, qtype) = (info.query.name(), info.query.query_type());
            self.silent_names.iter().any(|name| name.zone_of(asked))
                || self.silent_types.iter().any(|(name, answered)| name == asked && !answered.contains(&qtype))
        });
        if silenced {
            // Each request runs in its own task, dropped when the server stops.
            std::future::pending::<()>().await;
        }
        let forced = request.request_info().ok().and_then(|info| {
            self.rcodes.iter().find(|(name, _)| name.zone_of(info.query.name())).map(|(_, code)| *code)
        });
        match forced {
            Some(code) => {
                let message = MessageResponseBuilder::new(&request.queries, None).error_msg(&request.metadata, code);
                // When the peer is gone, report what we meant to send.
                response.send_response(message).await.unwrap_or_else(|_| {
                    let mut metadata = Metadata::response_from_request(&request.metadata);
                    metadata.response_code = code;
                    ResponseInfo::from(Header { metadata, counts: HeaderCounts::default() })
                })
            }
            None if request.metadata.authentic_data
                && request
                    .request_info()
                    .ok()
                    .is_some_and(|info| self.validated.iter().any(|name| name.zone_of(info.query.name()))) =>
            {
                self.catalog.handle_request::<Vouching<R>, T>(request, Vouching(response)).await
            }
            None => self.catalog.handle_request::<R, T>(request, response).await,
        }
    }
}

/// Sends replies with the AD bit set, as a validating resolver does for a signed zone.
#[derive(Clone)]
struct Vouching<R>(R);

#[async_trait::async_trait]
impl<R: ResponseHandler> ResponseHandler for Vouching<R> {
    async fn send_response<'a>(
        &mut self,
        mut response: MessageResponse<
            '_,
            'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
        >,
    ) -> Result<ResponseInfo, NetError> {
        response.metadata_mut().authentic_data = true;
        self.0.send_response(response).await
    }
}

fn parse_name(text: &str) -> Result<Name, DnsServerError> {
    let mut name = Name::from_ascii(text).map_err(|_| DnsServerError::Name(text.to_string()))?;
    name.set_fqdn(true);
    Ok(name)
}

fn zone_handler(origin: &str, text: &str) -> Result<(LowerName, InMemoryZoneHandler), DnsServerError> {
    let zone_err = |message: String| DnsServerError::Zone { origin: origin.to_string(), message };
    let origin_name = parse_name(origin)?;
    let (origin_name, mut records) =
        Parser::new(text, None, Some(origin_name)).parse().map_err(|e| zone_err(e.to_string()))?;
    let soa_key = RrKey::new(LowerName::from(origin_name.clone()), RecordType::SOA);
    records.entry(soa_key).or_insert_with(|| default_soa(&origin_name));
    let handler = InMemoryZoneHandler::new(origin_name.clone(), records, ZoneType::Primary, AxfrPolicy::Deny)
        .map_err(zone_err)?;
    Ok((LowerName::from(origin_name), handler))
}

fn records_handler(origin: &str, records: &[Record]) -> Result<(LowerName, InMemoryZoneHandler), DnsServerError> {
    let origin_name = parse_name(origin)?;
    let mut sets: std::collections::BTreeMap<RrKey, RecordSet> = std::collections::BTreeMap::new();
    for record in records {
        let key = RrKey::new(LowerName::from(record.name.clone()), record.record_type());
        sets.entry(key)
            .or_insert_with(|| RecordSet::new(record.name.clone(), record.record_type(), 1))
            .insert(record.clone(), 1);
    }
    let soa_key = RrKey::new(LowerName::from(origin_name.clone()), RecordType::SOA);
    sets.entry(soa_key).or_insert_with(|| default_soa(&origin_name));
    let handler = InMemoryZoneHandler::new(origin_name.clone(), sets, ZoneType::Primary, AxfrPolicy::Deny)
        .map_err(|message| DnsServerError::Zone { origin: origin.to_string(), message })?;
    Ok((LowerName::from(origin_name), handler))
}

fn default_soa(origin: &Name) -> RecordSet {
    let ns = Name::from_ascii("ns").expect("static name").append_domain(origin).unwrap_or_else(|_| origin.clone());
    let rname =
        Name::from_ascii("hostmaster").expect("static name").append_domain(origin).unwrap_or_else(|_| origin.clone());
    let soa = SOA::new(ns, rname, 1, 3600, 600, 86400, 60);
    let mut set = RecordSet::new(origin.clone(), RecordType::SOA, 1);
    set.insert(Record::from_rdata(origin.clone(), 3600, RData::SOA(soa)), 1);
    set
}

/// A UDP socket and a TCP listener on the same loopback port.
async fn bind_pair() -> std::io::Result<(UdpSocket, TcpListener)> {
    let mut last_err = None;
    for _ in 0..20 {
        let udp = UdpSocket::bind(("127.0.0.1", 0)).await?;
        let addr = udp.local_addr()?;
        match TcpListener::bind(addr).await {
            Ok(tcp) => return Ok((udp, tcp)),
            // Another process holds the TCP side of this port; pick another.
            Err(err) => last_err = Some(err),
        }
    }
    Err(last_err.unwrap_or_else(|| std::io::Error::other("no free port")))
}

async fn swallow_udp(socket: UdpSocket, queries: Arc<AtomicUsize>) {
    let mut buf = [0u8; 4096];
    while socket.recv_from(&mut buf).await.is_ok() {
        queries.fetch_add(1, Ordering::SeqCst);
    }
}

async fn hold_tcp(listener: TcpListener, queries: Arc<AtomicUsize>) {
    let mut held = Vec::new();
    while let Ok((stream, _)) = listener.accept().await {
        queries.fetch_add(1, Ordering::SeqCst);
        held.push(stream);
    }
}
