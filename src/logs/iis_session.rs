//! The IIS SMTP service logs one command or reply per line; outbound sessions appear as
//! `OutboundConnectionCommand` / `OutboundConnectionResponse` lines keyed by the remote address.
//! This joins them into delivery attempts per remote host (shared by the W3C and NCSA forms).

use std::collections::HashMap;

use super::dialogue::{Dialogue, Settled, address};
use super::record::{Direction, LogRecord, LogTime, Status};

/// How many outbound sessions are followed at once; more are not tracked (memory stays bounded).
const MAX_SESSIONS: usize = 10_000;

/// One log line of the IIS SMTP service, whatever the form.
#[derive(Debug, Default)]
pub struct IisEvent<'a> {
    pub time: Option<LogTime>,
    /// `c-ip`: the client, or for outbound lines the remote server.
    pub remote_ip: &'a str,
    /// `cs-username`: the client's HELO name, or `OutboundConnectionCommand/Response`.
    pub username: &'a str,
    /// `s-computername`.
    pub server: Option<&'a str>,
    /// `s-sitename` (`SMTPSVC1`).
    pub site: Option<&'a str>,
    /// `cs-method`: the SMTP verb, `-` for replies.
    pub method: &'a str,
    /// `cs-uri-query` with `+` read as a space: the argument, or the reply text.
    pub argument: String,
    /// `sc-status`: the reply to an inbound command.
    pub status: Option<u16>,
}

/// Follows sessions and turns their outcomes into records.
#[derive(Debug, Default)]
pub struct IisSessions {
    outbound: HashMap<String, Dialogue>,
}

impl IisSessions {
    /// Takes one event (line `number`, text `raw`); pushes the records it completes.
    pub fn event(&mut self, event: &IisEvent<'_>, number: u64, raw: &str, out: &mut Vec<LogRecord>) {
        let base = || LogRecord {
            line: number,
            time: event.time,
            host: event.server.filter(|s| *s != "-").map(str::to_string),
            program: event.site.filter(|s| *s != "-").map(str::to_string),
            remote_ip: Some(event.remote_ip.to_string()).filter(|ip| !ip.is_empty() && ip != "-"),
            raw: raw.to_string(),
            ..LogRecord::default()
        };
        match event.username {
            "OutboundConnectionCommand" => {
                if self.outbound.contains_key(event.remote_ip) || self.outbound.len() < MAX_SESSIONS {
                    let dialogue = self.outbound.entry(event.remote_ip.to_string()).or_default();
                    dialogue.command(event.method, &event.argument);
                }
            }
            "OutboundConnectionResponse" => {
                let text = super::reply::flatten(&event.argument);
                let (Some(code), _) = super::reply::codes(&text) else { return };
                if !self.outbound.contains_key(event.remote_ip) && self.outbound.len() >= MAX_SESSIONS {
                    return;
                }
                let dialogue = self.outbound.entry(event.remote_ip.to_string()).or_default();
                push_settled(dialogue.reply(code), code, &text, base, out);
                if dialogue.quitting() {
                    self.outbound.remove(event.remote_ip);
                }
            }
            _ => {
                if event.method.eq_ignore_ascii_case("RCPT") {
                    let mut record = base();
                    record.direction = Some(Direction::Inbound);
                    record.set_recipient(&address(&event.argument));
                    record.status = Some(match event.status {
                        Some(code) if code >= 400 => Status::Rejected,
                        _ => Status::Received,
                    });
                    record.reply_code = event.status.filter(|c| (200..600).contains(c));
                    out.push(record);
                }
            }
        }
    }

    /// Sessions still open at the end of the log are dropped: their outcome is not in it.
    pub fn finish(&mut self) {
        self.outbound.clear();
    }
}

/// Pushes one record per settled recipient.
pub fn push_settled(settled: Settled, code: u16, text: &str, base: impl Fn() -> LogRecord, out: &mut Vec<LogRecord>) {
    let status = match code {
        200..=399 => Status::Sent,
        400..=499 => Status::Deferred,
        _ => Status::Bounced,
    };
    for recipient in settled {
        let mut record = base();
        record.direction = Some(Direction::Outbound);
        record.status = Some(status);
        if let Some(recipient) = recipient {
            record.set_recipient(&recipient);
        }
        record.set_reply(text);
        out.push(record);
    }
}

/// Reads `cs-uri-query`: `+` stands for a space.
pub fn unplus(text: &str) -> String {
    if text == "-" { String::new() } else { text.replace('+', " ") }
}
