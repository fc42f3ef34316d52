//! DMARC (RFC 7489) of the From domain: the record at `_dmarc.DOMAIN` or at the organizational
//! domain (found through the Public Suffix List), its policy and report addresses, and whether
//! SPF of the envelope domain would align.

use mail_auth::common::parse::TxtRecordParser;
use mail_auth::dmarc::{Alignment, Dmarc, Policy};
use serde::Serialize;

use super::spf::SpfResult;
use super::tags;
use crate::dns::{DnsOutcome, Resolver};
use crate::session::Finding;
use crate::session::escape::escape_str;

/// What the DMARC lookup found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DmarcStatus {
    Ok,
    /// No record at the domain nor at its organizational domain.
    None,
    Invalid,
    /// A lookup failed: whether a record exists is not known.
    Unknown,
}

/// Whether SPF authenticates the From domain for DMARC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpfAlignment {
    pub envelope_domain: String,
    /// The envelope domain is the From domain (strict) or shares its organizational domain
    /// (relaxed).
    pub aligned: bool,
    pub spf_passes: bool,
}

/// The DMARC policy of one From domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DmarcReport {
    pub domain: String,
    pub org_domain: String,
    pub status: DmarcStatus,
    /// The name the record was found at (`_dmarc.example.com`).
    pub record_at: Option<String>,
    pub record: Option<String>,
    pub p: Option<String>,
    pub sp: Option<String>,
    pub pct: Option<u8>,
    pub adkim: Option<String>,
    pub aspf: Option<String>,
    pub rua: Vec<String>,
    pub ruf: Vec<String>,
    pub reason: String,
    pub spf_alignment: Option<SpfAlignment>,
}

/// The organizational domain of `domain`: one label below its public suffix.
pub fn org_domain(domain: &str) -> String {
    let lower = domain.trim_end_matches('.').to_ascii_lowercase();
    psl::domain_str(&lower).unwrap_or(&lower).to_string()
}

/// Looks up the DMARC policy of `domain`.
pub async fn check(resolver: &Resolver, domain: &str) -> DmarcReport {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let org = org_domain(&domain);
    let mut report = DmarcReport {
        domain: domain.clone(),
        org_domain: org.clone(),
        status: DmarcStatus::None,
        record_at: None,
        record: None,
        p: None,
        sp: None,
        pct: None,
        adkim: None,
        aspf: None,
        rua: Vec::new(),
        ruf: Vec::new(),
        reason: String::new(),
        spf_alignment: None,
    };
    let mut names = vec![format!("_dmarc.{domain}")];
    if org != domain {
        names.push(format!("_dmarc.{org}"));
    }
    let mut found = None;
    for name in &names {
        let reply = match resolver.lookup_txt(name).await {
            Ok(reply) => reply,
            Err(bad) => {
                report.status = DmarcStatus::Invalid;
                report.reason = bad.to_string();
                return report;
            }
        };
        if !matches!(reply.outcome, DnsOutcome::Records(_) | DnsOutcome::NoData | DnsOutcome::NxDomain) {
            report.status = DmarcStatus::Unknown;
            report.reason = format!("the TXT lookup of {name} failed ({})", reply.outcome.label());
            return report;
        }
        let records: Vec<String> = reply.txt_strings().into_iter().filter(|t| is_dmarc(t)).collect();
        if !records.is_empty() {
            found = Some((name.clone(), records));
            break;
        }
    }
    let Some((at, records)) = found else {
        report.reason = format!("no TXT record starting v=DMARC1 at {}", names.join(" nor "));
        return report;
    };
    report.record_at = Some(at.clone());
    report.record = records.first().cloned();
    if records.len() > 1 {
        report.status = DmarcStatus::Invalid;
        report.reason = format!("{at} has {} DMARC records; receivers apply none of them", records.len());
        return report;
    }
    let text = &records[0];
    match validate(text) {
        Err(reason) => {
            report.status = DmarcStatus::Invalid;
            report.reason = reason;
        }
        Ok(record) => {
            let tags = tags::parse(text);
            report.status = DmarcStatus::Ok;
            report.p = Some(policy(record.p).to_string());
            report.sp = Some(policy(record.sp).to_string());
            report.pct = Some(tags::get(&tags, "pct").and_then(|v| v.parse().ok()).unwrap_or(100));
            report.adkim = Some(alignment(record.adkim).to_string());
            report.aspf = Some(alignment(record.aspf).to_string());
            report.rua = record.rua.iter().map(|u| u.uri().to_string()).collect();
            report.ruf = record.ruf.iter().map(|u| u.uri().to_string()).collect();
            report.reason = format!("record at {at}");
        }
    }
    report
}

/// Judges whether SPF of `envelope` (with result `spf`) authenticates the From domain: the
/// domains must be equal (`aspf=s`) or share the organizational domain (relaxed).
pub fn judge_alignment(report: &mut DmarcReport, envelope: &str, spf: SpfResult) {
    let envelope = envelope.trim_end_matches('.').to_ascii_lowercase();
    let strict = report.aspf.as_deref() == Some("s");
    let aligned = if strict { envelope == report.domain } else { org_domain(&envelope) == report.org_domain };
    report.spf_alignment =
        Some(SpfAlignment { envelope_domain: envelope, aligned, spf_passes: spf == SpfResult::Pass });
}

