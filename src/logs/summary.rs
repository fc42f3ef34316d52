//! The summary for the target: statuses, reply codes, first and last seen, a per-hour histogram,
//! the latest attempts with their full reply, and the findings `log.deferrals` / `log.reply_code`.
//! Everything kept is bounded, whatever the size of the logs.

use std::collections::{BTreeMap, HashMap, VecDeque};

use chrono::{NaiveDateTime, Timelike};
use serde::Serialize;

use super::by_family::{self, FamilyCount, FamilyTally};
use super::record::{LogRecord, LogTime, Status};
use super::scan::FileReport;
use crate::config::Family;
use crate::session::Finding;
use crate::session::escape::escape_str;
use crate::smtp::classify::{Classification, Classifier, ReplyStage};
use crate::smtp::explain::Explainer;
use crate::smtp::reply::Reply;

/// How many latest attempts are kept.
pub const LATEST: usize = 20;
/// How many distinct failure replies, codes and domains are tracked before new ones are ignored.
const MAX_KEYS: usize = 10_000;
/// How many rows the lists of the summary show.
const TOP: usize = 10;

/// A status and how often it was seen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusCount {
    pub status: Status,
    pub count: u64,
}

/// A reply code (with its enhanced code) and how often it was seen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CodeCount {
    /// `421 4.7.0`, `4.4.1` when only the DSN is known.
    pub code: String,
    pub count: u64,
    /// True when the code means failure (4xx/5xx).
    pub failure: bool,
}

/// One failure reply (texts differing only in numbers count as one), with a recent example.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailureReply {
    pub status: Status,
    pub code: String,
    /// The latest full reply text of this kind.
    pub reply: String,
    pub count: u64,
    /// The latest log line with this reply.
    pub line: String,
    /// Why the receiver refused, read from the reply and its stage.
    pub reason: Classification,
    /// The address family of every peer this reply came from, when the log names them and
    /// they are of one family.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<Family>,
}

/// Events in one hour of the log's clock.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HourCount {
    /// `2024-04-21T08:00`.
    pub hour: String,
    pub total: u64,
    pub failed: u64,
}

/// One of the latest attempts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attempt {
    pub file: String,
    #[serde(flatten)]
    pub record: LogRecord,
}

/// Records per recipient domain, when no domain was given.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DomainCount {
    pub domain: String,
    pub records: u64,
    pub failed: u64,
}

/// What the logs say about the target.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LogSummary {
    /// The domain the records were filtered to, if any.
    pub domain: Option<String>,
    pub files: Vec<FileReport>,
    /// Records that concern the target.
    pub records: u64,
    /// Delivery outcomes where the peer was tried (sent, deferred, bounced, expired, rejected).
    pub attempts: u64,
    /// Outcomes logged without trying the peer ("retry time not reached").
    pub not_attempted: u64,
    pub statuses: Vec<StatusCount>,
    pub codes: Vec<CodeCount>,
    /// Failure replies, most frequent first.
    pub failures: Vec<FailureReply>,
    pub first_seen: Option<LogTime>,
    pub last_seen: Option<LogTime>,
    pub hours: Vec<HourCount>,
    /// The latest attempts, oldest first.
    pub latest: Vec<Attempt>,
    /// Without a domain: the recipient domains with the most failures.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<DomainCount>,
    /// Outcomes per address family of the peer, where the log names the address (IPv4 first).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub families: Vec<FamilyCount>,
}

impl LogSummary {
    /// How often `status` was seen.
    pub fn count(&self, status: Status) -> u64 {
        self.statuses.iter().find(|s| s.status == status).map_or(0, |s| s.count)
    }

    /// Lines skipped over all files.
    pub fn skipped(&self) -> u64 {
        self.files.iter().map(|f| f.skipped).sum()
    }

    /// The most frequent failure reply, if any.
    pub fn top_failure(&self) -> Option<&FailureReply> {
        self.failures.first()
    }

