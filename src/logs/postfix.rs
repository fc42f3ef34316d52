//! Postfix logs: syslog lines (classic time with the year inferred, or RFC 3339) with any prefix
//! before the `postfix/…` program, and bare message bodies as `journalctl -o cat` prints them.

use chrono::NaiveDate;

use super::format::Spec;
use super::parser::{LineKind, LogParser};
use super::record::{Direction, LogRecord, LogTime, Status};
use super::time;
use crate::format_registry::{Confidence, score_lines};

/// The Postfix format's registry entry.
pub const FORMAT: Spec =
    Spec { name: "postfix", label: "Postfix", sniff, parser: |reference| Box::new(PostfixParser::new(reference)) };

/// Lines the parser recognises.
pub fn sniff(sample: &str) -> Confidence {
    let mut out = Vec::new();
    let mut parser = PostfixParser::new(NaiveDate::MIN);
    score_lines(sample, |line| u32::from(parser.line(line, 1, &mut out) == LineKind::Recognised))
}

/// Parser of Postfix logs.
#[derive(Debug, Clone)]
pub struct PostfixParser {
    reference: NaiveDate,
}

impl PostfixParser {
    /// A parser inferring years of classic syslog times against `reference` (the file's date).
    pub fn new(reference: NaiveDate) -> PostfixParser {
        PostfixParser { reference }
    }
}

impl LogParser for PostfixParser {
    fn line(&mut self, text: &str, number: u64, out: &mut Vec<LogRecord>) -> LineKind {
        if text.trim().is_empty() {
            return LineKind::Blank;
        }
        let (header, body) = match find_program(text) {
            Some((start, program, body)) => (Some((&text[..start], program)), body),
            None => match bare_body(text) {
                Some(body) => (None, body),
                None => return LineKind::Skipped,
            },
        };
        let mut record = LogRecord { line: number, ..LogRecord::default() };
        // Most lines carry no event; their header is not worth reading.
        if parse_body(body, &mut record) {
            if let Some((prefix, program)) = header {
                let (time, host) = read_prefix(prefix, self.reference);
                record.time = time;
                record.host = host;
                record.program = Some(program.to_string());
            }
            record.raw = text.to_string();
            out.push(record);
        }
        LineKind::Recognised
    }
}

