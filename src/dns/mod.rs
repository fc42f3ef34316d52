//! DNS: resolver construction (system or `--dns-server`), the nslookup console language, MX
//! analysis, PTR and FCrDNS, DNS block lists, and what-is-my-IP queries.

pub mod console;
pub mod mx;
pub mod resolver;

pub use resolver::{Answer, Outcome, QueryType, RecordData, Reply, Resolver};
