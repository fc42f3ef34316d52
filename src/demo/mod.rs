//! The demo world: in-process DNS and scripted SMTP servers on loopback telling one stuck-mail
//! story end to end, with no connection leaving the machine.
//!
//! [`attach`] starts the world described by `assets/demo-world.toml` ([`world::World`]) and
//! points a [`Context`] at it: the resolver at the demo DNS server, the connect map from the
//! receivers' public addresses to the scripted SMTP servers, our IP and HELO name, and the queue
//! and log files written to a temporary directory.

pub mod dns_server;
pub mod https_server;
pub mod smtp_server;
pub mod world;

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::Arc;

use crate::config::MyIpQuery;
use crate::context::{ConnectMap, Context};
use crate::dns::dnsbl::test_subject;
use crate::dns::dnsbl_zones::{Zone, ZoneList};
use crate::session::EventKind;

pub use world::World;

/// Why the demo world could not start.
#[derive(Debug, thiserror::Error)]
#[error("the demo world could not start: {0}")]
pub struct DemoError(pub String);

/// Everything the running world owns; dropping it stops the servers and removes the files.
#[derive(Debug)]
pub struct RunningWorld {
    pub dns: dns_server::DnsServer,
    pub smtp: Vec<smtp_server::ScriptedServer>,
    pub https: Vec<https_server::HttpsServer>,
    pub dir: tempfile::TempDir,
    /// Listeners that never accept, their queues full, and the connections filling them.
    pub blackholes: Vec<(tokio::net::TcpListener, Vec<std::net::TcpStream>)>,
}

/// Starts the bundled demo world and points `ctx` at it.
pub async fn attach(ctx: Context) -> Result<Context, DemoError> {
    attach_world(ctx, World::demo()).await
}

/// Starts `world` and points `ctx` at it (tests build variants of the bundled world).
pub async fn attach_world(mut ctx: Context, world: World) -> Result<Context, DemoError> {
    let dns = start_dns(&world, &ctx.config).await?;
    let mut connect_map = ConnectMap::default();
    let mut smtp = Vec::new();
    for server in &world.smtp {
        let mut script = server.script.clone();
        if server.tls {
            let tls = self_signed_tls(&script.hostname)?;
            script = script.with_tls(tls);
        }
        // A receiver's IPv6 address is served on ::1, so that path really is IPv6.
        let local: std::net::SocketAddr = if server.address.is_ipv6() {
            (std::net::Ipv6Addr::LOCALHOST, 0).into()
        } else {
            ([127, 0, 0, 1], 0).into()
        };
        let running = smtp_server::start_on(local, script)
            .await
            .map_err(|err| DemoError(format!("cannot start the SMTP server for {}: {err}", server.address)))?;
        connect_map.insert(server.address, running.addr());
        smtp.push(running);
    }
    let mut https = Vec::new();
    for server in &world.https {
        let pages: std::collections::HashMap<_, _> =
            server.pages.iter().map(|(path, body)| (path.clone(), https_server::Page::text(body))).collect();
        let running = https_server::start(&server.host, pages).await.map_err(|err| DemoError(err.to_string()))?;
        connect_map.insert(server.address, running.addr());
        https.push(running);
    }
    let mut blackholes = Vec::new();
    for address in &world.blackholes {
        let hole =
            blackhole().map_err(|err| DemoError(format!("cannot set up the silent address {address}: {err}")))?;
        connect_map.insert(*address, hole.0.local_addr().map_err(|err| DemoError(err.to_string()))?);
        blackholes.push(hole);
    }
    for address in &world.refused {
        connect_map
            .insert(*address, closed_port().map_err(|err| DemoError(format!("cannot find a closed port: {err}")))?);
    }
    connect_map.seal();
    let dir = tempfile::Builder::new()
        .prefix("mailwiz-demo-")
        .tempdir()
        .map_err(|err| DemoError(format!("cannot create a temporary directory: {err}")))?;
    let mut config = (*ctx.config).clone();
    config.dns_servers = vec![dns.addr().to_string()];
    config.ip = Some(world.identity.ip);
    config.ip6 = world.identity.ip6;
    config.helo = Some(world.identity.helo.clone());
    config.from = config.from.or(world.identity.from.clone());
    config.to = config.to.or(world.identity.to.clone());
    config.identity.myip = Some(
        world
            .myip
            .iter()
            .map(|q| MyIpQuery { name: q.name.clone(), record: q.record.clone(), server: dns.addr().to_string() })
            .collect(),
    );
    // The world says who we are; the machine's own MTA has no part in it.
    config.identity.ask_mta = false;
    config.identity.known_good_host = None;
    config.dns.compare_with = None;
    config.logs.paths.clear();
    config.auth.selectors.clone_from(&world.identity.dkim_selectors);
    config.auth.signer_configs = Some(Vec::new());
    if !https.is_empty() {
        let path = dir.path().join("demo-ca.pem");
        let pem: String = https.iter().map(https_server::HttpsServer::ca_pem).collect();
        std::fs::write(&path, pem).map_err(|err| DemoError(format!("cannot write {}: {err}", path.display())))?;
        config.auth.ca_file = Some(path);
    }
    let now = chrono::Utc::now();
    for file in &world.files {
        let path: PathBuf = dir.path().join(&file.name);
        std::fs::write(&path, world::fill_times(&file.text, now))
            .map_err(|err| DemoError(format!("cannot write {}: {err}", path.display())))?;
        match file.role {
            world::FileRole::Queue => config.queue.file = Some(path),
            world::FileRole::Log => config.logs.paths.push(path),
            world::FileRole::Other => {}
        }
    }
    // The temporary directory is a local detail: it goes to the log file, not the journal that
    // reports and notes are made of.
    tracing::info!("demo world files in {}", dir.path().display());
    ctx.journal.log(
        EventKind::Info,
        format!("demo world: DNS on {}, {} SMTP servers on loopback, its queue and log files", dns.addr(), smtp.len()),
    );
    ctx.config = Arc::new(config);
    ctx.connect_map = Arc::new(connect_map);
    ctx.demo = true;
    ctx.keep_alive = Some(Arc::new(RunningWorld { dns, smtp, https, dir, blackholes }));
    Ok(ctx)
}

