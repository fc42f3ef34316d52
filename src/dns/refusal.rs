//! Telling a resolver that is not there from one that is silent.
//!
//! The resolver's UDP socket is not connected, so an ICMP "port unreachable" from a host where
//! nothing listens on the port is never reported to it, and the query ends as a timeout. A
//! connected socket of our own sends the same question beside it and hears the refusal. It is
//! a whole query, never an empty datagram: a name server logs those as garbage (some count them
//! against the sender), and a well-formed duplicate is only answered. Once a server has
//! answered, the resolver stops asking this way.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use hickory_proto::op::{Message, Query};
use hickory_proto::rr::{Name, RecordType};
use tokio::net::UdpSocket;

/// Resolves when the host at `server` refuses UDP on its port, with a sentence saying so; pending
/// forever otherwise (a server that answers or stays silent).
pub async fn refused(server: SocketAddr, name: &Name, qtype: RecordType) -> String {
    if let Some(why) = watch(server, name, qtype).await {
        return why;
    }
    std::future::pending().await
}

async fn watch(server: SocketAddr, name: &Name, qtype: RecordType) -> Option<String> {
    let mut query = Message::query();
    query.metadata.recursion_desired = true;
    query.add_query(Query::query(name.clone(), qtype));
    let bytes = query.to_vec().ok()?;
    let local: SocketAddr =
        if server.is_ipv4() { (Ipv4Addr::UNSPECIFIED, 0).into() } else { (Ipv6Addr::UNSPECIFIED, 0).into() };
    let socket = UdpSocket::bind(local).await.ok()?;
    socket.connect(server).await.ok()?;
    let said = |err: std::io::Error| {
        (err.kind() == std::io::ErrorKind::ConnectionRefused)
            .then(|| format!("nothing listens at {server} (the host refused: port unreachable)"))
    };
    if let Err(err) = socket.send(&bytes).await {
        return said(err);
    }
    // Only the error matters; a reply is cut to its first byte.
    let mut buf = [0u8; 1];
    loop {
        if let Err(err) = socket.recv(&mut buf).await {
            return said(err);
        }
    }
}
