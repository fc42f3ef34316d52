//! What a block list's answer means: a listing with its documented meaning, or a refusal that
//! must never be read as a listing.

use std::net::Ipv4Addr;

use serde::Serialize;

use super::dnsbl_zones::Zone;

/// The decoded A answer of one block-list query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Listed; one meaning per answer code.
    Listed { codes: Vec<ListingCode> },
    /// The list (or the resolver in between) refused to answer; the subject's status is unknown.
    Refused { code: Ipv4Addr, reason: String },
}

/// One answer code of a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListingCode {
    pub code: Ipv4Addr,
    pub meaning: String,
}

/// Decodes the A records `answers` (not empty) a zone gave. Any refusal code, or any answer
/// outside 127.0.0.0/8, makes the whole answer a refusal: such an answer did not come from the
/// list, and reading it as a listing sends admins chasing a delisting they do not need.
pub fn decode(zone: &Zone, answers: &[Ipv4Addr]) -> Verdict {
    for &code in answers {
        if let Some(reason) = zone.refused.get(&code) {
            return Verdict::Refused { code, reason: reason.clone() };
        }
        if code.octets()[0] != 127 {
            return Verdict::Refused {
                code,
                reason: "the answer is not in 127.0.0.0/8, so it did not come from the list: a resolver that rewrites \
                         missing names, or a zone name that no longer belongs to a block list"
                    .into(),
            };
        }
    }
    let mut codes: Vec<ListingCode> = answers
        .iter()
        .map(|&code| ListingCode {
            code,
            meaning: zone.codes.get(&code).cloned().unwrap_or_else(|| {
                if zone.codes.is_empty() { "listed".to_string() } else { format!("listed (undocumented code {code})") }
            }),
        })
        .collect();
    codes.sort_by_key(|c| c.code);
    codes.dedup_by_key(|c| c.code);
    Verdict::Listed { codes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::dnsbl_zones::ZoneList;

    fn zen() -> Zone {
        ZoneList::bundled().select(&["zen.spamhaus.org".into()]).unwrap().remove(0)
    }

    fn ip(text: &str) -> Ipv4Addr {
        text.parse().unwrap()
    }

    #[test]
    fn spamhaus_codes_are_decoded() {
        let Verdict::Listed { codes } = decode(&zen(), &[ip("127.0.0.10"), ip("127.0.0.4"), ip("127.0.0.10")]) else {
            panic!("not listed");
        };
        assert_eq!(codes.len(), 2);
        assert!(codes[0].meaning.starts_with("XBL"));
        assert!(codes[1].meaning.starts_with("PBL (ISP)"));
    }

    #[test]
    fn refusal_codes_are_never_listings() {
        for code in ["127.255.255.252", "127.255.255.254", "127.255.255.255"] {
            assert!(matches!(decode(&zen(), &[ip(code)]), Verdict::Refused { .. }), "{code}");
        }
        let Verdict::Refused { reason, .. } = decode(&zen(), &[ip("127.255.255.254")]) else { unreachable!() };
        assert!(reason.contains("public"));
        // A refusal mixed with a code still means the answer cannot be trusted.
        assert!(matches!(decode(&zen(), &[ip("127.0.0.2"), ip("127.255.255.255")]), Verdict::Refused { .. }));
    }

    #[test]
    fn answers_outside_loopback_are_refusals() {
        let Verdict::Refused { code, reason } = decode(&zen(), &[ip("198.51.100.80")]) else { panic!() };
        assert_eq!(code, ip("198.51.100.80"));
        assert!(reason.contains("127.0.0.0/8"));
    }

    #[test]
    fn unknown_codes_and_custom_zones() {
        let Verdict::Listed { codes } = decode(&zen(), &[ip("127.0.0.99")]) else { panic!() };
        assert_eq!(codes[0].meaning, "listed (undocumented code 127.0.0.99)");
        let custom = ZoneList::bundled().select(&["bl.lab.test".into()]).unwrap().remove(0);
        let Verdict::Listed { codes } = decode(&custom, &[ip("127.0.0.2")]) else { panic!() };
        assert_eq!(codes[0].meaning, "listed");
    }
}
