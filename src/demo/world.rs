//! The demo world as data: identity, DNS zones, scripted SMTP servers and the MTA's queue and log
//! files, read from one TOML file (`assets/demo-world.toml`) so tests can build variants; further
//! stories (`assets/demo-dual-stack.toml`) add their zones and servers to it.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use super::smtp_server::ServerScript;

/// The bundled world.
pub const BUNDLED: &str = include_str!("../../assets/demo-world.toml");

/// The bundled second story: IPv4 and IPv6 as two paths to one receiver.
pub const DUAL_STACK: &str = include_str!("../../assets/demo-dual-stack.toml");

/// The whole world.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct World {
    pub identity: Identity,
    /// "What is my IP" queries, asked of the demo DNS server.
    #[serde(default)]
    pub myip: Vec<MyIp>,
    /// Milliseconds the DNS server waits before every answer (benchmarks of slow networks).
    #[serde(default)]
    pub dns_delay_ms: u64,
    /// Names the DNS server answers SERVFAIL for.
    #[serde(default)]
    pub servfail: Vec<String>,
    #[serde(default)]
    pub zones: Vec<Zone>,
    #[serde(default)]
    pub smtp: Vec<SmtpServer>,
    /// HTTPS servers (the receiver's MTA-STS policy).
    #[serde(default)]
    pub https: Vec<HttpsServer>,
    /// Addresses where connections time out, as behind a firewall that drops packets.
    #[serde(default)]
    pub blackholes: Vec<SocketAddr>,
    /// Addresses where connections are refused: nothing listens.
    #[serde(default)]
    pub refused: Vec<SocketAddr>,
    #[serde(default)]
    pub files: Vec<File>,
}

/// Who we are in the world.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    pub ip: IpAddr,
    /// Our IPv6 address beside `ip` (a dual-stack host).
    #[serde(default)]
    pub ip6: Option<std::net::Ipv6Addr>,
    pub helo: String,
    pub from: Option<String>,
    pub to: Option<String>,
    /// The DKIM selectors our signer uses (config `[auth] selectors`).
    #[serde(default)]
    pub dkim_selectors: Vec<String>,
}

/// One what-is-my-IP query.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MyIp {
    pub name: String,
    pub record: String,
}

/// One DNS zone as zone-file text.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    pub origin: String,
    pub text: String,
    /// Answered as a validating resolver answers for a signed zone (the AD bit).
    #[serde(default)]
    pub signed: bool,
}

/// One scripted SMTP server, reached through the connect map at its public `address`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpServer {
    pub address: SocketAddr,
    /// Serve STARTTLS with a self-signed certificate for the script's hostname.
    #[serde(default)]
    pub tls: bool,
    #[serde(default)]
    pub script: ServerScript,
}

/// One HTTPS server, reached through the connect map at its public `address`, answering the
/// paths of `pages` with `text/plain` bodies.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpsServer {
    pub address: SocketAddr,
    pub host: String,
    pub pages: std::collections::HashMap<String, String>,
}

/// What a file of the world is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileRole {
    /// The queue listing (`config.queue.file`).
    Queue,
    /// An MTA log (`config.logs.paths`).
    Log,
    /// Anything else.
    Other,
}

/// A file the world writes to its temporary directory.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    pub name: String,
    pub role: FileRole,
    pub text: String,
}

/// A world file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    #[error("the demo world is not valid: {0}")]
    Parse(String),
    #[error("the demo world file name {0:?} must be a plain file name")]
    FileName(String),
}

/// A further story told in a world: our IPv6 address, more zones and more servers.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Story {
    /// Our IPv6 address, when the story makes our host dual-stack.
    #[serde(default)]
    pub ip6: Option<std::net::Ipv6Addr>,
    #[serde(default)]
    pub zones: Vec<Zone>,
    #[serde(default)]
    pub smtp: Vec<SmtpServer>,
}

impl Story {
    /// Parses a story from TOML.
    pub fn from_toml(text: &str) -> Result<Story, WorldError> {
        toml::from_str(text).map_err(|err| WorldError::Parse(err.message().to_string()))
    }
}

impl World {
    /// The bundled world: the first story alone, the base of tests' variants.
    pub fn bundled() -> World {
        World::from_toml(BUNDLED).expect("the bundled demo world is valid")
    }

