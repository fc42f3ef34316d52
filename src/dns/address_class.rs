//! What kind of address an IP is: only a public address is what a receiver sees, and only a
//! public address may be sent to a public block list.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The class of an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    /// Routable on the Internet.
    Public,
    /// RFC 1918 (10/8, 172.16/12, 192.168/16) or IPv6 unique local (`fc00::/7`).
    Private,
    /// Carrier-grade NAT, 100.64.0.0/10.
    SharedCgnat,
    /// 127.0.0.0/8, `::1`.
    Loopback,
    /// 169.254.0.0/16, `fe80::/10`.
    LinkLocal,
    /// 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, `2001:db8::/32`, `3fff::/20`.
    Documentation,
    /// 0.0.0.0/8, ::.
    Unspecified,
    /// Multicast, broadcast, benchmarking (198.18/15), reserved (240/4) and other special ranges.
    Reserved,
}

impl AddressClass {
    /// Classifies `ip`; IPv4-mapped IPv6 addresses are classified as the IPv4 address.
    pub fn of(ip: IpAddr) -> AddressClass {
        match ip.to_canonical() {
            IpAddr::V4(v4) => classify_v4(v4),
            IpAddr::V6(v6) => classify_v6(v6),
        }
    }

    /// True for an address receivers can see as a sender.
    pub fn is_public(self) -> bool {
        self == AddressClass::Public
    }

    /// A few words for the admin: "a private (RFC 1918) address".
    pub fn describe(self) -> &'static str {
        match self {
            AddressClass::Public => "a public address",
            AddressClass::Private => "a private address (RFC 1918 / unique local)",
            AddressClass::SharedCgnat => "a carrier-grade NAT address (100.64.0.0/10)",
            AddressClass::Loopback => "a loopback address",
            AddressClass::LinkLocal => "a link-local address",
            AddressClass::Documentation => "a documentation address (RFC 5737 / RFC 3849)",
            AddressClass::Unspecified => "the unspecified address",
            AddressClass::Reserved => "a reserved or special-purpose address",
        }
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let [a, b, c, _] = ip.octets();
    match (a, b, c) {
        (0, _, _) => AddressClass::Unspecified,
        (127, _, _) => AddressClass::Loopback,
        (10, _, _) | (172, 16..=31, _) | (192, 168, _) => AddressClass::Private,
        (100, 64..=127, _) => AddressClass::SharedCgnat,
        (169, 254, _) => AddressClass::LinkLocal,
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => AddressClass::Documentation,
        // 192.0.0.0/24 protocol assignments, 198.18.0.0/15 benchmarking, multicast, 240/4.
        (192, 0, 0) | (198, 18..=19, _) | (224..=255, _, _) => AddressClass::Reserved,
        _ => AddressClass::Public,
    }
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    let segments = ip.segments();
    if ip.is_unspecified() {
        AddressClass::Unspecified
    } else if ip.is_loopback() {
        AddressClass::Loopback
    } else if segments[0] & 0xfe00 == 0xfc00 {
        AddressClass::Private
    } else if segments[0] & 0xffc0 == 0xfe80 {
        AddressClass::LinkLocal
    } else if (segments[0] == 0x2001 && segments[1] == 0x0db8) || segments[0] & 0xfff0 == 0x3ff0 {
        AddressClass::Documentation
    } else if segments[0] & 0xe000 == 0x2000 {
        // Global unicast is 2000::/3; everything else (multicast, discard, …) is special.
        AddressClass::Public
    } else {
        AddressClass::Reserved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(text: &str) -> AddressClass {
        AddressClass::of(text.parse().unwrap())
    }

    #[test]
    fn ipv4_ranges() {
        assert_eq!(class("10.1.2.3"), AddressClass::Private);
        assert_eq!(class("172.31.0.1"), AddressClass::Private);
        assert_eq!(class("172.32.0.1"), AddressClass::Public);
        assert_eq!(class("192.168.1.1"), AddressClass::Private);
        assert_eq!(class("100.64.0.1"), AddressClass::SharedCgnat);
        assert_eq!(class("100.127.255.255"), AddressClass::SharedCgnat);
        assert_eq!(class("100.128.0.1"), AddressClass::Public);
        assert_eq!(class("127.0.0.2"), AddressClass::Loopback);
        assert_eq!(class("169.254.10.1"), AddressClass::LinkLocal);
        assert_eq!(class("203.0.113.5"), AddressClass::Documentation);
        assert_eq!(class("198.51.100.1"), AddressClass::Documentation);
        assert_eq!(class("192.0.2.1"), AddressClass::Documentation);
        assert_eq!(class("224.0.0.1"), AddressClass::Reserved);
        assert_eq!(class("8.8.8.8"), AddressClass::Public);
        assert_eq!(class("::ffff:192.168.0.1"), AddressClass::Private);
    }

    #[test]
    fn ipv6_ranges() {
        assert_eq!(class("::1"), AddressClass::Loopback);
        assert_eq!(class("fd00::1"), AddressClass::Private);
        assert_eq!(class("fe80::1"), AddressClass::LinkLocal);
        assert_eq!(class("2001:db8::25"), AddressClass::Documentation);
        assert_eq!(class("3fff::1"), AddressClass::Documentation);
        assert_eq!(class("2a00:1450::1"), AddressClass::Public);
        assert_eq!(class("ff02::1"), AddressClass::Reserved);
        assert!(!class("100.64.1.1").is_public());
    }
}
