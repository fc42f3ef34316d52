//! IIS SMTP service logs in NCSA common format:
//! `c-ip - cs-username [dd/Mon/yyyy:HH:MM:SS zone] "verb -?argument SMTP" status bytes`.

use chrono::{NaiveDate, NaiveTime};

use super::format::Spec;
use super::iis_session::{IisEvent, IisSessions, unplus};
use super::parser::{LineKind, LogParser};
use super::record::{LogRecord, LogTime};
use super::time;
use crate::format_registry::{Confidence, score_lines};

/// The IIS NCSA format's registry entry.
pub const FORMAT: Spec =
    Spec { name: "iis-ncsa", label: "IIS SMTP NCSA", sniff, parser: |_| Box::new(NcsaParser::default()) };

/// Lines with an NCSA `[dd/Mon/yyyy:HH:MM:SS` stamp and an SMTP request.
pub fn sniff(sample: &str) -> Confidence {
    score_lines(sample, |line| {
        let Some(open) = line.find(" [") else { return 0 };
        let stamp = line.get(open + 2..open + 22).unwrap_or("");
        let ncsa = stamp.len() == 20
            && stamp.as_bytes()[2] == b'/'
            && stamp.as_bytes()[6] == b'/'
            && stamp.as_bytes()[11] == b':'
            && line.contains(" SMTP\"");
        u32::from(ncsa) * 3
    })
}

/// Parser of IIS SMTP NCSA logs.
#[derive(Debug, Default)]
pub struct NcsaParser {
    sessions: IisSessions,
}

impl LogParser for NcsaParser {
    fn line(&mut self, text: &str, number: u64, out: &mut Vec<LogRecord>) -> LineKind {
        let text = text.trim_end();
        if text.is_empty() {
            return LineKind::Blank;
        }
        match parse(text) {
            Some(event) => {
                self.sessions.event(&event, number, text, out);
                LineKind::Recognised
            }
            None => LineKind::Skipped,
        }
    }

    fn finish(&mut self, _out: &mut Vec<LogRecord>) {
        self.sessions.finish();
    }

    fn line_local(&self) -> bool {
        false
    }
}

fn parse(text: &str) -> Option<IisEvent<'_>> {
    let open = text.find(" [")?;
    let mut head = text[..open].split(' ');
    let remote_ip = head.next()?;
    let _identity = head.next()?;
    let username = head.next()?;
    let rest = &text[open + 2..];
    let close = rest.find(']')?;
    let time = stamp(&rest[..close])?;
    let rest = rest[close + 1..].trim_start().strip_prefix('"')?;
    let end = rest.rfind('"')?;
    let request = &rest[..end];
    let tail = rest[end + 1..].trim();
    let status = tail.split_whitespace().next().and_then(|s| s.parse().ok());
    let (method, rest) = request.split_once(' ')?;
    let argument = rest.strip_suffix(" SMTP").unwrap_or(rest);
    // `-?query`: the stem is always `-`; the query follows the question mark.
    let query = argument.split_once('?').map(|(_, q)| q).unwrap_or(argument);
    Some(IisEvent {
        time: Some(time),
        remote_ip,
        username,
        server: None,
        site: None,
        method,
        argument: unplus(query),
        status,
    })
}

/// `11/Oct/2006:13:16:39 -0600`
fn stamp(text: &str) -> Option<LogTime> {
    let (date, rest) = text.split_once(':')?;
    let mut parts = date.split('/');
    let day: u32 = parts.next()?.parse().ok()?;
    let month = time::month(parts.next()?)?;
    let year: i32 = parts.next()?.parse().ok()?;
    let (clock, zone) = rest.split_once(' ').unwrap_or((rest, ""));
    let clock = NaiveTime::parse_from_str(clock, "%H:%M:%S").ok()?;
    let local = NaiveDate::from_ymd_opt(year, month, day)?.and_time(clock);
    Some(LogTime { local, offset: time::zone_prefix(zone).map(|z| z.0) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::record::Status;

    #[test]
    fn outbound_session_to_aol_is_joined() {
        let lines = [
            r#"205.188.158.121 - OutboundConnectionResponse [11/Oct/2006:13:16:39 -0600] "- -?220-rly-yi06.mx.aol.com+ESMTP SMTP" 0 82"#,
            r#"205.188.158.121 - OutboundConnectionCommand [11/Oct/2006:13:17:02 -0600] "MAIL -?FROM:<pbourque@meelift.com> SMTP" 0 4"#,
            r#"205.188.158.121 - OutboundConnectionResponse [11/Oct/2006:13:17:02 -0600] "- -?250+OK SMTP" 0 6"#,
            r#"205.188.158.121 - OutboundConnectionCommand [11/Oct/2006:13:17:02 -0600] "RCPT -?TO:<kbee923@aol.com> SMTP" 0 4"#,
            r#"205.188.158.121 - OutboundConnectionResponse [11/Oct/2006:13:17:02 -0600] "- -?250+OK SMTP" 0 6"#,
            r#"205.188.158.121 - OutboundConnectionCommand [11/Oct/2006:13:17:02 -0600] "DATA - SMTP" 0 4"#,
            r#"205.188.158.121 - OutboundConnectionResponse [11/Oct/2006:13:17:02 -0600] "- -?354+START+MAIL+INPUT,+END+WITH+"."+ON+A+LINE+BY+ITSELF SMTP" 0 54"#,
            r#"205.188.158.121 - OutboundConnectionResponse [11/Oct/2006:13:17:04 -0600] "- -?250+OK SMTP" 0 6"#,
        ];
        let mut parser = NcsaParser::default();
        let mut out = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            assert_eq!(parser.line(line, i as u64 + 1, &mut out), LineKind::Recognised, "{line}");
        }
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].status, Some(Status::Sent));
        assert_eq!(out[0].domain.as_deref(), Some("aol.com"));
        assert_eq!(out[0].time.unwrap().to_string(), "2006-10-11T13:17:04-06:00");
    }
}
