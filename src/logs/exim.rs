//! Exim's mainlog (and rejectlog): `<= => -> *> == **` lines, defer codes, "retry time not
//! reached", optional zone and `[pid]`, the old (`10HmaX-0005vi-00`), long
//! (`10HmaX-000000005vi-0000`) and base-62 2024 (`1raAO5-0091Cv-IH`) message ids.

use super::format::Spec;
use super::parser::{LineKind, LogParser};
use super::record::{Direction, LogRecord, Status};
use super::time;
use crate::format_registry::{Confidence, score_lines};

/// The Exim format's registry entry.
pub const FORMAT: Spec = Spec { name: "exim", label: "Exim", sniff, parser: |_| Box::new(EximParser) };

/// Lines with an ISO time followed by a message id or an Exim event.
pub fn sniff(sample: &str) -> Confidence {
    score_lines(sample, |line| {
        let Some((_, rest)) = time::iso_space_prefix(line) else { return 0 };
        let rest = rest.trim_start();
        let rest = match rest.strip_prefix('[') {
            Some(pid) => pid.split_once(']').map(|(_, r)| r.trim_start()).unwrap_or(rest),
            None => rest,
        };
        let first = rest.split(' ').next().unwrap_or("");
        let exim_words = ["Start queue run", "End queue run", "exim ", "H=", "SMTP ", "login authenticator"];
        u32::from(is_message_id(first) || exim_words.iter().any(|w| rest.starts_with(w)) || rest.contains(" exim["))
    })
}

/// Parser of Exim main and reject logs.
#[derive(Debug, Clone, Default)]
pub struct EximParser;

impl LogParser for EximParser {
    fn line(&mut self, text: &str, number: u64, out: &mut Vec<LogRecord>) -> LineKind {
        if text.trim().is_empty() {
            return LineKind::Blank;
        }
        let Some((time, host, rest)) = header(text) else { return LineKind::Skipped };
        let mut record =
            LogRecord { line: number, time: Some(time), host, program: Some("exim".into()), ..LogRecord::default() };
        let rest = rest.trim_start();
        let (id, body) = match rest.split_once(' ') {
            Some((id, body)) if is_message_id(id) => (Some(id), body),
            _ if is_message_id(rest) => (Some(rest), ""),
            _ => (None, rest),
        };
        record.queue_id = id.map(str::to_string);
        if event(body, id.is_some(), &mut record) {
            record.raw = text.to_string();
            out.push(record);
        }
        LineKind::Recognised
    }
}

/// The time, the optional host (`mx1 exim[29786]:` syslog-style prefix) and the rest.
fn header(text: &str) -> Option<(super::record::LogTime, Option<String>, &str)> {
    let (time, mut rest) = time::iso_space_prefix(text)?;
    let mut host = None;
    // Optional `[pid]`.
    let trimmed = rest.trim_start();
    if let Some(pid) = trimmed.strip_prefix('[') {
        if let Some((digits, after)) = pid.split_once(']')
            && digits.bytes().all(|b| b.is_ascii_digit())
        {
            rest = after;
        }
    } else if let Some((first, after)) = trimmed.split_once(' ') {
        // `2019-10-22 03:39:17 mx1.fqdn.local exim[29786]: …`
        if let Some((program, tail)) = after.split_once(": ")
            && program.starts_with("exim")
            && !program.contains(' ')
        {
            host = Some(first.to_string());
            rest = tail;
        }
    }
    Some((time, host, rest))
}

/// Exim message ids, base 62: `XXXXXX-YYYYYY-ZZ` (before 4.97) and `XXXXXX-YYYYYYYYYYY-ZZZZ` (4.97+).
/// The one rule for ids in logs, `exim -bp` listings and the ids the queue actions take.
pub fn is_message_id(token: &str) -> bool {
    let mut parts = token.split('-');
    let (Some(a), Some(b), Some(c), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let alnum = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric());
    a.len() == 6 && alnum(a) && alnum(b) && alnum(c) && matches!((b.len(), c.len()), (6, 2) | (11, 4))
}

