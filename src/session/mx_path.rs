//! One MX address as the probe found it, with its family: `mx1.bank.example  IPv4 192.0.2.10
//! refused at the greeting (…)`. Step 4 shows one row per address, and the reports list them
//! from the journal, where each probe records its row.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::escape::escape_str;
use super::journal::{Event, EventKind};

/// How a path ended, for its mark and tone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PathEnd {
    /// The receiver accepted what the probe asked.
    Accepted,
    /// It refused us, or the connection failed.
    Failed,
    /// Not possible from here (no route of that family): nothing is known of the receiver.
    Unknown,
}

impl PathEnd {
    /// `✓`, `✗` or `?`.
    pub fn mark(self) -> &'static str {
        match self {
            PathEnd::Accepted => "✓",
            PathEnd::Failed => "✗",
            PathEnd::Unknown => "?",
        }
    }
}

/// One address of one MX host, as probed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxPath {
    pub host: String,
    /// `IPv4` or `IPv6`.
    pub family: String,
    pub addr: String,
    pub end: PathEnd,
    /// How far the probe got, in words: `RCPT TO accepted (250 2.1.5 Ok)`, `banner_4xx (421 …)`.
    pub outcome: String,
}

impl MxPath {
    /// The event that records the row in the journal.
    pub fn event(&self) -> Event {
        let text = format!("path: {} {} {}: {}", self.host, self.family, self.addr, self.outcome);
        Event::new(EventKind::Info, text).with_data(json!({ "mx_path": self }))
    }

    /// The row an event records, if it records one.
    pub fn of_event(event: &Event) -> Option<MxPath> {
        if event.kind != EventKind::Info {
            return None;
        }
        serde_json::from_value(event.data.get("mx_path")?.clone()).ok()
    }

    /// The rows as aligned lines, `mark host  family address  outcome`, escaped.
    pub fn table(paths: &[MxPath]) -> Vec<String> {
        let width = |f: fn(&MxPath) -> &str| paths.iter().map(|p| escape_str(f(p)).chars().count()).max().unwrap_or(0);
        let (host_width, addr_width) = (width(|p| &p.host), width(|p| &p.addr));
        paths
            .iter()
            .map(|p| {
                format!(
                    "{} {:<host_width$}  {} {:<addr_width$}  {}",
                    p.end.mark(),
                    escape_str(&p.host),
                    escape_str(&p.family),
                    escape_str(&p.addr),
                    escape_str(&p.outcome)
                )
            })
            .collect()
    }
}

/// The rows of a journal's probes, in order: a row for an address probed again replaces the
/// earlier one in its place.
#[derive(Debug, Default)]
pub struct PathsFold {
    paths: Vec<MxPath>,
}

impl PathsFold {
    /// Takes the next event.
    pub fn push(&mut self, event: &Event) {
        let Some(path) = MxPath::of_event(event) else { return };
        match self.paths.iter_mut().find(|p| p.host == path.host && p.addr == path.addr) {
            Some(known) => *known = path,
            None => self.paths.push(path),
        }
    }

    /// The rows.
    pub fn finish(self) -> Vec<MxPath> {
        self.paths
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(host: &str, family: &str, addr: &str, end: PathEnd, outcome: &str) -> MxPath {
        MxPath { host: host.into(), family: family.into(), addr: addr.into(), end, outcome: outcome.into() }
    }

    #[test]
    fn rows_align_and_a_probe_again_replaces_its_row() {
        let mut fold = PathsFold::default();
        let first = path("mx1.bank.example", "IPv4", "192.0.2.10", PathEnd::Failed, "banner_4xx (421 4.0.0)");
        fold.push(&first.event());
        fold.push(&path("mx1.bank.example", "IPv6", "2001:db8::10", PathEnd::Unknown, "no route").event());
        fold.push(&Event::new(EventKind::Info, "something else"));
        fold.push(&MxPath { end: PathEnd::Accepted, outcome: "RCPT TO accepted (250 ok)".into(), ..first }.event());
        let rows = MxPath::table(&fold.finish());
        assert_eq!(
            rows,
            [
                "✓ mx1.bank.example  IPv4 192.0.2.10    RCPT TO accepted (250 ok)",
                "? mx1.bank.example  IPv6 2001:db8::10  no route",
            ]
        );
    }

    #[test]
    fn what_a_peer_named_is_escaped() {
        let rows = MxPath::table(&[path("mx\u{1b}[2J", "IPv4", "192.0.2.1", PathEnd::Failed, "421 \u{202e}x")]);
        assert!(crate::session::escape::is_clean(&rows[0]), "{:?}", rows[0]);
    }
}