/// True for a TXT string that is a DMARC record (`v=DMARC1` first).
pub fn is_dmarc(text: &str) -> bool {
    tags::parse(text).first().is_some_and(|(name, value)| name == "v" && value.eq_ignore_ascii_case("DMARC1"))
}

/// Parses `text`, or says in one sentence what is wrong with it.
pub fn validate(text: &str) -> Result<Dmarc, String> {
    let tags = tags::parse(text);
    match tags::get(&tags, "p") {
        None => return Err("it has no p= tag (the policy is required)".into()),
        Some(p) if !["none", "quarantine", "reject"].iter().any(|k| p.eq_ignore_ascii_case(k)) => {
            return Err(format!("p={} is not none, quarantine or reject", escape_str(p)));
        }
        Some(_) => {}
    }
    if let Some(pct) = tags::get(&tags, "pct")
        && !pct.parse::<u8>().is_ok_and(|n| n <= 100)
    {
        return Err(format!("pct={} is not a number from 0 to 100", escape_str(pct)));
    }
    if let Some((_, part)) = tags.iter().find(|(name, _)| name.is_empty()) {
        return Err(format!("\"{}\" is not a tag=value pair", escape_str(part)));
    }
    Dmarc::parse(text.as_bytes()).map_err(|err| format!("it cannot be read ({err})"))
}

fn policy(policy: Policy) -> &'static str {
    match policy {
        Policy::None | Policy::Unspecified => "none",
        Policy::Quarantine => "quarantine",
        Policy::Reject => "reject",
    }
}

fn alignment(alignment: Alignment) -> &'static str {
    match alignment {
        Alignment::Relaxed => "r",
        Alignment::Strict => "s",
    }
}

/// The findings of a report: `dmarc.ok|none|invalid|unknown`, and `dmarc.spf_unaligned` when
/// the envelope domain does not align.
pub fn dmarc_findings(report: &DmarcReport) -> Vec<Finding> {
    let domain = escape_str(&report.domain);
    let org = escape_str(&report.org_domain);
    let at = escape_str(report.record_at.as_deref().unwrap_or_default());
    let reason = escape_str(&report.reason);
    let evidence: Vec<String> = report.record.iter().map(|r| format!("TXT {at}: \"{}\"", escape_str(r))).collect();
    let mut findings = vec![
        match report.status {
            DmarcStatus::Ok => {
                let p = report.p.clone().unwrap_or_default();
                let sp = report.sp.clone().unwrap_or_default();
                let pct = report.pct.unwrap_or(100).to_string();
                let rua = if report.rua.is_empty() { "nobody".to_string() } else { escape_str(&report.rua.join(", ")) };
                Finding::new(
                    "dmarc.ok",
                    &[("domain", &domain), ("p", &p), ("sp", &sp), ("pct", &pct), ("at", &at), ("rua", &rua)],
                )
            }
            DmarcStatus::None => {
                let looked = if report.org_domain == report.domain {
                    format!("_dmarc.{domain}")
                } else {
                    format!("_dmarc.{domain} and _dmarc.{org}")
                };
                Finding::new("dmarc.none", &[("domain", &domain), ("org", &org), ("looked", &looked)])
            }
            DmarcStatus::Invalid => {
                Finding::new("dmarc.invalid", &[("domain", &domain), ("at", &at), ("reason", &reason)])
            }
            DmarcStatus::Unknown => Finding::new("dmarc.unknown", &[("domain", &domain), ("reason", &reason)]),
        }
        .with_evidence(evidence),
    ];
    if let Some(alignment) = report.spf_alignment.as_ref().filter(|a| !a.aligned) {
        let aspf = report.aspf.clone().unwrap_or_else(|| "r".into());
        findings.push(Finding::new(
            "dmarc.spf_unaligned",
            &[
                ("envelope", &escape_str(&alignment.envelope_domain)),
                ("domain", &domain),
                ("org", &org),
                ("aspf", &aspf),
            ],
        ));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn org_domains_come_from_the_public_suffix_list() {
        assert_eq!(org_domain("mail.example.com"), "example.com");
        assert_eq!(org_domain("a.b.example.co.uk"), "example.co.uk");
    }

    #[test]
    fn invalid_records_are_named() {
        assert!(validate("v=DMARC1; p=reject").is_ok());
        assert!(validate("v=DMARC1; rua=mailto:a@example.com").unwrap_err().contains("no p= tag"));
        assert!(validate("v=DMARC1; p=maybe").unwrap_err().contains("p=maybe"));
        assert!(validate("v=DMARC1; p=none; pct=150").unwrap_err().contains("pct=150"));
    }

    proptest! {
        #[test]
        fn validation_never_panics(text in "v=DMARC1;[ -~]{0,200}") {
            let _ = validate(&text);
        }
    }
}
