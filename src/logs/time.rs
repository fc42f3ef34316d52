//! Timestamps of log lines: classic syslog (no year), RFC 3339, and `YYYY-MM-DD HH:MM:SS`.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};

use super::record::LogTime;

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// A month abbreviation (`Jan`) as 1 to 12.
pub fn month(abbrev: &str) -> Option<u32> {
    (1..).zip(MONTHS).find(|(_, m)| m.eq_ignore_ascii_case(abbrev)).map(|(number, _)| number)
}

/// Parses a classic syslog time `Nov  3 18:05:55` at the start of `text`; returns the time and the
/// rest of the text. The year is the one that puts the date on or before `reference` (the file's
/// modification time): a log never holds lines from the future, so `Dec 31` read in January is
/// last year's.
pub fn syslog_prefix(text: &str, reference: NaiveDate) -> Option<(LogTime, &str)> {
    let month = month(text.get(..3)?)?;
    let rest = text.get(3..)?.strip_prefix(' ')?.trim_start_matches(' ');
    let (day, rest) = rest.split_once(' ')?;
    let day: u32 = day.parse().ok()?;
    let time = clock(rest.get(..8)?)?;
    let mut rest = &rest[8..];
    // rsyslog's high-precision option adds fractions to the classic form.
    if let Some(fraction) = rest.strip_prefix('.') {
        rest = fraction.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let mut year = reference.year();
    if (month, day) > (reference.month(), reference.day() + 1) {
        year -= 1;
    }
    let date = NaiveDate::from_ymd_opt(year, month, day).or_else(|| NaiveDate::from_ymd_opt(year - 1, month, day))?;
    Some((LogTime::naive(date.and_time(time)), rest))
}

/// `HH:MM:SS` without going through a format string (this runs once per log line).
pub fn clock(text: &str) -> Option<NaiveTime> {
    let b = text.as_bytes();
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let two = |i: usize| -> Option<u32> {
        (b[i].is_ascii_digit() && b[i + 1].is_ascii_digit())
            .then(|| u32::from(b[i] - b'0') * 10 + u32::from(b[i + 1] - b'0'))
    };
    NaiveTime::from_hms_opt(two(0)?, two(3)?, two(6)?)
}

/// Starts with `YYYY-MM-DDTHH:MM:SS`.
pub fn starts_iso_t(line: &str) -> bool {
    rfc3339_prefix(line).is_some() && line.as_bytes().get(4) == Some(&b'-')
}

/// Parses an RFC 3339 time (`2024-03-05T05:40:51.848676+00:00`, `...Z`, or without zone) at the start
/// of `text`; returns it and the rest.
pub fn rfc3339_prefix(text: &str) -> Option<(LogTime, &str)> {
    let end = text.find(|c: char| c.is_whitespace() || c == ',').unwrap_or(text.len());
    let token = &text[..end];
    if token.len() < 19 || token.as_bytes().get(10) != Some(&b'T') {
        return None;
    }
    if let Ok(time) = DateTime::parse_from_rfc3339(token) {
        return Some((LogTime { local: time.naive_local(), offset: Some(*time.offset()) }, &text[end..]));
    }
    let local = NaiveDateTime::parse_from_str(token, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    Some((LogTime::naive(local), &text[end..]))
}

/// Parses `YYYY-MM-DD HH:MM:SS` (optionally `.fff`, then an optional ` +HHMM` zone) at the start of
/// `text` (Exim's mainlog, IIS W3C); returns it and the rest.
pub fn iso_space_prefix(text: &str) -> Option<(LogTime, &str)> {
    let date = NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()?;
    let rest = text.get(10..)?.strip_prefix(' ')?;
    let clock = clock(rest.get(..8)?)?;
    let mut rest = &rest[8..];
    if let Some(fraction) = rest.strip_prefix('.') {
        rest = fraction.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let mut offset = None;
    if let Some(zone) = rest.strip_prefix(' ').and_then(zone_prefix) {
        offset = Some(zone.0);
        rest = zone.1;
    }
    Some((LogTime { local: date.and_time(clock), offset }, rest))
}

/// A `+HHMM` / `-HHMM` zone at the start of `text`.
pub fn zone_prefix(text: &str) -> Option<(FixedOffset, &str)> {
    let bytes = text.as_bytes();
    if bytes.len() < 5 || !matches!(bytes[0], b'+' | b'-') || !bytes[1..5].iter().all(u8::is_ascii_digit) {
        return None;
    }
    if bytes.get(5).is_some_and(|b| !b.is_ascii_whitespace()) {
        return None;
    }
    let hours: i32 = text[1..3].parse().ok()?;
    let minutes: i32 = text[3..5].parse().ok()?;
    let seconds = (hours * 3600 + minutes * 60) * if bytes[0] == b'-' { -1 } else { 1 };
    Some((FixedOffset::east_opt(seconds)?, &text[5..]))
}

/// The reference date for year inference: the file's modification date, else today.
pub fn reference_date(modified: Option<std::time::SystemTime>) -> NaiveDate {
    let time: DateTime<chrono::Local> = modified.map(Into::into).unwrap_or_else(chrono::Local::now);
    time.date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn syslog_year_is_inferred_from_the_reference() {
        let (t, rest) = syslog_prefix("Nov  3 18:05:55 mail postfix", d(2024, 1, 10)).unwrap();
        assert_eq!(t.local.to_string(), "2023-11-03 18:05:55");
        assert_eq!(rest, " mail postfix");
        let (t, _) = syslog_prefix("Jan  9 00:00:01 x", d(2024, 1, 10)).unwrap();
        assert_eq!(t.local.year(), 2024);
        assert!(syslog_prefix("Foo  9 00:00:01 x", d(2024, 1, 10)).is_none());
        // 29 February exists only in leap years.
        let (t, _) = syslog_prefix("Feb 29 10:00:00 x", d(2025, 3, 1)).unwrap();
        assert_eq!(t.local.year(), 2024);
    }

    #[test]
    fn rfc3339_and_iso_forms() {
        let (t, rest) = rfc3339_prefix("2024-03-05T05:40:51.848676+00:00 mail").unwrap();
        assert_eq!(t.to_string(), "2024-03-05T05:40:51+00:00");
        assert_eq!(rest, " mail");
        let (t, rest) = iso_space_prefix("2020-06-20 01:32:57 +0200 [789] x").unwrap();
        assert_eq!(t.to_string(), "2020-06-20T01:32:57+02:00");
        assert_eq!(rest, " [789] x");
        let (t, _) = iso_space_prefix("1999-03-02 09:44:33 10HmaX").unwrap();
        assert_eq!(t.offset, None);
    }
}
