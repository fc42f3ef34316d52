//! The source addresses the local MTA binds its outgoing connections to, per family, read from
//! its own configuration: Postfix `smtp_bind_address` and `smtp_bind_address6`, Exim's
//! `interface` option of the `remote_smtp` transport. Each one is a candidate for our address.

use std::net::IpAddr;
use std::time::Duration;

/// One bind address and where it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MtaBind {
    pub ip: IpAddr,
    /// `postconf smtp_bind_address6`, `exim interface`.
    pub source: String,
}

/// Asks the installed MTA for its bind addresses; empty when none is set or no MTA answers
/// within `timeout` (each program is run directly, without a shell).
#[cfg(unix)]
pub async fn mta_bind(timeout: Duration) -> Vec<MtaBind> {
    let candidates: [(&str, &[&str], &str); 4] = [
        ("postconf", &["-xh", "smtp_bind_address"], "postconf smtp_bind_address"),
        ("postconf", &["-xh", "smtp_bind_address6"], "postconf smtp_bind_address6"),
        ("exim", &["-bP", "transport", "remote_smtp"], "exim interface"),
        ("exim4", &["-bP", "transport", "remote_smtp"], "exim interface"),
    ];
    let mut found: Vec<MtaBind> = Vec::new();
    for (program, args, source) in candidates {
        let Some(text) = crate::mta_command::stdout_of(program, args, timeout).await else { continue };
        let text = if source.starts_with("exim") { exim_interface(&text).unwrap_or_default() } else { text };
        for ip in addresses_in(&text) {
            if !found.iter().any(|f| f.ip == ip) {
                found.push(MtaBind { ip, source: source.to_string() });
            }
        }
    }
    found
}

/// Windows MTAs (Exchange) keep the source address in the send connector: none is read.
#[cfg(not(unix))]
pub async fn mta_bind(_timeout: Duration) -> Vec<MtaBind> {
    Vec::new()
}

/// The value of `interface = …` in `exim -bP transport NAME` output.
pub fn exim_interface(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (name, value) = line.split_once('=')?;
        (name.trim() == "interface").then(|| value.trim().to_string())
    })
}

/// The addresses in a bind setting: Postfix's one address, or an Exim list (`:` between IPv4
/// addresses, `<; ` to change the separator for IPv6). Anything else (an unexpanded `$name`,
/// a host name) gives nothing; at most 8 addresses are kept.
pub fn addresses_in(text: &str) -> Vec<IpAddr> {
    let text = text.trim().trim_start_matches("<;");
    let mut out: Vec<IpAddr> = Vec::new();
    for token in text.split(|c: char| c.is_whitespace() || c == ';' || c == ',') {
        let token = token.trim_matches(|c| c == '[' || c == ']');
        let parsed: Vec<IpAddr> = match token.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => {
                token.split(':').filter_map(|part| part.parse::<std::net::Ipv4Addr>().ok()).map(IpAddr::V4).collect()
            }
        };
        for ip in parsed {
            let ip = ip.to_canonical();
            if !ip.is_unspecified() && !out.contains(&ip) && out.len() < 8 {
                out.push(ip);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn reads_postfix_and_exim_values() {
        assert_eq!(addresses_in("203.0.113.5\n"), ["203.0.113.5".parse::<IpAddr>().unwrap()]);
        assert_eq!(addresses_in("2001:db8::25"), ["2001:db8::25".parse::<IpAddr>().unwrap()]);
        assert!(addresses_in("").is_empty());
        assert!(addresses_in("$myhostname").is_empty());
        assert!(addresses_in("0.0.0.0").is_empty());
        let exim = "driver = smtp\ninterface = <; 2001:db8::25 ; 203.0.113.5\nport = 25\n";
        let value = exim_interface(exim).unwrap();
        assert_eq!(addresses_in(&value), ["2001:db8::25".parse::<IpAddr>().unwrap(), "203.0.113.5".parse().unwrap()]);
        assert_eq!(addresses_in("192.0.2.1 : 192.0.2.2").len(), 2);
        assert_eq!(exim_interface("driver = smtp\n"), None);
    }

    proptest! {
        #[test]
        fn any_text_gives_at_most_eight_distinct_specified_addresses(text in "\\PC{0,300}") {
            let found = addresses_in(&text);
            prop_assert!(found.len() <= 8);
            for (i, ip) in found.iter().enumerate() {
                prop_assert!(!ip.is_unspecified());
                prop_assert!(!found[..i].contains(ip));
            }
            let _ = exim_interface(&text);
        }

        #[test]
        fn every_address_written_is_found(v4 in any::<std::net::Ipv4Addr>(), v6 in any::<std::net::Ipv6Addr>()) {
            prop_assume!(!v4.is_unspecified() && !v6.is_unspecified() && v6.to_ipv4_mapped().is_none());
            let found = addresses_in(&format!("<; {v6} ; {v4}"));
            prop_assert_eq!(found, vec![IpAddr::V6(v6), IpAddr::V4(v4)]);
        }
    }
}
