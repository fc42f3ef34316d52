//! Settings: defaults, the TOML config file, `MAILWIZ_*` variables and flags, in rising precedence.
//!
//! Every public address mailwiz may contact on its own is a value here, so tests and the demo can
//! point it elsewhere and nothing leaves the machine unless configured.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use smart_default::SmartDefault;

/// The whole configuration. Sections belong to the engine named.
#[derive(Debug, Clone, Deserialize, SmartDefault)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Resolvers to use instead of the system's (`IP` or `IP:PORT`).
    pub dns_servers: Vec<String>,
    /// Deadline of one network operation, in seconds: every SMTP read and connect and every DNS
    /// query with its tries, unless a section sets its own.
    #[default(5.0)]
    pub timeout: f64,
    /// The generic timeout came from `--timeout` or `MAILWIZ_TIMEOUT`: it then also bounds the
    /// deadlines a section sets.
    #[serde(skip)]
    pub timeout_is_cap: bool,
    /// Source address for outgoing connections.
    pub source: Option<IpAddr>,
    /// Our public IP, when known: the IPv4 one on a dual-stack host.
    pub ip: Option<IpAddr>,
    /// Our public IPv6 address beside the IPv4 one in `ip` (a dual-stack host).
    pub ip6: Option<Ipv6Addr>,
    /// Only this address family for connections (`-4`/`-6`); both when unset.
    #[serde(skip)]
    pub family: Option<Family>,
    /// The HELO/EHLO name we announce.
    pub helo: Option<String>,
    /// SMTP port of the receivers (25; another for lab setups).
    #[default(25)]
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

/// DNS settings.
#[derive(Debug, Clone, Deserialize, SmartDefault)]
#[serde(default, deny_unknown_fields)]
pub struct DnsConfig {
    /// Tries per query.
    #[default(2)]
    pub attempts: usize,
    /// A public resolver to compare answers with (`IP[:PORT]`); none by default.
    pub compare_with: Option<String>,
}

/// SMTP settings.
#[derive(Debug, Clone, Deserialize, SmartDefault)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    /// Seconds to wait for the TCP handshake; the generic timeout when unset.
    pub connect_timeout: Option<f64>,
    /// Seconds to wait for each whole reply (the banner included); the generic timeout when unset.
    pub read_timeout: Option<f64>,
    /// A banner slower than this many milliseconds is reported.
    #[default(5_000)]
    pub slow_banner_ms: u64,
    /// How many connections a probe of many MX addresses opens at once.
    #[default(8)]
    pub concurrency: usize,
    /// Most addresses of the MX set probed, in preference order (Postfix
    /// `smtp_mx_address_limit`).
    #[default(5)]
    pub mx_address_limit: usize,
    /// A PEM file of extra trusted CA certificates for verifying receivers' certificates.
    pub ca_file: Option<PathBuf>,
    /// Trust the system's certificates besides the bundled webpki roots.
    #[default(true)]
    pub native_roots: bool,
    /// Whether our MTA insists on TLS (Postfix `smtp_tls_security_level = encrypt`); unset, it
    /// is read from the local MTA, and a refused STARTTLS is judged by it.
    pub require_tls: Option<bool>,
    /// Whether our MTA holds receivers to their DNSSEC-validated TLSA records (Postfix
    /// `smtp_tls_security_level = dane`); unset, it is read from the local MTA, and a TLSA
    /// mismatch is judged by it.
    pub dane: Option<bool>,
    /// A second vantage point: a command carrying the SMTP session (`ssh -W %h:%p box2`).
    pub via: Option<String>,
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
#[derive(Debug, Clone, Deserialize, SmartDefault)]
#[serde(default, deny_unknown_fields)]
pub struct IdentityConfig {
    /// DNS queries that answer with our public address. `None` means the built-in public ones
    /// ([`IdentityConfig::default_myip`]), used only when public lookups are allowed; a list
    /// given in the config (even an empty one) is used as given, also with `--dns-server`.
    pub myip: Option<Vec<MyIpQuery>>,
    /// Ask the local MTA for its HELO name (`postconf`, `exim -bP`) when none is given.
    #[default(true)]
    pub ask_mta: bool,
    /// A mail host known to accept connections, to tell our egress firewall from the receiver's.
    pub known_good_host: Option<String>,
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
    /// The deadline of the listing command (validated by [`Config::validate`]).
    pub fn command_timeout(&self) -> Duration {
        seconds(self.command_timeout.unwrap_or(60.0))
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
            Ok(text) => {
                let config: Config = toml::from_str(&text).map_err(|err| ConfigError::Parse {
                    path: path.to_path_buf(),
                    message: err.message().to_string(),
                })?;
                config
                    .validate()
                    .map_err(|err| ConfigError::Parse { path: path.to_path_buf(), message: err.to_string() })?;
                Ok(Some(config))
            }
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
        seconds(self.timeout)
    }