/// Reads the line after the id; true when it is an event worth a record.
fn event(body: &str, has_id: bool, record: &mut LogRecord) -> bool {
    let (flag, rest) = body.split_once(' ').unwrap_or((body, ""));
    match flag {
        "<=" => {
            record.status = Some(Status::Received);
            record.direction = Some(Direction::Inbound);
            let (host, ip) = remote(rest);
            record.remote_host = host;
            record.remote_ip = ip;
            if let Some((_, to)) = rest.rsplit_once(" for ")
                && let Some(first) = to.split_whitespace().next()
            {
                record.set_recipient(first);
            }
            true
        }
        "=>" | "->" | "*>" => {
            recipient(rest, record);
            record.status = Some(Status::Sent);
            record.direction = Some(Direction::Outbound);
            let (host, ip) = remote(rest);
            record.remote_host = host;
            record.remote_ip = ip;
            if let Some(confirmation) = quoted_field(rest, " C=\"") {
                record.set_reply(confirmation);
            }
            true
        }
        "==" | "**" => {
            recipient(rest, record);
            record.status = Some(if flag == "==" { Status::Deferred } else { Status::Bounced });
            record.direction = Some(Direction::Outbound);
            let (host, ip) = remote(rest);
            record.remote_host = host;
            record.remote_ip = ip;
            let reason = failure_text(rest);
            record.not_attempted = reason.contains("retry time not reached");
            record.set_reply(reason);
            true
        }
        _ if has_id && body.starts_with("H=") => {
            // `H=mx [ip] Connection refused` / `H=mx [ip]: SMTP error from remote mail server …`
            record.status = Some(Status::Error);
            record.direction = Some(Direction::Outbound);
            let (host, ip) = remote(body);
            record.remote_host = host;
            record.remote_ip = ip;
            let after_ip = body.find(']').map(|i| &body[i + 1..]).unwrap_or(body);
            record.set_reply(after_ip.trim_start_matches(':').trim());
            true
        }
        _ if !has_id && body.contains(" rejected RCPT ") => {
            record.status = Some(Status::Rejected);
            record.direction = Some(Direction::Inbound);
            let (host, ip) = remote(body);
            record.remote_host = host;
            record.remote_ip = ip;
            let after = body.split_once(" rejected RCPT ").map(|(_, r)| r).unwrap_or("");
            let (address, reason) = after.split_once(": ").unwrap_or((after, ""));
            record.set_recipient(address);
            record.set_reply(reason);
            true
        }
        _ => false,
    }
}

/// The recipient after the flag: `userx@simple R=…`, `CALLER <CALLER@test.ex> R=…`, `bob@x: reason`.
fn recipient(rest: &str, record: &mut LogRecord) {
    let mut words = rest.split_whitespace();
    let Some(first) = words.next() else { return };
    let address = match words.next() {
        Some(second) if second.starts_with('<') => second.trim_end_matches(':'),
        _ => first.trim_end_matches(':'),
    };
    record.set_recipient(address);
}

/// Why a delivery was deferred or failed: after `defer (n): `, or after the first `": "`.
fn failure_text(rest: &str) -> &str {
    if let Some(at) = rest.find("defer (") {
        let after = &rest[at..];
        if let Some(colon) = after.find("): ") {
            return &after[colon + 3..];
        }
        if let Some(close) = after.find(") ") {
            let tail = &after[close + 2..];
            return tail.split_once(": ").map(|(_, t)| t).unwrap_or(tail);
        }
    }
    rest.split_once(": ").map(|(_, t)| t).unwrap_or(rest).trim()
}

/// `H=name [ip]`, `H=(helo) [ip]`, `H=name (helo) [ip]:port`: the name and the address.
fn remote(text: &str) -> (Option<String>, Option<String>) {
    let Some(at) = text.find("H=").filter(|&i| i == 0 || text.as_bytes()[i - 1] == b' ') else {
        return (None, None);
    };
    let rest = &text[at + 2..];
    let name = rest.split_whitespace().next().unwrap_or("");
    let host = (!name.starts_with('(') && !name.starts_with('[')).then(|| name.trim_end_matches(':').to_string());
    let ip = rest.find('[').map(|open| {
        let inner = &rest[open + 1..];
        let end = inner.find(|c: char| c == ']' || c.is_whitespace()).unwrap_or(inner.len());
        inner[..end].trim_end_matches(':').to_string()
    });
    (host.filter(|h| !h.is_empty()), ip.filter(|i| !i.is_empty()))
}

