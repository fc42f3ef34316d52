//! A name to propose for our PTR and HELO: one that already resolves to our address.
//!
//! Telling an admin "set the PTR to mta1.internal.example.com" is wrong when that name resolves
//! to nothing; the sender domain's own mail host (`mail.example.com → 203.0.113.5`) is the name
//! receivers expect.

use std::net::IpAddr;

use crate::dns::resolver::Resolver;

/// The one name proposed for our PTR and HELO: a name that resolves to our address, or one to
/// create, said so.
pub fn proposal(found: Option<&str>, ip: IpAddr, helo: Option<&str>, sender_domain: Option<&str>) -> String {
    if let Some(name) = found {
        return name.to_string();
    }
    let helo = helo.map(|h| h.trim_end_matches('.')).filter(|h| h.contains('.') && h.parse::<IpAddr>().is_err());
    let name = match (sender_domain, helo) {
        (Some(domain), _) => format!("mail.{}", domain.to_ascii_lowercase()),
        (None, Some(helo)) => helo.to_ascii_lowercase(),
        (None, None) => return format!("a host name of your domain (a name to create, with an A record → {ip})"),
    };
    let record = if ip.is_ipv4() { "A" } else { "AAAA" };
    format!("{name} (a name to create, with an {record} record → {ip})")
}

/// The first name that resolves to `ip`, among: the HELO name; then, for the sender domain and
/// the HELO name's parent domains, their MX hosts, `mail.DOMAIN` and the domain itself.
pub async fn suggest(
    resolver: &Resolver,
    ip: IpAddr,
    helo: Option<&str>,
    sender_domain: Option<&str>,
) -> Option<String> {
    if let Some(helo) = helo
        && resolves_to(resolver, helo, ip).await
    {
        return Some(helo.to_string());
    }
    for domain in domains(helo, sender_domain) {
        let mut names: Vec<String> = match resolver.lookup_mx(&domain).await {
            Ok(reply) => reply.mx_records().into_iter().map(|(_, host)| host).collect(),
            Err(_) => Vec::new(),
        };
        names.push(format!("mail.{domain}"));
        names.push(domain.clone());
        for name in names {
            if resolves_to(resolver, &name, ip).await {
                return Some(name.trim_end_matches('.').to_string());
            }
        }
    }
    None
}

/// The sender domain, then the parents of the HELO name down to two labels; no repeats.
fn domains(helo: Option<&str>, sender_domain: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = sender_domain.map(str::to_ascii_lowercase).into_iter().collect();
    if let Some(helo) = helo {
        let labels: Vec<&str> = helo.trim_end_matches('.').split('.').collect();
        for start in 1..labels.len().saturating_sub(1) {
            out.push(labels[start..].join(".").to_ascii_lowercase());
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|d| seen.insert(d.clone()));
    out
}

async fn resolves_to(resolver: &Resolver, name: &str, ip: IpAddr) -> bool {
    match resolver.lookup_ip(name).await {
        Ok((v4, v6)) => v4.addresses().contains(&ip) || v6.addresses().contains(&ip),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_to_create_is_said_so() {
        let ip: IpAddr = "203.0.113.5".parse().unwrap();
        assert_eq!(proposal(Some("mail.example.com"), ip, None, None), "mail.example.com");
        assert_eq!(
            proposal(None, ip, Some("mta1.internal"), Some("Example.com")),
            "mail.example.com (a name to create, with an A record → 203.0.113.5)"
        );
        assert!(proposal(None, ip, Some("localhost"), None).starts_with("a host name of your domain"));
    }

    #[test]
    fn looks_in_the_sender_domain_then_the_helo_parents() {
        assert_eq!(
            domains(Some("mta1.internal.example.com"), Some("Example.com")),
            ["example.com", "internal.example.com"]
        );
        assert_eq!(domains(Some("host"), None), Vec::<String>::new());
    }
}