    /// `log.deferrals` and `log.reply_code` for the target domain (none without a domain).
    pub fn findings(&self, deferral_lines: &[String]) -> Vec<Finding> {
        let Some(domain) = &self.domain else { return Vec::new() };
        let mut findings = Vec::new();
        let span = match (self.first_seen, self.last_seen) {
            (Some(first), Some(last)) => format!(" ({first} to {last})"),
            _ => String::new(),
        };
        let attempts = (self.attempts + self.not_attempted).to_string();
        let counted = |id: &str, count: u64| {
            Finding::new(
                id,
                &[("count", &count.to_string()), ("attempts", &attempts), ("domain", domain), ("span", &span)],
            )
        };
        let deferred = self.count(Status::Deferred);
        if deferred > 0 {
            findings
                .push(counted("log.deferrals", deferred).with_evidence(deferral_lines.iter().map(|l| escape_str(l))));
        }
        let bounced = self.count(Status::Bounced) + self.count(Status::Expired);
        if bounced > 0 {
            findings.push(counted("log.bounced", bounced));
        }
        if deferred + bounced > 0 && self.count(Status::Sent) == 0 {
            findings.push(counted("log.undelivered", 0));
        }
        if let Some(top) = self.top_failure() {
            let (meaning, detail) = explain(&top.reply);
            let words = super::reply::server_words(&top.reply).unwrap_or(&top.reply);
            let reply = escape_str(&shorten(words, 200));
            let label = if top.code.is_empty() || words.starts_with(top.code.get(..3).unwrap_or("")) {
                reply
            } else {
                format!("{} {}", top.code, reply)
            };
            let finding = Finding::new(
                "log.reply_code",
                &[("domain", domain), ("reply", &label), ("count", &top.count.to_string()), ("meaning", &meaning)],
            )
            .with_detail(detail)
            .with_args(top.reason.args())
            .with_args(top.family.map(|f| ("family", f.label().to_string())))
            .with_evidence([escape_str(&top.line)]);
            findings.push(finding);
        }
        findings.extend(by_family::differs(domain, &self.families));
        findings
    }
}

/// What a failure reply means, from the SMTP reply explainer when it knows the reply, else the
/// receiver's own words, or our MTA's when the receiver gave no reply; and the explainer's lines as detail.
fn explain(reply: &str) -> (String, String) {
    let Some(words) = super::reply::server_words(reply) else {
        return (format!("Our MTA's own words (the receiver gave no reply): {}", escape_str(reply)), String::new());
    };
    let explanation = Explainer::global()
        .explain(&Reply::parse(words), ReplyStage::from_mta_text(reply).unwrap_or(ReplyStage::Unknown));
    let known = explanation.code.as_ref().is_some_and(|c| !c.general)
        || explanation.enhanced.as_ref().is_some_and(|e| !e.general)
        || !explanation.providers.is_empty();
    if !known {
        return (format!("The receiver's own words: {}", escape_str(reply)), String::new());
    }
    let mut meaning = explanation.summary();
    if let Some(fix) = explanation.fix() {
        meaning = format!("{meaning} Fix: {fix}");
    }
    let lines: Vec<String> = explanation.lines().iter().map(|l| escape_str(l)).collect();
    (escape_str(&meaning), lines.join("\n"))
}

#[derive(Debug, Default)]
struct FailureAcc {
    status: Option<Status>,
    code: String,
    reply: String,
    line: String,
    count: u64,
    last_seen: u64,
    /// Bit 0: a peer over IPv4, bit 1: over IPv6.
    families: u8,
}

/// Collects records into a [`LogSummary`], keeping bounded state.
#[derive(Debug, Default)]
pub struct SummaryBuilder {
    domain: Option<String>,
    records: u64,
    attempts: u64,
    not_attempted: u64,
    statuses: HashMap<Status, u64>,
    codes: HashMap<String, (u64, bool)>,
    failures: HashMap<String, FailureAcc>,
    first: Option<LogTime>,
    last: Option<LogTime>,
    hours: BTreeMap<NaiveDateTime, (u64, u64)>,
    latest: VecDeque<Attempt>,
    deferrals: VecDeque<String>,
    domains: HashMap<String, (u64, u64)>,
    families: FamilyTally,
}

impl SummaryBuilder {
    /// A builder for `domain` (none: all records, with a per-domain table).
    pub fn new(domain: Option<String>) -> SummaryBuilder {
        SummaryBuilder { domain, ..SummaryBuilder::default() }
    }

