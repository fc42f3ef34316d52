//! The queue's findings: stuck domains, messages about to expire, lines that did not parse.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::family;
use super::group::{Group, Grouping, bucket_labels};
use super::parsed::Skipped;
use super::store::{Entries, RecipientRef};
use super::time::format_age;
use crate::config::Family;
use crate::session::Finding;
use crate::session::escape::escape_str;
use crate::smtp::classify::{Classification, Classifier, ReasonClass};

/// At most this many domains get a `queue.stuck_domain` finding; the rest are summed up.
const MAX_STUCK: usize = 10;

/// How long the MTA keeps trying before it bounces, and where that figure came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lifetime {
    #[serde(rename = "days", serialize_with = "as_days")]
    pub duration: Duration,
    /// `postconf maximal_queue_lifetime`, `config queue.lifetime_days` or `default`.
    pub source: String,
}

fn as_days<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.num_seconds() as f64 / 86_400.0)
}

impl Lifetime {
    /// Five days, the default of Postfix (`maximal_queue_lifetime`) and Sendmail
    /// (`Timeout.queuereturn`).
    pub fn default_lifetime() -> Lifetime {
        Lifetime { duration: Duration::days(5), source: "default".into() }
    }

    /// From the config (`queue.lifetime_days`), else the default.
    #[allow(clippy::cast_possible_truncation, reason = "days are clamped to (0, 3650]")]
    pub fn from_config(days: Option<f64>) -> Lifetime {
        match days.filter(|d| d.is_finite() && *d > 0.0).map(|d| d.min(3_650.0)) {
            Some(days) => Lifetime {
                duration: Duration::seconds((days * 86_400.0) as i64),
                source: "config queue.lifetime_days".into(),
            },
            None => Lifetime::default_lifetime(),
        }
    }

    /// The age past which a message bounces within a day.
    pub fn warn_after(&self) -> Duration {
        (self.duration - Duration::days(1)).max(Duration::zero())
    }

    /// `5d` or `36h`.
    pub fn label(&self) -> String {
        let secs = self.duration.num_seconds();
        if secs % 86_400 == 0 { format!("{}d", secs / 86_400) } else { format_age(self.duration) }
    }
}

/// All findings of a queue, in the order shown: expiring, stuck, skipped.
pub fn findings(
    entries: &Entries,
    grouping: &Grouping,
    skipped: &Skipped,
    lifetime: &Lifetime,
    now: DateTime<Utc>,
) -> Vec<Finding> {
    let mut out = expired_soon(entries, lifetime, now);
    out.extend(stuck_domains(entries, grouping));
    if skipped.count > 0 {
        let evidence = skipped.samples.iter().map(|(n, text)| format!("line {n}: {text}"));
        out.push(Finding::new("queue.parse_skipped", &[("count", &skipped.count.to_string())]).with_evidence(evidence));
    }
    out
}

