//! The HELO name we announce, checked against our address: it should be a fully-qualified name
//! that resolves to the address and is its PTR name.

use std::net::IpAddr;

use serde::Serialize;

use super::syntax::{HeloForm, helo_form};
use crate::dns::ptr::{PtrReport, describe_failure, evidence_of};
use crate::dns::resolver::{DnsReply, Resolver};
use crate::session::Finding;
use crate::session::escape::escape_str;

/// The HELO name, where it came from, and its forward lookup.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeloReport {
    /// The name as announced.
    pub helo: String,
    /// `--helo/config`, `postconf smtp_helo_name`, ...
    pub source: String,
    /// A and AAAA answers when the HELO is a host name.
    pub forward: Vec<DnsReply>,
    /// The addresses the name resolves to.
    pub addresses: Vec<IpAddr>,
}

/// Looks up A and AAAA of `helo` when it is a host name.
pub async fn check_helo(resolver: &Resolver, helo: &str, source: &str) -> HeloReport {
    let forward = match helo_form(helo) {
        HeloForm::Name(name) => match resolver.lookup_ip(&name).await {
            Ok((a, aaaa)) => vec![a, aaaa],
            Err(_) => Vec::new(),
        },
        _ => Vec::new(),
    };
    let addresses = forward.iter().flat_map(DnsReply::addresses).map(|a| a.to_canonical()).collect();
    HeloReport { helo: helo.trim().to_string(), source: source.to_string(), forward, addresses }
}

/// Judges the HELO name against `ip` and its PTR report: `helo.ok`, `helo.mismatch` (with the
/// reason), `helo.not_fqdn`, `helo.ip_literal`, or `helo.unknown` when its lookup got no answer.
pub fn helo_finding(report: &HeloReport, ip: IpAddr, ptr: Option<&PtrReport>) -> Finding {
    let ip = ip.to_canonical();
    let shown = escape_str(&report.helo);
    let ip_text = ip.to_string();
    let args = [("helo", shown.as_str()), ("ip", ip_text.as_str())];
    let source = format!("HELO name {shown} (from {})", report.source);
    match helo_form(&report.helo) {
        HeloForm::Literal(literal) => {
            let detail = match literal {
                Some(lit) if lit.to_canonical() == ip => {
                    "The literal is our address, which RFC 5321 allows, but many receivers score or refuse \
                     an address literal in HELO."
                        .to_string()
                }
                Some(lit) => format!("The literal {lit} is not even our address {ip}; receivers refuse such a HELO."),
                None => "The literal is not a valid address.".to_string(),
            };
            Finding::new("helo.ip_literal", &args).with_detail(detail).with_evidence([source])
        }
        HeloForm::NotFqdn(reason) => Finding::new("helo.not_fqdn", &args)
            .with_detail(format!(
                "{shown} is not a fully-qualified domain name: {reason}. Receivers with \
                 reject_non_fqdn_helo_hostname (Postfix) or similar checks refuse it (504 5.5.2)."
            ))
            .with_evidence([source]),
        HeloForm::Name(name) => {
            let mut evidence = vec![source];
            evidence.extend(report.forward.iter().flat_map(evidence_of));
            let resolves_to_ip = report.addresses.contains(&ip);
            let ptr_names: Vec<&str> =
                ptr.map(|p| p.names.iter().map(|n| n.name.as_str()).collect()).unwrap_or_default();
            if let Some(ptr) = ptr {
                evidence.extend(evidence_of(&ptr.reply));
            }
            let is_ptr_name = ptr_names.iter().any(|p| p.eq_ignore_ascii_case(&name));
            // A forward lookup without an answer says nothing about the name.
            // Only the lookup of our address's family decides; a failed AAAA says nothing of an IPv4.
            let unanswered =
                report.forward.iter().find(|r| crate::dns::ptr::decides_for(r, ip) && !r.outcome.is_definitive());
            if !resolves_to_ip && let Some(unanswered) = unanswered {
                let outcome = describe_failure(&unanswered.outcome, unanswered.elapsed);
                return Finding::new("helo.unknown", &[args[0], args[1], ("outcome", &outcome)])
                    .with_evidence(evidence);
            }
            let reason = if report.addresses.is_empty() && !report.forward.is_empty() {
                let outcome = report.forward.first().map(|r| r.outcome.label()).unwrap_or_default();
                Some(format!("{shown} does not resolve ({outcome})"))
            } else if report.forward.is_empty() {
                Some(format!("{shown} cannot be looked up"))
            } else if !resolves_to_ip {
                let list: Vec<String> = report.addresses.iter().map(IpAddr::to_string).collect();
                Some(format!("{shown} resolves to {}, not to {ip}", list.join(", ")))
            } else if !ptr_names.is_empty() && !is_ptr_name {
                let names: Vec<String> = ptr_names.iter().map(|n| escape_str(n)).collect();
                Some(format!("the PTR of {ip} is {}", names.join(", ")))
            } else {
                None
            };
            // A name that resolves to our address is the right HELO even while the PTR is
            // missing: that is the PTR's defect (`ptr.missing`), and the fix is this name.
            let no_ptr = ptr.is_some_and(crate::dns::ptr::PtrReport::answered) && ptr_names.is_empty();
            match reason {
                None if no_ptr => {
                    Finding::new("helo.ok", &[args[0], args[1], ("ptr_match", "")]).with_evidence(evidence).with_detail(
                        format!("{ip} has no PTR yet; once its PTR names {shown}, HELO, PTR and forward DNS agree."),
                    )
                }
                None => Finding::new("helo.ok", &[args[0], args[1], ("ptr_match", " and is its PTR name")])
                    .with_evidence(evidence),
                Some(reason) => Finding::new("helo.mismatch", &[args[0], args[1], ("reason", &reason)])
                    .with_detail(
                        "Receivers compare the HELO name with the PTR of the connecting address and with its own \
                         A/AAAA records; a mismatch adds spam score or, at strict sites, refuses the session.",
                    )
                    .with_evidence(evidence),
            }
        }
    }
}

/// `finding` with its fix naming `proposed`, the one name proposed for our PTR and HELO, when it
/// says our HELO name is wrong; any other finding as it is.
pub fn with_proposal(mut finding: Finding, proposed: Option<&str>) -> Finding {
    let Some(proposed) = proposed else { return finding };
    if matches!(finding.id.as_str(), "helo.mismatch" | "helo.not_fqdn" | "helo.ip_literal") {
        finding.fix = format!(
            "Announce {proposed} in HELO (Postfix: smtp_helo_name; Exchange: the send connector's FQDN), the same \
             name proposed for the PTR, so HELO, PTR and forward DNS agree."
        );
    }
    finding
}
