//! SPF macro strings (RFC 7208 §7): parsed from the record as published, so their syntax is
//! checked before any expansion, then expanded for one evaluation.

use std::fmt::Write as _;
use std::net::IpAddr;

/// A parsed macro string: literal text and `%{…}` expansions, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacroString {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Expand(Expand),
}

/// One `%{…}` expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Expand {
    /// The macro letter, lowercase.
    letter: u8,
    /// An uppercase letter asks for URL escaping.
    escape: bool,
    /// How many right-hand parts to keep.
    keep: Option<usize>,
    reverse: bool,
    delimiters: Vec<u8>,
}

/// Where a macro string stands, which decides what it may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// A domain-spec or an unknown modifier's value: no spaces, no `c`, `r`, `t`.
    Domain,
    /// The TXT record an `exp=` points to: spaces and every macro letter.
    Explanation,
}

/// What the macros expand to, for one evaluation.
#[derive(Debug, Clone)]
pub struct Values<'a> {
    /// `local-part@domain` of the identity checked.
    pub sender: &'a str,
    /// The domain whose record is being evaluated (`%{d}`).
    pub domain: &'a str,
    pub ip: IpAddr,
    pub helo: &'a str,
    /// The validated name of `ip` (`%{p}`), `unknown` when none was found.
    pub validated: &'a str,
    /// Our own host name (`%{r}`).
    pub receiver: &'a str,
    /// Seconds since the epoch (`%{t}`).
    pub timestamp: u64,
}

impl MacroString {
    /// Parses a macro string; the error names what is wrong in one sentence.
    pub fn parse(text: &str, context: Context) -> Result<MacroString, String> {
        parse_marking_end(text, context).map(|(parsed, _)| parsed)
    }

    /// Parses a domain-spec: a macro string that ends in a macro or in `.toplabel` (RFC 7208
    /// §7.1), checked as written, before expansion.
    pub fn parse_domain_spec(text: &str) -> Result<MacroString, String> {
        if text.is_empty() {
            return Err("a domain is missing".to_string());
        }
        let (parsed, ends_in_macro) = parse_marking_end(text, Context::Domain)?;
        if !ends_in_macro && !ends_in_toplabel(text) {
            return Err(format!(
                "\"{}\" is not a domain: it must end in a macro or a dot and a top label",
                text.escape_debug()
            ));
        }
        Ok(parsed)
    }

    /// True when the string asks for `%{p}`, which needs lookups before expansion.
    pub fn uses_validated_name(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::Expand(e) if e.letter == b'p'))
    }

    /// The string with its macros expanded.
    pub fn expand(&self, values: &Values<'_>) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Expand(expand) => out.push_str(&expand.apply(values)),
            }
        }
        out
    }
}

/// Parses a macro string; also says whether it ends in a macro-expand (`%{…}`, `%%`, `%_`, `%-`).
fn parse_marking_end(text: &str, context: Context) -> Result<(MacroString, bool), String> {
    let bytes = text.as_bytes();
    // Errors quote the text escaped and bounded: it may come from a TXT record.
    let shown = quoted(text);
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut at = 0;
    let mut ends_in_macro = false;
    while at < bytes.len() {
        let byte = bytes[at];
        ends_in_macro = byte == b'%';
        if byte == b'%' {
            match bytes.get(at + 1) {
                Some(b'%') => literal.push('%'),
                Some(b'_') => literal.push(' '),
                Some(b'-') => literal.push_str("%20"),
                Some(b'{') => {
                    let close = text[at..].find('}').ok_or_else(|| format!("\"{shown}\" has a %{{ without its }}"))?;
                    let expand = parse_expand(&text[at + 2..at + close], context)
                        .map_err(|why| format!("\"{}\" in \"{shown}\" {why}", quoted(&text[at..=at + close])))?;
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Expand(expand));
                    at += close + 1;
                    continue;
                }
                _ => return Err(format!("\"{shown}\" has a % that starts no macro (write %% for a percent sign)")),
            }
            at += 2;
            continue;
        }
        let allowed = matches!(byte, 0x21..=0x7e) || (byte == b' ' && context == Context::Explanation);
        if !allowed {
            return Err(format!("\"{shown}\" holds a character SPF does not allow"));
        }
        literal.push(char::from(byte));
        at += 1;
    }
    if !literal.is_empty() {
        parts.push(Part::Literal(literal));
    }
    Ok((MacroString { parts }, ends_in_macro))
}

