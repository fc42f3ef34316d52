//! Whether our resolver vouches for an answer: the AD (authentic data) bit.
//!
//! mailwiz does not validate DNSSEC itself. Like Postfix with `smtp_dns_support_level = dnssec`,
//! it asks the resolver the MTA uses, with AD set in the query (RFC 6840 §5.7), and reads the AD
//! bit of the reply: set, the resolver validated the answer; clear, the zone is unsigned or the
//! resolver does not validate. The query is sent by [`super::exchange`], as every other.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_proto::rr::{Name, RecordType};

use super::exchange::{Failure, Question, exchange};

/// Asks `server` for `qtype` records of `name` with AD set; `Ok(ad)` is the AD bit of its reply
/// (matched to the question, over TCP when truncated). An `Err` says in a sentence why no reply
/// was read.
pub async fn ask(server: SocketAddr, name: &str, qtype: RecordType, deadline: Duration) -> Result<bool, String> {
    let mut name = Name::from_ascii(name).map_err(|err| format!("\"{name}\" is not a domain name: {err}"))?;
    name.set_fqdn(true);
    let question = Question { name, qtype, authentic_data: true };
    match exchange(server, &question, deadline, 1).await {
        Ok(reply) => Ok(reply.metadata.authentic_data),
        Err(Failure::Timeout) => Err(format!("no reply from {server} within {:.1} s", deadline.as_secs_f64())),
        Err(Failure::Failed(why)) => Err(format!("no reply: {why}")),
    }
}
