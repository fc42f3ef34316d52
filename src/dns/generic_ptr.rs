//! Does a PTR name look generic or dynamic? Receivers (and lists such as SpamRATS-Dyna) treat
//! `203-0-113-5.dsl.provider.example` as an end-user line, not a mail server.

use std::net::IpAddr;

/// Words access providers put into the names of end-user and dynamic addresses.
const DYNAMIC_WORDS: &[&str] = &[
    "adsl",
    "bb",
    "broadband",
    "cable",
    "client",
    "clients",
    "cpe",
    "customer",
    "dhcp",
    "dial",
    "dialin",
    "dialup",
    "dip",
    "dsl",
    "dyn",
    "dynamic",
    "dynip",
    "ftth",
    "pool",
    "ppp",
    "pppoe",
    "res",
    "residential",
    "sdsl",
    "unassigned",
    "unknown",
    "user",
    "users",
    "vdsl",
    "xdsl",
];

/// Why `name` looks like the generic PTR of `ip`, or `None` when it looks like a server's own
/// name. The provider's own domain (the last two labels) is not considered.
pub fn generic_reason(ip: IpAddr, name: &str) -> Option<String> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = name.split('.').collect();
    let host_part = labels[..labels.len().saturating_sub(2)].join(".");
    if let Some(found) = address_in_name(ip, &name) {
        return Some(format!("it contains the address ({found})"));
    }
    for token in host_part.split(|c: char| !c.is_ascii_alphanumeric()) {
        let word = token.trim_matches(|c: char| c.is_ascii_digit());
        if let Some(word) = DYNAMIC_WORDS.iter().find(|w| **w == word) {
            return Some(format!("it contains the word \"{word}\""));
        }
    }
    None
}

/// The piece of `name` that spells the address: three or four octets in order or reversed,
/// zero-padded digits, hex octets, or most of the IPv6 groups.
fn address_in_name(ip: IpAddr, name: &str) -> Option<String> {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let octets = v4.octets();
            let decimal: Vec<u32> = octets.iter().map(|&o| u32::from(o)).collect();
            let numbers: Vec<u32> = name
                .split(|c: char| !c.is_ascii_digit())
                .filter(|t| !t.is_empty() && t.len() <= 3)
                .filter_map(|t| t.parse().ok())
                .collect();
            let reversed: Vec<u32> = decimal.iter().rev().copied().collect();
            for pattern in [&decimal[..], &decimal[1..], &reversed[..], &reversed[..3]] {
                if numbers.windows(pattern.len()).any(|w| w == pattern) {
                    return Some(pattern.iter().map(u32::to_string).collect::<Vec<_>>().join("-"));
                }
            }
            let padded = format!("{:03}{:03}{:03}{:03}", octets[0], octets[1], octets[2], octets[3]);
            let hex = format!("{:02x}{:02x}{:02x}{:02x}", octets[0], octets[1], octets[2], octets[3]);
            [padded, hex].into_iter().find(|spelled| name.contains(spelled.as_str()))
        }
        IpAddr::V6(v6) => {
            let groups: Vec<String> = v6.segments().iter().map(|s| format!("{s:x}")).collect();
            let tokens: Vec<&str> = name.split(|c: char| !c.is_ascii_hexdigit()).filter(|t| !t.is_empty()).collect();
            let trimmed: Vec<String> = tokens
                .iter()
                .map(|t| t.trim_start_matches('0'))
                .map(|t| if t.is_empty() { "0" } else { t }.to_string())
                .collect();
            // The interface identifier (last four groups) in order is what providers put in.
            let tail = &groups[4..];
            if trimmed.windows(tail.len()).any(|w| w == tail) && tail.iter().any(|g| g != "0") {
                return Some(tail.join("-"));
            }
            let nibbles: String = v6.octets().iter().map(|b| format!("{b:02x}")).collect();
            name.contains(&nibbles[16..]).then(|| nibbles[16..].to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(ip: &str, name: &str) -> Option<String> {
        generic_reason(ip.parse().unwrap(), name)
    }

    #[test]
    fn server_names_are_not_generic() {
        assert_eq!(reason("203.0.113.5", "mail.example.com."), None);
        assert_eq!(reason("203.0.113.5", "mx1.cablecompany.example"), None);
        assert_eq!(reason("203.0.113.5", "smtp-out-5.example.net"), None);
        assert_eq!(reason("2001:db8::25", "mail.example.com"), None);
    }

    #[test]
    fn address_digits_make_a_name_generic() {
        assert!(reason("203.0.113.5", "203-0-113-5.static.provider.example").unwrap().contains("203-0-113-5"));
        assert!(reason("203.0.113.5", "5.113.0.203.provider.example").is_some());
        assert!(reason("203.0.113.5", "host-0-113-5.provider.example").is_some());
        assert!(reason("203.0.113.5", "ip203000113005.provider.example").is_some());
        assert!(reason("203.0.113.5", "cb007105.provider.example").is_some());
        assert!(reason("2001:db8::1:2:3:4", "1-2-3-4.v6.provider.example").is_some());
    }

    #[test]
    fn dynamic_words_make_a_name_generic() {
        assert!(reason("198.51.100.7", "dsl7.provider.example").unwrap().contains("\"dsl\""));
        assert!(reason("198.51.100.7", "host.dynamic.provider.example").unwrap().contains("dynamic"));
        assert!(reason("198.51.100.7", "pool-a.provider.example").is_some());
        assert!(reason("198.51.100.7", "ppp12.x.provider.example").is_some());
        // The provider's own domain is not held against it.
        assert_eq!(reason("198.51.100.7", "mail.dsl.example"), None);
    }
}
