//! Exchange SMTP protocol logs (send and receive connectors):
//! `date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context`.
//! Send sessions are joined into delivery attempts per session; receive sessions give the
//! recipients we refused.

use std::collections::HashMap;

use super::dialogue::{Dialogue, address};
use super::exchange_msgtrk::csv_fields;
use super::format::Spec;
use super::iis_session::push_settled;
use super::parser::{LineKind, LogParser};
use super::record::{Direction, LogRecord, Status};
use super::time;
use crate::format_registry::{Confidence, score_lines};

/// The SMTP protocol log's registry entry.
pub const FORMAT: Spec = Spec {
    name: "exchange-smtp",
    label: "Exchange SMTP protocol",
    sniff,
    parser: |_| Box::new(SmtpLogParser::default()),
};

/// Its header, else eight-field lines starting with an ISO time with an event mark.
pub fn sniff(sample: &str) -> Confidence {
    score_lines(sample, |line| {
        if line.starts_with("#Log-type: SMTP Send Protocol")
            || line.starts_with("#Log-type: SMTP Receive Protocol")
            || line.starts_with("#Fields: date-time,connector-id,session-id")
        {
            100
        } else {
            let fields: Vec<&str> = line.splitn(8, ',').collect();
            u32::from(time::starts_iso_t(line) && fields.len() == 8 && matches!(fields[6], "+" | "-" | ">" | "<" | "*"))
                * 2
        }
    })
}

/// How many sessions are followed at once.
const MAX_SESSIONS: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Send,
    Receive,
}

#[derive(Debug, Default)]
struct Session {
    side: Option<Side>,
    dialogue: Dialogue,
    /// Receive side: the client's last command.
    client_command: String,
    client_argument: String,
}

/// Parser of Exchange SMTP send and receive protocol logs.
#[derive(Debug, Default)]
pub struct SmtpLogParser {
    /// From the `#Log-type:` header, when there is one.
    side: Option<Side>,
    sessions: HashMap<String, Session>,
}

impl LogParser for SmtpLogParser {
    fn line(&mut self, text: &str, number: u64, out: &mut Vec<LogRecord>) -> LineKind {
        if text.trim().is_empty() {
            return LineKind::Blank;
        }
        if let Some(directive) = text.strip_prefix('#') {
            if let Some(kind) = directive.strip_prefix("Log-type:") {
                self.side = if kind.contains("Send") { Some(Side::Send) } else { Some(Side::Receive) };
            }
            return LineKind::Recognised;
        }
        let Some(fields) = csv_fields(text) else { return LineKind::Skipped };
        if fields.len() < 8 {
            return LineKind::Skipped;
        }
        let Some((time, _)) = time::rfc3339_prefix(&fields[0]) else { return LineKind::Skipped };
        let (session_id, remote, event) = (&fields[2], &fields[5], &fields[6]);
        let data = if fields[7].is_empty() { fields.get(8).unwrap_or("") } else { &fields[7] };
        let (remote_ip, _port) = split_endpoint(remote);
        let base = || LogRecord {
            line: number,
            time: Some(time),
            program: Some(format!("exchange/{}", &fields[1])),
            queue_id: Some(session_id.to_string()),
            remote_ip: (!remote_ip.is_empty()).then(|| remote_ip.to_string()),
            raw: text.to_string(),
            ..LogRecord::default()
        };
        if event == "*" && data.starts_with("Failed to connect") {
            let mut record = base();
            record.direction = Some(Direction::Outbound);
            record.status = Some(Status::Error);
            record.set_reply(data);
            if let Some((_, rest)) = data.split_once("Destination domain: ") {
                let domain = rest.split([',', ' ']).next().unwrap_or("");
                record.domain = (!domain.is_empty()).then(|| domain.to_ascii_lowercase());
            }
            out.push(record);
            return LineKind::Recognised;
        }
        if !matches!(event, ">" | "<") {
            if event == "-" {
                self.sessions.remove(session_id);
            }
            return LineKind::Recognised;
        }
        if !self.sessions.contains_key(session_id) && self.sessions.len() >= MAX_SESSIONS {
            return LineKind::Recognised;
        }
        let default_side = self.side;
        let session = self.sessions.entry(session_id.to_string()).or_default();
        let code = super::reply::codes(data).0;
        if session.side.is_none() {
            session.side = default_side.or(match (event, code) {
                ("<", Some(_)) => Some(Side::Send),
                (">", Some(_)) => Some(Side::Receive),
                _ => None,
            });
        }
        let (verb, argument) = data.split_once(' ').unwrap_or((data, ""));
        match (session.side, event) {
            (Some(Side::Send), ">") => session.dialogue.command(verb, argument),
            (Some(Side::Send), "<") => {
                if let Some(code) = code {
                    let text = super::reply::flatten(data);
                    push_settled(session.dialogue.reply(code), code, &text, base, out);
                }
            }
            (Some(Side::Receive), "<") => {
                session.client_command = verb.to_ascii_uppercase();
                session.client_argument = argument.to_string();
            }
            (Some(Side::Receive), ">") if session.client_command == "RCPT" && code.is_some_and(|c| c >= 400) => {
                let mut record = base();
                record.direction = Some(Direction::Inbound);
                record.status = Some(Status::Rejected);
                record.set_recipient(&address(&session.client_argument));
                record.set_reply(data);
                out.push(record);
            }
            _ => {}
        }
        LineKind::Recognised
    }