    /// A section's own deadline when it sets one, else the generic one; `--timeout` bounds both.
    fn section_deadline(&self, own: Option<f64>) -> Duration {
        let own = own.map(seconds).unwrap_or_else(|| self.timeout());
        if self.timeout_is_cap { own.min(self.timeout()) } else { own }
    }

    /// The deadline of a TCP handshake.
    pub fn connect_timeout(&self) -> Duration {
        self.section_deadline(self.smtp.connect_timeout)
    }

    /// The deadline of one whole SMTP reply.
    pub fn read_timeout(&self) -> Duration {
        self.section_deadline(self.smtp.read_timeout)
    }

    /// The deadline of a whole block-list check.
    pub fn blocklist_deadline(&self) -> Duration {
        self.section_deadline(self.blocklist.deadline)
    }

    /// Checks every number once, so no value can panic the program later; the error names the
    /// setting.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_seconds("timeout", Some(self.timeout))?;
        check_seconds("[smtp] connect_timeout", self.smtp.connect_timeout)?;
        check_seconds("[smtp] read_timeout", self.smtp.read_timeout)?;
        check_seconds("[blocklist] deadline", self.blocklist.deadline)?;
        check_seconds("[queue] command_timeout", self.queue.command_timeout)?;
        check_range("[queue] lifetime_days", self.queue.lifetime_days, 0.01, MAX_LIFETIME_DAYS, "days")?;
        check_count("[dns] attempts", self.dns.attempts, MAX_ATTEMPTS)?;
        check_count("[smtp] mx_address_limit", self.smtp.mx_address_limit, MAX_MX_ADDRESSES)?;
        check_count("[smtp] concurrency", self.smtp.concurrency, MAX_CONCURRENCY)?;
        check_port("port", self.port)?;
        if self.ip.is_some_and(|ip| ip.is_ipv6()) && self.ip6.is_some() {
            return Err(ConfigError::Value("ip and ip6 both hold an IPv6 address: set ip to our IPv4 address".into()));
        }
        Ok(())
    }

    /// Our public addresses as given: the IPv4 one first, at most one per family.
    pub fn our_ips(&self) -> Vec<IpAddr> {
        let mut ips: Vec<IpAddr> =
            self.ip.into_iter().chain(self.ip6.map(IpAddr::V6)).map(|ip| ip.to_canonical()).collect();
        ips.sort_by_key(IpAddr::is_ipv6);
        ips.dedup();
        ips
    }

    /// Sets our address of `ip`'s family, keeping the other family's: `--ip` once per family.
    pub fn set_our_ip(&mut self, ip: IpAddr) {
        let ip = ip.to_canonical();
        let v6 = |ip: Option<IpAddr>| match ip {
            Some(IpAddr::V6(v6)) => Some(v6),
            _ => None,
        };
        match ip {
            IpAddr::V4(_) => {
                self.ip6 = self.ip6.or(v6(self.ip));
                self.ip = Some(ip);
            }
            IpAddr::V6(addr) => {
                if let Some(IpAddr::V4(_)) = self.ip {
                    self.ip6 = Some(addr);
                } else {
                    self.ip = Some(ip);
                    self.ip6 = None;
                }
            }
        }
    }

    /// Whether connections may go to `ip` under `-4`/`-6`.
    pub fn family_allows(&self, ip: IpAddr) -> bool {
        self.family.is_none_or(|family| family.contains(ip))
    }
}

/// An address family, as `-4` and `-6` name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Family {
    #[serde(rename = "ipv4")]
    V4,
    #[serde(rename = "ipv6")]
    V6,
}

impl Family {
    /// The family of `ip` (an IPv4-mapped IPv6 address is IPv4).
    pub fn of(ip: IpAddr) -> Family {
        if ip.to_canonical().is_ipv4() { Family::V4 } else { Family::V6 }
    }

    /// Whether `ip` is of this family.
    pub fn contains(self, ip: IpAddr) -> bool {
        Family::of(ip) == self
    }

    /// `IPv4` or `IPv6`.
    pub fn label(self) -> &'static str {
        match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        }
    }
}

/// Longest deadline accepted anywhere, in seconds (a day).
pub const MAX_SECONDS: f64 = 86_400.0;
/// Shortest deadline accepted, in seconds.
pub const MIN_SECONDS: f64 = 0.001;
const MAX_LIFETIME_DAYS: f64 = 3_650.0;
const MAX_ATTEMPTS: usize = 10;
const MAX_MX_ADDRESSES: usize = 100;
const MAX_CONCURRENCY: usize = 256;

