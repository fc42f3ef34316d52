//! The DNS block lists mailwiz knows: `assets/dnsbl.toml`, embedded in the binary and
//! replaceable by a file, and the selection of zones for one run (`--zones`).

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::BlocklistConfig;

/// The bundled list.
pub const BUNDLED: &str = include_str!("../../assets/dnsbl.toml");

/// What a zone lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ZoneKind {
    /// Addresses, queried as reversed octets (IPv4) or nibbles (IPv6).
    Ip,
    /// Domain names, queried as `<domain>.<zone>`.
    Domain,
}

/// One block list.
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    /// What admins call it ("Spamhaus ZEN").
    pub name: String,
    /// The DNS zone queried ("zen.spamhaus.org"), lowercase, without a trailing dot.
    pub zone: String,
    pub kind: ZoneKind,
    /// Whether the list also lists IPv6 addresses.
    pub ipv6: bool,
    /// The lookup and removal page; `{ip}` stands for the subject.
    pub delist: Option<String>,
    /// Answer → meaning of the listing.
    pub codes: BTreeMap<Ipv4Addr, String>,
    /// Answer → why the list refused the query (the common table plus the zone's own).
    pub refused: BTreeMap<Ipv4Addr, String>,
    /// What the self-test expects to be listed.
    pub test_listed: String,
    /// What the self-test expects not to be listed.
    pub test_clean: String,
    /// True when the zone came from `--zones` and is not in the list.
    pub custom: bool,
}

impl Zone {
    /// A zone named on the command line that the list does not describe: generic RFC 5782
    /// decoding and the common refusal codes.
    pub fn custom(zone: &str, refused: &BTreeMap<Ipv4Addr, String>) -> Zone {
        Zone {
            name: zone.to_string(),
            zone: zone.to_string(),
            kind: ZoneKind::Ip,
            ipv6: true,
            delist: None,
            codes: BTreeMap::new(),
            refused: refused.clone(),
            test_listed: "127.0.0.2".into(),
            test_clean: "127.0.0.1".into(),
            custom: true,
        }
    }

    /// The delisting page for `subject`, if the list has one.
    pub fn delist_url(&self, subject: &str) -> Option<String> {
        self.delist.as_ref().map(|url| url.replace("{ip}", subject))
    }
}

