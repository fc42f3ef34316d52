//! MTA-STS (RFC 8461) of the receiving domain: the `_mta-sts` TXT record, the policy fetched
//! from `https://mta-sts.DOMAIN/.well-known/mta-sts.txt`, its mode and `max_age`, and its `mx`
//! patterns against the domain's MX hosts.

use std::path::Path;
use std::time::Duration;

use mail_auth::common::parse::TxtRecordParser;
use mail_auth::mta_sts::MtaSts;
use serde::Serialize;

use super::https;
use crate::context::Context;
use crate::dns::{DnsOutcome, Resolver};
use crate::session::escape::escape_str;
use crate::session::{Finding, Severity};

/// The longest `max_age` RFC 8461 allows (one year), in seconds.
pub const MAX_AGE_LIMIT: u64 = 31_557_600;
/// Longest policy read: the cap of the HTTPS fetch. Every `mx` line within it is kept.
pub const MAX_POLICY_BYTES: usize = super::https::MAX_RESPONSE_BYTES;

/// A policy's mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Enforce,
    Testing,
    None,
}

impl Mode {
    /// The word the policy uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Testing => "testing",
            Mode::None => "none",
        }
    }
}

/// A parsed policy file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    pub mode: Mode,
    pub mx: Vec<String>,
    pub max_age: u64,
}

/// Parses a policy file (`version: STSv1`, `mode`, `mx`, `max_age`), or says what is wrong.
/// A policy is at most [`MAX_POLICY_BYTES`], and every `mx` line in it counts.
pub fn parse_policy(text: &str) -> Result<Policy, String> {
    if text.len() > MAX_POLICY_BYTES {
        return Err(format!("it is longer than {} KiB", MAX_POLICY_BYTES / 1024));
    }
    let mut version = None;
    let mut mode = None;
    let mut mx = Vec::new();
    let mut max_age = None;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let Some((key, value)) = line.split_once(':') else {
            return Err(format!("the line \"{}\" is not key: value", escape_str(line)));
        };
        let value = value.trim();
        match key.trim() {
            "version" => version = Some(value.to_string()),
            "mode" => {
                mode = Some(match value {
                    "enforce" => Mode::Enforce,
                    "testing" => Mode::Testing,
                    "none" => Mode::None,
                    other => return Err(format!("mode \"{}\" is not enforce, testing or none", escape_str(other))),
                });
            }
            "mx" => mx.push(value.to_ascii_lowercase()),
            "max_age" => {
                max_age = Some(value.parse::<u64>().ok().filter(|age| *age <= MAX_AGE_LIMIT).ok_or_else(|| {
                    format!("max_age \"{}\" is not a number of seconds up to one year", escape_str(value))
                })?);
            }
            _ => {}
        }
    }
    if version.as_deref() != Some("STSv1") {
        return Err("it does not say version: STSv1".into());
    }
    let mode = mode.ok_or("it has no mode")?;
    let max_age = max_age.ok_or("it has no max_age")?;
    if mx.is_empty() && mode != Mode::None {
        return Err("it has no mx line".into());
    }
    Ok(Policy { mode, mx, max_age })
}

/// True when MX host `host` matches policy pattern `pattern` (`*.example.net` stands for
/// exactly one leftmost label).
pub fn mx_matches(pattern: &str, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(parent) => host.split_once('.').is_some_and(|(label, rest)| !label.is_empty() && rest == parent),
        None => host == pattern,
    }
}

/// What the MTA-STS check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum MtaStsStatus {
    /// No `_mta-sts` record: senders deliver without MTA-STS.
    None,
    /// The TXT lookup failed: whether the domain has a policy is not known.
    Unknown {
        reason: String,
    },
    InvalidRecord {
        reason: String,
    },
    FetchFailed {
        reason: String,
    },
    InvalidPolicy {
        reason: String,
    },
    Policy {
        id: String,
        policy: Policy,
        unmatched: Vec<String>,
    },
}

