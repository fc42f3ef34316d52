//! DNS: resolver construction (system or `--dns-server`), the nslookup console language, MX
//! analysis, PTR and FCrDNS, DNS block lists, and what-is-my-IP queries.

pub mod address_class;
pub mod authenticated;
pub mod console;
pub mod dnsbl;
pub mod dnsbl_answer;
pub mod dnsbl_zones;
pub mod empty_txt;
pub mod exchange;
pub mod generic_ptr;
pub mod identity;
pub mod mta_bind;
pub mod mx;
pub mod myip;
pub mod ptr;
pub mod refusal;
pub mod resolver;
pub mod reverse;

pub use resolver::{Answer, DnsOutcome, DnsReply, QueryType, RecordData, Resolver};
