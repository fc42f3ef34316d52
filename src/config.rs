//! Settings: defaults, the TOML config file, `MAILWIZ_*` variables and flags, in rising precedence.
//!
//! Every public address mailwiz may contact on its own is a value here, so tests and the demo can
//! point it elsewhere and nothing leaves the machine unless configured.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// The whole configuration. Sections belong to the engine named.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Resolvers to use instead of the system's (`IP` or `IP:PORT`).
    pub dns_servers: Vec<String>,
    /// Deadline of one network operation, in seconds.
    pub timeout: f64,
    /// Source address for outgoing connections.
    pub source: Option<IpAddr>,
    /// Our public IP, when known.
    pub ip: Option<IpAddr>,
    /// The HELO/EHLO name we announce.
    pub helo: Option<String>,
    /// SMTP port of the receivers (25; another for lab setups).
    pub port: u16,
    /// Envelope sender and recipient for probes.
    pub from: Option<String>,
    pub to: Option<String>,
    pub dns: DnsConfig,
    pub smtp: SmtpConfig,
    pub identity: IdentityConfig,
    pub blocklist: BlocklistConfig,
    pub queue: QueueConfig,
    pub logs: LogsConfig,
    pub auth: AuthConfig,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            dns_servers: Vec::new(),
            timeout: 5.0,
            source: None,
            ip: None,
            helo: None,
            port: 25,
            from: None,
            to: None,
            dns: DnsConfig::default(),
            smtp: SmtpConfig::default(),
            identity: IdentityConfig::default(),
            blocklist: BlocklistConfig::default(),
            queue: QueueConfig::default(),
            logs: LogsConfig::default(),
            auth: AuthConfig::default(),
        }
    }
}

/// DNS settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DnsConfig {
    /// Tries per query.
    pub attempts: usize,
    /// A public resolver to compare answers with (`IP[:PORT]`); none by default.
    pub compare_with: Option<String>,
}

impl Default for DnsConfig {
    fn default() -> DnsConfig {
        DnsConfig { attempts: 2, compare_with: None }
    }
}

/// SMTP settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    /// Seconds to wait for the TCP handshake.
    pub connect_timeout: f64,
    /// Seconds to wait for each reply.
    pub read_timeout: f64,
    /// A banner slower than this many milliseconds is reported.
    pub slow_banner_ms: u64,
    /// How many connections a probe of many MX addresses opens at once.
    pub concurrency: usize,
    /// A PEM file of extra trusted CA certificates for verifying receivers' certificates.
    pub ca_file: Option<PathBuf>,
    /// Trust the system's certificates besides the bundled webpki roots.
    pub native_roots: bool,
    /// Whether our MTA insists on TLS (Postfix `smtp_tls_security_level = encrypt`); unset, it
    /// is read from the local MTA, and a refused STARTTLS is judged by it.
    pub require_tls: Option<bool>,
}

impl Default for SmtpConfig {
    fn default() -> SmtpConfig {
        SmtpConfig {
            connect_timeout: 10.0,
            read_timeout: 30.0,
            slow_banner_ms: 5_000,
            concurrency: 8,
            ca_file: None,
            native_roots: true,
            require_tls: None,
        }
    }
}

/// One "what is my IP" DNS query.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MyIpQuery {
    /// The name to ask for, e.g. `myip.opendns.com`.
    pub name: String,
    /// `A`, `AAAA` or `TXT`.
    pub record: String,
    /// The server to ask, `IP[:PORT]`.
    pub server: String,
}

/// Identity settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdentityConfig {
    /// DNS queries that answer with our public address. `None` means the built-in public ones
    /// ([`IdentityConfig::default_myip`]), used only when public lookups are allowed; a list
    /// given in the config (even an empty one) is used as given, also with `--dns-server`.
    pub myip: Option<Vec<MyIpQuery>>,
    /// Ask the local MTA for its HELO name (`postconf`, `exim -bP`) when none is given.
    pub ask_mta: bool,
    /// A mail host known to accept connections, to tell our egress firewall from the receiver's.
    pub known_good_host: Option<String>,
}

