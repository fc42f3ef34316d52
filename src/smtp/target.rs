//! What to connect to: `HOST`, `HOST:PORT`, `[IPv6]:PORT`, and the addresses of a host name.

use std::net::{IpAddr, SocketAddr};

use crate::config::Family;
use crate::context::Context;
use crate::dns::resolver::Resolver;
use crate::session::escape::escape_str;

/// A host and port as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPort {
    pub host: String,
    pub port: u16,
}

/// Reads `HOST`, `HOST:PORT`, `IP`, `IPv4:PORT`, `[IPv6]:PORT` or a bare IPv6 address.
pub fn parse_host_port(text: &str, default_port: u16) -> Result<HostPort, String> {
    let text = text.trim();
    let bad = || format!("\"{}\" is not a host, HOST:PORT or [IPv6]:PORT", escape_str(text));
    if text.is_empty() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let target = host_port(text, default_port).ok_or_else(bad)??;
    if target.port == 0 {
        return Err("port 0 is not a port to connect to".into());
    }
    Ok(target)
}

/// `None` when `text` is no host; `Some(Err)` when its port is not a number.
fn host_port(text: &str, default_port: u16) -> Option<Result<HostPort, String>> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Some(Ok(HostPort { host: addr.ip().to_string(), port: addr.port() }));
    }
    if let Ok(ip) = text.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
        return Some(Ok(HostPort { host: ip.to_string(), port: default_port }));
    }
    let (host, port) = match text.rsplit_once(':') {
        Some((host, port)) => match port.parse::<u16>() {
            Ok(port) => (host, port),
            Err(_) => return Some(Err(format!("\"{}\" is not a port number", escape_str(port)))),
        },
        None => (text, default_port),
    };
    let valid = host.split('.').all(|label| {
        !label.is_empty() && label.len() <= 63 && label.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    });
    (valid && host.len() <= 253).then(|| Ok(HostPort { host: host.to_string(), port }))
}

/// The addresses of `host` (itself when it is an IP), IPv4 first, only one family under
/// `-4`/`-6`; each is tried separately.
pub async fn addresses(ctx: &Context, host: &HostPort) -> Result<Vec<SocketAddr>, String> {
    let family = ctx.config.family;
    if let Ok(ip) = host.host.parse::<IpAddr>() {
        if let Some(family) = family.filter(|f| !f.contains(ip)) {
            return Err(format!("{ip} is not an {} address (-{})", family.label(), family_flag(family)));
        }
        return Ok(vec![SocketAddr::new(ip, host.port)]);
    }
    let found = lookup(ctx, &host.host).await?;
    let mut addrs: Vec<SocketAddr> =
        found.into_iter().filter(|ip| ctx.config.family_allows(*ip)).map(|ip| SocketAddr::new(ip, host.port)).collect();
    addrs.sort_by_key(std::net::SocketAddr::is_ipv6);
    addrs.dedup();
    if addrs.is_empty() {
        return Err(match family {
            Some(family) => format!("{} has no {} address (-{})", host.host, family.label(), family_flag(family)),
            None => format!("{} has no A or AAAA record", host.host),
        });
    }
    Ok(addrs)
}

fn family_flag(family: Family) -> char {
    match family {
        Family::V4 => '4',
        Family::V6 => '6',
    }
}

/// Where a name leads for mail, as swaks goes: its MX hosts in preference order, each with its
/// own name (for TLS and the transcript), up to `[smtp] mx_address_limit` addresses; with no MX,
/// the name's own A/AAAA; an address connects directly.
pub async fn route(ctx: &Context, host: &HostPort) -> Result<Vec<(String, SocketAddr)>, String> {
    if host.host.parse::<IpAddr>().is_ok() {
        return Ok(vec![(host.host.clone(), addresses(ctx, host).await?[0])]);
    }
    let resolver = Resolver::from_context(ctx).map_err(|e| e.to_string())?;
    let mx = resolver.lookup_mx(&host.host).await.map_err(|e| e.to_string())?;
    let mut exchanges = mx.mx_records();
    exchanges.sort_by_key(|(preference, _)| *preference);
    if exchanges.iter().any(|(_, name)| name.trim_end_matches('.').is_empty()) {
        return Err(format!("{} publishes a null MX: it accepts no mail (RFC 7505)", host.host));
    }
    let mut out = Vec::new();
    for (_, exchange) in exchanges {
        let exchange = exchange.trim_end_matches('.').to_string();
        let target = HostPort { host: exchange.clone(), port: host.port };
        if let Ok(addrs) = addresses(ctx, &target).await {
            out.extend(addrs.into_iter().map(|addr| (exchange.clone(), addr)));
        }
    }
    if out.is_empty() {
        // No MX (or none that resolves): the name itself, as RFC 5321 §5.1 and swaks do.
        return Ok(addresses(ctx, host).await?.into_iter().map(|addr| (host.host.clone(), addr)).collect());
    }
    let limit = ctx.config.smtp.mx_address_limit.max(1);
    let mut kept = [0usize; 2];
    out.retain(|(_, addr)| {
        let count = &mut kept[usize::from(addr.is_ipv6())];
        *count += 1;
        *count <= limit
    });
    Ok(out)
}

/// A and AAAA of `name` through the run's resolver (`--dns-server`, the demo world's, or the
/// system's name servers).
async fn lookup(ctx: &Context, name: &str) -> Result<Vec<IpAddr>, String> {
    let resolver = Resolver::from_context(ctx).map_err(|e| e.to_string())?;
    let (a, aaaa) = resolver.lookup_ip(name).await.map_err(|e| e.to_string())?;
    let mut found = a.addresses();
    found.extend(aaaa.addresses());
    if found.is_empty() {
        return Err(format!("cannot resolve {name}: A {}, AAAA {}", a.outcome.label(), aaaa.outcome.label()));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_targets() {
        let hp = |t| parse_host_port(t, 25);
        assert_eq!(hp("mx.example").unwrap(), HostPort { host: "mx.example".into(), port: 25 });
        assert_eq!(hp("mx.example:2525").unwrap().port, 2525);
        assert_eq!(hp("127.0.0.1:2526").unwrap(), HostPort { host: "127.0.0.1".into(), port: 2526 });
        assert_eq!(hp("[::1]:587").unwrap(), HostPort { host: "::1".into(), port: 587 });
        assert_eq!(hp("2001:db8::1").unwrap().port, 25);
        assert!(hp("mx..example").is_err());
        assert!(hp("mx.example:port").is_err());
        assert!(hp("a b").is_err());
    }
}
