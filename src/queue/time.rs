//! Dates, ages and sizes as queue listings print them.

use chrono::{DateTime, Datelike, Duration, Local, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};

/// Parses the year-less local time of `mailq` listings — `Wed Jan 10 00:32:03` (Postfix) or
/// `Tue Apr 30 04:40` (Sendmail) — taking the latest year in which the date is not in the
/// future and, when a weekday is given, falls on that weekday.
pub fn parse_yearless(text: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let mut parts = text.split_whitespace();
    let first = parts.next()?;
    let (weekday, month) = match first.parse::<Weekday>() {
        Ok(weekday) => (Some(weekday), parts.next()?),
        Err(_) => (None, first),
    };
    let month = month_number(month)?;
    let day: u32 = parts.next()?.parse().ok()?;
    let time = parts.next()?;
    let time =
        NaiveTime::parse_from_str(time, "%H:%M:%S").or_else(|_| NaiveTime::parse_from_str(time, "%H:%M")).ok()?;
    let local_now = now.with_timezone(&Local).naive_local();
    // A day of slack for clocks and zones; weekday cycles repeat within 28 years.
    let latest = local_now + Duration::days(1);
    let mut fallback = None;
    for year in (local_now.year() - 28..=local_now.year()).rev() {
        let Some(date) = NaiveDate::from_ymd_opt(year, month, day) else { continue };
        let stamp = NaiveDateTime::new(date, time);
        if stamp > latest {
            continue;
        }
        if weekday.is_none_or(|w| date.weekday() == w) {
            return to_utc(stamp);
        }
        fallback.get_or_insert(stamp);
    }
    fallback.and_then(to_utc)
}

fn to_utc(stamp: NaiveDateTime) -> Option<DateTime<Utc>> {
    Local.from_local_datetime(&stamp).earliest().map(|t| t.with_timezone(&Utc))
}

fn month_number(name: &str) -> Option<u32> {
    crate::logs::time::month(name.get(..3)?)
}

/// Parses a duration with a unit suffix: Exim ages (`25m`, `2h`, `4d`) and Postfix time values
/// (`5d`, `3600s`, `1w`). A bare number takes `default_unit`.
#[allow(clippy::cast_possible_truncation, reason = "float-to-int `as` saturates; the number has no sign")]
pub fn parse_duration(text: &str, default_unit: char) -> Option<Duration> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit() && *c != '.') {
        Some((at, _)) => (&text[..at], text[at..].chars().next()?),
        None => (text, default_unit),
    };
    if number.len() != text.len() && text[number.len()..].chars().count() != 1 {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    let seconds = match unit.to_ascii_lowercase() {
        's' => 1.0,
        'm' => 60.0,
        'h' => 3600.0,
        'd' => 86_400.0,
        'w' => 604_800.0,
        _ => return None,
    };
    let total = value * seconds;
    total.is_finite().then(|| Duration::milliseconds((total * 1000.0) as i64))
}

/// Parses a size as Exim prints it: `345`, `2.9K`, `52K`, `1.2M`.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "float-to-int `as` saturates; the value is checked finite and not negative"
)]
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let (number, factor) = match text.chars().last()? {
        'K' | 'k' => (&text[..text.len() - 1], 1024.0),
        'M' | 'm' => (&text[..text.len() - 1], 1024.0 * 1024.0),
        'G' | 'g' => (&text[..text.len() - 1], 1024.0 * 1024.0 * 1024.0),
        _ => (text, 1.0),
    };
    let value: f64 = number.parse().ok()?;
    (value.is_finite() && value >= 0.0).then(|| (value * factor).round() as u64)
}

/// A short human age: `<1m`, `12m`, `3h 5m`, `2d 4h` (seconds are noise for queue ages).
pub fn format_age(age: Duration) -> String {
    let secs = age.num_seconds().max(0);
    match secs {
        0..60 => "<1m".to_string(),
        60..3600 => format!("{}m", secs / 60),
        3600..86_400 => format!("{}h {}m", secs / 3600, secs % 3600 / 60),
        _ => format!("{}d {}h", secs / 86_400, secs % 86_400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        Local.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn year_follows_the_weekday() {
        let t = parse_yearless("Wed Jan 10 00:32:03", now()).unwrap().with_timezone(&Local);
        assert_eq!((t.year(), t.month(), t.day()), (2024, 1, 10));
        let t = parse_yearless("Mon Mar  1 14:10:05", now()).unwrap().with_timezone(&Local);
        assert_eq!(t.year(), 2021);
        let t = parse_yearless("Tue Apr 30 04:40", now()).unwrap().with_timezone(&Local);
        assert_eq!((t.year(), t.hour_min()), (2024, (4, 40)));
        // Without a weekday: this year unless that is in the future.
        let t = parse_yearless("Dec 24 10:00:00", now()).unwrap().with_timezone(&Local);
        assert_eq!(t.year(), 2025);
        assert!(parse_yearless("Wed Foo 10 00:32:03", now()).is_none());
    }

    trait HourMin {
        fn hour_min(&self) -> (u32, u32);
    }
    impl HourMin for DateTime<Local> {
        fn hour_min(&self) -> (u32, u32) {
            use chrono::Timelike;
            (self.hour(), self.minute())
        }
    }

    #[test]
    fn durations_and_sizes() {
        assert_eq!(parse_duration("25m", 'd'), Some(Duration::minutes(25)));
        assert_eq!(parse_duration("5", 'd'), Some(Duration::days(5)));
        assert_eq!(parse_duration("1w", 'd'), Some(Duration::weeks(1)));
        assert_eq!(parse_duration("TTT", 'd'), None);
        assert_eq!(parse_duration("5dd", 'd'), None);
        assert_eq!(parse_size("2.9K"), Some(2970));
        assert_eq!(parse_size("345"), Some(345));
        assert_eq!(parse_size("sss"), None);
        assert_eq!(format_age(Duration::seconds(90_000)), "1d 1h");
        assert_eq!(format_age(Duration::seconds(5)), "<1m");
        assert_eq!(format_age(Duration::seconds(15_600)), "4h 20m");
    }
}
