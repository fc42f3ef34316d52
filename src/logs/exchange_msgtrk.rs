//! Exchange message tracking logs (MSGTRK CSV), with the `#Fields:` header or without it (the
//! Exchange 2013–2019 column order is assumed). One record per recipient of the delivery events.

use std::collections::HashMap;

use super::format::Spec;
use super::parser::{LineKind, LogParser};
use super::record::{Direction, LogRecord, Status};
use super::time;
use crate::format_registry::{Confidence, score_lines};

/// The message tracking format's registry entry.
pub const FORMAT: Spec = Spec {
    name: "exchange-msgtrk",
    label: "Exchange message tracking",
    sniff,
    parser: |_| Box::new(MsgtrkParser::default()),
};

/// Its header, else lines of twenty fields and more starting with an ISO time.
pub fn sniff(sample: &str) -> Confidence {
    score_lines(sample, |line| {
        if line.starts_with("#Log-type: Message Tracking") || line.starts_with("#Fields: date-time,client-ip") {
            100
        } else {
            u32::from(time::starts_iso_t(line) && line.matches(',').count() >= 20)
        }
    })
}

/// The columns of Exchange 2013 and later, in order.
const DEFAULT_FIELDS: &str = "date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,event-id,internal-message-id,message-id,network-message-id,recipient-address,recipient-status,total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,return-path,message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data,transport-traffic-type,log-id,schema-version";

/// Parser of Exchange message tracking logs.
#[derive(Debug)]
pub struct MsgtrkParser {
    columns: HashMap<String, usize>,
}

impl Default for MsgtrkParser {
    fn default() -> MsgtrkParser {
        MsgtrkParser { columns: columns(DEFAULT_FIELDS) }
    }
}

fn columns(fields: &str) -> HashMap<String, usize> {
    fields.split(',').enumerate().map(|(i, name)| (name.trim().to_ascii_lowercase(), i)).collect()
}

/// Splits one CSV line with the csv crate (quoted fields with commas and doubled quotes).
pub fn csv_fields(line: &str) -> Option<csv::StringRecord> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(line.as_bytes());
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => Some(record),
        _ => None,
    }
}

impl LogParser for MsgtrkParser {
    fn line(&mut self, text: &str, number: u64, out: &mut Vec<LogRecord>) -> LineKind {
        if text.trim().is_empty() {
            return LineKind::Blank;
        }
        if let Some(directive) = text.strip_prefix('#') {
            if let Some(fields) = directive.strip_prefix("Fields:") {
                self.columns = columns(fields.trim());
            }
            return LineKind::Recognised;
        }
        let Some(fields) = csv_fields(text) else { return LineKind::Skipped };
        let get = |name: &str| self.columns.get(name).and_then(|&i| fields.get(i)).filter(|v| !v.is_empty());
        let Some((time, _)) = get("date-time").and_then(time::rfc3339_prefix) else { return LineKind::Skipped };
        let Some(event) = get("event-id") else { return LineKind::Skipped };
        let (status, direction) = match event {
            "SEND" | "SENDEXTERNAL" => (Status::Sent, Direction::Outbound),
            "DELIVER" => (Status::Sent, Direction::Inbound),
            "RECEIVE" => (Status::Received, Direction::Inbound),
            "DEFER" => (Status::Deferred, Direction::Outbound),
            "FAIL" => (Status::Bounced, Direction::Outbound),
            _ => return LineKind::Recognised,
        };
        let (remote_host, remote_ip) = match direction {
            Direction::Outbound => (get("server-hostname"), get("server-ip")),
            Direction::Inbound => (get("client-hostname"), get("client-ip")),
        };
        let local_host = match direction {
            Direction::Outbound => get("client-hostname"),
            Direction::Inbound => get("server-hostname"),
        };
        let recipients: Vec<&str> = get("recipient-address").map(|r| r.split(';').collect()).unwrap_or_default();
        let statuses: Vec<&str> = get("recipient-status").map(split_statuses).unwrap_or_default();
        let template = LogRecord {
            line: number,
            time: Some(time),
            host: local_host.map(str::to_string),
            program: get("source").map(|s| format!("exchange/{}", s.to_ascii_lowercase())),
            queue_id: get("internal-message-id").map(str::to_string),
            direction: Some(direction),
            remote_host: remote_host.map(str::to_string),
            remote_ip: remote_ip.map(str::to_string),
            status: Some(status),
            raw: text.to_string(),
            ..LogRecord::default()
        };
        for (i, recipient) in recipients.iter().enumerate() {
            let mut record = template.clone();
            record.set_recipient(recipient);
            let reply = statuses.get(i).or(if statuses.len() == 1 { statuses.first() } else { None });
            if let Some(reply) = reply.map(|r| last_error(r)).filter(|r| !r.is_empty()) {
                record.set_reply(reply);
            }
            out.push(record);
        }
        LineKind::Recognised
    }

    fn always(&self) -> &'static [&'static str] {
        &["#Fields:"]
    }
}

/// Splits `recipient-status` per recipient: `;` separates them except inside `[{…}]` groups.
fn split_statuses(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, ch) in text.char_indices() {
        match ch {
            '[' | '{' => depth += 1,
            ']' | '}' => depth -= 1,
            ';' if depth <= 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// The `LED=` (last error) part of a `[{LRT=…};{LED=…};{FQDN=…}]` status, else the status itself.
fn last_error(status: &str) -> &str {
    match status.find("{LED=") {
        Some(at) => {
            let rest = &status[at + 5..];
            rest.find("};").or_else(|| rest.rfind('}')).map(|end| &rest[..end]).unwrap_or(rest)
        }
        None => status.trim(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defer_row_with_last_error() {
        let mut parser = MsgtrkParser::default();
        let mut out = Vec::new();
        parser.line(
            "#Fields: date-time,server-hostname,server-ip,event-id,recipient-address,recipient-status",
            1,
            &mut out,
        );
        let line = r#"2021-01-15T22:06:02.000Z,mx.destination.com,192.0.2.7,DEFER,a@destination.com,"[{LRT=15-01-21 23:50:05};{LED=450 4.7.0 Proxy session setup failed};{FQDN=x}]""#;
        assert_eq!(parser.line(line, 2, &mut out), LineKind::Recognised);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].status, Some(Status::Deferred));
        assert_eq!((out[0].reply_code, out[0].enhanced_code.as_deref()), (Some(450), Some("4.7.0")));
        assert_eq!(out[0].remote_host.as_deref(), Some("mx.destination.com"));
        assert_eq!(out[0].domain.as_deref(), Some("destination.com"));
    }
}
