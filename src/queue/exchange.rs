//! Exchange `Get-Queue` and `Get-Message` output, as a list (`| fl`) or as `Export-Csv`.
//!
//! A `Get-Queue` record becomes one entry standing for its `MessageCount` messages to its
//! `NextHopDomain`, with the `LED=` part of `LastError` as the reason and `FirstRetryTime` as
//! the arrival of the oldest. A `Get-Message` record becomes one message with its
//! `Recipients`. Records of other cmdlets (`Get-MessageTrackingLog`) are skipped.

use std::collections::HashMap;
use std::io::BufRead;
use std::sync::LazyLock;

use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use regex::Regex;

use super::actions::Mta;
use super::entry::{QueueEntry, QueueName, Recipient, domain_of};
use super::format::{Format, Spec};
use super::intern::Interner;
use super::lines::for_each_line;
use super::parsed::Parsed;
use crate::format_registry::{Confidence, first_line};

static PROPERTY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([A-Za-z][A-Za-z0-9]*)\s*:(?:\s+(.*?))?\s*$").expect("valid regex"));

/// One record: property names (lowercase) to values, and the lines it spans.
#[derive(Debug, Default)]
struct Record {
    values: HashMap<String, String>,
    last: Option<String>,
    first_line: usize,
    lines: usize,
}

impl Record {
    fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str).map(str::trim).filter(|v| !v.is_empty())
    }
}

/// True when `line` is a `Name : value` line of a property Exchange queue records have.
fn is_list_property(line: &str) -> bool {
    PROPERTY.captures(line).is_some_and(|caps| {
        matches!(
            caps[1].to_ascii_lowercase().as_str(),
            "nexthopdomain" | "deliverytype" | "messagecount" | "lasterror" | "fromaddress" | "nexthopconnector"
        )
    })
}
/// The Exchange registry entry: read from files only (no local command).
pub const FORMAT: Spec = Spec {
    name: "exchange",
    sniff,
    parse: |reader, sample, _| if looks_like_csv(sample) { parse_csv(reader) } else { parse_list(reader) },
    mta: Mta::Exchange,
    commands: &[],
    listed_by: "Exchange Get-Queue/Get-Message",
};

/// An `Export-Csv` type line, a queue property line, or a CSV header naming queue columns.
pub fn sniff(sample: &str) -> Confidence {
    first_line(sample, |line| {
        let trimmed = line.trim();
        trimmed.starts_with("#TYPE Microsoft.Exchange")
            || is_list_property(line)
            || (trimmed.contains("\"NextHopDomain\"") || trimmed.contains("\"FromAddress\""))
    })
}

/// Reads `Get-Queue | fl` / `Get-Message | fl` output. Values wrapped over several lines
/// (indented or not) are joined; a record ends where a property it already has starts again.
pub fn parse_list<R: BufRead>(reader: R) -> Parsed {
    let mut parsed = Parsed::new(Format::Exchange);
    let mut interner = Interner::default();
    let mut record = Record::default();
    for_each_line(reader, |number, line| {
        if line.trim().is_empty() {
            return;
        }
        if let Some(caps) = PROPERTY.captures(line) {
            let key = caps[1].to_ascii_lowercase();
            if record.values.contains_key(&key) {
                finish(&std::mem::take(&mut record), &mut parsed, &mut interner);
            }
            if record.values.is_empty() {
                record.first_line = number;
            }
            record.values.insert(key.clone(), caps.get(2).map_or("", |m| m.as_str()).to_string());
            record.last = Some(key);
            record.lines += 1;
        } else if let Some(last) = &record.last {
            let value = record.values.get_mut(last).expect("the last property is set");
            if !value.is_empty() {
                value.push(' ');
            }
            value.push_str(line.trim());
            record.lines += 1;
        } else {
            parsed.skipped.add(number, line);
        }
    });
    finish(&record, &mut parsed, &mut interner);
    parsed
}

