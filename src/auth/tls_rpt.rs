//! TLS-RPT (RFC 8460) of the receiving domain: where it wants reports of failed TLS sessions.

use mail_auth::common::parse::TxtRecordParser;
use mail_auth::mta_sts::{ReportUri, TlsRpt};
use serde::Serialize;

use crate::dns::{DnsOutcome, Resolver};
use crate::session::Finding;
use crate::session::escape::escape_str;

/// What the `_smtp._tls` record says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TlsRptStatus {
    Ok { rua: Vec<String> },
    None,
    Invalid { reason: String },
    Unknown { reason: String },
}

/// The TLS-RPT record of one domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TlsRptReport {
    pub domain: String,
    pub record: Option<String>,
    #[serde(flatten)]
    pub status: TlsRptStatus,
}

/// Looks up the TLS-RPT record of `domain`.
pub async fn check(resolver: &Resolver, domain: &str) -> TlsRptReport {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let name = format!("_smtp._tls.{domain}");
    let mut report = TlsRptReport { domain, record: None, status: TlsRptStatus::None };
    let reply = match resolver.lookup_txt(&name).await {
        Ok(reply) => reply,
        Err(bad) => {
            report.status = TlsRptStatus::Unknown { reason: bad.to_string() };
            return report;
        }
    };
    if !matches!(reply.outcome, DnsOutcome::Records(_) | DnsOutcome::NoData | DnsOutcome::NxDomain) {
        report.status =
            TlsRptStatus::Unknown { reason: format!("the TXT lookup of {name} failed ({})", reply.outcome.label()) };
        return report;
    }
    let records: Vec<String> =
        reply.txt_strings().into_iter().filter(|t| t.to_ascii_lowercase().starts_with("v=tlsrptv1")).collect();
    report.record = records.first().cloned();
    report.status = match records.as_slice() {
        [] => TlsRptStatus::None,
        [one] => match TlsRpt::parse(one.as_bytes()) {
            Ok(record) if !record.rua.is_empty() => TlsRptStatus::Ok {
                rua: record
                    .rua
                    .iter()
                    .map(|uri| match uri {
                        ReportUri::Mail(address) => format!("mailto:{address}"),
                        ReportUri::Http(url) => url.clone(),
                    })
                    .collect(),
            },
            _ => {
                TlsRptStatus::Invalid { reason: "it needs v=TLSRPTv1 and rua= with mailto: or https: addresses".into() }
            }
        },
        many => TlsRptStatus::Invalid { reason: format!("{name} has {} records; one is allowed", many.len()) },
    };
    report
}

/// The finding of a report.
pub fn tls_rpt_finding(report: &TlsRptReport) -> Finding {
    let domain = escape_str(&report.domain);
    let finding = match &report.status {
        TlsRptStatus::Ok { rua } => {
            Finding::new("tls_rpt.ok", &[("domain", &domain), ("rua", &escape_str(&rua.join(", ")))])
        }
        TlsRptStatus::None => Finding::new("tls_rpt.none", &[("domain", &domain)]),
        TlsRptStatus::Invalid { reason } => {
            Finding::new("tls_rpt.invalid", &[("domain", &domain), ("reason", &escape_str(reason))])
        }
        // A lookup that failed says nothing of the record.
        TlsRptStatus::Unknown { reason } => {
            Finding::new("tls_rpt.unknown", &[("domain", &domain), ("reason", &escape_str(reason))])
        }
    };
    finding.with_evidence(report.record.iter().map(|r| format!("TXT _smtp._tls.{domain}: \"{}\"", escape_str(r))))
}

#[cfg(test)]
mod unknown_tests {
    use super::*;

    #[test]
    fn a_failed_lookup_is_unknown_never_invalid() {
        let report = TlsRptReport {
            domain: "old-partner.example".into(),
            record: None,
            status: TlsRptStatus::Unknown {
                reason: "the TXT lookup of _smtp._tls.old-partner.example failed (SERVFAIL)".into(),
            },
        };
        let finding = tls_rpt_finding(&report);
        assert_eq!(finding.id, "tls_rpt.unknown");
        assert!(finding.summary.contains("could not be checked"), "{}", finding.summary);
    }
}