/// The value of a `C="…"`-style field.
fn quoted_field<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let start = text.find(name)? + name.len();
    let value = &text[start..];
    Some(value.rfind('"').map(|end| &value[..end]).unwrap_or(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> (LineKind, Vec<LogRecord>) {
        let mut out = Vec::new();
        let kind = EximParser.line(line, 1, &mut out);
        (kind, out)
    }

    #[test]
    fn deferrals_with_codes_and_retry_time() {
        let (_, r) = parse(
            "1999-03-02 09:44:33 10HmaY-0005vi-00 == ok@no.delay R=r1 T=t1 defer (-45): SMTP error from remote mail server after MAIL FROM:<CALLER@test.ex> SIZE=1325: host 127.0.0.1 [127.0.0.1]: 421 myhost.test.ex: SMTP command timeout - closing connection",
        );
        assert_eq!(r[0].status, Some(Status::Deferred));
        assert_eq!(r[0].reply_code, Some(421));
        assert_eq!(r[0].domain.as_deref(), Some("no.delay"));
        assert_eq!(r[0].queue_id.as_deref(), Some("10HmaY-0005vi-00"));
        let (_, r) = parse(
            "1999-03-02 09:44:33 10HmaX-000000005vi-0000 == userx@simple R=all T=smtp defer (-54): retry time not reached for any host for 'simple'",
        );
        assert!(r[0].not_attempted);
        assert_eq!(r[0].reply.as_deref(), Some("retry time not reached for any host for 'simple'"));
        let (_, r) = parse(
            "2020-06-24 00:20:20 1raAV4-009jr4-9x == jack@test.corp R=dnslookup T=remote_smtp defer (-44) H=(relay.test.corp) [4.4.4.4: SMTP error from remote mail server after RCPT TO:<jack@test.corp>: 450 4.7.1 <jack@test.corp>: Recipient address rejected: Recipient not available",
        );
        assert_eq!((r[0].reply_code, r[0].enhanced_code.as_deref()), (Some(450), Some("4.7.1")));
        assert_eq!(r[0].remote_ip.as_deref(), Some("4.4.4.4"));
        assert_eq!(r[0].remote_host, None);
    }

    #[test]
    fn deliveries_bounces_pid_and_zone() {
        let (_, r) = parse(
            "2020-06-20 01:32:57 +0200 [789] 1jmKso-0009d4-Uf ** molly@zee.corp R=dnslookup T=remote_smtp H=mail.zee.corp [3.3.3.3] X=TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256 CV=yes DN=\"C=US,ST=Fake,L=Lost,O=Zee Corp,CN=mail.zee.corp\": SMTP error from remote mail server after end of data: 554 5.2.0 mKr3jsd25ZIfXmKr4jFD2w Recipient Mailbox Full [504]",
        );
        assert_eq!(r[0].status, Some(Status::Bounced));
        assert_eq!((r[0].reply_code, r[0].enhanced_code.as_deref()), (Some(554), Some("5.2.0")));
        assert_eq!(r[0].time.unwrap().to_string(), "2020-06-20T01:32:57+02:00");
        assert_eq!(r[0].remote_host.as_deref(), Some("mail.zee.corp"));
        let (_, r) = parse("1999-03-02 09:44:33 10HmbB-000000005vi-0000 => CALLER <CALLER@test.ex> R=r0 T=t2");
        assert_eq!(r[0].recipient.as_deref(), Some("CALLER@test.ex"));
        assert_eq!(r[0].status, Some(Status::Sent));
        let (_, r) = parse(
            "2020-06-19 06:26:02 1jmH1s-000AVD-5t => dave@foo.corp R=dnslookup T=remote_smtp H=mail.foo.corp [1.1.1.1] C=\"250 2.0.0 Ok: queued\"",
        );
        assert_eq!(r[0].reply.as_deref(), Some("250 2.0.0 Ok: queued"));
        let (kind, r) = parse("1999-03-02 09:44:33 Start queue run: pid=p1234");
        assert_eq!((kind, r.len()), (LineKind::Recognised, 0));
        let (kind, _) = parse("# failJSON: {}");
        assert_eq!(kind, LineKind::Skipped);
        let (_, r) = parse(
            "2020-06-13 16:49:49 H=(test.corp) [1.1.1.1] F=<noreply@test.corp> rejected RCPT <error!@dummy.corp>: restricted characters in address",
        );
        assert_eq!(r[0].status, Some(Status::Rejected));
        assert_eq!(r[0].domain.as_deref(), Some("dummy.corp"));
    }
}
