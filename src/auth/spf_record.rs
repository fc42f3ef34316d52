//! The SPF record's syntax (RFC 7208 §4.5, §5, §6, §12): a strict parser of the whole record,
//! so that an error anywhere in it is a permerror before any lookup.
//!
//! Written here because `mail-auth` lets through what the RFC calls errors (control
//! characters, domains without a top label, prefix lengths out of range) and the stricter
//! parsers on crates.io are GPL.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::spf_macro::{Context, MacroString};

/// A parsed SPF record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub directives: Vec<Directive>,
    pub redirect: Option<MacroString>,
    pub exp: Option<MacroString>,
}

/// A qualifier and its mechanism, with the term as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub qualifier: Qualifier,
    pub mechanism: Mechanism,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qualifier {
    Pass,
    Fail,
    SoftFail,
    Neutral,
}

/// Prefix lengths of `a` and `mx`: IPv4 then IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub v4: u8,
    pub v6: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mechanism {
    All,
    Include(MacroString),
    A(Option<MacroString>, Cidr),
    Mx(Option<MacroString>, Cidr),
    Ptr(Option<MacroString>),
    Ip4(Ipv4Addr, u8),
    Ip6(Ipv6Addr, u8),
    Exists(MacroString),
}

/// True for a TXT string that is an SPF record: `v=spf1` alone or followed by a space.
pub fn is_spf(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 6 && bytes[..6].eq_ignore_ascii_case(b"v=spf1") && (bytes.len() == 6 || bytes[6] == b' ')
}

impl Record {
    /// Parses a record selected by [`is_spf`]; the error names the first fault in one sentence.
    pub fn parse(text: &str) -> Result<Record, String> {
        if !is_spf(text) {
            return Err("it does not start with v=spf1".to_string());
        }
        if let Some(bad) = text.chars().find(|c| !matches!(c, ' '..='~')) {
            return Err(format!(
                "it holds {}, and a record may hold only printable ASCII and spaces",
                bad.escape_debug()
            ));
        }
        let mut record = Record { directives: Vec::new(), redirect: None, exp: None };
        for term in text[6..].split(' ').filter(|t| !t.is_empty()) {
            if let Some((name, value)) = modifier(term) {
                let at = |why: String| format!("the term \"{term}\": {why}");
                match name.to_ascii_lowercase().as_str() {
                    "redirect" => {
                        set_once(&mut record.redirect, MacroString::parse_domain_spec(value).map_err(at)?, term)?;
                    }
                    "exp" => set_once(&mut record.exp, MacroString::parse_domain_spec(value).map_err(at)?, term)?,
                    // Unknown modifiers are ignored, once their value is a valid macro string.
                    _ => drop(MacroString::parse(value, Context::Domain).map_err(at)?),
                }
            } else {
                record.directives.push(directive(term)?);
            }
        }
        Ok(record)
    }
}

fn set_once(slot: &mut Option<MacroString>, value: MacroString, term: &str) -> Result<(), String> {
    if slot.is_some() {
        return Err(format!("\"{term}\" is the second of its kind; a modifier may be given once"));
    }
    *slot = Some(value);
    Ok(())
}

/// `name=value` when `term` is a modifier (`name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )`).
fn modifier(term: &str) -> Option<(&str, &str)> {
    let (name, value) = term.split_once('=')?;
    let mut bytes = name.bytes();
    let first = bytes.next()?;
    (first.is_ascii_alphabetic() && bytes.all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)))
        .then_some((name, value))
}

fn directive(term: &str) -> Result<Directive, String> {
    let (qualifier, rest) = match term.as_bytes()[0] {
        b'+' => (Qualifier::Pass, &term[1..]),
        b'-' => (Qualifier::Fail, &term[1..]),
        b'~' => (Qualifier::SoftFail, &term[1..]),
        b'?' => (Qualifier::Neutral, &term[1..]),
        _ => (Qualifier::Pass, term),
    };
    let name_end = rest.find([':', '/']).unwrap_or(rest.len());
    let (name, value) = rest.split_at(name_end);
    let bad = |why: &str| format!("the term \"{term}\" {why}");
    let domain =
        |value: &str| MacroString::parse_domain_spec(value).map_err(|why| bad(&format!("is not valid: {why}")));
    let mechanism = match name.to_ascii_lowercase().as_str() {
        "all" if value.is_empty() => Mechanism::All,
        "include" => Mechanism::Include(domain(value.strip_prefix(':').ok_or_else(|| bad("needs :domain"))?)?),
        "exists" => Mechanism::Exists(domain(value.strip_prefix(':').ok_or_else(|| bad("needs :domain"))?)?),
        "ptr" if value.is_empty() => Mechanism::Ptr(None),
        "ptr" => Mechanism::Ptr(Some(domain(value.strip_prefix(':').ok_or_else(|| bad("takes no prefix length"))?)?)),
        "a" | "mx" => {
            let (target, cidr) = dual_cidr(value).map_err(|why| bad(&why))?;
            let target = match target.strip_prefix(':') {
                Some(spec) => Some(domain(spec)?),
                None if target.is_empty() => None,
                None => return Err(bad("cannot be read")),
            };
            if name.eq_ignore_ascii_case("a") { Mechanism::A(target, cidr) } else { Mechanism::Mx(target, cidr) }
        }
        "ip4" => {
            let (address, prefix) = network(value, 32).map_err(|why| bad(&why))?;
            Mechanism::Ip4(address.parse().map_err(|_| bad("does not hold an IPv4 address"))?, prefix)
        }
        "ip6" => {
            let (address, prefix) = network(value, 128).map_err(|why| bad(&why))?;
            Mechanism::Ip6(address.parse().map_err(|_| bad("does not hold an IPv6 address"))?, prefix)
        }
        _ => return Err(format!("\"{term}\" is not an SPF mechanism")),
    };
    Ok(Directive { qualifier, mechanism, text: term.to_string() })
}