/// The MTA-STS report of one receiving domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MtaStsReport {
    pub domain: String,
    pub record: Option<String>,
    pub policy_url: String,
    /// The MX hosts the patterns were compared with.
    pub mx: Vec<String>,
    #[serde(flatten)]
    pub status: MtaStsStatus,
}

/// Checks the MTA-STS of `domain` against its MX hosts `mx`.
pub async fn check(
    ctx: &Context,
    resolver: &Resolver,
    domain: &str,
    mx: &[String],
    ca_file: Option<&Path>,
    deadline: Duration,
) -> MtaStsReport {
    for_mx(fetch(ctx, resolver, domain, ca_file, deadline).await, mx)
}

/// `report` judged for the MX hosts `mx`: those its policy's patterns do not match.
pub fn for_mx(mut report: MtaStsReport, mx: &[String]) -> MtaStsReport {
    if let MtaStsStatus::Policy { policy, unmatched, .. } = &mut report.status {
        *unmatched = mx.iter().filter(|host| !policy.mx.iter().any(|p| mx_matches(p, host))).cloned().collect();
    }
    report.mx = mx.to_vec();
    report
}

/// The record and policy `domain` publishes, not yet judged for its MX hosts (see [`for_mx`]):
/// what needs no MX lookup is asked beside it.
pub async fn fetch(
    ctx: &Context,
    resolver: &Resolver,
    domain: &str,
    ca_file: Option<&Path>,
    deadline: Duration,
) -> MtaStsReport {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let host = format!("mta-sts.{domain}");
    let mut report = MtaStsReport {
        domain: domain.clone(),
        record: None,
        policy_url: format!("https://{host}/.well-known/mta-sts.txt"),
        mx: Vec::new(),
        status: MtaStsStatus::None,
    };
    let name = format!("_mta-sts.{domain}");
    let reply = match resolver.lookup_txt(&name).await {
        Ok(reply) => reply,
        Err(bad) => {
            report.status = MtaStsStatus::Unknown { reason: bad.to_string() };
            return report;
        }
    };
    match &reply.outcome {
        DnsOutcome::Records(_) | DnsOutcome::NoData | DnsOutcome::NxDomain => {}
        other => {
            report.status =
                MtaStsStatus::Unknown { reason: format!("the TXT lookup of {name} failed ({})", other.label()) };
            return report;
        }
    }
    let records: Vec<String> =
        reply.txt_strings().into_iter().filter(|t| t.to_ascii_lowercase().starts_with("v=stsv1")).collect();
    report.record = records.first().cloned();
    let id = match records.as_slice() {
        [] => return report,
        [one] => {
            if let Ok(record) = MtaSts::parse(one.as_bytes()) {
                record.id
            } else {
                report.status = MtaStsStatus::InvalidRecord {
                    reason: "it needs v=STSv1 and an id= of 1 to 32 letters and digits".into(),
                };
                return report;
            }
        }
        many => {
            report.status =
                MtaStsStatus::InvalidRecord { reason: format!("{name} has {} records; one is allowed", many.len()) };
            return report;
        }
    };
    let response = match https::get(ctx, resolver, &host, 443, "/.well-known/mta-sts.txt", ca_file, deadline).await {
        Ok(response) => response,
        Err(reason) => {
            report.status = MtaStsStatus::FetchFailed { reason };
            return report;
        }
    };
    if !response.content_type.as_deref().is_some_and(|t| t.to_ascii_lowercase().starts_with("text/plain")) {
        let reason = format!(
            "the policy is served as {}, not text/plain",
            escape_str(response.content_type.as_deref().unwrap_or("no content type"))
        );
        report.status = MtaStsStatus::InvalidPolicy { reason };
        return report;
    }
    report.status = match parse_policy(&response.body) {
        Ok(policy) => MtaStsStatus::Policy { id, policy, unmatched: Vec::new() },
        Err(reason) => MtaStsStatus::InvalidPolicy { reason },
    };
    report
}