    /// Adds one record of `file` that concerns the target.
    pub fn add(&mut self, file: &str, record: &LogRecord) {
        self.records += 1;
        let Some(status) = record.status else { return };
        *self.statuses.entry(status).or_default() += 1;
        let failed = status.is_failure();
        if record.not_attempted {
            self.not_attempted += 1;
        } else if !matches!(status, Status::Received | Status::Error) {
            self.attempts += 1;
        }
        let label = record.code_label();
        if !label.is_empty() && (self.codes.len() < MAX_KEYS || self.codes.contains_key(&label)) {
            let entry = self.codes.entry(label.clone()).or_insert((0, failed));
            entry.0 += 1;
        }
        if failed {
            self.add_failure(status, &label, record);
        }
        self.families.add(record);
        if let Some(time) = record.time {
            if status != Status::Received {
                self.first = Some(self.first.map_or(time, |f| f.min(time)));
                self.last = Some(self.last.map_or(time, |l| l.max(time)));
            }
            let hour = time.local.with_minute(0).and_then(|t| t.with_second(0)).and_then(|t| t.with_nanosecond(0));
            if let Some(hour) = hour {
                let entry = self.hours.entry(hour).or_default();
                entry.0 += 1;
                entry.1 += u64::from(failed);
            }
        }
        if status != Status::Received {
            if self.latest.len() == LATEST {
                self.latest.pop_front();
            }
            self.latest.push_back(Attempt { file: file.to_string(), record: record.clone() });
        }
        if status == Status::Deferred {
            if self.deferrals.len() == 5 {
                self.deferrals.pop_front();
            }
            self.deferrals.push_back(record.raw.clone());
        }
        if self.domain.is_none()
            && let Some(domain) = &record.domain
            && (self.domains.len() < MAX_KEYS || self.domains.contains_key(domain))
        {
            let entry = self.domains.entry(domain.clone()).or_default();
            entry.0 += 1;
            entry.1 += u64::from(failed);
        }
    }

    fn add_failure(&mut self, status: Status, label: &str, record: &LogRecord) {
        let reply = record.reply.as_deref().unwrap_or("");
        let key = format!("{}|{label}|{}", status.as_str(), reply_shape(reply));
        if self.failures.len() >= MAX_KEYS && !self.failures.contains_key(&key) {
            return;
        }
        let order = self.records;
        let entry = self.failures.entry(key).or_default();
        entry.status = Some(status);
        entry.code = label.to_string();
        entry.reply = reply.to_string();
        entry.line.clone_from(&record.raw);
        entry.count += 1;
        entry.last_seen = order;
        if let Some(family) = by_family::outcome_family(record) {
            entry.families |= if family == Family::V6 { 2 } else { 1 };
        }
    }

    /// The latest raw deferral lines (at most five), for evidence.
    pub fn deferral_lines(&self) -> Vec<String> {
        self.deferrals.iter().cloned().collect()
    }

    /// The summary of `files`.
    pub fn finish(self, files: Vec<FileReport>) -> LogSummary {
        let mut statuses: Vec<StatusCount> = Status::ALL
            .iter()
            .filter_map(|s| self.statuses.get(s).map(|&count| StatusCount { status: *s, count }))
            .collect();
        statuses.sort_by_key(|s| std::cmp::Reverse(s.count));
        let mut codes: Vec<CodeCount> =
            self.codes.into_iter().map(|(code, (count, failure))| CodeCount { code, count, failure }).collect();
        codes.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));
        codes.truncate(TOP);
        let mut failures: Vec<(u64, FailureReply)> = self
            .failures
            .into_values()
            .map(|f| {
                let reason = Classifier::bundled().classify_text(&f.reply);
                let family = match f.families {
                    1 => Some(Family::V4),
                    2 => Some(Family::V6),
                    _ => None,
                };
                let reply = FailureReply {
                    status: f.status.unwrap_or(Status::Error),
                    code: f.code,
                    reply: f.reply,
                    count: f.count,
                    line: f.line,
                    reason,
                    family,
                };
                (f.last_seen, reply)
            })
            .collect();
        // Most frequent first; among equals, the delivery statuses before bare errors, then the latest.
        failures.sort_by(|(seen_a, a), (seen_b, b)| {
            b.count
                .cmp(&a.count)
                .then_with(|| (a.status == Status::Error).cmp(&(b.status == Status::Error)))
                .then_with(|| seen_b.cmp(seen_a))
        });
        let failures = failures.into_iter().map(|(_, f)| f).take(TOP).collect();
        let hours = self
            .hours
            .into_iter()
            .map(|(hour, (total, failed))| HourCount { hour: hour.format("%Y-%m-%dT%H:00").to_string(), total, failed })
            .collect();
        let mut domains: Vec<DomainCount> = self
            .domains
            .into_iter()
            .map(|(domain, (records, failed))| DomainCount { domain, records, failed })
            .collect();
        domains.sort_by(|a, b| b.failed.cmp(&a.failed).then(b.records.cmp(&a.records)).then(a.domain.cmp(&b.domain)));
        domains.truncate(TOP);
        let mut latest: Vec<Attempt> = self.latest.into();
        latest.sort_by_key(|a| a.record.time);
        LogSummary {
            domain: self.domain,
            files,
            records: self.records,
            attempts: self.attempts,
            not_attempted: self.not_attempted,
            statuses,
            codes,
            failures,
            first_seen: self.first,
            last_seen: self.last,
            hours,
            latest,
            domains,
            families: self.families.finish(),
        }
    }
}

