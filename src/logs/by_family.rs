//! The logs split by the address family our MTA used: a dual-stack MTA takes IPv6 when both
//! ends have it, so the same receiver may refuse every IPv6 attempt and accept every IPv4 one.
//! Outcomes whose peer address the log names are tallied per family (bounded state), and
//! `log.family_differs` says when the two paths end differently.

use std::collections::HashMap;

use serde::Serialize;

use super::peer;
use super::record::{Direction, LogRecord, Status};
use crate::config::Family;
use crate::session::Finding;
use crate::session::escape::escape_str;
use crate::smtp::classify::{Classification, Classifier, ReasonClass};

/// Distinct failure replies tracked per family before new ones are ignored.
const MAX_KEYS: usize = 1_000;

/// The most frequent failure over one family.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FamilyFailure {
    /// The latest full reply of this kind.
    pub reply: String,
    pub count: u64,
    /// The latest log line with it.
    pub line: String,
    pub reason: Classification,
}

/// What the log says of one family's path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FamilyCount {
    pub family: Family,
    /// Outcomes logged with a peer address of this family: deliveries, deferrals, bounces and
    /// connection errors (a retry not tried again is not counted).
    pub outcomes: u64,
    pub delivered: u64,
    pub failed: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_failure: Option<FamilyFailure>,
}

impl FamilyCount {
    /// No delivery over this path, and at least one failure.
    pub fn fails(&self) -> bool {
        self.delivered == 0 && self.failed > 0
    }

    /// `12 of 12 failed: 550-5.7.1 …` or `delivered 3 of 3`, for a summary line.
    pub fn verdict(&self) -> String {
        match &self.top_failure {
            Some(top) if self.fails() => format!(
                "{} of {} failed: {}",
                self.failed,
                self.outcomes,
                escape_str(&super::summary::shorten(&top.reply, 160))
            ),
            _ if self.failed == 0 => format!("delivered {} of {}", self.delivered, self.outcomes),
            _ => format!("{} delivered, {} failed of {}", self.delivered, self.failed, self.outcomes),
        }
    }
}

#[derive(Debug, Default)]
struct Failure {
    reply: String,
    line: String,
    count: u64,
    order: u64,
}

#[derive(Debug, Default)]
struct Tally {
    outcomes: u64,
    delivered: u64,
    failed: u64,
    failures: HashMap<String, Failure>,
}

/// Outcomes per family, as records come.
#[derive(Debug, Default)]
pub struct FamilyTally {
    tallies: [Tally; 2],
    seen: u64,
}

/// The family of the peer an outcome of our MTA names, when it names one: outbound outcomes
/// (delivered, deferred, bounced, expired, a connection error), not a retry that was not tried.
pub fn outcome_family(record: &LogRecord) -> Option<Family> {
    let status = record.status?;
    if record.not_attempted
        || record.direction == Some(Direction::Inbound)
        || matches!(status, Status::Received | Status::Rejected)
    {
        return None;
    }
    record.remote_ip.as_deref().and_then(peer::family_of)
}

fn slot(family: Family) -> usize {
    usize::from(family == Family::V6)
}

impl FamilyTally {
    /// Counts `record` when it is an outcome over a known family; failure replies that differ
    /// only in numbers count as one.
    pub fn add(&mut self, record: &LogRecord) {
        let Some(family) = outcome_family(record) else { return };
        self.seen += 1;
        let tally = &mut self.tallies[slot(family)];
        tally.outcomes += 1;
        if record.status == Some(Status::Sent) {
            tally.delivered += 1;
            return;
        }
        tally.failed += 1;
        let shape = super::summary::reply_shape(record.reply.as_deref().unwrap_or(""));
        if tally.failures.len() >= MAX_KEYS && !tally.failures.contains_key(&shape) {
            return;
        }
        let failure = tally.failures.entry(shape).or_default();
        failure.reply = record.reply.clone().unwrap_or_default();
        failure.line.clone_from(&record.raw);
        failure.count += 1;
        failure.order = self.seen;
    }

    /// The families seen, IPv4 first.
    pub fn finish(self) -> Vec<FamilyCount> {
        [Family::V4, Family::V6]
            .into_iter()
            .zip(self.tallies)
            .filter(|(_, tally)| tally.outcomes > 0)
            .map(|(family, tally)| {
                let top = tally.failures.into_values().max_by_key(|f| (f.count, f.order)).map(|f| FamilyFailure {
                    reason: Classifier::bundled().classify_text(&f.reply),
                    reply: f.reply,
                    count: f.count,
                    line: f.line,
                });
                FamilyCount {
                    family,
                    outcomes: tally.outcomes,
                    delivered: tally.delivered,
                    failed: tally.failed,
                    top_failure: top,
                }
            })
            .collect()
    }
}

