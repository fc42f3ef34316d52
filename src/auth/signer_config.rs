//! DKIM selectors named in the local signer's configuration: OpenDKIM (`opendkim.conf`,
//! KeyTable), rspamd (`dkim_signing.conf`) and Exim (`dkim_selector`, Debian's `DKIM_SELECTOR`).
//! These files are outside bytes: reads are capped and every parser returns a bounded list of
//! well-formed selectors.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use super::dkim::Selector;

/// Bytes read from one configuration file.
const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// Selectors taken from all files together.
pub const MAX_SELECTORS: usize = 32;

/// Where the signers keep their configuration on common systems.
pub fn default_paths() -> Vec<PathBuf> {
    [
        "/etc/opendkim.conf",
        "/etc/opendkim/KeyTable",
        "/etc/rspamd/local.d/dkim_signing.conf",
        "/etc/rspamd/override.d/dkim_signing.conf",
        "/etc/exim4/exim4.conf.localmacros",
        "/etc/exim4/conf.d/main/00_local_macros",
        "/etc/exim/exim.conf",
    ]
    .iter()
    .map(PathBuf::from)
    .collect()
}

/// The selectors for `domain` named in the readable files among `paths`; unreadable and missing
/// files are skipped (most hosts run one signer, or none).
pub fn selectors(paths: &[PathBuf], domain: &str) -> Vec<Selector> {
    let mut found: Vec<Selector> = Vec::new();
    let mut queue: Vec<PathBuf> = paths.to_vec();
    let mut seen: Vec<PathBuf> = Vec::new();
    while let Some(path) = queue.pop() {
        if seen.contains(&path) || seen.len() > 16 {
            continue;
        }
        seen.push(path.clone());
        let Some(text) = read_capped(&path) else { continue };
        let (names, follow) = match kind(&path) {
            Kind::OpenDkimConf => opendkim_conf(&text),
            Kind::KeyTable => (key_table(&text, domain), None),
            Kind::Rspamd => (rspamd(&text, domain), None),
            Kind::Exim => (exim(&text), None),
        };
        queue.extend(follow);
        let source = format!("{}:{}", kind(&path).label(), path.display());
        for name in names {
            if found.len() < MAX_SELECTORS && !found.iter().any(|s| s.name == name) {
                found.push(Selector { name, source: source.clone() });
            }
        }
    }
    found
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    OpenDkimConf,
    KeyTable,
    Rspamd,
    Exim,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::OpenDkimConf | Kind::KeyTable => "opendkim",
            Kind::Rspamd => "rspamd",
            Kind::Exim => "exim",
        }
    }
}

fn kind(path: &Path) -> Kind {
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let full = path.to_string_lossy().to_ascii_lowercase();
    if name.contains("keytable") {
        Kind::KeyTable
    } else if name.contains("opendkim") {
        Kind::OpenDkimConf
    } else if name.contains("dkim_signing") || full.contains("rspamd") {
        Kind::Rspamd
    } else {
        Kind::Exim
    }
}