/// A reply with every word holding a digit replaced, so the same reply for other addresses, queue
/// ids or hosts counts as one.
pub(super) fn reply_shape(reply: &str) -> String {
    let mut shape = String::new();
    for word in reply.split_whitespace().take(40) {
        if !shape.is_empty() {
            shape.push(' ');
        }
        if word.bytes().any(|b| b.is_ascii_digit()) {
            shape.push('#');
        } else {
            shape.push_str(word);
        }
    }
    shape
}

/// `text` cut to `max` characters with an ellipsis.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Severity;

    fn record(status: Status, reply: &str, hour: u32) -> LogRecord {
        let mut r = LogRecord { status: Some(status), raw: format!("line {reply}"), ..LogRecord::default() };
        r.set_recipient("a@bank.example");
        r.set_reply(reply);
        r.time =
            Some(LogTime::naive(chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap().and_hms_opt(hour, 5, 0).unwrap()));
        r
    }

    #[test]
    fn counts_statuses_codes_hours_and_findings() {
        let mut builder = SummaryBuilder::new(Some("bank.example".into()));
        builder.add("f", &record(Status::Deferred, "421 4.7.0 Try again later from 192.0.2.1", 8));
        builder.add("f", &record(Status::Deferred, "421 4.7.0 Try again later from 192.0.2.2", 9));
        builder.add("f", &record(Status::Sent, "250 2.0.0 Ok", 9));
        let lines = builder.deferral_lines();
        let summary = builder.finish(Vec::new());
        assert_eq!(summary.attempts, 3);
        assert_eq!(summary.count(Status::Deferred), 2);
        assert_eq!(summary.codes[0].code, "421 4.7.0");
        assert_eq!(summary.codes[0].count, 2);
        assert_eq!(summary.failures.len(), 1);
        assert_eq!(summary.failures[0].count, 2);
        assert_eq!(summary.hours.len(), 2);
        assert_eq!((summary.hours[1].total, summary.hours[1].failed), (2, 1));
        let findings = summary.findings(&lines);
        assert_eq!(findings[0].id, "log.deferrals");
        assert_eq!(findings[0].evidence.len(), 2);
        assert_eq!(findings[1].id, "log.reply_code");
        assert!(findings[1].summary.contains("421 4.7.0 Try again later"), "{}", findings[1].summary);
    }

    #[test]
    fn attempts_none_of_which_was_delivered_are_a_failure() {
        let ids = |records: &[(Status, &str)]| {
            let mut builder = SummaryBuilder::new(Some("bank.example".into()));
            for (status, reply) in records {
                builder.add("f", &record(*status, reply, 8));
            }
            let lines = builder.deferral_lines();
            let findings = builder.finish(Vec::new()).findings(&lines);
            findings.into_iter().map(|f| (f.id, f.severity)).collect::<Vec<_>>()
        };
        let deferred = (Status::Deferred, "421 4.7.0 Try again later");
        let bounced = (Status::Bounced, "550 5.1.1 No such user");
        let sent = (Status::Sent, "250 2.0.0 Ok");
        assert_eq!(
            ids(&[deferred, deferred]),
            [
                ("log.deferrals".into(), Severity::Warn),
                ("log.undelivered".into(), Severity::Fail),
                ("log.reply_code".into(), Severity::Info)
            ]
        );
        let with_bounce = ids(&[deferred, bounced, sent]);
        assert!(with_bounce.contains(&("log.bounced".into(), Severity::Fail)), "{with_bounce:?}");
        assert!(!with_bounce.iter().any(|(id, _)| id == "log.undelivered"), "{with_bounce:?}");
        assert!(ids(&[sent, sent]).is_empty());
    }

    #[test]
    fn latest_is_bounded() {
        let mut builder = SummaryBuilder::new(None);
        for i in 0..100u32 {
            builder.add("f", &record(Status::Sent, &format!("250 ok {i}"), i % 24));
        }
        let summary = builder.finish(Vec::new());
        assert_eq!(summary.latest.len(), LATEST);
        assert_eq!(summary.domains[0].records, 100);
    }
}
