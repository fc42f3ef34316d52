//! DANE for SMTP (RFC 7672): the TLSA records of `_25._tcp.MX` compared with the certificate
//! the probe saw. mailwiz does not validate DNSSEC, so the DNSSEC status of a TLSA answer is
//! reported as unknown rather than assumed.

use ring::digest;
use serde::Serialize;
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

use crate::dns::{DnsOutcome, QueryType, RecordData, Resolver};
use crate::session::escape::escape_str;
use crate::session::{Finding, Severity};
use crate::smtp::tls_policy::TlsPolicy;

/// Whether the TLSA answer is DNSSEC-validated, as the resolver our MTA uses says (its AD bit;
/// mailwiz does not validate DNSSEC itself). DANE counts only for a validated answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Dnssec {
    /// No TLSA record, so nothing to vouch for.
    NotAsked,
    Validated {
        resolver: String,
    },
    /// The zone is unsigned, or the resolver does not validate.
    NotValidated {
        resolver: String,
    },
    Unknown {
        reason: String,
    },
}

impl Dnssec {
    /// The status in words.
    pub fn describe(&self) -> String {
        match self {
            Dnssec::NotAsked => "not asked (no TLSA record)".into(),
            Dnssec::Validated { resolver } => format!("validated by the resolver {resolver} (AD bit set)"),
            Dnssec::NotValidated { resolver } => format!(
                "not validated by the resolver {resolver} (no AD bit: the zone is unsigned, or that resolver does \
                 not validate DNSSEC; a sender using it ignores the TLSA records)"
            ),
            Dnssec::Unknown { reason } => format!("unknown ({})", escape_str(reason)),
        }
    }
}

/// One TLSA record: usage, selector, matching type and the association data in hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tlsa {
    pub usage: u8,
    pub selector: u8,
    pub matching: u8,
    pub data: String,
}

impl Tlsa {
    /// Reads the presentation form `3 1 1 ab12...`.
    pub fn parse(text: &str) -> Option<Tlsa> {
        let mut words = text.split_whitespace();
        let usage = words.next()?.parse().ok()?;
        let selector = words.next()?.parse().ok()?;
        let matching = words.next()?.parse().ok()?;
        let data: String = words.collect::<String>().to_ascii_lowercase();
        (!data.is_empty() && data.bytes().all(|b| b.is_ascii_hexdigit())).then_some(Tlsa {
            usage,
            selector,
            matching,
            data,
        })
    }

    /// True when the record matches a certificate of `chain` (end entity first): usages 1 and
    /// 3 look at the end entity only, 0 and 2 at any certificate of the chain.
    pub fn matches(&self, chain: &[Vec<u8>]) -> bool {
        let candidates = if matches!(self.usage, 1 | 3) { &chain[..chain.len().min(1)] } else { chain };
        candidates.iter().any(|der| self.association(der).is_some_and(|hex| hex == self.data))
    }

    fn association(&self, der: &[u8]) -> Option<String> {
        let selected: Vec<u8> = match self.selector {
            0 => der.to_vec(),
            1 => X509Certificate::from_der(der).ok()?.1.tbs_certificate.subject_pki.raw.to_vec(),
            _ => return None,
        };
        let bytes = match self.matching {
            0 => selected,
            1 => digest::digest(&digest::SHA256, &selected).as_ref().to_vec(),
            2 => digest::digest(&digest::SHA512, &selected).as_ref().to_vec(),
            _ => return None,
        };
        Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }
}

/// What the TLSA check of one MX host found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DaneStatus {
    /// No TLSA record: the host does not use DANE.
    None,
    Unknown {
        reason: String,
    },
    /// TLSA published, but no certificate was seen to compare with.
    Unchecked,
    Match {
        record: Tlsa,
    },
    Mismatch,
}

/// The TLSA records of one MX host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DaneReport {
    pub host: String,
    /// `_25._tcp.mx1.bank.example`.
    pub name: String,
    pub records: Vec<Tlsa>,
    pub dnssec: Dnssec,
    #[serde(flatten)]
    pub status: DaneStatus,
}

