//! The address our MTA connected to, as its log lines and queue reasons name it: Postfix
//! `host mx[2607:f8b0::1b] said`, `connect to mx[2a00:1450::1a]:25`, `lost connection with
//! mx[…]`, `relay=mx[…]:25`; Exim `H=mx.example [2a00:…]`, `host mx.example [2a00:…]:`. Its
//! family tells which path a refusal came over. An address inside the receiver's own words
//! (Gmail's `550-5.7.1 [2001:db8::25] Our system …` names *our* address) is not the peer.

use std::net::IpAddr;

use crate::config::Family;

/// At most this many bracketed texts are looked at in one line: the peer comes early.
const MAX_BRACKETS: usize = 8;

/// Words an MTA writes right before the peer's name: Postfix `host`, `connect to`, `lost
/// connection with`, `conversation with`; Exim `host`.
const LEADS: [&str; 3] = ["host", "to", "with"];

/// The peer's address in `text` (a log line or a delay reason), when the MTA wrote one: the
/// first bracketed IP address that follows the peer's name in one of the MTA's own phrases.
pub fn remote_address(text: &str) -> Option<IpAddr> {
    let mut from = 0;
    for _ in 0..MAX_BRACKETS {
        let open = from + text[from..].find('[')?;
        let close = open + text[open..].find(']')?;
        from = close;
        let Some(ip) = literal(&text[open + 1..close]) else { continue };
        if follows_peer_name(&text[..open]) {
            return Some(ip);
        }
    }
    None
}

/// The family of the peer in `text` (see [`remote_address`]).
pub fn remote_family(text: &str) -> Option<Family> {
    remote_address(text).map(Family::of)
}

/// An address as MTAs write it between brackets or in a field: `192.0.2.1`, `2001:db8::1`,
/// `IPv6:2001:db8::1`, `fe80::1%eth0`, `::ffff:192.0.2.1` (read as IPv4).
pub fn literal(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    let text = text.get(..5).filter(|p| p.eq_ignore_ascii_case("ipv6:")).map_or(text, |_| &text[5..]);
    let text = text.split_once('%').map_or(text, |(address, _zone)| address);
    // The longest IPv6 text is 45 characters; anything longer is no address.
    if text.len() > 45 {
        return None;
    }
    text.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

/// The family of an address field (`LogRecord::remote_ip`), when it is an address.
pub fn family_of(field: &str) -> Option<Family> {
    literal(field).map(Family::of)
}

/// True when `before` (the text up to a `[`) ends with a peer's name the way MTAs write it:
/// `host mx` (Postfix, no space before the bracket), `host mx ` (Exim), `connect to mx`,
/// `with mx`, `H=mx `, `H=(helo) `, `relay=mx`.
fn follows_peer_name(before: &str) -> bool {
    let before = before.strip_suffix(' ').unwrap_or(before);
    let (head, name) = before.rsplit_once(' ').unwrap_or(("", before));
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
        return false;
    }
    if name.starts_with("H=") || name.starts_with("relay=") {
        return true;
    }
    let lead = head.rsplit(' ').next().unwrap_or("");
    LEADS.contains(&lead) && name.bytes().any(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_peer_is_found_in_each_phrase() {
        let cases = [
            ("host mx.bank.example[192.0.2.10] refused to talk to me: 421 4.0.0 Server error", "192.0.2.10"),
            ("connect to mx[2a00:1450:400b:c02::1a]:25: Network is unreachable", "2a00:1450:400b:c02::1a"),
            (
                "lost connection with mx2.bank.example[192.0.2.20] while receiving the initial server greeting",
                "192.0.2.20",
            ),
            ("conversation with mx[2001:db8::1] timed out while sending end of data", "2001:db8::1"),
            ("H=mail.zee.corp [3.3.3.3] X=TLS1.2", "3.3.3.3"),
            ("host ASPMX.L.GOOGLE.COM [2a00:1450:400c:c05::1a]: 550-5.7.1", "2a00:1450:400c:c05::1a"),
            ("to=<a@b.example>, relay=mx[2001:db8::2]:25, delay=1", "2001:db8::2"),
            ("host 127.0.0.1 [127.0.0.1]: 421 myhost.test.ex", "127.0.0.1"),
            // Sendmail writes an IPv6 peer with its `IPv6:` tag (fail2ban's sendmail test log).
            ("relay=example.com [IPv6:2001:DB8::1], reject=550", "2001:db8::1"),
            ("host mx[::ffff:192.0.2.7] said: 450", "192.0.2.7"),
        ];
        for (text, want) in cases {
            assert_eq!(remote_address(text), Some(ip(want)), "{text}");
        }
    }

    #[test]
    fn our_address_in_the_receivers_words_is_not_the_peer() {
        assert_eq!(remote_address("550-5.7.1 [2001:db8::25] Our system has detected that this message"), None);
        assert_eq!(remote_address("said: 550 5.7.1 Client host [203.0.113.5] blocked using zen.spamhaus.org"), None);
        assert_eq!(remote_address("host mx[not an address] said: 550 [2001:db8::25]"), None);
        // Outlook.com's S3150 (smtp-field-manual, 550.json): our address after "from".
        assert_eq!(remote_address("550 5.7.1 Unfortunately, messages from [62.210.82.129] weren't sent."), None);
        assert_eq!(remote_address("no brackets at all"), None);
        assert_eq!(remote_address("unclosed [2001:db8::1"), None);
    }

    #[test]
    fn families_of_fields() {
        assert_eq!(family_of("2607:f8b0:400e:c04::1b"), Some(Family::V6));
        assert_eq!(family_of("98.136.96.92"), Some(Family::V4));
        assert_eq!(family_of("::ffff:127.0.0.1"), Some(Family::V4));
        assert_eq!(family_of("fe80::1%eth0"), Some(Family::V6));
        assert_eq!(family_of("4.4.4.4:"), None);
        assert_eq!(family_of("unknown"), None);
    }
}