/// Reads `Get-Queue | Export-Csv` / `Get-Message | Export-Csv` output (with or without the
/// `#TYPE` line); quoted values may span lines.
pub fn parse_csv<R: BufRead>(reader: R) -> Parsed {
    let mut parsed = Parsed::new(Format::Exchange);
    let mut interner = Interner::default();
    let mut csv = csv::ReaderBuilder::new().flexible(true).comment(Some(b'#')).from_reader(reader);
    let headers: Vec<String> = if let Ok(headers) = csv.headers() {
        headers.iter().map(|h| h.trim().to_ascii_lowercase()).collect()
    } else {
        parsed.skipped.add(1, "(no CSV header)");
        return parsed;
    };
    let mut row = csv::StringRecord::new();
    loop {
        let line = usize::try_from(csv.position().line()).unwrap_or(usize::MAX);
        match csv.read_record(&mut row) {
            Ok(false) => break,
            Ok(true) => {
                let values = headers.iter().cloned().zip(row.iter().map(str::to_string)).collect();
                let record = Record { values, last: None, first_line: line, lines: 1 };
                finish(&record, &mut parsed, &mut interner);
            }
            Err(err) => {
                let at = err.position().map_or(line, |p| usize::try_from(p.line()).unwrap_or(usize::MAX));
                parsed.skipped.add(at, &format!("unreadable CSV row: {err}"));
                if !matches!(err.kind(), csv::ErrorKind::UnequalLengths { .. } | csv::ErrorKind::Utf8 { .. }) {
                    break;
                }
            }
        }
    }
    parsed
}

fn finish(record: &Record, parsed: &mut Parsed, interner: &mut Interner) {
    if record.values.is_empty() {
        return;
    }
    let entry = if record.get("nexthopdomain").is_some() {
        queue_entry(record, interner)
    } else if record.get("eventid").is_none()
        && (record.get("fromaddress").is_some()
            || (record.get("recipients").is_some()
                && (record.get("status").is_some() || record.get("lasterror").is_some())))
    {
        Some(message_entry(record, interner))
    } else {
        None
    };
    match entry {
        Some(entry) if entry.messages > 0 => parsed.entries.push(&entry),
        Some(_) => {}
        None => {
            // Not a queue or message record: every line of it is skipped.
            for n in 0..record.lines {
                let label = if n == 0 { describe(record) } else { String::new() };
                parsed.skipped.add(record.first_line + n, &label);
            }
        }
    }
}

fn describe(record: &Record) -> String {
    let mut keys: Vec<&str> = record.values.keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys.truncate(6);
    format!("a record that is neither a queue nor a message ({} …)", keys.join(", "))
}

fn queue_state(status: Option<&str>) -> QueueName {
    match status.map(str::to_ascii_lowercase).as_deref() {
        Some("active" | "ready") => QueueName::Active,
        Some("suspended") => QueueName::Hold,
        _ => QueueName::Deferred,
    }
}

fn queue_entry(record: &Record, interner: &mut Interner) -> Option<QueueEntry> {
    let domain = record.get("nexthopdomain")?.to_lowercase();
    let messages = match record.get("messagecount") {
        Some(count) => count.replace(',', "").parse().ok()?,
        None => 1,
    };
    let reason = record.get("lasterror").map(last_error).filter(|r| !r.is_empty());
    Some(QueueEntry {
        id: record.get("identity").or_else(|| record.get("queueidentity")).unwrap_or(&domain).to_string(),
        queue: queue_state(record.get("status")),
        arrival: record.get("firstretrytime").and_then(parse_date),
        size: None,
        sender: String::new(),
        recipients: vec![Recipient {
            address: String::new(),
            domain: interner.get(&domain),
            reason: reason.map(|r| interner.reason(&r)),
            delivered: false,
        }],
        messages,
    })
}

