//! DKIM key records (RFC 6376 §3.6.1) of our selectors: present, readable, key type and size,
//! revoked (empty `p=`) or in testing mode (`t=y`).

use base64::Engine as _;
use serde::Serialize;
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

use super::tags;
use crate::dns::{DnsOutcome, Resolver};
use crate::session::escape::escape_str;
use crate::session::{Finding, Severity};

/// RSA keys shorter than this are weak: many receivers ignore their signatures.
pub const WEAK_BITS: usize = 1024;
/// RSA keys shorter than this work but are below today's recommendation.
pub const SHORT_BITS: usize = 2048;

/// A selector and where it came from (`--selector`, `config`, `opendkim:/etc/opendkim/KeyTable`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Selector {
    pub name: String,
    pub source: String,
}

/// What the key record of one selector says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum KeyStatus {
    Ok {
        key_type: String,
        bits: usize,
        testing: bool,
    },
    Missing {
        outcome: String,
    },
    Revoked,
    Invalid {
        reason: String,
    },
    /// The lookup failed: whether the key exists is not known.
    Unknown {
        reason: String,
    },
}

/// The key record of one selector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyReport {
    pub selector: Selector,
    /// `s1._domainkey.example.com`.
    pub name: String,
    pub record: Option<String>,
    #[serde(flatten)]
    pub status: KeyStatus,
}

/// Looks up the key of `selector` under `domain`.
pub async fn check_key(resolver: &Resolver, domain: &str, selector: &Selector) -> KeyReport {
    let name = format!("{}._domainkey.{}", selector.name, domain.trim_end_matches('.').to_ascii_lowercase());
    let mut report =
        KeyReport { selector: selector.clone(), name: name.clone(), record: None, status: KeyStatus::Revoked };
    let reply = match resolver.lookup_txt(&name).await {
        Ok(reply) => reply,
        Err(bad) => {
            report.status = KeyStatus::Invalid { reason: bad.to_string() };
            return report;
        }
    };
    report.status = match &reply.outcome {
        DnsOutcome::Records(_) => {
            let records = reply.txt_strings();
            report.record = records.first().cloned();
            match records.as_slice() {
                [one] => read_key(one),
                many => KeyStatus::Invalid { reason: format!("{} TXT records; a key name must have one", many.len()) },
            }
        }
        DnsOutcome::NoData | DnsOutcome::NxDomain => KeyStatus::Missing { outcome: reply.outcome.label() },
        other => KeyStatus::Unknown { reason: format!("the TXT lookup failed ({})", other.label()) },
    };
    report
}

/// Reads one key record.
pub fn read_key(text: &str) -> KeyStatus {
    let tags = tags::parse(text);
    let invalid = |reason: String| KeyStatus::Invalid { reason };
    if let Some(v) = tags::get(&tags, "v")
        && (v != "DKIM1" || tags.first().is_none_or(|(name, _)| name != "v"))
    {
        return invalid(format!("v={} is not DKIM1 as the first tag", escape_str(v)));
    }
    let Some(p) = tags::get(&tags, "p") else {
        return invalid("it has no p= tag (the public key)".into());
    };
    let p: String = p.chars().filter(|c| !c.is_whitespace()).collect();
    if p.is_empty() {
        return KeyStatus::Revoked;
    }
    let Ok(der) = base64::engine::general_purpose::STANDARD.decode(p.as_bytes()) else {
        return invalid("p= is not valid base64".into());
    };
    let testing = tags::get(&tags, "t").is_some_and(|t| t.split(':').any(|flag| flag.trim() == "y"));
    let key_type = tags::get(&tags, "k").unwrap_or("rsa").to_ascii_lowercase();
    match key_type.as_str() {
        "rsa" => match rsa_bits(&der) {
            Some(bits) => KeyStatus::Ok { key_type, bits, testing },
            None => invalid("p= is not an RSA public key".into()),
        },
        "ed25519" if der.len() == 32 => KeyStatus::Ok { key_type, bits: 256, testing },
        "ed25519" => invalid(format!("an ed25519 key is 32 bytes, p= has {}", der.len())),
        other => invalid(format!("k={} is not a key type DKIM knows (rsa, ed25519)", escape_str(other))),
    }
}