/// Finds `postfix…/name[pid]: ` in `text`: the program's start, the program, and the message.
fn find_program(text: &str) -> Option<(usize, &str, &str)> {
    let mut from = 0;
    while let Some(found) = text[from..].find("postfix") {
        let start = from + found;
        from = start + 7;
        if start > 0 && text.as_bytes()[start - 1].is_ascii_alphanumeric() {
            continue;
        }
        let name_end = start
            + text[start..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.')))
                .unwrap_or(text.len() - start);
        let program = &text[start..name_end];
        if !program.contains('/') || program.ends_with('/') {
            continue;
        }
        let mut rest = &text[name_end..];
        if let Some(pid) = rest.strip_prefix('[') {
            let Some(close) = pid.find(']') else { continue };
            if !pid[..close].bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            rest = &pid[close + 1..];
        }
        if let Some(body) = rest.strip_prefix(':') {
            return Some((start, program, body.trim_start()));
        }
        // Exports that put the program in a column of its own (tab-separated).
        if let Some(body) = rest.strip_prefix('\t') {
            return Some((start, program, body.trim_start()));
        }
    }
    None
}

/// A Postfix message body without the syslog header (`QUEUEID: to=<…>, …, status=…`,
/// `QUEUEID: message-id=<…>`, `NOQUEUE: reject: …`) after any prefix, as `journalctl -o cat` and
/// log exports print them.
fn bare_body(text: &str) -> Option<&str> {
    const STARTS: [&str; 14] = [
        "to=",
        "from=",
        "message-id=",
        "client=",
        "uid=",
        "removed",
        "host ",
        "lost connection",
        "conversation with",
        "sender non-delivery notification",
        "reject: ",
        "milter-reject: ",
        "warning: ",
        "resent-message-id=",
    ];
    if let Some(at) = text.find("NOQUEUE: ") {
        return Some(&text[at..]);
    }
    let mut search = 0;
    while let Some(found) = text[search..].find(": ") {
        let colon = search + found;
        search = colon + 2;
        // The word before the colon; a multi-byte space (U+2028) must not cut a character.
        let start = colon - text[..colon].rsplit(char::is_whitespace).next().map_or(0, str::len);
        let body = &text[colon + 2..];
        if is_queue_id(&text[start..colon]) && STARTS.iter().any(|s| body.starts_with(s)) {
            return Some(&text[start..]);
        }
    }
    None
}

/// Short (upper-case hex) and long (`enable_long_queue_ids`: base 52 time, `z`, inode) queue ids.
pub fn is_queue_id(token: &str) -> bool {
    let short = (6..=16).contains(&token.len()) && token.bytes().all(|b| matches!(b, b'0'..=b'9' | b'A'..=b'F'));
    let long = (12..=20).contains(&token.len())
        && token.bytes().all(|b| b.is_ascii_alphanumeric())
        && token.bytes().any(|b| b.is_ascii_digit())
        && token.bytes().any(|b| b.is_ascii_alphabetic());
    short || long
}

/// The time and host of a syslog prefix (`Nov  3 18:05:55 mail `, `2024-…T…+00:00 mail `,
/// `mail    | Jul 19 08:03:44 mail `, `… 5de1a1801612 mail.info `).
fn read_prefix(prefix: &str, reference: NaiveDate) -> (Option<LogTime>, Option<String>) {
    let mut rest = prefix;
    let mut found = None;
    // The timestamp may follow container names or quoting; try each word start.
    let mut offset = 0;
    while offset < prefix.len() {
        let candidate = &prefix[offset..];
        if let Some(hit) = time::rfc3339_prefix(candidate).or_else(|| time::syslog_prefix(candidate, reference)) {
            found = Some(hit.0);
            rest = hit.1;
            break;
        }
        match candidate.char_indices().find(|(_, c)| c.is_whitespace()) {
            Some((space, c)) => offset += space + c.len_utf8(),
            None => break,
        }
    }
    if found.is_none() {
        return (None, None);
    }
    let host = rest.split_whitespace().next().filter(|h| !is_facility(h)).map(str::to_string);
    (found, host)
}

/// `mail.info`, `mail.warn`: a facility.level field, not a host.
fn is_facility(word: &str) -> bool {
    word.split_once('.').is_some_and(|(facility, level)| {
        facility == "mail"
            && matches!(level, "debug" | "info" | "notice" | "warn" | "warning" | "err" | "crit" | "alert" | "emerg")
    })
}

/// Reads a message body into `record`; true when it is an event worth a record.
fn parse_body(body: &str, record: &mut LogRecord) -> bool {
    if let Some(rest) = body.strip_prefix("connect to ") {
        return connect_failure(rest, record);
    }
    let Some((queue_id, message)) = body.split_once(": ") else { return false };
    if queue_id != "NOQUEUE" && !is_queue_id(queue_id) {
        return false;
    }
    record.queue_id = (queue_id != "NOQUEUE").then(|| queue_id.to_string());
    if message.starts_with("to=") && message.contains("status=") {
        return delivery(message, record);
    }
    if let Some(rest) = message.strip_prefix("host ") {
        return host_said(rest, record);
    }
    // `lost connection with mx[ip] while …`, `conversation with mx[ip] timed out while …`
    for (lead, said) in [("lost connection with ", "lost connection"), ("conversation with ", "conversation")] {
        if let Some(rest) = message.strip_prefix(lead) {
            record.direction = Some(Direction::Outbound);
            record.status = Some(Status::Error);
            let (host, ip, after) = host_and_ip(rest);
            record.remote_host = host;
            record.remote_ip = ip;
            record.set_reply(&format!("{said}{after}"));
            return true;
        }
    }
    if message.starts_with("reject: ") || message.starts_with("milter-reject: ") {
        return reject(message, record);
    }
    if message.starts_with("from=<") && message.contains("status=") {
        // qmgr: `from=<…>, status=expired, returned to sender`
        let status = field(message, "status=").map(status_word);
        record.status = status.flatten();
        record.direction = Some(Direction::Outbound);
        record.set_reply(message.split_once("status=").map(|(_, s)| s).unwrap_or(message));
        return record.status.is_some();
    }
    false
}

/// `connect to mx[1.2.3.4]:25: Connection timed out`
fn connect_failure(rest: &str, record: &mut LogRecord) -> bool {
    let (host, ip, after) = host_and_ip(rest);
    record.remote_host = host;
    record.remote_ip = ip;
    record.direction = Some(Direction::Outbound);
    record.status = Some(Status::Error);
    let reason = after.split_once(": ").map(|(_, r)| r).unwrap_or(after);
    record.set_reply(reason);
    true
}

/// `host mx[1.2.3.4] said: 451 … (in reply to end of DATA command)` and `host mx[…] refused to talk to me: …`
fn host_said(rest: &str, record: &mut LogRecord) -> bool {
    let (host, ip, after) = host_and_ip(rest);
    record.remote_host = host;
    record.remote_ip = ip;
    record.direction = Some(Direction::Outbound);
    record.status = Some(Status::Error);
    let text = after.trim_start();
    let text = text.strip_prefix("said:").or_else(|| text.strip_prefix("refused to talk to me:")).unwrap_or(text);
    record.set_reply(text);
    true
}

/// `to=<a@b>, orig_to=<…>, relay=mx[ip]:25, delay=…, dsn=4.4.1, status=deferred (reply)`
fn delivery(message: &str, record: &mut LogRecord) -> bool {
    let Some((fields, status_part)) = message.split_once("status=") else { return false };
    if let Some(to) = field(fields, "to=") {
        record.set_recipient(to);
    }
    if let Some(relay) = field(fields, "relay=")
        && !matches!(relay, "none" | "local" | "virtual")
    {
        let (host, ip, _) = host_and_ip(relay);
        record.remote_host = host;
        record.remote_ip = ip;
    }
    let word_end = status_part.find(|c: char| c.is_whitespace() || c == ',').unwrap_or(status_part.len());
    record.status = status_word(&status_part[..word_end]);
    record.direction = Some(Direction::Outbound);
    let reply = parenthesised(&status_part[word_end..]);
    if let (None, Some(reply)) = (&record.remote_host, reply) {
        // relay=none: the peer, if any, is named in the reason.
        let reason = reply.strip_prefix("delivery temporarily suspended: ").unwrap_or(reply);
        let peer = ["host ", "connect to ", "lost connection with "].iter().find_map(|p| reason.strip_prefix(p));
        if let Some(peer) = peer {
            let (host, ip, _) = host_and_ip(peer);
            record.remote_host = host;
            record.remote_ip = ip;
        }
    }
    if let Some(reply) = reply {
        record.not_attempted = reply.starts_with("delivery temporarily suspended");
        record.set_reply(reply);
    }
    if let Some(dsn) = field(fields, "dsn=")
        && super::reply::is_enhanced(dsn)
        && record.enhanced_code.is_none()
    {
        record.enhanced_code = Some(dsn.to_string());
    }
    record.status.is_some()
}

/// `reject: RCPT from host[ip]: 554 5.7.1 <x>: Relay access denied; from=<…> to=<…> proto=…`
fn reject(message: &str, record: &mut LogRecord) -> bool {
    record.status = Some(Status::Rejected);
    record.direction = Some(Direction::Inbound);
    let after_verb = message.split_once(" from ").map(|(_, r)| r).unwrap_or("");
    let (host, ip, after) = host_and_ip(after_verb);
    record.remote_host = host;
    record.remote_ip = ip;
    let reply = after.trim_start_matches(':').trim_start();
    let reply = reply.rsplit_once("; from=").map(|(r, _)| r).unwrap_or(reply);
    record.set_reply(reply);
    if let Some(to) = message.rsplit_once(" to=<").and_then(|(_, r)| r.split_once('>')).map(|(to, _)| to) {
        record.set_recipient(to);
    }
    true
}

/// The value of `name` in a `, `-separated field list (`relay=` → `mx[1.2.3.4]:25`).
fn field<'a>(fields: &'a str, name: &str) -> Option<&'a str> {
    let mut search = 0;
    while let Some(found) = fields[search..].find(name) {
        let start = search + found;
        search = start + name.len();
        if start == 0 || matches!(fields.as_bytes()[start - 1], b' ' | b',') {
            let value = &fields[start + name.len()..];
            let end = value.find(", ").unwrap_or(value.len());
            return Some(value[..end].trim_end_matches(','));
        }
    }
    None
}

