//! Whether our resolver vouches for an answer: the AD (authentic data) bit.
//!
//! mailwiz does not validate DNSSEC itself. Like Postfix with `smtp_dns_support_level = dnssec`,
//! it asks the resolver the MTA uses, with AD set in the query (RFC 6840 §5.7), and reads the AD
//! bit of the reply: set, the resolver validated the answer; clear, the zone is unsigned or the
//! resolver does not validate. The stub resolver cannot set AD in its queries, so this one query
//! is built with the protocol crate and sent over UDP.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_proto::op::{Message, Query};
use hickory_proto::rr::{Name, RecordType};
use tokio::net::UdpSocket;

/// Largest reply read; a larger one is cut by the socket, which still carries the header.
const REPLY_BYTES: usize = 4096;

/// Asks `server` for `qtype` records of `name` with AD set; `Ok(ad)` is the AD bit of its reply.
/// An `Err` says in a sentence why no reply was read.
pub async fn ask(server: SocketAddr, name: &str, qtype: RecordType, deadline: Duration) -> Result<bool, String> {
    let name = Name::from_ascii(name).map_err(|err| format!("\"{name}\" is not a domain name: {err}"))?;
    let mut query = Message::query();
    query.metadata.recursion_desired = true;
    query.metadata.authentic_data = true;
    query.add_query(Query::query(name, qtype));
    let bytes = query.to_vec().map_err(|err| format!("the query cannot be written: {err}"))?;
    let bind: SocketAddr = if server.is_ipv4() { ([0, 0, 0, 0], 0).into() } else { ([0u16; 8], 0).into() };
    let exchange = async {
        let socket = UdpSocket::bind(bind).await.map_err(|err| format!("no UDP socket: {err}"))?;
        socket.connect(server).await.map_err(|err| format!("cannot reach {server}: {err}"))?;
        socket.send(&bytes).await.map_err(|err| format!("cannot send to {server}: {err}"))?;
        let mut buf = vec![0u8; REPLY_BYTES];
        loop {
            let n = socket.recv(&mut buf).await.map_err(|err| format!("no reply from {server}: {err}"))?;
            // A reply to another query (or noise) is not ours; wait for ours until the deadline.
            if let Ok(reply) = Message::from_vec(&buf[..n])
                && reply.metadata.id == query.metadata.id
            {
                return Ok(reply.metadata.authentic_data);
            }
        }
    };
    tokio::time::timeout(deadline, exchange)
        .await
        .map_err(|_| format!("no reply from {server} within {:.1} s", deadline.as_secs_f64()))?
}
