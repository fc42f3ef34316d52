//! What may go into a command line the probe builds: an EHLO name and envelope addresses are
//! checked before anything is sent, so no input can end a command early or add one (CR, LF,
//! NUL and other control bytes, spaces, angle brackets), and RFC 5321's size limits hold.

use super::escape::escape_str;

/// Longest EHLO name (a domain, RFC 5321 4.5.3.1.2).
pub const MAX_EHLO: usize = 255;
/// Longest local part (RFC 5321 4.5.3.1.1).
pub const MAX_LOCAL_PART: usize = 64;
/// Longest address (RFC 5321 4.5.3.1.3 path of 256 octets, less the angle brackets).
pub const MAX_ADDRESS: usize = 254;

/// Why a value cannot go into a command; one sentence naming the value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {value} {problem}")]
pub struct EnvelopeError {
    what: String,
    value: String,
    problem: String,
}

fn error(what: &str, value: &str, problem: impl Into<String>) -> EnvelopeError {
    let shown: String = if value.len() > 80 {
        format!("\"{}…\" ({} bytes)", escape_str(&value.chars().take(40).collect::<String>()), value.len())
    } else {
        format!("\"{}\"", escape_str(value))
    };
    EnvelopeError { what: what.to_string(), value: shown, problem: problem.into() }
}

/// The first character that would change the protocol, in words.
fn bad_char(value: &str) -> Option<&'static str> {
    value.chars().find_map(|c| match c {
        '\r' => Some("holds a carriage return (CR)"),
        '\n' => Some("holds a line feed (LF)"),
        '\0' => Some("holds a NUL byte"),
        c if c.is_control() => Some("holds a control character"),
        c if c.is_whitespace() => Some("holds a space"),
        '<' | '>' => Some("holds an angle bracket"),
        _ => None,
    })
}

/// Checks what is given of an EHLO name, an envelope sender and a recipient, each as
/// `(what the user calls it, value)`.
pub fn check_all(
    ehlo: Option<(&str, &str)>,
    from: Option<(&str, &str)>,
    to: Option<(&str, &str)>,
) -> Result<(), EnvelopeError> {
    if let Some((what, name)) = ehlo {
        check_ehlo(what, name)?;
    }
    if let Some((what, address)) = from {
        check_address(what, address, true)?;
    }
    if let Some((what, address)) = to {
        check_address(what, address, false)?;
    }
    Ok(())
}

/// Checks an EHLO/HELO name (`what` names where it came from, e.g. `--helo`).
pub fn check_ehlo(what: &str, name: &str) -> Result<(), EnvelopeError> {
    if name.is_empty() {
        return Err(error(what, name, "is empty"));
    }
    if let Some(problem) = bad_char(name) {
        return Err(error(what, name, problem));
    }
    if name.len() > MAX_EHLO {
        return Err(error(what, name, format!("is longer than {MAX_EHLO} octets (RFC 5321)")));
    }
    Ok(())
}

/// Checks an envelope address; the empty address (the null sender) is allowed when `null_ok`.
pub fn check_address(what: &str, address: &str, null_ok: bool) -> Result<(), EnvelopeError> {
    if address.is_empty() {
        return if null_ok { Ok(()) } else { Err(error(what, address, "is empty")) };
    }
    if let Some(problem) = bad_char(address) {
        return Err(error(what, address, problem));
    }
    if address.len() > MAX_ADDRESS {
        return Err(error(what, address, format!("is longer than {MAX_ADDRESS} octets (RFC 5321)")));
    }
    let (local, domain) = split(address).ok_or_else(|| error(what, address, "is not an address local@domain"))?;
    if local.is_empty() || domain.is_empty() {
        return Err(error(what, address, "is not an address local@domain"));
    }
    if domain.contains('@') {
        return Err(error(what, address, "has more than one @"));
    }
    if local.len() > MAX_LOCAL_PART {
        return Err(error(what, address, format!("has a local part longer than {MAX_LOCAL_PART} octets (RFC 5321)")));
    }
    if !valid_domain(domain) {
        return Err(error(what, address, "has no valid domain after the @"));
    }
    Ok(())
}