/// A validated number of seconds as a duration; out-of-range values are clamped, never a panic.
fn seconds(secs: f64) -> Duration {
    let secs = if secs.is_nan() { MIN_SECONDS } else { secs.clamp(MIN_SECONDS, MAX_SECONDS) };
    Duration::from_secs_f64(secs)
}

/// Checks a port given by `setting`: 0 is no port to connect to.
pub fn check_port(setting: &str, port: u16) -> Result<(), ConfigError> {
    if port == 0 {
        return Err(ConfigError::Value(format!("{setting} is 0; give a port from 1 to 65535")));
    }
    Ok(())
}

/// Checks a deadline in seconds given by `setting` (a flag or a config key).
pub fn check_seconds(setting: &str, value: Option<f64>) -> Result<(), ConfigError> {
    check_range(setting, value, MIN_SECONDS, MAX_SECONDS, "seconds")
}

fn check_range(setting: &str, value: Option<f64>, min: f64, max: f64, unit: &str) -> Result<(), ConfigError> {
    match value {
        Some(v) if !(v >= min && v <= max) => {
            Err(ConfigError::Value(format!("{setting} is {v:?}, but it must be between {min} and {max} {unit}")))
        }
        _ => Ok(()),
    }
}

fn check_count(setting: &str, value: usize, max: usize) -> Result<(), ConfigError> {
    if (1..=max).contains(&value) {
        Ok(())
    } else {
        Err(ConfigError::Value(format!("{setting} is {value}, but it must be between 1 and {max}")))
    }
}

/// Parses `IP`, `IP:PORT` or `[IPv6]:PORT` into a socket address, port 53 by default.
pub fn parse_server(text: &str) -> Result<SocketAddr, ConfigError> {
    let text = text.trim();
    if let Ok(addr) = text.parse::<SocketAddr>() {
        if addr.port() == 0 {
            return Err(ConfigError::Value(format!(
                "\"{text}\" names port 0, which no DNS server listens on (give IP or IP:PORT with a port from 1 to 65535)"
            )));
        }
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
        assert!((config.timeout - 2.5).abs() < f64::EPSILON);
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
    fn every_number_is_validated_and_named() {
        let settings = [
            ("timeout = {}", "timeout"),
            ("[smtp]\nread_timeout = {}", "[smtp] read_timeout"),
            ("[smtp]\nconnect_timeout = {}", "[smtp] connect_timeout"),
            ("[blocklist]\ndeadline = {}", "[blocklist] deadline"),
            ("[queue]\ncommand_timeout = {}", "[queue] command_timeout"),
            ("[queue]\nlifetime_days = {}", "[queue] lifetime_days"),
        ];
        for (template, name) in settings {
            for value in ["1e300", "inf", "nan", "-5", "0.0"] {
                let config: Config = toml::from_str(&template.replace("{}", value)).unwrap();
                let err = config.validate().expect_err(value).to_string();
                assert!(err.starts_with(name), "{err}");
                // What is accepted must also be usable without a panic.
                let _ =
                    (config.timeout(), config.read_timeout(), config.connect_timeout(), config.blocklist_deadline());
            }
        }
        let config: Config = toml::from_str("[dns]\nattempts = 18446744073709551615\n").unwrap();
        assert!(config.validate().unwrap_err().to_string().starts_with("[dns] attempts"));
        assert!(toml::from_str::<Config>("timeout = 18446744073709551616").is_err());
        Config::default().validate().unwrap();
    }

    #[test]
    fn sections_take_the_generic_timeout_unless_they_set_one() {
        let mut config: Config = toml::from_str("timeout = 3.0\n[smtp]\nconnect_timeout = 7.0\n").unwrap();
        assert_eq!(config.read_timeout(), Duration::from_secs(3));
        assert_eq!(config.connect_timeout(), Duration::from_secs(7));
        assert_eq!(config.blocklist_deadline(), Duration::from_secs(3));
        // --timeout bounds every wait, a section's own included.
        config.timeout_is_cap = true;
        assert_eq!(config.connect_timeout(), Duration::from_secs(3));
    }

    #[test]
    fn server_addresses_default_to_port_53() {
        assert_eq!(parse_server("192.0.2.1").unwrap(), "192.0.2.1:53".parse().unwrap());
        assert_eq!(parse_server("[2001:db8::1]:5353").unwrap(), "[2001:db8::1]:5353".parse().unwrap());
        assert!(parse_server("dns.example").is_err());
    }
}