/// `log.family_differs` when both families were tried for `domain` and their paths ended
/// differently: one never delivered while the other did, or both failed for different reasons.
pub fn differs(domain: &str, families: &[FamilyCount]) -> Option<Finding> {
    let [v4, v6] = families else { return None };
    let class = |f: &FamilyCount| f.top_failure.as_ref().map(|t| t.reason.class);
    let failing = match (v4.fails(), v6.fails()) {
        (true, false) => Family::V4.label(),
        (false, true) => Family::V6.label(),
        (true, true) if class(v4) != class(v6) => "both",
        _ => return None,
    };
    let failed: Vec<&FamilyCount> =
        [v4, v6].into_iter().filter(|f| f.fails() && (failing == "both" || f.family.label() == failing)).collect();
    let mut args = vec![
        ("domain", escape_str(domain)),
        ("v4", v4.verdict()),
        ("v6", v6.verdict()),
        ("failing", failing.to_string()),
    ];
    if failing != "both" {
        args.push(("family", failing.to_string()));
    }
    let borrowed: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut finding = Finding::new("log.family_differs", &borrowed);
    let tops: Vec<(Family, &FamilyFailure)> =
        failed.iter().filter_map(|f| f.top_failure.as_ref().map(|t| (f.family, t))).collect();
    finding = finding.with_evidence(tops.iter().map(|(_, top)| escape_str(&top.line)));
    let reasons: Vec<String> = tops
        .iter()
        .filter(|(_, top)| top.reason.class != ReasonClass::Unknown)
        .map(|(family, top)| format!("over {}: {}", family.label(), top.reason.describe()))
        .collect();
    if !reasons.is_empty() {
        finding = finding.with_detail(format!("The refusal, {}.", reasons.join("; ")));
    }
    // One failing path: its reply's class and stage travel with the finding, for the rules.
    if let [(_, top)] = tops.as_slice() {
        finding = finding.with_args(top.reason.args());
    }
    Some(finding)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(status: Status, ip: &str, reply: &str) -> LogRecord {
        let mut r = LogRecord {
            status: Some(status),
            direction: Some(Direction::Outbound),
            remote_ip: Some(ip.into()),
            raw: format!("line {ip} {reply}"),
            ..LogRecord::default()
        };
        r.set_reply(reply);
        r
    }

    #[test]
    fn refused_over_ipv6_and_delivered_over_ipv4_differ() {
        let mut tally = FamilyTally::default();
        // Gmail's IPv6 text as Postfix logged it (NANOG list, 2014-01-15, msg64339).
        let gmail = "host gmail-smtp-in.l.google.com[2607:f8b0:4002:c01::1a] said: 550-5.7.1 [2607:fc50:1000:1f00::2      16] Our system has detected that this 550-5.7.1 message does not meet IPv6 sending guidelines regarding PTR records and authentication (in reply to end of DATA command)";
        for _ in 0..3 {
            tally.add(&record(Status::Bounced, "2607:f8b0:4002:c01::1a", gmail));
        }
        tally.add(&record(Status::Sent, "64.233.188.26", "250 2.0.0 OK"));
        let mut inbound = record(Status::Rejected, "2001:db8::9", "554 no");
        inbound.direction = Some(Direction::Inbound);
        tally.add(&inbound);
        let families = tally.finish();
        assert_eq!(families.len(), 2);
        assert_eq!((families[1].outcomes, families[1].failed), (3, 3));
        let finding = differs("gmail.com", &families).expect("the paths differ");
        assert_eq!(finding.arg("family"), Some("IPv6"));
        assert!(finding.summary.contains("over IPv6 3 of 3 failed: host gmail-smtp-in"), "{}", finding.summary);
        assert!(finding.summary.contains("over IPv4 delivered 1 of 1"), "{}", finding.summary);
        assert!(finding.arg("class").is_some());
    }

    #[test]
    fn one_family_or_the_same_end_is_no_difference() {
        let mut tally = FamilyTally::default();
        tally.add(&record(Status::Deferred, "192.0.2.10", "421 4.0.0 Server error"));
        assert!(differs("bank.example", &tally.finish()).is_none());
        let mut tally = FamilyTally::default();
        tally.add(&record(Status::Sent, "192.0.2.10", "250 ok"));
        tally.add(&record(Status::Sent, "2001:db8::10", "250 ok"));
        assert!(differs("bank.example", &tally.finish()).is_none());
    }
}