fn message_entry(record: &Record, interner: &mut Interner) -> QueueEntry {
    let reason = record.get("lasterror").map(last_error).filter(|r| !r.is_empty()).map(|r| interner.reason(&r));
    let recipients = record
        .get("recipients")
        .map(split_recipients)
        .unwrap_or_default()
        .into_iter()
        .map(|address| Recipient {
            domain: interner.get(&domain_of(&address)),
            address,
            reason: reason.clone(),
            delivered: false,
        })
        .collect();
    QueueEntry {
        id: record.get("identity").unwrap_or("").to_string(),
        queue: queue_state(record.get("status")),
        arrival: record.get("datereceived").and_then(parse_date),
        size: record.get("size").and_then(parse_message_size),
        sender: record.get("fromaddress").unwrap_or("").to_string(),
        recipients,
        messages: 1,
    }
}

/// `{a@x.example, b@y.example}` or `a@x.example;b@y.example`; type names that Export-Csv
/// writes for unexpanded lists give no recipients.
fn split_recipients(value: &str) -> Vec<String> {
    value
        .trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .split([',', ';'])
        .map(str::trim)
        .filter(|a| a.contains('@'))
        .map(str::to_string)
        .collect()
}

/// The reply part of a `LastError`: `[{LRT=…};{LED=451 4.4.0 …};{FQDN=…}]` gives the LED value;
/// other texts are kept whole.
pub fn last_error(value: &str) -> String {
    let value = value.trim();
    if let Some(start) = value.find("{LED=") {
        let rest = &value[start + 5..];
        let end = rest.find("};{").or_else(|| rest.find("}]")).unwrap_or(rest.len());
        return collapse(&rest[..end]);
    }
    collapse(value)
}

/// Line breaks and runs of spaces of a wrapped value become single spaces.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// True when the first data line of `sample` is a CSV header (Export-Csv) rather than a
/// `Name : value` list.
fn looks_like_csv(sample: &str) -> bool {
    sample
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .is_some_and(|l| l.starts_with('"') || (l.contains(',') && !l.contains(" : ")))
}

/// `6.426 KB (6,580 bytes)` or a plain number of bytes.
fn parse_message_size(value: &str) -> Option<u64> {
    if let Some(open) = value.find('(') {
        let inner: String = value[open..].chars().filter(char::is_ascii_digit).collect();
        return inner.parse().ok();
    }
    value.replace(',', "").trim().parse().ok()
}

/// A date as Exchange prints it in the admin's locale: `1/15/2021 11:50:05 PM`,
/// `15-01-21 23:50:05`, `15.01.2021 23:50`, `2021-01-15T23:50:05`. Day and month are told
/// apart by a value over 12, else `/` means month first and `-`/`.` day first. Local time.
pub fn parse_date(value: &str) -> Option<DateTime<Utc>> {
    let value = value.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Some(t.with_timezone(&Utc));
    }
    let mut parts = value.splitn(2, [' ', 'T']);
    let date_text = parts.next()?;
    let time_text = parts.next().unwrap_or("00:00:00").trim();
    let separator = date_text.chars().find(|c| matches!(c, '/' | '-' | '.'))?;
    let numbers: Vec<&str> = date_text.split(separator).collect();
    let [a, b, c] = numbers[..] else { return None };
    let (an, bn, cn): (u32, u32, i32) = (a.parse().ok()?, b.parse().ok()?, c.parse().ok()?);
    let (year, month, day) = if a.len() == 4 {
        (i32::try_from(an).ok()?, bn, u32::try_from(cn).ok()?)
    } else {
        let year = if c.len() == 2 { 2000 + cn } else { cn };
        if an > 12 || (bn <= 12 && separator != '/') { (year, bn, an) } else { (year, an, bn) }
    };
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let time = parse_time(time_text)?;
    Local.from_local_datetime(&NaiveDateTime::new(date, time)).earliest().map(|t| t.with_timezone(&Utc))
}

fn parse_time(text: &str) -> Option<NaiveTime> {
    let upper = text.to_ascii_uppercase();
    for format in ["%I:%M:%S %p", "%I:%M %p", "%H:%M:%S", "%H:%M"] {
        if let Ok(t) = NaiveTime::parse_from_str(&upper, format) {
            return Some(t);
        }
    }
    // Fractions of a second and zone suffixes: keep hours, minutes and seconds.
    NaiveTime::parse_from_str(upper.get(..8)?, "%H:%M:%S").ok()
}