fn parse_expand(body: &str, context: Context) -> Result<Expand, String> {
    let mut chars = body.bytes();
    let letter = chars.next().ok_or("names no macro letter")?;
    let lower = letter.to_ascii_lowercase();
    match lower {
        b's' | b'l' | b'o' | b'd' | b'i' | b'p' | b'h' | b'v' => {}
        b'c' | b'r' | b't' if context == Context::Explanation => {}
        b'c' | b'r' | b't' => return Err("may only be used in an explanation".to_string()),
        _ => return Err("names no SPF macro letter".to_string()),
    }
    let rest = &body[1..];
    let digits_end = rest.bytes().position(|b| !b.is_ascii_digit()).unwrap_or(rest.len());
    let keep = if digits_end == 0 {
        None
    } else {
        let count = rest[..digits_end].parse::<usize>().unwrap_or(usize::MAX);
        if count == 0 {
            return Err("keeps zero parts".to_string());
        }
        Some(count)
    };
    let mut rest = &rest[digits_end..];
    let reverse = rest.starts_with(['r', 'R']);
    if reverse {
        rest = &rest[1..];
    }
    if let Some(bad) = rest.bytes().find(|b| !b".-+,/_=".contains(b)) {
        return Err(format!("has \"{}\" where a delimiter (.-+,/_=) belongs", char::from(bad).escape_debug()));
    }
    Ok(Expand {
        letter: lower,
        escape: letter.is_ascii_uppercase(),
        keep,
        reverse,
        delimiters: rest.as_bytes().to_vec(),
    })
}

fn ends_in_toplabel(text: &str) -> bool {
    let trimmed = text.strip_suffix('.').unwrap_or(text);
    let Some((_, top)) = trimmed.rsplit_once('.') else { return false };
    let alnum = |b: u8| b.is_ascii_alphanumeric();
    let bytes = top.as_bytes();
    if bytes.is_empty() || !bytes.iter().all(|&b| alnum(b) || b == b'-') {
        return false;
    }
    let with_alpha = bytes.iter().all(|&b| alnum(b)) && bytes.iter().any(u8::is_ascii_alphabetic);
    let hyphenated = bytes.contains(&b'-') && alnum(bytes[0]) && alnum(bytes[bytes.len() - 1]);
    with_alpha || hyphenated
}

impl Expand {
    fn apply(&self, values: &Values<'_>) -> String {
        let value = self.value(values);
        let delimiters: &[u8] = if self.delimiters.is_empty() { b"." } else { &self.delimiters };
        let mut parts: Vec<&str> = value.split(|c: char| c.is_ascii() && delimiters.contains(&(c as u8))).collect();
        if self.reverse {
            parts.reverse();
        }
        if let Some(keep) = self.keep {
            let skip = parts.len().saturating_sub(keep);
            parts.drain(..skip);
        }
        let joined = parts.join(".");
        if self.escape { url_escape(&joined) } else { joined }
    }

    fn value(&self, values: &Values<'_>) -> String {
        let (local, sender_domain) = values.sender.rsplit_once('@').unwrap_or(("postmaster", values.sender));
        match self.letter {
            b's' => values.sender.to_string(),
            b'l' => local.to_string(),
            b'o' => sender_domain.to_string(),
            b'd' => values.domain.to_string(),
            b'i' => dotted(values.ip),
            b'p' => values.validated.to_string(),
            b'v' => if values.ip.is_ipv4() { "in-addr" } else { "ip6" }.to_string(),
            b'h' => values.helo.to_string(),
            b'c' => values.ip.to_string(),
            b'r' => values.receiver.to_string(),
            _ => values.timestamp.to_string(),
        }
    }
}

