//! What every engine call needs besides its request: settings, the journal, and where
//! connections really go (the demo world maps public addresses to loopback servers).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::config::Config;
use crate::session::Journal;
use crate::session::tls_policy::TlsPolicy;

/// Redirects connections: in the demo world, `192.0.2.10:25` is served on `127.0.0.1:40123`.
#[derive(Debug, Clone, Default)]
pub struct ConnectMap {
    routes: HashMap<SocketAddr, SocketAddr>,
    /// When sealed, only mapped addresses may be connected to (the demo world never leaves the
    /// machine).
    sealed: bool,
}

impl ConnectMap {
    /// Sends connections for `from` to `to`.
    pub fn insert(&mut self, from: SocketAddr, to: SocketAddr) {
        self.routes.insert(from, to);
    }

    /// Where a connection to `addr` really goes.
    pub fn route(&self, addr: SocketAddr) -> SocketAddr {
        self.routes.get(&addr).copied().unwrap_or(addr)
    }

    /// Refuses every address that is not mapped.
    pub fn seal(&mut self) {
        self.sealed = true;
    }

    /// True when a connection to `addr` must not be made.
    pub fn blocked(&self, addr: SocketAddr) -> bool {
        self.sealed && !self.routes.contains_key(&addr)
    }

    /// True when nothing is redirected.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }
}

/// Settings, journal and routing shared by every engine call of one run. Cheap to clone.
#[derive(Clone, Default)]
pub struct Context {
    pub config: Arc<Config>,
    pub journal: Journal,
    pub connect_map: Arc<ConnectMap>,
    /// True when running against the demo world.
    pub demo: bool,
    /// A command that carries SMTP connections from another vantage point (`ssh -W %h:%p box2`);
    /// `None` connects from here.
    pub via: Option<String>,
    /// Our TLS policy, read from the local MTA once per run (see `smtp::tls_policy`).
    pub tls_policy: Arc<tokio::sync::OnceCell<TlsPolicy>>,
    /// Keeps the demo world's servers and files alive as long as the context lives.
    pub keep_alive: Option<Arc<dyn std::any::Any + Send + Sync>>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").field("config", &self.config).field("demo", &self.demo).finish_non_exhaustive()
    }
}

impl Context {
    /// A context with `config` and an in-memory journal.
    pub fn new(config: Config) -> Context {
        Context { config: Arc::new(config), ..Context::default() }
    }

    /// In the demo only the demo world's own DNS server may be asked; an `Err` says why
    /// `server` may not.
    pub fn dns_server_allowed(&self, server: SocketAddr) -> Result<(), String> {
        if !self.demo || self.config.dns_server_addrs().is_ok_and(|own| own.contains(&server)) {
            return Ok(());
        }
        Err(format!(
            "{server} is not part of the demo world, so no query was sent (nothing leaves this machine in the demo)"
        ))
    }

    /// Public addresses from the defaults (what-is-my-IP servers, public resolvers) may only be
    /// contacted when neither the demo nor explicit resolvers are in use.
    pub fn public_lookups_allowed(&self) -> bool {
        !self.demo && self.config.dns_servers.is_empty()
    }
}
