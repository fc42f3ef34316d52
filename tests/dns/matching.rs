//! Answers are matched to their questions on UDP and TCP alike (id, name, type, class): a raw
//! DNS responder answers the wrong question first, and the resolver drops it and waits for its
//! own; SERVFAIL for AAAA alone leaves the verdict the A records decide.

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, Record, RecordType, rdata};
use mailwiz::dns::resolver::{DnsOutcome, Limits, RecordData, Resolver};
use mailwiz::session::Journal;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};

/// What the responder sends for a query: the messages, in order, on UDP (`false`) or TCP (`true`).
type Script = dyn Fn(&Message, bool) -> Vec<Message> + Send + Sync;

/// A raw DNS responder on one port of 127.0.0.1, UDP and TCP.
async fn responder(script: Arc<Script>) -> SocketAddr {
    let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = udp.local_addr().unwrap();
    let tcp = TcpListener::bind(addr).await.unwrap();
    let on_udp = script.clone();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        while let Ok((n, peer)) = udp.recv_from(&mut buf).await {
            let Ok(query) = Message::from_vec(&buf[..n]) else { continue };
            for reply in on_udp(&query, false) {
                let _ = udp.send_to(&reply.to_vec().unwrap(), peer).await;
            }
        }
    });
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = tcp.accept().await {
            let script = script.clone();
            tokio::spawn(async move {
                let Ok(length) = stream.read_u16().await else { return };
                let mut buf = vec![0u8; usize::from(length)];
                if stream.read_exact(&mut buf).await.is_err() {
                    return;
                }
                let Ok(query) = Message::from_vec(&buf) else { return };
                for reply in script(&query, true) {
                    let bytes = reply.to_vec().unwrap();
                    let mut framed = u16::try_from(bytes.len()).unwrap().to_be_bytes().to_vec();
                    framed.extend_from_slice(&bytes);
                    let _ = stream.write_all(&framed).await;
                }
            });
        }
    });
    addr
}

fn name(text: &str) -> Name {
    Name::from_str(text).unwrap()
}

/// A response with `id`, `question` and `data` (owner, record) as answers.
fn reply(id: u16, question: Query, rcode: ResponseCode, data: Vec<(Name, RData)>) -> Message {
    let mut message = Message::response(id, OpCode::Query);
    message.metadata.message_type = MessageType::Response;
    message.metadata.recursion_available = true;
    message.metadata.response_code = rcode;
    message.add_query(question);
    for (owner, data) in data {
        message.add_answer(Record::from_rdata(owner, 300, data));
    }
    message
}

fn asked(query: &Message) -> (Query, u16) {
    (query.queries[0].clone(), query.metadata.id)
}

/// The right answer, and before it a wrong-id and a wrong-name answer that carry records.
fn wrong_first(query: &Message, right: Vec<(Name, RData)>, decoy: RData) -> Vec<Message> {
    let (question, id) = asked(query);
    let other = name("decoy.example.");
    let mut wrong_question = Query::query(other.clone(), question.query_type());
    wrong_question.set_query_class(question.query_class());
    vec![
        reply(
            id.wrapping_add(1),
            question.clone(),
            ResponseCode::NoError,
            vec![(question.name().clone(), decoy.clone())],
        ),
        reply(id, wrong_question, ResponseCode::NoError, vec![(other, decoy)]),
        reply(id, question, ResponseCode::NoError, right),
    ]
}

/// A truncated, empty answer to the right question: the client must go to TCP.
fn truncated(query: &Message) -> Vec<Message> {
    let (question, id) = asked(query);
    let mut message = reply(id, question, ResponseCode::NoError, Vec::new());
    message.metadata.truncation = true;
    vec![message]
}

fn resolver(addr: SocketAddr) -> Resolver {
    Resolver::with_servers(&[addr], Limits { timeout: Duration::from_millis(1500), attempts: 1 }, Journal::in_memory())
}