/// Looks up the TLSA records of `host` on `port` and compares them with `chain`, the
/// certificates the host presented (empty when none was seen).
pub async fn check(resolver: &Resolver, host: &str, port: u16, chain: &[Vec<u8>]) -> DaneReport {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let name = format!("_{port}._tcp.{host}");
    let mut report = DaneReport {
        host,
        name: name.clone(),
        records: Vec::new(),
        dnssec: Dnssec::NotAsked,
        status: DaneStatus::None,
    };
    let reply = match resolver.query(&name, QueryType::Tlsa).await {
        Ok(reply) => reply,
        Err(bad) => {
            report.status = DaneStatus::Unknown { reason: bad.to_string() };
            return report;
        }
    };
    match &reply.outcome {
        DnsOutcome::Records(answers) => {
            report.records = answers
                .iter()
                .filter_map(|a| match &a.data {
                    RecordData::Other { rtype, data } if rtype == "TLSA" => Tlsa::parse(data),
                    _ => None,
                })
                .collect();
        }
        DnsOutcome::NoData | DnsOutcome::NxDomain => return report,
        other => {
            report.status =
                DaneStatus::Unknown { reason: format!("the TLSA lookup of {name} failed ({})", other.label()) };
            return report;
        }
    }
    if report.records.is_empty() {
        return report;
    }
    report.dnssec = match resolver.authenticated(&name, QueryType::Tlsa).await {
        Ok((server, true)) => Dnssec::Validated { resolver: server.to_string() },
        Ok((server, false)) => Dnssec::NotValidated { resolver: server.to_string() },
        Err(reason) => Dnssec::Unknown { reason },
    };
    report.status = if chain.is_empty() {
        DaneStatus::Unchecked
    } else {
        match report.records.iter().find(|r| r.matches(chain)) {
            Some(record) => DaneStatus::Match { record: record.clone() },
            None => DaneStatus::Mismatch,
        }
    };
    report
}

/// The finding of a report. A mismatch stops our mail only when the answer is validated and our
/// MTA uses DANE (`our`); otherwise it stops other senders, a warning.
pub fn dane_finding(report: &DaneReport, our: &TlsPolicy) -> Finding {
    let host = escape_str(&report.host);
    let name = escape_str(&report.name);
    let evidence: Vec<String> = report
        .records
        .iter()
        .map(|r| format!("TLSA {name}: {} {} {} {}", r.usage, r.selector, r.matching, r.data))
        .collect();
    let finding = match &report.status {
        DaneStatus::None => Finding::new("dane.none", &[("host", &host), ("name", &name)]),
        DaneStatus::Unknown { reason } => {
            Finding::new("dane.unknown", &[("host", &host), ("reason", &escape_str(reason))])
        }
        DaneStatus::Unchecked => Finding::new("dane.unchecked", &[("host", &host), ("name", &name)]),
        DaneStatus::Match { record } => {
            let record = format!("{} {} {}", record.usage, record.selector, record.matching);
            Finding::new("dane.ok", &[("host", &host), ("record", &record)])
        }
        DaneStatus::Mismatch => mismatch(&host, &name, &report.dnssec, our),
    };
    let finding = finding.with_evidence(evidence);
    if report.dnssec == Dnssec::NotAsked {
        return finding;
    }
    let status = format!("DNSSEC status of the TLSA answer: {}.", report.dnssec.describe());
    let detail = if finding.detail.is_empty() { status } else { format!("{status} {}", finding.detail) };
    finding.with_detail(detail)
}

/// `dane.mismatch`, a failure only when it stops our own mail.
fn mismatch(host: &str, name: &str, dnssec: &Dnssec, our: &TlsPolicy) -> Finding {
    let finding = Finding::new("dane.mismatch", &[("host", host), ("name", name)]);
    let source = escape_str(&our.source);
    match (dnssec, our.dane) {
        // Unvalidated TLSA binds no sender that asks the same resolver: ours included.
        (Dnssec::NotValidated { .. }, _) => finding.with_severity(Severity::Warn),
        (_, Some(true)) => {
            finding.with_detail(format!("Our MTA uses DANE ({source}), so it will not deliver to {host}."))
        }
        (_, Some(false)) => finding.with_severity(Severity::Warn).with_detail(format!(
            "Our MTA does not use DANE ({source}), so our mail is not stopped by it; senders that use DANE are."
        )),
        (_, None) => finding.with_severity(Severity::Warn).with_detail(format!(
            "Whether our MTA uses DANE is not known ({source}); if it does, it will not deliver to {host}."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tlsa_presentation_is_read() {
        let tlsa = Tlsa::parse("3 1 1 AB12 cd").unwrap();
        assert_eq!((tlsa.usage, tlsa.selector, tlsa.matching, tlsa.data.as_str()), (3, 1, 1, "ab12cd"));
        assert!(Tlsa::parse("3 1 1 xyz").is_none());
        assert!(Tlsa::parse("3 1").is_none());
    }

    proptest! {
        #[test]
        fn any_tlsa_text_reads_without_panic(text in any::<String>()) {
            if let Some(tlsa) = Tlsa::parse(&text) {
                prop_assert!(!tlsa.matches(&[text.clone().into_bytes()]) || tlsa.selector == 0);
            }
        }
    }
}