fn read_capped(path: &Path) -> Option<String> {
    let mut bytes = Vec::new();
    std::fs::File::open(path).ok()?.take(MAX_FILE_BYTES).read_to_end(&mut bytes).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// A selector is one or more DNS labels of letters, digits, `-` and `_`.
pub fn valid_selector(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

fn keep(names: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in names {
        if valid_selector(&name) && !out.contains(&name) && out.len() < MAX_SELECTORS {
            out.push(name);
        }
    }
    out
}

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(|line| line.split('#').next().unwrap_or_default().trim()).filter(|line| !line.is_empty())
}

/// `opendkim.conf`: its `Selector` values, and the KeyTable file to read next.
pub fn opendkim_conf(text: &str) -> (Vec<String>, Option<PathBuf>) {
    let mut selectors = Vec::new();
    let mut table = None;
    for line in lines(text) {
        let mut words = line.split_whitespace();
        match (words.next().map(str::to_ascii_lowercase).as_deref(), words.next()) {
            (Some("selector"), Some(value)) => selectors.push(value.to_string()),
            (Some("keytable"), Some(value)) => {
                let path = value.trim_start_matches("refile:").trim_start_matches("file:");
                if path.starts_with('/') {
                    table = Some(PathBuf::from(path));
                }
            }
            _ => {}
        }
    }
    (keep(selectors), table)
}

/// An OpenDKIM KeyTable: `KEYNAME DOMAIN:SELECTOR:KEYPATH`; the selectors whose domain is
/// `domain` (or `%`, the signing domain).
pub fn key_table(text: &str, domain: &str) -> Vec<String> {
    keep(lines(text).filter_map(|line| {
        let value = line.split_whitespace().nth(1)?;
        let mut parts = value.splitn(3, ':');
        let (d, selector) = (parts.next()?, parts.next()?);
        (d == "%" || d.eq_ignore_ascii_case(domain)).then(|| selector.to_string())
    }))
}

/// rspamd's `dkim_signing.conf` (UCL): `selector = "s";` at the top level, or inside the block
/// of `domain`.
pub fn rspamd(text: &str, domain: &str) -> Vec<String> {
    let mut stack: Vec<String> = Vec::new();
    let mut selectors = Vec::new();
    for line in lines(text) {
        for piece in line.split_inclusive(['{', '}', ';']) {
            let piece = piece.trim();
            if let Some(name) = piece.strip_suffix('{') {
                if stack.len() < 64 {
                    stack.push(name.trim().trim_matches('"').to_ascii_lowercase());
                }
            } else if piece.starts_with('}') {
                stack.pop();
            } else if let Some((key, value)) = piece.split_once('=') {
                let in_domain = stack.first().is_some_and(|s| s == "domain");
                let ours = !in_domain || stack.get(1).is_some_and(|d| d.eq_ignore_ascii_case(domain));
                if key.trim() == "selector" && ours {
                    selectors.push(value.trim().trim_end_matches(';').trim().trim_matches('"').to_string());
                }
            }
        }
    }
    keep(selectors)
}

/// Exim: `dkim_selector = s` in a transport, or Debian's `DKIM_SELECTOR = s` macro. Values
/// computed by expansions (`${...}`) cannot be known here and are skipped.
pub fn exim(text: &str) -> Vec<String> {
    keep(lines(text).filter_map(|line| {
        let (key, value) = line.split_once('=')?;
        key.trim().eq_ignore_ascii_case("dkim_selector").then(|| value.trim().trim_matches('"').to_string())
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn opendkim_files_name_selectors() {
        let (selectors, table) =
            opendkim_conf("Domain example.com\nSelector mail\nKeyTable refile:/etc/opendkim/KeyTable\n");
        assert_eq!(selectors, ["mail"]);
        assert_eq!(table, Some(PathBuf::from("/etc/opendkim/KeyTable")));
        let table = "# key table\nmail._domainkey.example.com example.com:s2024:/etc/opendkim/keys/s.private\n\
                     x._domainkey.other.example other.example:other:/k\n";
        assert_eq!(key_table(table, "example.com"), ["s2024"]);
    }

    #[test]
    fn rspamd_selectors_follow_the_domain_blocks() {
        let conf = "selector = \"dkim\";\ndomain {\n  example.com {\n    selector = \"s1\";\n  }\n  other.example {\n    selector = \"o1\";\n  }\n}\n";
        assert_eq!(rspamd(conf, "example.com"), ["dkim", "s1"]);
    }

    #[test]
    fn exim_selectors_skip_expansions() {
        assert_eq!(
            exim("DKIM_SELECTOR = s2\n  dkim_selector = ${lookup{$sender_address_domain}lsearch{/x}}\n"),
            ["s2"]
        );
    }

    #[test]
    fn selectors_are_read_from_files() {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("opendkim.conf");
        let table = dir.path().join("KeyTable");
        std::fs::write(&conf, format!("Selector mail\nKeyTable {}\n", table.display())).unwrap();
        std::fs::write(&table, "k example.com:s2024:/k\n").unwrap();
        let found = selectors(&[conf, dir.path().join("missing")], "example.com");
        let names: Vec<_> = found.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["mail", "s2024"]);
        assert!(found[1].source.starts_with("opendkim:"));
    }

    proptest! {
        #[test]
        fn parsers_never_panic_and_stay_bounded(text in any::<String>()) {
            for list in [opendkim_conf(&text).0, key_table(&text, "example.com"), rspamd(&text, "example.com"), exim(&text)] {
                prop_assert!(list.len() <= MAX_SELECTORS);
                prop_assert!(list.iter().all(|s| valid_selector(s)));
            }
        }

        #[test]
        fn many_selectors_are_capped(n in 0usize..200) {
            let text: String = (0..n).map(|i| format!("k{i} example.com:s{i}:/k\n")).collect();
            prop_assert_eq!(key_table(&text, "example.com").len(), n.min(MAX_SELECTORS));
        }
    }
}