fn ptr(target: &str) -> RData {
    RData::PTR(rdata::PTR(name(target)))
}

#[tokio::test]
async fn a_wrong_answer_is_dropped_on_udp_and_on_tcp() {
    for over_tcp in [false, true] {
        let addr = responder(Arc::new(move |query: &Message, tcp: bool| {
            if over_tcp && !tcp {
                return truncated(query);
            }
            let owner = query.queries[0].name().clone();
            wrong_first(query, vec![(owner, ptr("mail.example.com."))], ptr("wrong.example."))
        }))
        .await;
        let reply = resolver(addr).lookup_ptr("203.0.113.5".parse().unwrap()).await;
        assert_eq!(reply.ptr_names(), ["mail.example.com"], "over TCP: {over_tcp}: {:?}", reply.outcome);
    }
}

#[tokio::test]
async fn only_wrong_answers_over_tcp_are_no_answer_never_no_data() {
    let addr = responder(Arc::new(|query: &Message, tcp: bool| {
        if !tcp {
            return truncated(query);
        }
        // The wrong answers, then the connection closes: nothing was said of our question.
        let mut replies = wrong_first(query, Vec::new(), ptr("wrong.example."));
        replies.pop();
        replies
    }))
    .await;
    let reply = resolver(addr).lookup_ptr("203.0.113.5".parse().unwrap()).await;
    assert!(matches!(reply.outcome, DnsOutcome::Failed(_) | DnsOutcome::Timeout), "{:?}", reply.outcome);
    // Through the binary: ptr.unknown, not ptr.missing; mx is not "implicit".
    let server = addr.to_string();
    let out = crate::mailwiz(&["--dns-server", &server, "--timeout", "2", "--json", "ptr", "203.0.113.5"]).await;
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = json["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"ptr.unknown") && !ids.contains(&"ptr.missing"), "{ids:?}");
    let out = crate::mailwiz(&["--dns-server", &server, "--timeout", "2", "--json", "mx", "bank.example"]).await;
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = json["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert!(!ids.contains(&"mx.implicit"), "{ids:?}");
}

#[tokio::test]
async fn servfail_for_aaaa_alone_leaves_the_a_verdict_standing() {
    let addr = responder(Arc::new(|query: &Message, tcp: bool| {
        let (question, id) = asked(query);
        let owner = question.name().clone();
        let found = |data| vec![reply(id, question.clone(), ResponseCode::NoError, vec![(owner.clone(), data)])];
        match question.query_type() {
            // The PTR comes over TCP, after wrong answers.
            RecordType::PTR if !tcp => truncated(query),
            RecordType::PTR => wrong_first(query, vec![(owner.clone(), ptr("mail.example.com."))], ptr("x.example.")),
            RecordType::A => found(RData::A(rdata::A("203.0.113.5".parse().unwrap()))),
            RecordType::AAAA => vec![reply(id, question.clone(), ResponseCode::ServFail, Vec::new())],
            _ => vec![reply(id, question.clone(), ResponseCode::NoError, Vec::new())],
        }
    }))
    .await;
    let (a, aaaa) = resolver(addr).lookup_ip("mail.example.com").await.unwrap();
    assert_eq!(a.records()[0].data, RecordData::A("203.0.113.5".parse().unwrap()));
    assert_eq!(aaaa.outcome, DnsOutcome::ServFail);
    let server = addr.to_string();
    let args =
        ["--dns-server", &server, "--timeout", "2", "--json", "ptr", "203.0.113.5", "--helo", "mail.example.com"];
    let out = crate::mailwiz(&args).await;
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = json["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"ptr.ok") && ids.contains(&"helo.ok"), "{ids:?}");
    assert!(!ids.contains(&"ptr.unknown") && !ids.contains(&"helo.unknown"), "{ids:?}");
    assert_eq!(out.status.code(), Some(0));
}