/// Why a zone list or a zone name cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ZoneError {
    #[error("the block list file {path} cannot be read: {message}")]
    Read { path: PathBuf, message: String },
    #[error("the block list file {source_name} is not valid: {message}")]
    Parse { source_name: String, message: String },
    #[error("a block list zone name is empty")]
    EmptyName,
    #[error("\"{0}\" is not a valid block list zone name")]
    BadName(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ZoneFile {
    #[serde(default)]
    refused: BTreeMap<String, String>,
    #[serde(default)]
    zone: Vec<ZoneSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ZoneSpec {
    name: String,
    zone: String,
    kind: ZoneKind,
    #[serde(default)]
    ipv6: bool,
    delist: Option<String>,
    #[serde(default)]
    codes: BTreeMap<String, String>,
    #[serde(default)]
    refused: BTreeMap<String, String>,
    test_listed: Option<String>,
    test_clean: Option<String>,
}

/// The block lists of one run and where they came from.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneList {
    pub zones: Vec<Zone>,
    /// The common refusal codes, for zones named on the command line.
    pub refused: BTreeMap<Ipv4Addr, String>,
    /// `bundled` or the file's path.
    pub source: String,
}

impl ZoneList {
    /// The list embedded in the binary.
    pub fn bundled() -> ZoneList {
        ZoneList::parse(BUNDLED, "bundled").expect("the bundled dnsbl.toml is valid")
    }

    /// Parses a dnsbl.toml; `source` names it in errors.
    pub fn parse(text: &str, source: &str) -> Result<ZoneList, ZoneError> {
        let parse_err = |message: String| ZoneError::Parse { source_name: source.to_string(), message };
        let file: ZoneFile = toml::from_str(text).map_err(|err| parse_err(err.message().to_string()))?;
        let refused = code_table(&file.refused).map_err(parse_err)?;
        let mut zones = Vec::with_capacity(file.zone.len());
        for spec in file.zone {
            let zone = normalise_zone_name(&spec.zone).map_err(|err| parse_err(err.to_string()))?;
            let mut zone_refused = refused.clone();
            zone_refused.extend(code_table(&spec.refused).map_err(&parse_err)?);
            let (listed, clean) = match spec.kind {
                ZoneKind::Ip => ("127.0.0.2", "127.0.0.1"),
                ZoneKind::Domain => ("test", "invalid"),
            };
            zones.push(Zone {
                name: spec.name,
                zone,
                kind: spec.kind,
                ipv6: spec.ipv6,
                delist: spec.delist,
                codes: code_table(&spec.codes).map_err(&parse_err)?,
                refused: zone_refused,
                test_listed: spec.test_listed.unwrap_or_else(|| listed.into()),
                test_clean: spec.test_clean.unwrap_or_else(|| clean.into()),
                custom: false,
            });
        }
        Ok(ZoneList { zones, refused, source: source.to_string() })
    }

    /// Reads a dnsbl.toml from disk.
    pub fn from_file(path: &Path) -> Result<ZoneList, ZoneError> {
        let text = std::fs::read_to_string(path)
            .map_err(|err| ZoneError::Read { path: path.to_path_buf(), message: err.to_string() })?;
        ZoneList::parse(&text, &path.display().to_string())
    }

    /// The list for a run: `blocklist.zones_file`, else `dnsbl.toml` in the config directory,
    /// else the bundled list.
    pub fn load(config: &BlocklistConfig) -> Result<ZoneList, ZoneError> {
        if let Some(path) = &config.zones_file {
            return ZoneList::from_file(path);
        }
        if let Some(path) = crate::config::paths::config_dir().map(|dir| dir.join("dnsbl.toml"))
            && path.is_file()
        {
            return ZoneList::from_file(&path);
        }
        Ok(ZoneList::bundled())
    }

    /// The zones to query: all of them when `names` is empty, else the named ones in the given
    /// order, zones the list does not describe being queried with generic decoding.
    pub fn select(&self, names: &[String]) -> Result<Vec<Zone>, ZoneError> {
        if names.is_empty() {
            return Ok(self.zones.clone());
        }
        let mut selected: Vec<Zone> = Vec::with_capacity(names.len());
        for name in names {
            let wanted = normalise_zone_name(name)?;
            if selected.iter().any(|z| z.zone == wanted) {
                continue;
            }
            let zone = self
                .zones
                .iter()
                .find(|z| z.zone == wanted)
                .cloned()
                .unwrap_or_else(|| Zone::custom(&wanted, &self.refused));
            selected.push(zone);
        }
        Ok(selected)
    }
}

fn code_table(raw: &BTreeMap<String, String>) -> Result<BTreeMap<Ipv4Addr, String>, String> {
    raw.iter()
        .map(|(code, text)| {
            code.parse::<Ipv4Addr>()
                .map(|code| (code, text.clone()))
                .map_err(|_| format!("\"{code}\" is not an IPv4 answer code"))
        })
        .collect()
}

/// Lowercases a zone name and checks it is a plausible DNS name (labels of letters, digits,
/// `-` and `_`, none empty, none longer than 63).
pub fn normalise_zone_name(name: &str) -> Result<String, ZoneError> {
    let trimmed = name.trim().trim_end_matches('.').to_ascii_lowercase();
    if trimmed.is_empty() {
        return Err(ZoneError::EmptyName);
    }
    // A reversed IPv6 address takes 64 octets of the 253 a name may have.
    let valid = trimmed.len() <= 180
        && trimmed.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if valid { Ok(trimmed) } else { Err(ZoneError::BadName(crate::session::escape::escape_str(name.trim()))) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_list_has_the_alive_zones_and_not_sorbs() {
        let list = ZoneList::bundled();
        let zones: Vec<&str> = list.zones.iter().map(|z| z.zone.as_str()).collect();
        for wanted in [
            "zen.spamhaus.org",
            "dbl.spamhaus.org",
            "bl.spamcop.net",
            "b.barracudacentral.org",
            "psbl.surriel.com",
            "dnsbl-1.uceprotect.net",
            "dnsbl-2.uceprotect.net",
            "bl.mailspike.net",
            "ix.dnsbl.manitu.net",
            "dnsbl.dronebl.org",
            "all.spamrats.com",
            "truncate.gbudb.net",
            "bl.0spam.org",
        ] {
            assert!(zones.contains(&wanted), "{wanted} missing");
        }
        assert!(!zones.iter().any(|z| z.contains("sorbs")));
        let zen = &list.zones[0];
        assert_eq!(zen.codes.len(), 9);
        assert!(zen.codes[&Ipv4Addr::new(127, 0, 0, 10)].starts_with("PBL"));
        assert!(zen.refused.contains_key(&Ipv4Addr::new(127, 255, 255, 254)));
        let dbl = list.zones.iter().find(|z| z.zone == "dbl.spamhaus.org").unwrap();
        assert_eq!(dbl.kind, ZoneKind::Domain);
        assert!(dbl.refused.contains_key(&Ipv4Addr::new(127, 0, 1, 255)));
        assert!(dbl.refused.contains_key(&Ipv4Addr::new(127, 255, 255, 252)));
        assert_eq!(dbl.test_listed, "dbltest.com");
    }

    #[test]
    fn selection_keeps_order_and_accepts_lab_zones() {
        let list = ZoneList::bundled();
        let picked = list.select(&["BL.SpamCop.net.".into(), "bl.lab.test".into(), "bl.spamcop.net".into()]).unwrap();
        assert_eq!(picked.len(), 2);
        assert_eq!(picked[0].name, "SpamCop");
        assert!(picked[1].custom);
        assert_eq!(picked[1].zone, "bl.lab.test");
        assert!(picked[1].refused.contains_key(&Ipv4Addr::new(127, 255, 255, 255)));
    }

    #[test]
    fn empty_and_malformed_zone_names_are_refused() {
        let list = ZoneList::bundled();
        assert_eq!(list.select(&["bl.spamcop.net".into(), String::new()]), Err(ZoneError::EmptyName));
        assert!(matches!(list.select(&["bad..zone".into()]), Err(ZoneError::BadName(_))));
        assert!(matches!(list.select(&["zone with space".into()]), Err(ZoneError::BadName(_))));
        assert_eq!(ZoneError::EmptyName.to_string(), "a block list zone name is empty");
    }

    #[test]
    fn a_bad_file_is_named_in_the_error() {
        let err = ZoneList::parse(
            "[[zone]]\nname = \"x\"\nzone = \"x.test\"\nkind = \"ip\"\n[zone.codes]\n\"nope\" = \"y\"\n",
            "my.toml",
        )
        .unwrap_err();
        assert!(err.to_string().contains("my.toml"), "{err}");
        assert!(err.to_string().contains("nope"), "{err}");
        assert!(ZoneList::parse("[[zone]]\nname = 1\n", "f").is_err());
    }
}