fn stuck_domains(entries: &Entries, grouping: &Grouping) -> Vec<Finding> {
    let stuck: Vec<_> = grouping.by_domain.iter().filter(|g| g.delayed > 0).collect();
    let mut out = Vec::new();
    let labels = bucket_labels();
    for group in stuck.iter().take(MAX_STUCK) {
        let domain = if group.key.is_empty() { "(no domain)".to_string() } else { escape_str(&group.key) };
        let domain = domain.as_str();
        let age = group.oldest_secs.map_or_else(|| "an unknown time".to_string(), |s| format_age(Duration::seconds(s)));
        // The summary quotes the MTA's own words; the masked forms that group are evidence.
        let reason = group.example.as_deref().map(escape_str).unwrap_or_else(|| "no reason given".into());
        let reason = reason.as_str();
        let mut evidence: Vec<String> = group
            .top
            .iter()
            .map(|s| {
                let key = if s.key.is_empty() { "(no reason given)".into() } else { escape_str(&s.key) };
                format!("{} message(s): {key}", s.messages)
            })
            .collect();
        let ages: Vec<String> =
            labels.iter().zip(group.ages).filter(|(_, n)| *n > 0).map(|(l, n)| format!("{l}: {n}")).collect();
        if !ages.is_empty() {
            evidence.push(format!("age in minutes (qshape buckets) {}", ages.join(", ")));
        }
        let class = group.example.as_deref().map(|e| Classifier::bundled().classify_text(e));
        let mut finding = Finding::new(
            "queue.stuck_domain",
            &[("count", &group.delayed.to_string()), ("domain", domain), ("age", &age), ("reason", reason)],
        )
        .with_evidence(evidence)
        .with_args(class.iter().flat_map(Classification::args));
        if let Some(class) = class.filter(|c| c.class != ReasonClass::Unknown) {
            finding = finding.with_detail(format!("Reason: {}.", class.describe()));
        }
        out.push(by_family(finding, entries, group));
    }
    if stuck.len() > MAX_STUCK {
        let rest: u64 = stuck[MAX_STUCK..].iter().map(|g| g.delayed).sum();
        if let Some(last) = out.last_mut() {
            let more = format!("{} more domain(s) hold {rest} delayed message(s).", stuck.len() - MAX_STUCK);
            last.detail = if last.detail.is_empty() { more } else { format!("{} {more}", last.detail) };
        }
    }
    out
}

/// The path the domain's reasons name: with one family, the finding carries it (`family`), so
/// the rules know which path the MTA was refused on; with both, its evidence and detail split the
/// messages by family.
fn by_family(finding: Finding, entries: &Entries, group: &Group) -> Finding {
    let shares = family::split(entries, group);
    if let Some(only) = family::only(&shares) {
        return finding.with_args([("family", only.label().to_string())]);
    }
    if shares.iter().any(|s| s.messages == 0) {
        return finding;
    }
    let lines: Vec<String> = [Family::V4, Family::V6]
        .iter()
        .zip(&shares)
        .map(|(family, share)| {
            let example = share.example.as_deref().map(escape_str).unwrap_or_default();
            format!("over {}: {} message(s), e.g. {example}", family.label(), share.messages)
        })
        .collect();
    let split = format!(
        "By the address our MTA last tried: {} message(s) over IPv4, {} over IPv6.",
        shares[0].messages, shares[1].messages
    );
    let detail = if finding.detail.is_empty() { split } else { format!("{} {split}", finding.detail) };
    finding.with_detail(detail).with_evidence(lines)
}

fn expired_soon(entries: &Entries, lifetime: &Lifetime, now: DateTime<Utc>) -> Vec<Finding> {
    let limit = lifetime.warn_after();
    // domain → (messages, oldest age)
    let mut by_domain: HashMap<&str, (u64, Duration)> = HashMap::new();
    for entry in entries.iter() {
        let Some(age) = entry.age(now) else { continue };
        if age < limit {
            continue;
        }
        let mut domains: Vec<&str> = entry.pending().map(RecipientRef::domain).collect();
        domains.sort_unstable();
        domains.dedup();
        for domain in domains {
            let slot = by_domain.entry(domain).or_insert((0, Duration::zero()));
            slot.0 += entry.messages();
            slot.1 = slot.1.max(age);
        }
    }
    let mut list: Vec<_> = by_domain.into_iter().collect();
    list.sort_by(|a, b| b.1.0.cmp(&a.1.0).then_with(|| a.0.cmp(b.0)));
    list.into_iter()
        .map(|(domain, (count, oldest))| {
            let domain = if domain.is_empty() { "(no domain)" } else { domain };
            Finding::new(
                "queue.expired_soon",
                &[
                    ("count", &count.to_string()),
                    ("domain", domain),
                    ("age", &format_age(oldest)),
                    ("lifetime", &lifetime.label()),
                ],
            )
            .with_evidence([format!("queue lifetime {} ({})", lifetime.label(), lifetime.source)])
        })
        .collect()
}