#[cfg(test)]
mod tests {
    use chrono::Datelike;

    use super::*;

    #[test]
    fn dates_in_several_locales() {
        let d = |s: &str| parse_date(s).map(|t| t.with_timezone(&Local).date_naive());
        let jan15 = NaiveDate::from_ymd_opt(2021, 1, 15);
        assert_eq!(d("15-01-21 23:50:05"), jan15);
        assert_eq!(d("1/15/2021 11:50:05 PM"), jan15);
        assert_eq!(d("15.01.2021 23:50"), jan15);
        assert_eq!(d("2021-01-15 23:50:05"), jan15);
        assert_eq!(d("02/03/2021 10:00:00").map(|t| t.month()), Some(2));
        assert_eq!(d("not a date"), None);
    }

    #[test]
    fn last_error_led_part() {
        assert_eq!(
            last_error("[{LRT=1/1/2021 1:00:00 AM};{LED=451 4.4.0 DNS query failed};{FQDN=x};{IP=1.2.3.4}]"),
            "451 4.4.0 DNS query failed"
        );
        assert_eq!(last_error("451 4.7.0 Temporary server error"), "451 4.7.0 Temporary server error");
    }

    #[test]
    fn list_form_with_wrapped_values_and_two_records() {
        let text = "\
Identity          : EX01\\3\\1234
FromAddress       : sender@contoso.example
Status            : Retry
Size              : 6.426 KB (6,580 bytes)
DateReceived      : 1/5/2021 10:00:00 AM
LastError         : 451 4.4.0 Primary target IP address responded with: \"421 4.3.2 Service not
                    available, closing transmission channel.\"
Recipients        : {a@fabrikam.example, b@fabrikam.example}

Identity          : EX01\\3\\1235
FromAddress       : other@contoso.example
Status            : Suspended
Recipients        : {c@tailspin.example}
";
        let parsed = parse_list(text.as_bytes());
        assert_eq!(parsed.skipped.count, 0);
        assert_eq!(parsed.entries.len(), 2);
        let first = &parsed.entries.to_vec()[0];
        assert_eq!(first.size, Some(6580));
        assert_eq!(first.recipients.len(), 2);
        assert_eq!(
            first.recipients[0].reason.as_deref(),
            Some(
                "451 4.4.0 Primary target IP address responded with: \"421 4.3.2 Service not available, closing transmission channel.\""
            )
        );
        assert_eq!(parsed.entries.to_vec()[1].queue, QueueName::Hold);
    }

    #[test]
    fn csv_form_with_multiline_values() {
        let text = "#TYPE Microsoft.Exchange.Data.QueueViewer.ExtensibleQueueInfo\r\n\
\"Identity\",\"DeliveryType\",\"NextHopDomain\",\"Status\",\"MessageCount\",\"LastError\",\"FirstRetryTime\"\r\n\
\"EX01\\4\",\"DnsConnectorDelivery\",\"bank.example\",\"Retry\",\"42\",\"451 4.4.0 Primary target IP address responded with: \"\"421 4.4.2 Connection dropped\r\ndue to SocketError.\"\"\",\"1/15/2021 10:00:00 PM\"\r\n\
\"EX01\\5\",\"SmtpDeliveryToMailbox\",\"mailbox database 1\",\"Ready\",\"0\",\"\",\"\"\r\n\
\"broken\"\r\n";
        let parsed = parse_csv(text.as_bytes());
        assert_eq!(parsed.entries.len(), 1);
        assert_eq!(parsed.skipped.count, 1);
        let queue = &parsed.entries.to_vec()[0];
        assert_eq!(queue.messages, 42);
        assert_eq!(&*queue.recipients[0].domain, "bank.example");
        assert!(queue.recipients[0].reason.as_deref().unwrap().contains("Connection dropped due to"));
    }
}
