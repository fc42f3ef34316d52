//! TXT answers that hold a record of no strings (zero-length data).
//!
//! Such a record is malformed (RFC 1035 asks for at least one string) but served in the wild,
//! and RFC 7208 §3.3 says to read it as empty text. hickory's message decoder refuses the whole
//! answer for it (it takes zero-length data for a dynamic-update record), so when that happens
//! the query is asked once more here, over UDP, and the answer read record by record.

use hickory_proto::op::{Header, Message};
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{RData, Record, RecordData as _, RecordType};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder};

/// `bytes` as a DNS message, a TXT record of zero-length data read as a TXT of no strings where
/// hickory's decoder refuses the whole message; `None` when it cannot be read either way.
pub fn decode(bytes: &[u8]) -> Option<Message> {
    if let Ok(message) = Message::from_vec(bytes) {
        return Some(message);
    }
    let mut decoder = BinDecoder::new(bytes);
    let header = Header::read(&mut decoder).ok()?;
    let queries = Message::read_queries(&mut decoder, usize::from(header.counts.queries)).ok()?;
    let mut message = Message::query();
    message.metadata = header.metadata;
    for query in queries {
        message.add_query(query);
    }
    for _ in 0..header.counts.answers {
        let record = Record::read(&mut decoder).ok()?;
        let record = if record.data.is_update() && record.record_type() == RecordType::TXT {
            Record::from_rdata(record.name.clone(), record.ttl, RData::TXT(TXT::new(Vec::new())))
        } else {
            record
        };
        message.add_answer(record);
    }
    Some(message)
}