/// Local part and domain: a quoted local part may hold `@`, otherwise the first `@` splits.
fn split(address: &str) -> Option<(&str, &str)> {
    if let Some(rest) = address.strip_prefix('"') {
        let end = rest.find('"')? + 1;
        let (local, tail) = address.split_at(end + 1);
        return tail.strip_prefix('@').map(|domain| (local, domain));
    }
    address.split_once('@')
}

/// A domain (labels of letters, digits, `-`, `_`, or any non-ASCII for U-labels) or an
/// address literal in brackets.
fn valid_domain(domain: &str) -> bool {
    if let Some(literal) = domain.strip_prefix('[').and_then(|d| d.strip_suffix(']')) {
        let ip = literal.strip_prefix("IPv6:").unwrap_or(literal);
        return ip.parse::<std::net::IpAddr>().is_ok();
    }
    domain.len() <= 253
        && domain.trim_end_matches('.').split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_' || !c.is_ascii())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ehlo_names_that_would_change_the_protocol_are_refused() {
        assert!(check_ehlo("--helo", "mail.example.com").is_ok());
        assert!(check_ehlo("--helo", "[192.0.2.1]").is_ok());
        let err = check_ehlo("--helo", "a\r\nDATA").unwrap_err().to_string();
        assert_eq!(err, r#"--helo "a\r\nDATA" holds a carriage return (CR)"#);
        assert!(check_ehlo("--helo", "a b").unwrap_err().to_string().ends_with("holds a space"));
        assert!(check_ehlo("--helo", "a\0b").unwrap_err().to_string().ends_with("holds a NUL byte"));
        assert!(check_ehlo("--helo", "a\x1bb").unwrap_err().to_string().ends_with("holds a control character"));
        assert!(check_ehlo("--helo", "").is_err());
        let long = "a".repeat(100_000);
        let err = check_ehlo("--helo", &long).unwrap_err().to_string();
        assert!(err.ends_with("(100000 bytes) is longer than 255 octets (RFC 5321)"), "{err}");
        assert!(err.len() < 200);
        assert!(check_ehlo("--helo", &"a".repeat(255)).is_ok());
    }

    #[test]
    fn addresses_are_checked_against_rfc_5321() {
        assert!(check_address("--to", "user@bank.example", false).is_ok());
        assert!(check_address("--to", "\"a@b\"@bank.example", false).is_ok());
        assert!(check_address("--to", "postmaster@[192.0.2.1]", false).is_ok());
        assert!(check_address("--from", "", true).is_ok());
        assert!(check_address("--to", "", false).is_err());
        let err = check_address("--to", "b@bank.test>\r\nDATA", false).unwrap_err().to_string();
        assert_eq!(err, r#"--to "b@bank.test>\r\nDATA" holds an angle bracket"#);
        assert!(check_address("--to", "user@@bank.test", false).unwrap_err().to_string().ends_with("more than one @"));
        assert!(check_address("--to", "user", false).is_err());
        assert!(check_address("--to", "@bank.test", false).is_err());
        assert!(check_address("--to", "a@b..c", false).is_err());
        let local = format!("{}@bank.test", "a".repeat(65));
        assert!(check_address("--to", &local, false).unwrap_err().to_string().contains("local part longer than 64"));
        assert!(check_address("--to", &format!("{}@bank.test", "a".repeat(64)), false).is_ok());
        let long = format!("a@{}.test", vec!["b".repeat(60); 5].join("."));
        assert!(check_address("--to", &long, false).unwrap_err().to_string().contains("longer than 254"));
    }

    proptest! {
        #[test]
        fn an_accepted_value_never_holds_a_line_break_a_space_or_a_bracket(value in ".{0,300}") {
            let ok = check_ehlo("--helo", &value).is_ok() || check_address("--to", &value, true).is_ok();
            if ok {
                prop_assert!(!value.chars().any(|c| c.is_control() || c.is_whitespace() || c == '<' || c == '>'));
            }
            if let Err(err) = check_address("--to", &value, false) {
                let text = err.to_string();
                prop_assert!(!text.chars().any(char::is_control), "{:?}", text);
                prop_assert!(text.len() < 400);
            }
        }
    }
}
