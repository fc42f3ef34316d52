//! The target: the domain whose mail is stuck, given as a domain or an address.

use serde::{Deserialize, Serialize};

/// A validated target domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// The domain in ASCII (A-labels), lowercase, without a trailing dot.
    pub domain: String,
    /// The domain as the user reads it (U-labels for an IDN).
    pub display: String,
    /// The full address when the user gave `user@domain`.
    pub address: Option<String>,
}

/// Why a target was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TargetError(pub String);

impl Target {
    /// Parses `bank.example`, `Bank.Example.`, `user@bank.example` or `bücher.example`.
    pub fn parse(input: &str) -> Result<Target, TargetError> {
        let trimmed = input.trim();
        let (address, domain_part) = match trimmed.rsplit_once('@') {
            Some((local, domain)) if !local.is_empty() => {
                crate::session::envelope::check_address("the address", trimmed, false)
                    .map_err(|err| TargetError(err.to_string()))?;
                (Some(trimmed.to_string()), domain)
            }
            Some(_) => return Err(TargetError(format!("\"{trimmed}\" has no local part before the @"))),
            None => (None, trimmed),
        };
        let domain = to_ascii_domain(domain_part)?;
        let (display, _) = idna::domain_to_unicode(&domain);
        Ok(Target { domain, display, address })
    }
}

/// Converts a domain typed by the user to lowercase ASCII with IDNA, checking label syntax.
pub fn to_ascii_domain(input: &str) -> Result<String, TargetError> {
    let name = input.trim().trim_end_matches('.');
    if name.is_empty() {
        return Err(TargetError("the domain name is empty".into()));
    }
    if name.chars().any(char::is_whitespace) {
        return Err(TargetError(format!("\"{name}\" contains a space; a domain name cannot")));
    }
    let ascii =
        idna::domain_to_ascii(name).map_err(|_| TargetError(format!("\"{name}\" is not a valid domain name")))?;
    if ascii.len() > 253 {
        return Err(TargetError(format!(
            "the domain name is {} characters long; at most 253 are allowed",
            ascii.len()
        )));
    }
    for label in ascii.split('.') {
        if label.is_empty() {
            return Err(TargetError(format!("\"{name}\" has an empty label (two dots in a row)")));
        }
        if label.len() > 63 {
            return Err(TargetError(format!(
                "\"{name}\" has a label of {} characters; at most 63 are allowed",
                label.len()
            )));
        }
        if !label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(TargetError(format!("\"{name}\" contains a character not allowed in a domain name")));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(TargetError(format!("\"{name}\" has a label that starts or ends with a hyphen")));
        }
    }
    Ok(ascii)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_domains_and_addresses() {
        let t = Target::parse("Alice@Bank.Example.").unwrap();
        assert_eq!(t.domain, "bank.example");
        assert_eq!(t.address.as_deref(), Some("Alice@Bank.Example."));
        let idn = Target::parse("bücher.example").unwrap();
        assert_eq!(idn.domain, "xn--bcher-kva.example");
        assert_eq!(idn.display, "bücher.example");
    }

    #[test]
    fn refuses_bad_names_with_a_reason() {
        assert!(Target::parse("bank..example").unwrap_err().0.contains("empty label"));
        assert!(Target::parse("bank example").unwrap_err().0.contains("space"));
        assert!(Target::parse(&"a".repeat(300)).is_err());
        assert!(Target::parse("@bank.example").is_err());
    }
}