/// Maps Postfix's status words.
fn status_word(word: &str) -> Option<Status> {
    match word {
        "sent" | "deliverable" => Some(Status::Sent),
        "deferred" => Some(Status::Deferred),
        "bounced" | "undeliverable" | "undeliverable-but-not-cached" => Some(Status::Bounced),
        "expired" | "force-expired" => Some(Status::Expired),
        _ => None,
    }
}

/// The text inside the first balanced parentheses of `text` (the reply after `status=deferred`,
/// which may itself contain parentheses).
pub fn parenthesised(text: &str) -> Option<&str> {
    let open = text.find('(')?;
    let mut depth = 0usize;
    for (i, ch) in text[open..].char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&text[open + 1..open + i]);
                }
            }
            _ => {}
        }
    }
    // Unbalanced (a cut line): everything after the parenthesis.
    Some(text[open + 1..].trim_end_matches(')'))
}

/// `mx.example[192.0.2.1]:25 rest` → host, address, rest.
fn host_and_ip(text: &str) -> (Option<String>, Option<String>, &str) {
    let end = text.find(|c: char| c.is_whitespace() || c == ',').unwrap_or(text.len());
    let token = &text[..end];
    let rest = &text[end..];
    match token.find('[') {
        Some(open) => {
            let close = token[open..].find(']').map(|c| open + c).unwrap_or(token.len());
            let host = &token[..open];
            let ip = &token[open + 1..close];
            let after = token.get(close + 1..).unwrap_or("");
            let host = (!host.is_empty() && host != "unknown").then(|| host.to_string());
            let ip = (!ip.is_empty()).then(|| ip.to_string());
            // `:25: Connection timed out` stays with the rest.
            let consumed = token.len() - after.len();
            (host, ip, &text[consumed..])
        }
        None => (Some(token.trim_end_matches(':').to_string()).filter(|h| !h.is_empty()), None, rest),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> (LineKind, Vec<LogRecord>) {
        let mut parser = PostfixParser::new(NaiveDate::from_ymd_opt(2024, 6, 1).unwrap());
        let mut out = Vec::new();
        let kind = parser.line(line, 7, &mut out);
        (kind, out)
    }

    #[test]
    fn wide_whitespace_before_a_colon_does_not_panic() {
        let (kind, _) = parse("x\u{85}AB12CD: to=<a@b.example>, status=deferred (x)");
        assert_eq!(kind, LineKind::Recognised, "the id after the wide space is read");
        parse("\u{3000}: removed");
    }

    #[test]
    fn deferral_with_nested_parentheses() {
        let (kind, records) = parse(
            "Apr 21 08:45:22 mail postfix/smtp[1283]: F024DAA029B: to=<jfm79@aol.com>, relay=mx-aol.mail.gm0.yahoodns.net[98.136.96.92]:25, delay=59235, delays=59232/0.06/2.3/0.13, dsn=4.7.0, status=deferred (host mx-aol.mail.gm0.yahoodns.net[98.136.96.92] said: 421 4.7.0 [TSS04] Messages from 78.225.183.108 temporarily deferred due to user complaints - 4.16.55.1; see https://help.yahoo.com/kb/postmaster/SLN3434.html (in reply to MAIL FROM command))",
        );
        assert_eq!(kind, LineKind::Recognised);
        let r = &records[0];
        assert_eq!(r.status, Some(Status::Deferred));
        assert_eq!(r.reply_code, Some(421));
        assert_eq!(r.enhanced_code.as_deref(), Some("4.7.0"));
        assert_eq!(r.domain.as_deref(), Some("aol.com"));
        assert_eq!(r.queue_id.as_deref(), Some("F024DAA029B"));
        assert_eq!(r.remote_host.as_deref(), Some("mx-aol.mail.gm0.yahoodns.net"));
        assert_eq!(r.remote_ip.as_deref(), Some("98.136.96.92"));
        assert_eq!(r.program.as_deref(), Some("postfix/smtp"));
        assert_eq!(r.host.as_deref(), Some("mail"));
        assert_eq!(r.time.unwrap().local.to_string(), "2024-04-21 08:45:22");
        assert!(r.reply.as_deref().unwrap().ends_with("(in reply to MAIL FROM command)"));
        assert_eq!(r.line, 7);
    }

    #[test]
    fn prefixes_and_program_names() {
        let (_, r) = parse(
            "> postfix-mailcow_1    | Feb  7 11:18:26 mail postfix/smtp[396]: EFE2274079B: to=<shane@doolittle.com>, relay=none, delay=1145, delays=1115/0.05/30/0, dsn=4.4.1, status=deferred (connect to mail.doolittle.com[45.56.102.194]:25: Connection timed out)",
        );
        assert_eq!(r[0].host.as_deref(), Some("mail"));
        assert_eq!(r[0].enhanced_code.as_deref(), Some("4.4.1"));
        assert_eq!(r[0].reply_code, None);
        let (_, r) = parse(
            "2024-03-05T05:40:53.736472+00:00 mail postfix/submission/smtpd[980530]: CF1863E42C: to=<a@yopmail.com>, relay=smtp.yopmail.com[87.98.164.155]:25, delay=1.9, dsn=2.0.0, status=sent (250 mail saved)",
        );
        assert_eq!(r[0].program.as_deref(), Some("postfix/submission/smtpd"));
        assert_eq!(r[0].status, Some(Status::Sent));
        assert_eq!(r[0].time.unwrap().to_string(), "2024-03-05T05:40:53+00:00");
        let (_, r) = parse(
            "Aug 12 22:38:25 5de1a1801612 mail.info postfix/smtp[2861]: connect to ASPMX.L.GOOGLE.COM[64.233.188.27]:25: Connection timed out",
        );
        assert_eq!(r[0].host.as_deref(), Some("5de1a1801612"));
        assert_eq!(r[0].status, Some(Status::Error));
        assert_eq!(r[0].reply.as_deref(), Some("Connection timed out"));
        assert!(is_queue_id("81571C2D") && is_queue_id("4Jgt2V6BKNz1xy5") && !is_queue_id("statistics"));
        let (kind, r) = parse("Jan  1 00:00:00 h postfix-incoming/smtpd[1]: connect from x[1.2.3.4]");
        assert_eq!((kind, r.len()), (LineKind::Recognised, 0));
    }

    #[test]
    fn noqueue_reject_and_bare_body() {
        let (_, r) = parse(
            "Jul 12 07:47:48 saturn postfix/smtpd[8738]: NOQUEUE: reject: RCPT from 1-2-3-4-example.com[1.2.3.4]: 554 5.7.1 <smtp@example.com>: Relay access denied; from=<john@example.com> to=<smtp@example.org> proto=SMTP helo=<198.51.100.17>",
        );
        let r = &r[0];
        assert_eq!(r.status, Some(Status::Rejected));
        assert_eq!(r.reply_code, Some(554));
        assert_eq!(r.domain.as_deref(), Some("example.org"));
        assert_eq!(r.remote_ip.as_deref(), Some("1.2.3.4"));
        assert_eq!(r.reply.as_deref(), Some("554 5.7.1 <smtp@example.com>: Relay access denied"));
        let (kind, r) = parse(
            "error_0001.yaml\t2DC5552A34: to=<user@yahoo.com>, relay=none, delay=63495, dsn=4.4.2, status=deferred (delivery temporarily suspended: lost connection with mta7.am0.yahoodns.net[98.136.216.22] while sending RCPT TO)",
        );
        assert_eq!(kind, LineKind::Recognised);
        assert!(r[0].not_attempted);
        assert_eq!(r[0].program, None);
        let (kind, _) = parse("May  2 05:15:01 server1 pop3d: Connection, ip=[::ffff:127.0.0.1]");
        assert_eq!(kind, LineKind::Skipped);
    }

    #[test]
    fn host_said_and_expired() {
        let (_, r) = parse(
            "Dec 29 02:54:09 mail postfix/smtp[7648]: 732BB407C3: host mail.domain.com[1.1.1.1] said: 451 DT:SPM 163 mx13, please try again 15min later (in reply to end of DATA command)",
        );
        assert_eq!(r[0].status, Some(Status::Error));
        assert_eq!(r[0].reply_code, Some(451));
        assert_eq!(r[0].remote_host.as_deref(), Some("mail.domain.com"));
        let (_, r) = parse(
            "Apr 10 14:50:16 mail postfix/qmgr[3663]: BACE842E72: from=<noreply@domain.com>, status=expired, returned to sender",
        );
        assert_eq!(r[0].status, Some(Status::Expired));
    }
}
