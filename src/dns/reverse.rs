//! Reversed forms of an address: the labels DNS block lists are queried with and the
//! `in-addr.arpa` / `ip6.arpa` name PTR records live under.

use std::fmt::Write;
use std::net::IpAddr;

/// The address's reversed labels without a suffix: `5.113.0.203` for 203.0.113.5, 32 nibbles
/// for an IPv6 address (`1.0.0.0…8.b.d.0.1.0.0.2` for `2001:db8::1`). IPv4-mapped IPv6 addresses
/// are taken as the IPv4 address they carry.
pub fn reversed_labels(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            format!("{d}.{c}.{b}.{a}")
        }
        IpAddr::V6(v6) => {
            let mut out = String::with_capacity(63);
            for byte in v6.octets().iter().rev() {
                if !out.is_empty() {
                    out.push('.');
                }
                let _ = write!(out, "{:x}.{:x}", byte & 0x0f, byte >> 4);
            }
            out
        }
    }
}

/// The reverse-DNS name of the address, with its trailing dot: `5.113.0.203.in-addr.arpa.`.
pub fn arpa_name(ip: IpAddr) -> String {
    let suffix = if ip.to_canonical().is_ipv4() { "in-addr.arpa." } else { "ip6.arpa." };
    format!("{}.{suffix}", reversed_labels(ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_octets_are_reversed() {
        assert_eq!(reversed_labels("203.0.113.5".parse().unwrap()), "5.113.0.203");
        assert_eq!(arpa_name("127.0.0.2".parse().unwrap()), "2.0.0.127.in-addr.arpa.");
        assert_eq!(reversed_labels("::ffff:198.51.100.7".parse().unwrap()), "7.100.51.198");
    }

    #[test]
    fn ipv6_nibbles_are_reversed() {
        let name = reversed_labels("2001:db8::1".parse().unwrap());
        assert_eq!(name, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2");
        assert_eq!(name.split('.').count(), 32);
        assert!(arpa_name("2001:db8::1".parse().unwrap()).ends_with(".8.b.d.0.1.0.0.2.ip6.arpa."));
    }
}