/// `%{i}`: an IPv4 address as written, an IPv6 address as 32 dotted nibbles.
fn dotted(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(ip) => ip.to_string(),
        IpAddr::V6(ip) => {
            let hex: String = ip.octets().iter().map(|b| format!("{b:02x}")).collect();
            let nibbles: Vec<String> = hex.chars().map(String::from).collect();
            nibbles.join(".")
        }
    }
}

/// Percent-encodes all but the unreserved characters (RFC 3986).
fn url_escape(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// At most this many characters of a record are quoted in an error.
const QUOTED: usize = 120;

/// `text` escaped for an error message, cut after [`QUOTED`] characters.
fn quoted(text: &str) -> String {
    let mut shown: String = text.escape_debug().take(QUOTED).collect();
    if text.escape_debug().nth(QUOTED).is_some() {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> Values<'static> {
        Values {
            sender: "strong-bad@email.example.com",
            domain: "email.example.com",
            ip: "192.0.2.3".parse().unwrap(),
            helo: "mx.example.org",
            validated: "unknown",
            receiver: "mailwiz",
            timestamp: 0,
        }
    }

    fn expand(text: &str) -> String {
        MacroString::parse(text, Context::Explanation).unwrap().expand(&values())
    }

    #[test]
    fn the_rfc_examples_expand_as_written() {
        assert_eq!(expand("%{s}"), "strong-bad@email.example.com");
        assert_eq!(expand("%{d4}"), "email.example.com");
        assert_eq!(expand("%{d2}"), "example.com");
        assert_eq!(expand("%{d1}"), "com");
        assert_eq!(expand("%{dr}"), "com.example.email");
        assert_eq!(expand("%{d2r}"), "example.email");
        assert_eq!(expand("%{l-}"), "strong.bad");
        assert_eq!(expand("%{lr-}"), "bad.strong");
        assert_eq!(expand("%{l1r-}"), "strong");
        assert_eq!(expand("%{ir}.%{v}._spf.%{d2}"), "3.2.0.192.in-addr._spf.example.com");
        assert_eq!(expand("%{S}"), "strong-bad%40email.example.com");
        assert_eq!(expand("a%%b%_c%-d"), "a%b c%20d");
    }

    #[test]
    fn ipv6_expands_to_nibbles() {
        let mut v = values();
        v.ip = "2001:db8::cb01".parse().unwrap();
        let out = MacroString::parse("%{ir}.%{v}", Context::Domain).unwrap().expand(&v);
        assert_eq!(out, "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6");
    }

    #[test]
    fn bad_macros_are_named() {
        assert!(MacroString::parse("%{x}", Context::Domain).unwrap_err().contains("%{x}"));
        assert!(MacroString::parse("%{d0}", Context::Domain).unwrap_err().contains("zero"));
        assert!(MacroString::parse("%{c}", Context::Domain).is_err());
        assert!(MacroString::parse("%{c}", Context::Explanation).is_ok());
        assert!(MacroString::parse("%abc", Context::Domain).is_err());
        assert!(MacroString::parse("a b", Context::Domain).is_err());
    }

    #[test]
    fn a_domain_spec_ends_in_a_top_label_or_a_macro() {
        for good in ["example.com", "example.com.", "%{d}", "foo:bar/baz.example.com", "x.foo-bar", "%{l}.a1"] {
            assert!(MacroString::parse_domain_spec(good).is_ok(), "{good}");
        }
        for bad in ["foo-bar", "111.222.33.44", "abc.123", "museum", "-all", "", "example.-x"] {
            assert!(MacroString::parse_domain_spec(bad).is_err(), "{bad}");
        }
    }
}