/// The findings of a report.
pub fn mta_sts_findings(report: &MtaStsReport) -> Vec<Finding> {
    let domain = escape_str(&report.domain);
    let url = escape_str(&report.policy_url);
    let evidence: Vec<String> =
        report.record.iter().map(|r| format!("TXT _mta-sts.{domain}: \"{}\"", escape_str(r))).collect();
    let with = |id: &str, extra: &[(&str, &str)]| {
        let mut args = vec![("domain", domain.as_str()), ("url", url.as_str())];
        args.extend_from_slice(extra);
        Finding::new(id, &args).with_evidence(evidence.clone())
    };
    match &report.status {
        MtaStsStatus::None => vec![with("mta_sts.none", &[])],
        MtaStsStatus::Unknown { reason } => vec![with("mta_sts.unknown", &[("reason", &escape_str(reason))])],
        MtaStsStatus::InvalidRecord { reason } => {
            vec![with("mta_sts.invalid", &[("what", "record"), ("reason", &escape_str(reason))])]
        }
        MtaStsStatus::InvalidPolicy { reason } => {
            vec![with("mta_sts.invalid", &[("what", "policy"), ("reason", &escape_str(reason))])]
        }
        MtaStsStatus::FetchFailed { reason } => vec![with("mta_sts.fetch_failed", &[("reason", &escape_str(reason))])],
        MtaStsStatus::Policy { policy, unmatched, .. } => {
            let mode = policy.mode.as_str();
            let max_age = policy.max_age.to_string();
            let patterns = escape_str(&policy.mx.join(", "));
            let mut findings: Vec<Finding> = unmatched
                .iter()
                .map(|host| {
                    let finding = with(
                        "mta_sts.mx_mismatch",
                        &[("exchange", &escape_str(host)), ("mode", mode), ("patterns", &patterns)],
                    );
                    match policy.mode {
                        Mode::Enforce => finding,
                        Mode::Testing => finding.with_severity(Severity::Warn),
                        Mode::None => finding.with_severity(Severity::Info),
                    }
                })
                .collect();
            if findings.is_empty() {
                findings.push(with("mta_sts.ok", &[("mode", mode), ("max_age", &max_age), ("patterns", &patterns)]));
            }
            findings
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn policies_are_parsed() {
        let policy = parse_policy(
            "version: STSv1\r\nmode: enforce\r\nmx: mx1.bank.example\r\nmx: *.mail.bank.example\r\nmax_age: 86400\r\n",
        )
        .unwrap();
        assert_eq!(policy.mode, Mode::Enforce);
        assert_eq!(policy.mx, ["mx1.bank.example", "*.mail.bank.example"]);
        assert!(parse_policy("version: STSv1\nmode: strict\nmx: a\nmax_age: 1\n").unwrap_err().contains("strict"));
        assert!(parse_policy("mode: enforce\nmx: a\nmax_age: 1\n").unwrap_err().contains("STSv1"));
        assert!(parse_policy("version: STSv1\nmode: enforce\nmx: a\nmax_age: 99999999999\n").is_err());
    }

    #[test]
    fn wildcards_stand_for_one_label() {
        assert!(mx_matches("*.bank.example", "mx1.bank.example"));
        assert!(!mx_matches("*.bank.example", "a.mx1.bank.example"));
        assert!(!mx_matches("*.bank.example", "bank.example"));
        assert!(mx_matches("MX1.bank.example", "mx1.bank.example."));
    }

    proptest! {
        #[test]
        fn any_policy_text_parses_without_panic(text in any::<String>()) {
            if let Ok(policy) = parse_policy(&text) {
                prop_assert!(policy.mx.iter().map(String::len).sum::<usize>() <= text.len());
                prop_assert!(policy.max_age <= MAX_AGE_LIMIT);
            }
        }
    }
}