/// A loopback port nothing listens on: bound, then released.
fn closed_port() -> std::io::Result<std::net::SocketAddr> {
    std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()
}

/// A loopback listener that never accepts, with its accept queue filled: further connection
/// attempts get no answer and time out, like packets dropped by a firewall.
fn blackhole() -> std::io::Result<(tokio::net::TcpListener, Vec<std::net::TcpStream>)> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))?;
    let listener = socket.listen(1)?;
    let addr = listener.local_addr()?;
    let mut held = Vec::new();
    for _ in 0..16 {
        match std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(100)) {
            Ok(stream) => held.push(stream),
            Err(_) => break,
        }
    }
    Ok((listener, held))
}

/// Zone-file text listing only `zone`'s RFC 5782 test entry, so its self-test passes as it
/// does against the real list.
fn test_entry(zone: &Zone) -> String {
    let code = zone.codes.keys().next().copied().unwrap_or(Ipv4Addr::new(127, 0, 0, 2));
    format!("{}. 300 IN A {code}\n", test_subject(&zone.test_listed).query_name(&zone.zone))
}

async fn start_dns(world: &World, config: &crate::config::Config) -> Result<dns_server::DnsServer, DemoError> {
    let mut builder = dns_server::DnsServer::builder();
    let served: Vec<String> = world.zones.iter().map(|z| z.origin.trim_end_matches('.').to_lowercase()).collect();
    for zone in &world.zones {
        builder = builder.zone(&zone.origin, &zone.text);
        if zone.signed {
            builder = builder.validated(&zone.origin);
        }
    }
    // The bundled block lists the world does not mention list nothing but their test entry.
    let lists = ZoneList::load(&config.blocklist).unwrap_or_else(|_| ZoneList::bundled());
    for zone in &lists.zones {
        if !served.contains(&zone.zone.to_lowercase()) {
            builder = builder.zone(&zone.zone, &test_entry(zone));
        }
    }
    for name in &world.servfail {
        builder = builder.servfail(name);
    }
    if world.dns_delay_ms > 0 {
        builder = builder.delay(std::time::Duration::from_millis(world.dns_delay_ms));
    }
    builder.start().await.map_err(|err| DemoError(err.to_string()))
}

/// A STARTTLS configuration with a fresh self-signed certificate for `hostname`.
fn self_signed_tls(hostname: &str) -> Result<Arc<rustls::ServerConfig>, DemoError> {
    let bad = |err: &dyn std::fmt::Display| DemoError(format!("cannot make a certificate for {hostname}: {err}"));
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec![hostname.to_string()]).map_err(|e| bad(&e))?;
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(signing_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(&e))?
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], key)
        .map_err(|e| bad(&e))?;
    Ok(Arc::new(config))
}
