//! IIS SMTP service logs in W3C extended format: the field set comes from each `#Fields:` line
//! (13 to 21 fields; date and time may be missing; the set may change mid-file). Without a
//! header, the full 21-field set IIS writes by default is assumed for lines that have 21 fields.

use chrono::NaiveDate;

use super::format::Spec;
use super::iis_session::{IisEvent, IisSessions, unplus};
use super::parser::{LineKind, LogParser};
use super::record::{LogRecord, LogTime};
use crate::format_registry::{Confidence, score_lines};

/// The IIS W3C format's registry entry.
pub const FORMAT: Spec =
    Spec { name: "iis-w3c", label: "IIS SMTP W3C", sniff, parser: |_| Box::new(W3cParser::default()) };

/// Its headers, else SMTP service lines that are not NCSA.
pub fn sniff(sample: &str) -> Confidence {
    score_lines(sample, |line| {
        if line.starts_with("#Software: Microsoft Internet Information Services")
            || (line.starts_with("#Fields:") && line.contains("cs-method"))
        {
            100
        } else if line.contains("SMTPSVC") || line.contains(" OutboundConnection") {
            2 * u32::from(!line.contains(" [") || !line.contains('"'))
        } else {
            0
        }
    })
}

/// The field set IIS 5/6 SMTP writes when every field is selected.
const DEFAULT_FIELDS: &str = "date time c-ip cs-username s-sitename s-computername s-ip s-port cs-method cs-uri-stem cs-uri-query sc-status sc-win32-status sc-bytes cs-bytes time-taken cs-version cs-host cs(User-Agent) cs(Cookie) cs(Referer)";

/// Column positions of the fields we use.
#[derive(Debug, Default, Clone)]
struct Columns {
    count: usize,
    date: Option<usize>,
    time: Option<usize>,
    c_ip: Option<usize>,
    username: Option<usize>,
    sitename: Option<usize>,
    computername: Option<usize>,
    method: Option<usize>,
    query: Option<usize>,
    status: Option<usize>,
}

impl Columns {
    fn from_fields(fields: &str) -> Columns {
        let names: Vec<&str> = fields.split_whitespace().collect();
        let at = |name: &str| names.iter().position(|n| n.eq_ignore_ascii_case(name));
        Columns {
            count: names.len(),
            date: at("date"),
            time: at("time"),
            c_ip: at("c-ip"),
            username: at("cs-username"),
            sitename: at("s-sitename"),
            computername: at("s-computername"),
            method: at("cs-method"),
            query: at("cs-uri-query"),
            status: at("sc-status"),
        }
    }
}

/// Parser of IIS SMTP W3C logs.
#[derive(Debug, Default)]
pub struct W3cParser {
    columns: Option<Columns>,
    /// `#Date:` of the header, for logs without a date column.
    header_date: Option<NaiveDate>,
    sessions: IisSessions,
}

impl LogParser for W3cParser {
    fn line(&mut self, text: &str, number: u64, out: &mut Vec<LogRecord>) -> LineKind {
        let text = text.trim_end();
        if text.is_empty() {
            return LineKind::Blank;
        }
        if let Some(directive) = text.strip_prefix('#') {
            if let Some(fields) = directive.strip_prefix("Fields:") {
                self.columns = Some(Columns::from_fields(fields));
            } else if let Some(date) = directive.strip_prefix("Date:") {
                self.header_date = date.trim().get(..10).and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
            }
            return LineKind::Recognised;
        }
        let values: Vec<&str> = text.split(' ').collect();
        let columns = match &self.columns {
            Some(columns) if columns.count == values.len() => columns.clone(),
            None if values.len() == 21 => Columns::from_fields(DEFAULT_FIELDS),
            Some(_) | None => return LineKind::Skipped,
        };
        let get = |index: Option<usize>| index.map(|i| values[i]);
        let (Some(remote_ip), Some(username), Some(method)) =
            (get(columns.c_ip), get(columns.username), get(columns.method))
        else {
            return LineKind::Skipped;
        };
        let time = match (get(columns.date), get(columns.time)) {
            (Some(date), Some(time)) => {
                match chrono::NaiveDateTime::parse_from_str(&format!("{date} {time}"), "%Y-%m-%d %H:%M:%S") {
                    Ok(t) => {
                        Some(LogTime { local: t, offset: Some(chrono::FixedOffset::east_opt(0).expect("zero offset")) })
                    }
                    Err(_) => return LineKind::Skipped,
                }
            }
            _ => None,
        };
        let event = IisEvent {
            time,
            remote_ip,
            username,
            server: get(columns.computername),
            site: get(columns.sitename),
            method,
            argument: unplus(get(columns.query).unwrap_or("-")),
            status: get(columns.status).and_then(|s| s.parse().ok()),
        };
        self.sessions.event(&event, number, text, out);
        LineKind::Recognised
    }

    fn finish(&mut self, _out: &mut Vec<LogRecord>) {
        self.sessions.finish();
    }

    fn line_local(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::record::Status;

    #[test]
    fn headerless_yahoo_deferral() {
        let mut parser = W3cParser::default();
        let mut out = Vec::new();
        let lines = [
            "2017-02-09 05:28:28 66.196.118.34 OutboundConnectionCommand SMTPSVC1 VSERVER14541 - 25 MAIL - FROM:&lt;a@earthlink.com&gt;+SIZE=1722 0 0 4 0 0 SMTP - - - -",
            "2017-02-09 05:28:28 66.196.118.34 OutboundConnectionResponse SMTPSVC1 VSERVER14541 - 25 - - 421+4.7.0+[TSS04]+Messages+from+192.223.13.201+temporarily+deferred 0 0 157 0 16 SMTP - - - -",
        ];
        for (i, line) in lines.iter().enumerate() {
            assert_eq!(parser.line(line, i as u64 + 1, &mut out), LineKind::Recognised);
        }
        assert_eq!(out.len(), 1);
        let r = &out[0];
        assert_eq!(r.status, Some(Status::Deferred));
        assert_eq!((r.reply_code, r.enhanced_code.as_deref()), (Some(421), Some("4.7.0")));
        assert_eq!(r.remote_ip.as_deref(), Some("66.196.118.34"));
        assert_eq!(r.reply.as_deref(), Some("421 4.7.0 [TSS04] Messages from 192.223.13.201 temporarily deferred"));
        assert_eq!(r.line, 2);
    }

    #[test]
    fn field_set_changes_mid_file() {
        let mut parser = W3cParser::default();
        let mut out = Vec::new();
        parser.line("#Fields: c-ip cs-username cs-method cs-uri-query", 1, &mut out);
        assert_eq!(parser.line("1.2.3.4 host RCPT TO:<a@b.example>", 2, &mut out), LineKind::Recognised);
        assert_eq!(parser.line("1.2.3.4 host RCPT TO:<a@b.example> extra", 3, &mut out), LineKind::Skipped);
        parser.line("#Fields: date time c-ip cs-username cs-method cs-uri-query sc-status", 4, &mut out);
        assert_eq!(
            parser.line("2024-01-02 03:04:05 1.2.3.4 h RCPT TO:<c@d.example> 550", 5, &mut out),
            LineKind::Recognised
        );
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].status, Some(Status::Rejected));
        assert_eq!(out[1].domain.as_deref(), Some("d.example"));
    }
}