    fn finish(&mut self, _out: &mut Vec<LogRecord>) {
        self.sessions.clear();
    }

    fn line_local(&self) -> bool {
        false
    }
}

/// `10.11.12.13:2525` / `[2001:db8::1]:25` / `2001:db8::1:25` → address and port.
fn split_endpoint(endpoint: &str) -> (&str, &str) {
    if let Some(inner) = endpoint.strip_prefix('[')
        && let Some((ip, port)) = inner.split_once("]:")
    {
        return (ip, port);
    }
    endpoint.rsplit_once(':').unwrap_or((endpoint, ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_session_rcpt_deferral_and_connect_failure() {
        let lines = [
            "#Log-type: SMTP Send Protocol Log",
            "2024-01-25T15:14:39.460Z,Internet,08DC1,0,10.0.0.1:50000,192.0.2.25:25,+,,",
            "2024-01-25T15:14:39.470Z,Internet,08DC1,1,10.0.0.1:50000,192.0.2.25:25,<,220 mx.bank.example ESMTP,",
            "2024-01-25T15:14:39.480Z,Internet,08DC1,2,10.0.0.1:50000,192.0.2.25:25,>,MAIL FROM:<a@us.example>,",
            "2024-01-25T15:14:39.490Z,Internet,08DC1,3,10.0.0.1:50000,192.0.2.25:25,<,250 2.1.0 ok,",
            "2024-01-25T15:14:39.500Z,Internet,08DC1,4,10.0.0.1:50000,192.0.2.25:25,>,RCPT TO:<b@bank.example>,",
            "2024-01-25T15:14:39.510Z,Internet,08DC1,5,10.0.0.1:50000,192.0.2.25:25,<,451 4.7.1 Greylisted,",
            "2024-01-25T15:14:40.508Z,Internet,08DC2,2,,10.11.12.13:2525,*,,\"Failed to connect. Winsock error code: 10061, Win32 error code: 10061.\"",
        ];
        let mut parser = SmtpLogParser::default();
        let mut out = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            assert_eq!(parser.line(line, i as u64 + 1, &mut out), LineKind::Recognised, "{line}");
        }
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].status, Some(Status::Deferred));
        assert_eq!(out[0].domain.as_deref(), Some("bank.example"));
        assert_eq!(out[0].remote_ip.as_deref(), Some("192.0.2.25"));
        assert_eq!(out[0].reply_code, Some(451));
        assert_eq!(out[1].status, Some(Status::Error));
        assert_eq!(out[1].remote_ip.as_deref(), Some("10.11.12.13"));
    }
}
