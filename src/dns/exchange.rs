//! One DNS question to one server over UDP, then TCP when the answer is truncated, with the
//! reply matched to its question on both transports (RFC 5452 §9.1): the id, the name (in any
//! case), the type and the class. A reply to another question is dropped and the wait goes on,
//! so a stray or forged answer can never pass for "no data".

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use hickory_proto::op::{Edns, Message, MessageType, Query};
use hickory_proto::rr::{DNSClass, Name, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::Instant;

/// Largest UDP reply read (and announced with EDNS); larger answers come truncated, then by TCP.
const UDP_PAYLOAD: u16 = 1232;

/// A question: name, type, and whether to ask for the AD bit (RFC 6840 §5.7).
#[derive(Debug, Clone)]
pub struct Question {
    pub name: Name,
    pub qtype: RecordType,
    pub authentic_data: bool,
}

/// Why no reply to the question came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Nothing matching came within the tries.
    Timeout,
    /// The exchange failed: a sentence saying how.
    Failed(String),
}

/// Asks `server` the question, `attempts` times at most, each try given `per_try` (the TCP
/// exchange after a truncated answer included); the first reply that matches the question is
/// returned.
pub async fn exchange(
    server: SocketAddr,
    question: &Question,
    per_try: Duration,
    attempts: usize,
) -> Result<Message, Failure> {
    let mut last = Failure::Timeout;
    for _ in 0..attempts.max(1) {
        let query = build(question);
        let deadline = Instant::now() + per_try;
        match udp(server, &query, deadline).await {
            // TCP has what is left of the try, so a query keeps within its deadline.
            Ok(reply) if reply.metadata.truncation => match tcp(server, &query, deadline).await {
                Ok(reply) => return Ok(reply),
                Err(failure) => last = failure,
            },
            Ok(reply) => return Ok(reply),
            Err(Failure::Timeout) => last = Failure::Timeout,
            Err(failure) => return Err(failure),
        }
    }
    Err(last)
}

/// True when `reply` answers `query`: a response with the same id and the same one question.
pub fn answers(query: &Message, reply: &Message) -> bool {
    reply.metadata.message_type == MessageType::Response
        && reply.metadata.id == query.metadata.id
        && reply.queries.len() == 1
        && query.queries.first().is_some_and(|asked| {
            let got = &reply.queries[0];
            got.name() == asked.name()
                && got.query_type() == asked.query_type()
                && got.query_class() == asked.query_class()
        })
}

fn build(question: &Question) -> Message {
    let mut query = Message::query();
    query.metadata.recursion_desired = true;
    query.metadata.authentic_data = question.authentic_data;
    let mut asked = Query::query(question.name.clone(), question.qtype);
    asked.set_query_class(DNSClass::IN);
    query.add_query(asked);
    let mut edns = Edns::new();
    edns.set_max_payload(UDP_PAYLOAD);
    query.set_edns(edns);
    query
}

async fn udp(server: SocketAddr, query: &Message, deadline: Instant) -> Result<Message, Failure> {
    let bytes = query.to_vec().map_err(|err| Failure::Failed(format!("the query cannot be written: {err}")))?;
    let local: SocketAddr =
        if server.is_ipv4() { (Ipv4Addr::UNSPECIFIED, 0).into() } else { (Ipv6Addr::UNSPECIFIED, 0).into() };
    let exchange = async {
        let socket = UdpSocket::bind(local).await.map_err(|err| Failure::Failed(format!("no UDP socket: {err}")))?;
        socket.connect(server).await.map_err(|err| Failure::Failed(format!("cannot reach {server}: {err}")))?;
        socket.send(&bytes).await.map_err(|err| io_failure(server, &err))?;
        let mut buf = vec![0u8; usize::from(UDP_PAYLOAD).max(4096)];
        loop {
            let n = socket.recv(&mut buf).await.map_err(|err| io_failure(server, &err))?;
            if let Some(reply) = super::empty_txt::decode(&buf[..n])
                && answers(query, &reply)
            {
                return Ok(reply);
            }
            // Another question's answer, or noise: not ours; wait on.
        }
    };
    tokio::time::timeout_at(deadline, exchange).await.unwrap_or(Err(Failure::Timeout))
}