/// The modulus size of an RSA key given as `SubjectPublicKeyInfo` (the usual form) or as a bare
/// PKCS#1 `RSAPublicKey` (which some signers publish).
fn rsa_bits(der: &[u8]) -> Option<usize> {
    if let Ok((_, spki)) = SubjectPublicKeyInfo::from_der(der)
        && let Ok(PublicKey::RSA(rsa)) = spki.parsed()
    {
        return Some(rsa.key_size());
    }
    let (_, rsa) = x509_parser::public_key::RSAPublicKey::from_der(der).ok()?;
    Some(rsa.key_size())
}

/// The findings of the key reports; `dkim.no_selector` when no selector is known.
pub fn dkim_findings(domain: &str, keys: &[KeyReport]) -> Vec<Finding> {
    let domain_text = escape_str(domain);
    if keys.is_empty() {
        return vec![Finding::new("dkim.no_selector", &[("domain", &domain_text)])];
    }
    let mut findings = Vec::new();
    for key in keys {
        let name = escape_str(&key.name);
        let selector = escape_str(&key.selector.name);
        let base = [("name", name.as_str()), ("selector", selector.as_str()), ("domain", domain_text.as_str())];
        let with = |extra: &[(&str, &str)]| -> Vec<(String, String)> {
            base.iter().chain(extra).map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        let make = |id: &str, args: Vec<(String, String)>| {
            let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            Finding::new(id, &args)
        };
        let mut finding = match &key.status {
            KeyStatus::Ok { key_type, bits, testing } => {
                let bits_text = bits.to_string();
                let args = with(&[("type", key_type), ("bits", &bits_text)]);
                if *testing {
                    findings.push(make("dkim.key_testing", args.clone()));
                }
                if key_type == "rsa" && *bits < SHORT_BITS {
                    let severity = if *bits < WEAK_BITS { Severity::Warn } else { Severity::Info };
                    make("dkim.key_weak", args).with_severity(severity)
                } else {
                    make("dkim.key_ok", args)
                }
            }
            KeyStatus::Missing { outcome } => make("dkim.key_missing", with(&[("outcome", outcome)])),
            KeyStatus::Revoked => make("dkim.key_revoked", with(&[])),
            KeyStatus::Invalid { reason } => make("dkim.key_invalid", with(&[("reason", &escape_str(reason))])),
            KeyStatus::Unknown { reason } => make("dkim.key_unknown", with(&[("reason", &escape_str(reason))])),
        };
        finding = finding.with_detail(format!("Selector from {}.", escape_str(&key.selector.source)));
        if let Some(record) = &key.record {
            finding = finding.with_evidence([format!("TXT {name}: \"{}\"", escape_str(record))]);
        }
        findings.push(finding);
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn key_records_are_judged() {
        assert_eq!(read_key("v=DKIM1; k=rsa; p="), KeyStatus::Revoked);
        assert!(matches!(read_key("v=DKIM1; k=rsa"), KeyStatus::Invalid { .. }));
        assert!(matches!(read_key("v=DKIM1; p=!!!"), KeyStatus::Invalid { .. }));
        let raw = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        assert_eq!(
            read_key(&format!("v=DKIM1; k=ed25519; t=y; p={raw}")),
            KeyStatus::Ok { key_type: "ed25519".into(), bits: 256, testing: true }
        );
    }

    proptest! {
        #[test]
        fn any_record_reads_without_panic(text in any::<String>()) {
            let _ = read_key(&text);
        }

        #[test]
        fn any_key_bytes_read_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let p = base64::engine::general_purpose::STANDARD.encode(&bytes);
            let _ = read_key(&format!("v=DKIM1; p={p}"));
        }
    }
}