impl Default for IdentityConfig {
    fn default() -> IdentityConfig {
        IdentityConfig { myip: None, ask_mta: true, known_good_host: None }
    }
}

impl IdentityConfig {
    /// The public what-is-my-IP queries used when none are configured: OpenDNS answers
    /// `myip.opendns.com A` with the asking address, Google answers `o-o.myaddr.l.google.com
    /// TXT` with the address of the resolver or client asking it directly.
    pub fn default_myip() -> Vec<MyIpQuery> {
        vec![
            MyIpQuery { name: "myip.opendns.com".into(), record: "A".into(), server: "208.67.222.222".into() },
            MyIpQuery { name: "myip.opendns.com".into(), record: "AAAA".into(), server: "2620:119:35::35".into() },
            MyIpQuery { name: "o-o.myaddr.l.google.com".into(), record: "TXT".into(), server: "216.239.32.10".into() },
        ]
    }
}

/// Block-list settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BlocklistConfig {
    /// A dnsbl.toml replacing the bundled list.
    pub zones_file: Option<PathBuf>,
    /// The zones checked by default (all zones of the list when empty).
    pub zones: Vec<String>,
    /// Seconds the whole block-list check may take; the generic timeout when unset.
    pub deadline: Option<f64>,
}

impl BlocklistConfig {
    /// The deadline of one check: `deadline`, else `fallback`.
    pub fn deadline(&self, fallback: Duration) -> Duration {
        self.deadline.filter(|d| *d > 0.0 && d.is_finite()).map(Duration::from_secs_f64).unwrap_or(fallback)
    }
}

/// Queue settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QueueConfig {
    /// Read the queue from this file instead of running the MTA's command.
    pub file: Option<PathBuf>,
    /// Maximal queue lifetime in days, when the MTA cannot tell.
    pub lifetime_days: Option<f64>,
    /// Seconds the MTA's listing command may take (60 when unset).
    pub command_timeout: Option<f64>,
}

impl QueueConfig {
    /// The deadline of the listing command.
    pub fn command_timeout(&self) -> Duration {
        Duration::from_secs_f64(self.command_timeout.filter(|t| t.is_finite() && *t > 0.0).unwrap_or(60.0))
    }
}

/// Log settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogsConfig {
    /// Log files the logs step reads by default.
    pub paths: Vec<PathBuf>,
}

/// Authentication settings (SPF, DMARC, DKIM of our domain; MTA-STS of the receiver).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// DKIM selectors of our domain, checked besides `--selector`.
    pub selectors: Vec<String>,
    /// Signer configurations read for more selectors (OpenDKIM, rspamd, Exim); `None` reads
    /// the usual places, an empty list reads none.
    pub signer_configs: Option<Vec<PathBuf>>,
    /// A PEM file of extra trusted CA certificates for fetching MTA-STS policies.
    pub ca_file: Option<PathBuf>,
}

/// A commented config file, valid as it stands, with every setting and its default.
pub const EXAMPLE: &str = include_str!("../assets/config.example.toml");

/// A config file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("the config file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{0}")]
    Value(String),
}

impl Config {
    /// Reads `path`; `Ok(None)` when the default file does not exist.
    pub fn load(path: &Path, must_exist: bool) -> Result<Option<Config>, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text)
                .map(Some)
                .map_err(|err| ConfigError::Parse { path: path.to_path_buf(), message: err.message().to_string() }),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound && !must_exist => Ok(None),
            Err(source) => Err(ConfigError::Read { path: path.to_path_buf(), source }),
        }
    }

    /// The resolvers as socket addresses (port 53 when none is given).
    pub fn dns_server_addrs(&self) -> Result<Vec<SocketAddr>, ConfigError> {
        self.dns_servers.iter().map(|s| parse_server(s)).collect()
    }

    /// The generic deadline as a duration.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs_f64(self.timeout.max(0.001))
    }
}