    /// The world `mailwiz demo` and `--demo` serve: the bundled world with every bundled story.
    pub fn demo() -> World {
        let mut world = World::bundled();
        world.tell(Story::from_toml(DUAL_STACK).expect("the bundled dual-stack story is valid"));
        world
    }

    /// Adds `story`: its IPv6 address becomes ours, its servers join, and a zone whose origin
    /// the world has gains the story's records.
    pub fn tell(&mut self, story: Story) {
        if let Some(ip6) = story.ip6 {
            self.identity.ip6 = Some(ip6);
        }
        for zone in story.zones {
            match self.zones.iter_mut().find(|z| z.origin.eq_ignore_ascii_case(&zone.origin)) {
                Some(known) => {
                    if !known.text.ends_with('\n') {
                        known.text.push('\n');
                    }
                    known.text.push_str(&zone.text);
                }
                None => self.zones.push(zone),
            }
        }
        self.smtp.extend(story.smtp);
    }

    /// Parses a world from TOML.
    pub fn from_toml(text: &str) -> Result<World, WorldError> {
        let world: World = toml::from_str(text).map_err(|err| WorldError::Parse(err.message().to_string()))?;
        for file in &world.files {
            let plain = PathBuf::from(&file.name).file_name().is_some_and(|n| n == file.name.as_str());
            if !plain {
                return Err(WorldError::FileName(file.name.clone()));
            }
        }
        Ok(world)
    }
}

/// Replaces `{{unix-SECS}}`, `{{rfc3339-SECS}}` and `{{syslog-SECS}}` by the moment `SECS`
/// seconds before `now` (no `-SECS`: `now`), in the forms Postfix queues and logs use.
pub fn fill_times(text: &str, now: DateTime<Utc>) -> String {
    let pattern = regex::Regex::new(r"\{\{(unix|rfc3339|syslog)(?:-(\d+))?\}\}").expect("the pattern is valid");
    pattern
        .replace_all(text, |caps: &regex::Captures| {
            let secs: i64 = caps.get(2).map_or(0, |m| m.as_str().parse().unwrap_or(0));
            let at = now - Duration::seconds(secs);
            match &caps[1] {
                "unix" => at.timestamp().to_string(),
                "rfc3339" => at.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string(),
                _ => at.format("%b %e %H:%M:%S").to_string(),
            }
        })
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_world_tells_the_story() {
        let world = World::bundled();
        assert_eq!(world.identity.ip.to_string(), "203.0.113.5");
        assert_eq!(world.smtp.len(), 3);
        assert!(world.files.iter().any(|f| f.role == FileRole::Queue));
        assert!(world.zones.iter().any(|z| z.origin == "zen.spamhaus.org"));
    }

    #[test]
    fn the_dual_stack_story_joins_the_world() {
        let world = World::demo();
        assert_eq!(world.identity.ip6.map(|ip| ip.to_string()).as_deref(), Some("2001:db8::5"));
        assert_eq!(world.smtp.len(), World::bundled().smtp.len() + 2);
        let reverse = world.zones.iter().filter(|z| z.origin == "2.0.192.in-addr.arpa").collect::<Vec<_>>();
        assert_eq!(reverse.len(), 1, "one zone, the story's records appended");
        assert!(reverse[0].text.contains("mx1.bank.example.") && reverse[0].text.contains("mail.dualstack.example."));
    }

    #[test]
    fn times_are_relative_to_now() {
        let now = DateTime::parse_from_rfc3339("2026-11-28T12:00:00Z").unwrap().with_timezone(&Utc);
        let text = fill_times("{{unix-60}} {{rfc3339-3600}} {{syslog}} {{other}}", now);
        assert_eq!(text, "1795867140 2026-11-28T11:00:00.000000+00:00 Nov 28 12:00:00 {{other}}");
    }

    #[test]
    fn file_names_cannot_escape_the_directory() {
        let text =
            "[identity]\nip = \"203.0.113.5\"\nhelo = \"h\"\n[[files]]\nname = \"../x\"\nrole = \"log\"\ntext = \"\"\n";
        assert!(matches!(World::from_toml(text), Err(WorldError::FileName(_))));
    }
}
