//! A finding: one thing mailwiz found out, with its evidence and the fix.

use serde::{Deserialize, Serialize};

use super::catalogue;
use crate::config::Family;

/// How bad a finding is; ordered from worst to most benign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Fail,
    Warn,
    Info,
    Ok,
    Note,
}

impl Severity {
    /// The lowercase word used in JSON and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Fail => "fail",
            Severity::Warn => "warn",
            Severity::Info => "info",
            Severity::Ok => "ok",
            Severity::Note => "note",
        }
    }

    /// A one-character mark for narrow displays.
    pub fn mark(self) -> &'static str {
        match self {
            Severity::Fail => "✗",
            Severity::Warn => "⚠",
            Severity::Info => "i",
            Severity::Ok => "✓",
            Severity::Note => "✎",
        }
    }
}

/// One finding, in the JSON shape every command prints: id, severity, summary, detail, evidence, fix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable dotted id from the catalogue, e.g. `ptr.missing`.
    pub id: String,
    pub severity: Severity,
    pub summary: String,
    #[serde(default)]
    pub detail: String,
    #[serde(default)]
    pub evidence: Vec<String>,
    #[serde(default)]
    pub fix: String,
    /// The values the templates were filled with (`ip`, `zone`, ...), for rules that reason on
    /// findings; not part of the JSON shape.
    #[serde(skip)]
    pub args: Vec<(String, String)>,
}

impl Finding {
    /// Builds a finding from the catalogue entry for `id`, filling `{name}` placeholders of the
    /// summary and fix templates from `args`.
    ///
    /// # Panics
    /// When `id` is not in the catalogue: ids are code, not input.
    pub fn new(id: &str, args: &[(&str, &str)]) -> Finding {
        let entry = catalogue::entry(id).unwrap_or_else(|| panic!("finding id {id} is not in the catalogue"));
        Finding {
            id: id.to_string(),
            severity: entry.severity,
            summary: catalogue::fill(entry.summary, args),
            detail: String::new(),
            evidence: Vec::new(),
            fix: catalogue::fill(entry.fix, args),
            args: args.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }

    /// A user's note.
    pub fn note(text: &str) -> Finding {
        Finding {
            id: "note".to_string(),
            severity: Severity::Note,
            summary: text.to_string(),
            detail: String::new(),
            evidence: Vec::new(),
            fix: String::new(),
            args: Vec::new(),
        }
    }

    /// Sets the detail paragraph.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Finding {
        self.detail = detail.into();
        self
    }

    /// Adds evidence lines (transcript lines, DNS answers, log lines).
    pub fn with_evidence<I, S>(mut self, lines: I) -> Finding
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.evidence.extend(lines.into_iter().map(Into::into));
        self
    }

    /// Adds values no template shows, for rules that reason on findings (a reply's class and
    /// stage). A name already set keeps its value.
    pub fn with_args<K: Into<String>>(mut self, args: impl IntoIterator<Item = (K, String)>) -> Finding {
        for (key, value) in args {
            let key = key.into();
            if self.arg(&key).is_none() {
                self.args.push((key, value));
            }
        }
        self
    }

    /// Replaces the fix the catalogue gives: a refusal's fix follows what the reply says.
    pub fn with_fix(mut self, fix: impl Into<String>) -> Finding {
        self.fix = fix.into();
        self
    }

    /// Overrides the severity the catalogue gives.
    pub fn with_severity(mut self, severity: Severity) -> Finding {
        self.severity = severity;
        self
    }

    /// The value a template placeholder was filled with.
    pub fn arg(&self, name: &str) -> Option<&str> {
        self.args.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The id's first component (`ptr` for `ptr.missing`).
    pub fn family(&self) -> &str {
        self.id.split('.').next().unwrap_or(&self.id)
    }

    /// The address family of the path the finding is about: its `family` value (`IPv4`,
    /// `IPv6`), else the family of the receiver's address it names (`addr`), else of ours
    /// (`ip`). `None` when it names no family (a domain, a DNS answer).
    pub fn path_family(&self) -> Option<Family> {
        if let Some(family) = self.arg("family") {
            return [Family::V4, Family::V6].into_iter().find(|f| f.label().eq_ignore_ascii_case(family));
        }
        ["addr", "ip"].iter().find_map(|key| self.arg(key)?.parse::<std::net::IpAddr>().ok()).map(Family::of)
    }

    /// True when the finding says a check could not be made (no answer came, the lookup
    /// failed): it tells nothing about the thing checked.
    pub fn is_unknown(&self) -> bool {
        COULD_NOT_CHECK.contains(&self.id.as_str())
    }
}

/// The findings that say a check could not be made (no answer, or nothing to ask with), not
/// what it found.
const COULD_NOT_CHECK: &[&str] = &[
    "dns.timeout",
    "dns.refused",
    "dns.outside_demo",
    "dns.unreachable",
    "dns.resolver_silent",
    "ip.unknown",
    "smtp.no_route",
    "ptr.unknown",
    "helo.unknown",
    "spf.temperror",
    "dmarc.unknown",
    "dkim.key_unknown",
    "dkim.no_selector",
    "mta_sts.unknown",
    "tls_rpt.unknown",
    "dane.unknown",
    "dnsbl.query_refused",
    "dnsbl.timeout",
    "smtp.via_failed",
];