/// Most bytes of one TCP message (its length prefix allows no more).
const TCP_MAX: usize = 65_535;

async fn tcp(server: SocketAddr, query: &Message, deadline: Instant) -> Result<Message, Failure> {
    let bytes = query.to_vec().map_err(|err| Failure::Failed(format!("the query cannot be written: {err}")))?;
    let exchange = async {
        let mut stream = TcpStream::connect(server).await.map_err(|err| io_failure(server, &err))?;
        let length = u16::try_from(bytes.len()).map_err(|_| Failure::Failed("the query is too long".into()))?;
        let mut framed = length.to_be_bytes().to_vec();
        framed.extend_from_slice(&bytes);
        stream.write_all(&framed).await.map_err(|err| io_failure(server, &err))?;
        let mut buf = vec![0u8; TCP_MAX];
        loop {
            let length = match stream.read_u16().await {
                Ok(length) => usize::from(length),
                Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => {
                    return Err(Failure::Failed(format!("{server} closed the TCP connection without an answer")));
                }
                Err(err) => return Err(io_failure(server, &err)),
            };
            stream.read_exact(&mut buf[..length]).await.map_err(|err| io_failure(server, &err))?;
            if let Some(reply) = super::empty_txt::decode(&buf[..length])
                && answers(query, &reply)
            {
                return Ok(reply);
            }
            // Another question's answer: not ours; read on.
        }
    };
    tokio::time::timeout_at(deadline, exchange).await.unwrap_or(Err(Failure::Timeout))
}

fn io_failure(server: SocketAddr, err: &std::io::Error) -> Failure {
    if err.kind() == std::io::ErrorKind::ConnectionRefused {
        return Failure::Failed(format!("nothing listens at {server} (the host refused: port unreachable)"));
    }
    Failure::Failed(format!("{server}: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::ResponseCode;
    use proptest::prelude::*;

    fn question(name: &str, qtype: RecordType) -> Question {
        Question { name: Name::from_ascii(name).unwrap(), qtype, authentic_data: false }
    }

    #[test]
    fn a_reply_must_carry_the_id_name_type_and_class_asked() {
        let query = build(&question("5.113.0.203.in-addr.arpa.", RecordType::PTR));
        let reply = |id: u16, name: &str, qtype: RecordType, class: DNSClass| {
            let mut reply = Message::response(id, hickory_proto::op::OpCode::Query);
            let mut q = Query::query(Name::from_ascii(name).unwrap(), qtype);
            q.set_query_class(class);
            reply.add_query(q);
            reply.metadata.response_code = ResponseCode::NoError;
            reply
        };
        let id = query.metadata.id;
        assert!(answers(&query, &reply(id, "5.113.0.203.IN-ADDR.arpa.", RecordType::PTR, DNSClass::IN)));
        assert!(!answers(
            &query,
            &reply(id.wrapping_add(1), "5.113.0.203.in-addr.arpa.", RecordType::PTR, DNSClass::IN)
        ));
        assert!(!answers(&query, &reply(id, "6.113.0.203.in-addr.arpa.", RecordType::PTR, DNSClass::IN)));
        assert!(!answers(&query, &reply(id, "5.113.0.203.in-addr.arpa.", RecordType::A, DNSClass::IN)));
        assert!(!answers(&query, &reply(id, "5.113.0.203.in-addr.arpa.", RecordType::PTR, DNSClass::CH)));
        assert!(!answers(&query, &query), "a query is not its own answer");
    }

    proptest! {
        #[test]
        fn any_bytes_are_matched_or_dropped_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let query = build(&question("bank.example.", RecordType::MX));
            if let Ok(reply) = Message::from_vec(&bytes) {
                let matched = answers(&query, &reply);
                prop_assert!(!matched || reply.metadata.id == query.metadata.id);
            }
        }
    }
}