/// `:address[/prefix]` of `ip4` and `ip6`.
fn network(value: &str, max: u8) -> Result<(&str, u8), String> {
    let value = value.strip_prefix(':').ok_or("needs :address")?;
    match value.split_once('/') {
        Some((address, prefix)) => Ok((address, prefix_length(prefix, max)?)),
        None => Ok((value, max)),
    }
}

/// Splits a trailing `/v4`, `//v6` or `/v4//v6` off the value of `a` or `mx`; what is left is
/// `:domain-spec` or nothing. A domain may itself hold `/`, so only a trailing run of digits
/// counts as a prefix length.
fn dual_cidr(value: &str) -> Result<(&str, Cidr), String> {
    let mut rest = value;
    let mut cidr = Cidr { v4: 32, v6: 128 };
    if let Some(at) = rest.rfind("//")
        && is_digits(&rest[at + 2..])
    {
        cidr.v6 = prefix_length(&rest[at + 2..], 128)?;
        rest = &rest[..at];
    }
    if let Some(at) = rest.rfind('/')
        && is_digits(&rest[at + 1..])
    {
        cidr.v4 = prefix_length(&rest[at + 1..], 32)?;
        rest = &rest[..at];
    }
    Ok((rest, cidr))
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// A prefix length as the RFC writes it: no leading zero, at most `max`.
fn prefix_length(text: &str, max: u8) -> Result<u8, String> {
    let value =
        text.parse::<u8>().ok().filter(|&v| v <= max && is_digits(text) && (text == "0" || !text.starts_with('0')));
    value.ok_or_else(|| format!("has the prefix length /{text}, and it must be 0 to {max} without leading zeros"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_records_parse() {
        for good in [
            "v=spf1",
            "v=spf1 -all ",
            "v=spf1  a  -all",
            "v=spf1 a/24//64 mx:example.com/0 ptr ip4:192.0.2.0/24 ip6:::FFFF:1.2.3.4 ip6:::1.1.1.1/0 ~all",
            "v=spf1 a:foo:bar/baz.example.com",
            "v=spf1 moo.cow-far_out=man:dog/cat default=+ exp=%{d} redirect=_spf.%{d}",
            "V=SPF1 A:%{L}.example.com INCLUDE:x.example.net",
        ] {
            assert!(Record::parse(good).is_ok(), "{good}: {:?}", Record::parse(good));
        }
    }

    #[test]
    fn invalid_records_say_why() {
        for bad in [
            "v=spf1 a:foo-bar",
            "v=spf1 a:111.222.33.44",
            "v=spf1 a:abc.123",
            "v=spf1 a:museum",
            "v=spf1 mx:abc.123",
            "v=spf1 redirect=-all",
            "v=spf1 exp=-all",
            "v=spf1 exp=",
            "v=spf1 a/33",
            "v=spf1 a//129",
            "v=spf1 ip4:1.2.3.4/33",
            "v=spf1 ip4:1.2.3.4/032",
            "v=spf1 a/24/64",
            "v=spf1 a:ctrl.example.com\rptr -all",
            "v=spf1 \u{80}a:example.net",
            "v=spf1 moo.cow/far_out=man:dog/cat",
            "v=spf1 1up=foo",
            "v=spf1 =all",
            "v=spf1 redirect:t2.example.com",
            "v=spf1 foo=%abc",
            "v=spf1 redirect=a.example.com redirect=b.example.com",
            "v=spf1 -all=x",
            "v=spf1 ptr/0 -all",
        ] {
            let why = Record::parse(bad).unwrap_err();
            assert!(!why.is_empty() && !why.contains('\n'), "{bad}: {why}");
        }
    }

    #[test]
    fn prefix_lengths_are_read() {
        let record = Record::parse("v=spf1 a:example.com/24//64 ip4:192.0.2.0/0").unwrap();
        assert_eq!(
            record.directives[0].mechanism,
            Mechanism::A(MacroString::parse_domain_spec("example.com").ok(), Cidr { v4: 24, v6: 64 })
        );
        assert_eq!(record.directives[1].mechanism, Mechanism::Ip4(Ipv4Addr::new(192, 0, 2, 0), 0));
    }
}
