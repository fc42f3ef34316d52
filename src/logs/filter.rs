//! Which records concern the target: the recipient's domain, or a peer that is one of its MX.

use memchr::memmem::Finder;

use super::record::LogRecord;

/// The target domain and, when the MX step has run, its exchangers' names and addresses.
#[derive(Debug, Clone, Default)]
pub struct DomainFilter {
    /// Lowercase ASCII domain.
    pub domain: String,
    /// Lowercase MX host names without the trailing dot.
    pub mx_hosts: Vec<String>,
    /// MX addresses as text.
    pub mx_ips: Vec<String>,
}

impl DomainFilter {
    /// A filter for `domain` alone.
    pub fn new(domain: &str) -> DomainFilter {
        DomainFilter { domain: normalise(domain), ..DomainFilter::default() }
    }

    /// Adds the target's mail exchangers.
    pub fn with_mx(mut self, hosts: impl IntoIterator<Item = String>, ips: impl IntoIterator<Item = String>) -> Self {
        self.mx_hosts.extend(hosts.into_iter().map(|h| normalise(&h)).filter(|h| !h.is_empty()));
        self.mx_ips.extend(ips);
        self.mx_hosts.sort();
        self.mx_hosts.dedup();
        self.mx_ips.sort();
        self.mx_ips.dedup();
        self
    }

    /// True when `record` concerns the target: its recipient is at the domain, or, for a line
    /// that names no recipient, its peer is one of the domain's MX. A recipient of another
    /// domain never counts, even through a shared MX.
    pub fn matches(&self, record: &LogRecord) -> bool {
        if let Some(domain) = record.domain.as_deref() {
            return domain == self.domain.as_str();
        }
        if let Some(host) = &record.remote_host {
            let host = normalise(host);
            if self.mx_hosts.contains(&host)
                || host.strip_suffix(self.domain.as_str()).is_some_and(|p| p.ends_with('.'))
            {
                return true;
            }
        }
        record.remote_ip.as_ref().is_some_and(|ip| self.mx_ips.contains(ip))
    }

    /// Byte strings one of which every matching line, folded to ASCII lower case, contains:
    /// the domain and the MX names and addresses, in lower case.
    pub fn needles(&self) -> Vec<Vec<u8>> {
        let mut needles: Vec<Vec<u8>> = Vec::new();
        for text in std::iter::once(&self.domain).chain(&self.mx_hosts).chain(&self.mx_ips) {
            let lower = text.to_ascii_lowercase().into_bytes();
            if !lower.is_empty() && !needles.contains(&lower) {
                needles.push(lower);
            }
        }
        // An MX name under the domain is found by the domain's own needle.
        let all = needles.clone();
        needles.retain(|n| !all.iter().any(|other| n.len() > other.len() && contains(n, other)));
        needles
    }
}

/// Compiled needles for the prefilter.
pub fn finders(needles: &[Vec<u8>]) -> Vec<Finder<'static>> {
    needles.iter().map(|n| Finder::new(n).into_owned()).collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

fn normalise(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_domain_mx_names_and_addresses() {
        let filter = DomainFilter::new("Bank.Example.")
            .with_mx(vec!["mx.provider.example.".to_string()], vec!["192.0.2.10".to_string()]);
        let mut record = LogRecord::default();
        record.set_recipient("<a@bank.example>");
        assert!(filter.matches(&record));
        let record = LogRecord { remote_host: Some("MX.provider.example".into()), ..LogRecord::default() };
        assert!(filter.matches(&record));
        let record = LogRecord { remote_host: Some("mx1.bank.example".into()), ..LogRecord::default() };
        assert!(filter.matches(&record));
        let record = LogRecord { remote_host: Some("notbank.example".into()), ..LogRecord::default() };
        assert!(!filter.matches(&record));
        let record = LogRecord { remote_ip: Some("192.0.2.10".into()), ..LogRecord::default() };
        assert!(filter.matches(&record));
        let needles = filter.needles();
        assert!(needles.contains(&b"bank.example".to_vec()));
        assert!(!needles.contains(&b"BANK.EXAMPLE".to_vec()), "lines are folded to lower case, needles too");
        assert!(needles.contains(&b"192.0.2.10".to_vec()));
    }

    #[test]
    fn another_domains_recipient_never_counts_even_through_a_shared_mx() {
        let filter = DomainFilter::new("bank.example")
            .with_mx(vec!["mx.provider.example".to_string()], vec!["192.0.2.10".to_string()]);
        let mut record = LogRecord {
            remote_host: Some("mx.provider.example".into()),
            remote_ip: Some("192.0.2.10".into()),
            ..LogRecord::default()
        };
        record.set_recipient("<erin@good.example>");
        assert!(!filter.matches(&record));
    }
}
