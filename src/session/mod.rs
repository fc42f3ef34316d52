//! The model every front end shares: what we look at, who we are, what we found, and the journal.

pub mod catalogue;
pub mod conclusion;
pub mod diff;
pub mod diff_report;
pub mod envelope;
pub mod escape;
pub mod export;
pub mod finding;
pub mod journal;
pub mod json_report;
pub mod markdown;
pub mod marks;
pub mod mx_path;
pub mod state;
pub mod step;
pub mod summary;
pub mod target;
pub mod text_report;
pub mod tls_policy;
pub mod vocabulary;

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use conclusion::AlsoFix;
pub use finding::{Finding, Severity};
pub use journal::{Event, EventKind, Journal};
pub use step::StepId;
pub use target::Target;

/// Finding families that come from outside the steps' runs (a bounce the user gave): shown in a
/// step, never replaced by its re-run.
const FROM_OUTSIDE: &[&str] = &["bounce"];

/// Longest line a user may type or paste into a console, in bytes (stdin and the wizard alike).
pub const MAX_INPUT_LINE: usize = 64 * 1024;

/// Where a candidate for our public IP came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpCandidate {
    pub ip: IpAddr,
    /// `--ip`, `config`, `dns:myip.opendns.com`, `ehlo:mx1.bank.example`, `local`, ...
    pub source: String,
}

/// Who we are to the receiver.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    /// The address we believe receivers see.
    pub ip: Option<IpAddr>,
    /// Every candidate seen, with its source.
    pub ip_candidates: Vec<IpCandidate>,
    /// The name we announce in HELO/EHLO.
    pub helo: Option<String>,
    /// The envelope sender we send as (`--from`), whose domain names our mail host.
    #[serde(default)]
    pub sender: Option<String>,
}

impl Identity {
    /// Adds a candidate once; the first candidate becomes `ip` when none is set.
    pub fn add_candidate(&mut self, ip: IpAddr, source: impl Into<String>) {
        let source = source.into();
        if !self.ip_candidates.iter().any(|c| c.ip == ip && c.source == source) {
            self.ip_candidates.push(IpCandidate { ip, source });
        }
        self.ip.get_or_insert(ip);
    }
}

/// One mail exchanger of the target, as the MX step found it; the SMTP step connects to these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxTarget {
    pub preference: u16,
    pub exchange: String,
    pub addresses: Vec<IpAddr>,
}

/// The shared state of one troubleshooting session.
#[derive(Debug, Clone)]
pub struct Session {
    pub started: DateTime<Utc>,
    pub target: Option<Target>,
    /// The error the queue or the logs showed for the target ("421 4.0.0 Server error").
    pub observed_error: Option<String>,
    /// A real recipient of the target's mail waiting in the queue (the oldest), for the
    /// probe's RCPT TO instead of postmaster@.
    pub queued_recipient: Option<String>,
    pub identity: Identity,
    /// The target's mail exchangers, once the MX step has run.
    pub mx: Vec<MxTarget>,
    pub findings: Vec<Finding>,
    pub journal: Journal,
    /// An earlier session to compare with (`mailwiz --compare OLD.jsonl`).
    pub earlier: Option<Earlier>,
}

/// An earlier session: where it was read from and the findings it held at its end.
#[derive(Debug, Clone, Default)]
pub struct Earlier {
    pub label: String,
    pub findings: Vec<Finding>,
}

impl Session {
    /// A new session writing to `journal`.
    pub fn new(journal: Journal) -> Session {
        Session {
            started: Utc::now(),
            target: None,
            observed_error: None,
            queued_recipient: None,
            identity: Identity::default(),
            mx: Vec::new(),
            findings: Vec::new(),
            journal,
            earlier: None,
        }
    }

    /// Replaces the findings whose id starts with one of `families` (e.g. `["mx.", "dns."]`) by
    /// `findings`, so re-running a step does not pile up duplicates. Does not journal: the engine
    /// that produced the findings has done so.
    pub fn replace_findings(&mut self, families: &[&str], findings: Vec<Finding>) {
        self.findings.retain(|f| !families.iter().any(|family| f.id.starts_with(family)));
        self.findings.extend(findings);
    }

    /// Replaces the findings of `step`'s families with `findings` (a step's new run). What no
    /// run of a step produces (a bounce read from a file) stays: re-running would lose it.
    pub fn replace_step_findings(&mut self, step: StepId, findings: Vec<Finding>) {
        self.findings.retain(|f| FROM_OUTSIDE.contains(&f.family()) || StepId::of_finding(&f.id) != Some(step));
        self.findings.extend(findings);
    }

    /// Adds one finding (a note, or a finding already journaled).
    pub fn push_finding(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    /// The worst severity among the findings, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steps_rerun_keeps_the_bounce_the_user_gave() {
        let mut session = Session::new(Journal::in_memory());
        let bounce = Finding::new(
            "bounce.refused",
            &[
                ("address", "alice@bank.example"),
                ("host", "mx1.bank.example"),
                ("reply", "550 5.1.1 no such user"),
                ("reason", "the address does not exist"),
                ("domain", "bank.example"),
            ],
        );
        let stuck = Finding::new("queue.stuck_domain", &[("count", "1"), ("domain", "bank.example")]);
        session.push_finding(bounce.clone());
        session.push_finding(stuck);
        session.replace_step_findings(StepId::Queue, Vec::new());
        let ids: Vec<&str> = session.findings.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["bounce.refused"], "the queue's own finding is replaced, the bounce stays");
    }
}