/// Parses `IP`, `IP:PORT` or `[IPv6]:PORT` into a socket address, port 53 by default.
pub fn parse_server(text: &str) -> Result<SocketAddr, ConfigError> {
    let text = text.trim();
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    if let Ok(ip) = text.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, 53));
    }
    Err(ConfigError::Value(format!("\"{text}\" is not a DNS server address (IP or IP:PORT)")))
}

/// The platform's config, state and cache locations for mailwiz.
pub mod paths {
    use std::path::PathBuf;

    use etcetera::BaseStrategy;

    fn base() -> Option<etcetera::base_strategy::Xdg> {
        etcetera::base_strategy::Xdg::new().ok()
    }

    /// `$XDG_CONFIG_HOME/mailwiz`.
    pub fn config_dir() -> Option<PathBuf> {
        base().map(|b| b.config_dir().join("mailwiz"))
    }

    /// `$XDG_STATE_HOME/mailwiz/sessions`, where journals and saves go by default.
    pub fn sessions_dir() -> Option<PathBuf> {
        base().map(|b| b.state_dir().unwrap_or_else(|| b.data_dir()).join("mailwiz").join("sessions"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sections_and_rejects_unknown_keys() {
        let config: Config = toml::from_str("timeout = 2.5\n[smtp]\nconcurrency = 3\n").unwrap();
        assert_eq!(config.timeout, 2.5);
        assert_eq!(config.smtp.concurrency, 3);
        assert!(toml::from_str::<Config>("no_such_key = 1").is_err());
    }

    #[test]
    fn the_example_is_valid_as_it_stands_and_with_every_example_uncommented() {
        let config: Config = toml::from_str(EXAMPLE).unwrap_or_else(|err| panic!("{err}"));
        let defaults = Config::default();
        assert_eq!((config.timeout, config.port), (defaults.timeout, defaults.port));
        assert_eq!(config.smtp.read_timeout, defaults.smtp.read_timeout);
        // Every commented `key = value` line names a real setting (later examples of the same
        // key replace earlier ones, as a user would edit).
        let mut seen = std::collections::HashSet::new();
        let mut uncommented = String::new();
        for line in EXAMPLE.lines().rev() {
            let setting = line
                .strip_prefix("# ")
                .filter(|l| l.starts_with('[') || l.split_once(" = ").is_some_and(|(k, _)| !k.contains(' ')));
            let line = setting.unwrap_or(line);
            let key = line.split_once(" = ").map(|(k, _)| k.to_string());
            let section = line.starts_with('[');
            if key.as_ref().is_none_or(|k| seen.insert(k.clone())) || section {
                uncommented.insert_str(0, &format!("{line}\n"));
            }
        }
        let every: Config = toml::from_str(&uncommented).unwrap_or_else(|err| panic!("{err}\n{uncommented}"));
        assert_eq!(every.helo.as_deref(), Some("mail.example.com"));
        assert_eq!(every.identity.myip.map(|m| m.len()), Some(1));
    }

    #[test]
    fn myip_is_unset_unless_configured() {
        assert_eq!(Config::default().identity.myip, None);
        let config: Config = toml::from_str("[identity]\nmyip = []\n").unwrap();
        assert_eq!(config.identity.myip, Some(Vec::new()));
        let config: Config =
            toml::from_str("[[identity.myip]]\nname = \"myip.test\"\nrecord = \"A\"\nserver = \"127.0.0.1:5353\"\n")
                .unwrap();
        assert_eq!(config.identity.myip.unwrap()[0].server, "127.0.0.1:5353");
    }

    #[test]
    fn server_addresses_default_to_port_53() {
        assert_eq!(parse_server("192.0.2.1").unwrap(), "192.0.2.1:53".parse().unwrap());
        assert_eq!(parse_server("[2001:db8::1]:5353").unwrap(), "[2001:db8::1]:5353".parse().unwrap());
        assert!(parse_server("dns.example").is_err());
    }
}
