//! The shape of a HELO/EHLO name, before any lookup: an address literal, a name receivers
//! do not accept as fully qualified, or a host name to check against DNS.

use std::net::IpAddr;

/// What a HELO argument is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeloForm {
    /// `[203.0.113.5]`, `[IPv6:2001:db8::1]`, or a bare address; the address when it parses.
    Literal(Option<IpAddr>),
    /// Not a fully-qualified public name; the reason.
    NotFqdn(&'static str),
    /// A host name, lowercase, without the trailing dot.
    Name(String),
}

/// Suffixes of names that exist only inside a network.
const LOCAL_SUFFIXES: &[&str] =
    &["localdomain", "local", "lan", "home", "internal", "intranet", "corp", "private", "localhost", "home.arpa"];

/// Classifies a HELO argument.
pub fn helo_form(helo: &str) -> HeloForm {
    let helo = helo.trim();
    if let Some(inner) = helo.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')) {
        let inner = inner.strip_prefix("IPv6:").or_else(|| inner.strip_prefix("ipv6:")).unwrap_or(inner);
        return HeloForm::Literal(inner.parse().ok());
    }
    if let Ok(ip) = helo.parse::<IpAddr>() {
        return HeloForm::Literal(Some(ip));
    }
    let name = helo.trim_end_matches('.').to_ascii_lowercase();
    if name.is_empty() {
        return HeloForm::NotFqdn("it is empty");
    }
    if !name.contains('.') {
        return HeloForm::NotFqdn("it has no domain part");
    }
    let valid_chars = name.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    if !valid_chars {
        return HeloForm::NotFqdn("it is not a valid host name");
    }
    let tld = name.rsplit('.').next().unwrap_or_default();
    if tld.bytes().all(|b| b.is_ascii_digit()) {
        return HeloForm::NotFqdn("its top-level label is numeric");
    }
    if LOCAL_SUFFIXES.iter().any(|suffix| name == *suffix || name.ends_with(&format!(".{suffix}"))) {
        return HeloForm::NotFqdn("it is a name of the local network, unknown to the Internet");
    }
    HeloForm::Name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals() {
        assert_eq!(helo_form("[203.0.113.5]"), HeloForm::Literal(Some("203.0.113.5".parse().unwrap())));
        assert_eq!(helo_form("[IPv6:2001:db8::1]"), HeloForm::Literal(Some("2001:db8::1".parse().unwrap())));
        assert_eq!(helo_form("203.0.113.5"), HeloForm::Literal(Some("203.0.113.5".parse().unwrap())));
        assert_eq!(helo_form("[garbage]"), HeloForm::Literal(None));
    }

    #[test]
    fn names_that_are_not_fqdns() {
        for helo in
            ["mailserver", "localhost", "localhost.localdomain", "exch01.corp", "mx.home.arpa", "a..b", "", "x.123"]
        {
            assert!(matches!(helo_form(helo), HeloForm::NotFqdn(_)), "{helo}");
        }
    }

    #[test]
    fn host_names() {
        assert_eq!(helo_form("Mail.Example.COM."), HeloForm::Name("mail.example.com".into()));
    }
}
