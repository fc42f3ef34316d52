//! TXT answers that hold a record of no strings (zero-length data).
//!
//! Such a record is malformed (RFC 1035 asks for at least one string) but served in the wild,
//! and RFC 7208 §3.3 says to read it as empty text. hickory's message decoder refuses the whole
//! answer for it (it takes zero-length data for a dynamic-update record), so when that happens
//! the query is asked once more here, over UDP, and the answer read record by record.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_proto::op::{Header, Message, Query, ResponseCode};
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{Name, RData, Record, RecordData as _, RecordType};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder};
use tokio::net::UdpSocket;

/// Largest answer read; a longer one is cut short and fails to decode.
const REPLY_BYTES: usize = 4096;

/// The records of a TXT answer, a zero-length one read as a TXT of no strings; `Err` with the
/// response code when the answer is an error, or a sentence when none could be read.
pub async fn ask(
    server: SocketAddr,
    name: &Name,
    deadline: Duration,
) -> Result<Vec<Record>, Result<ResponseCode, String>> {
    let mut query = Message::query();
    query.metadata.recursion_desired = true;
    query.add_query(Query::query(name.clone(), RecordType::TXT));
    let bytes = query.to_vec().map_err(|err| Err(format!("the query cannot be written: {err}")))?;
    let bind: SocketAddr = if server.is_ipv4() { ([0, 0, 0, 0], 0).into() } else { ([0u16; 8], 0).into() };
    let exchange = async {
        let socket = UdpSocket::bind(bind).await.map_err(|err| Err(format!("no UDP socket: {err}")))?;
        socket.connect(server).await.map_err(|err| Err(format!("cannot reach {server}: {err}")))?;
        socket.send(&bytes).await.map_err(|err| Err(format!("cannot send to {server}: {err}")))?;
        let mut buf = vec![0u8; REPLY_BYTES];
        loop {
            let n = socket.recv(&mut buf).await.map_err(|err| Err(format!("no reply from {server}: {err}")))?;
            if let Some(answer) = read(&buf[..n], query.metadata.id) {
                return answer;
            }
        }
    };
    tokio::time::timeout(deadline, exchange).await.map_err(|_| Err(format!("no reply from {server}")))?
}

/// The answer section of `reply` when it answers query `id`; `None` for another message.
fn read(reply: &[u8], id: u16) -> Option<Result<Vec<Record>, Result<ResponseCode, String>>> {
    let mut decoder = BinDecoder::new(reply);
    let header = Header::read(&mut decoder).ok()?;
    if header.metadata.id != id {
        return None;
    }
    if header.metadata.response_code != ResponseCode::NoError {
        return Some(Err(Ok(header.metadata.response_code)));
    }
    let unreadable = |err: &dyn std::fmt::Display| Some(Err(Err(format!("the answer cannot be read: {err}"))));
    if let Err(err) = Message::read_queries(&mut decoder, usize::from(header.counts.queries)) {
        return unreadable(&err);
    }
    let mut records = Vec::new();
    for _ in 0..header.counts.answers {
        match Record::read(&mut decoder) {
            Ok(record) if record.data.is_update() && record.record_type() == RecordType::TXT => {
                records.push(Record::from_rdata(record.name.clone(), record.ttl, RData::TXT(TXT::new(Vec::new()))));
            }
            Ok(record) => records.push(record),
            Err(err) => return unreadable(&err),
        }
    }
    Some(Ok(records))
}
