//! The text of bounces that carry no delivery-status part, in the shapes MTAs and providers
//! write: an address on a line of its own (qmail `<a@b>:`, Exim `  a@b`, Sendmail `<a@b>`,
//! Exchange `a@b (a@b)`, Gmail `     a@b`) or in front of its reason (Postfix `<a@b>: host mx[…]
//! said: …`), followed by the indented or following lines that say why (Exim `SMTP error from
//! remote mail server after RCPT TO:<…>:`, qmail and Yahoo `Remote host said:`, Exchange `Remote
//! Server returned '…'`, Gmail `The response from the remote server was:`); Sendmail's session
//! transcript (`>>> RCPT To:<a@b>` then `<<< 550 …`). The text before the line that introduces
//! the returned message is read; the headers after it give the original's fields.

use std::sync::OnceLock;

use regex::Regex;

use super::{DsnAction, MAX_DIAGNOSTIC, MAX_LINE, MAX_RECIPIENTS, Original, Recipient, Speaker, clean, cut_at, reply};
use crate::smtp::classify::ReplyStage;

/// Lines of one recipient's block, at most.
const MAX_BLOCK_LINES: usize = 40;

/// One recipient the text names, with its words.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub address: String,
    pub words: String,
    /// The stage a transcript shows (the command the reply answered).
    pub stage: Option<ReplyStage>,
}

/// What the text of a bounce says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextReport {
    pub entries: Vec<Entry>,
    pub reporting_mta: Option<String>,
    pub original: Option<Original>,
    /// True when the text says delivery is still being tried.
    pub delayed: bool,
    /// True when a line or block was cut to the caps.
    pub cut: bool,
}

fn address_line() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(concat!(
            r"^\s*(?:\d+\.\s+)?<?(?P<a>[A-Za-z0-9._%+=/'&!#$*?^{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+)>?",
            r"(?:\s+\((?:expanded from|generated from)?[^)]*\))?",
            // Exchange's `a@b on 1/2/2006 …` and `A@B on Wed, 15 Feb 2006 04:25:29 -0500`.
            r"(?:\s+on (?:\d+/\d+/\d+|[A-Za-z]{3}, \d{1,2} [A-Za-z]{3} \d{4}).*)?",
            r"(?::\s*(?P<rest>.*))?\s*$",
        ))
        .expect("the address pattern is valid")
    })
}

/// Words that put the recipient inside a sentence: Gmail's `Your message wasn't delivered to
/// a@b because …`, Domino's `was not delivered to: a@b`.
fn address_in_sentence() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)(?:failed recipient:|wasn't delivered to|was not delivered to:?|could not be delivered to:?|delivery to the following recipient failed[^:]*:|konnte nicht an) <?(?P<a>[A-Za-z0-9._%+=/'&!#$*?^{|}~-]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+)>?(?P<rest>.*)$")
            .expect("the sentence pattern is valid")
    })
}

/// The line that introduces the returned message.
fn original_marker() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)^\s*[-=_ ]*\s*(?:this is a copy of the message|below this line is a copy of the message|original message headers|ursprüngliche nachrichtenkopfzeilen|original message follows|-+ ?original message ?-+|returned message|unsent message follows|message header follows|the header of the original message|headers of the original message|original message header|undelivered message headers|en-têtes du message d'origine)")
            .expect("the marker pattern is valid")
    })
}

fn reporting_mta_line() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)(?:generating server|generierender server|this is the mail system at host|the postfix program at host|this is the qmail-send program at|while talking to)[:\s]+(?P<h>[a-z0-9][a-z0-9.-]*[a-z0-9])")
            .expect("the reporting MTA pattern is valid")
    })
}

/// Reads the text of a bounce.
pub fn read(body: &str) -> TextReport {
    let body = body.replace("\r\n", "\n");
    let mut report = TextReport::default();
    let mut lines: Vec<&str> = Vec::new();
    let mut after_marker = None;
    for (i, line) in body.split('\n').enumerate() {
        if original_marker().is_match(line) {
            after_marker = Some(body.split('\n').skip(i + 1).collect::<Vec<_>>().join("\n"));
            break;
        }
        if line.len() > MAX_LINE {
            report.cut = true;
        }
        lines.push(cut_at(line, MAX_LINE));
    }
    report.original = after_marker.as_deref().and_then(quoted_headers);
    let lower = body.to_lowercase();
    report.delayed = [
        "delayed",
        "has not yet been delivered",
        "still being retried",
        "will continue trying",
        "will keep trying",
        "will retry",
        "verzögert",
    ]
    .iter()
    .any(|w| lower.contains(w));
    report.reporting_mta = lines
        .iter()
        .find_map(|l| reporting_mta_line().captures(l))
        .and_then(|c| c.name("h").map(|h| h.as_str().trim_end_matches('.').to_string()));
    blocks(&lines, &mut report);
    transcript(&lines, &mut report);
    report
}

/// Address lines and the lines that follow them.
fn blocks(lines: &[&str], report: &mut TextReport) {
    let mut current: Option<(String, Vec<String>)> = None;
    let mut blank_run = 0;
    for line in lines {
        let trimmed = line.trim();
        if trimmed.starts_with(">>>") || trimmed.starts_with("<<<") {
            continue;
        }
        // Exim puts the recipient of `after RCPT TO:` on the next line: it continues the block.
        let continues = current
            .as_ref()
            .and_then(|(_, words)| words.last())
            .is_some_and(|last| last.to_ascii_uppercase().ends_with("TO:"));
        let start = address_line()
            .captures(line)
            .filter(|_| !continues)
            .filter(|_| !line.contains(" said:") || line.trim_start().starts_with('<'))
            .or_else(|| address_in_sentence().captures(line));
        if let Some(caps) = start {
            finish(&mut current, report);
            let rest = caps.name("rest").map(|r| r.as_str().trim().to_string()).filter(|r| !r.is_empty());
            current = Some((caps["a"].to_string(), rest.into_iter().collect()));
            blank_run = 0;
            continue;
        }
        let Some((_, words)) = current.as_mut() else { continue };
        // A rule line (Courier's `-----…`) closes the section the block is in.
        if trimmed.len() >= 10 && trimmed.bytes().all(|b| matches!(b, b'-' | b'=' | b'_')) {
            finish(&mut current, report);
            continue;
        }
        if trimmed.is_empty() {
            blank_run += 1;
            // A block ends at a blank line once it says why, or at a second blank line.
            if blank_run >= 2 || has_reason(words) {
                finish(&mut current, report);
            }
            continue;
        }
        blank_run = 0;
        if words.len() >= MAX_BLOCK_LINES {
            report.cut = true;
            finish(&mut current, report);
            continue;
        }
        words.push(trimmed.to_string());
    }
    finish(&mut current, report);
}

/// True when the words hold a reply code or the MTA's own failure.
fn has_reason(words: &[String]) -> bool {
    let text = words.join(" ");
    crate::logs::reply::server_words(&text).is_some()
        || reply::receiver_words(&text).is_some()
        || text.to_ascii_lowercase().contains("timed out")
        || text.to_ascii_lowercase().contains("refused")
}

/// True when the words say why a delivery failed, rather than being a list footer or a
/// signature that happens to follow an address.
fn says_why(words: &[String]) -> bool {
    static WHY: OnceLock<Regex> = OnceLock::new();
    let re = WHY.get_or_init(|| {
        Regex::new(r"(?i)\b[45]\d\d\b|#?[45]\.\d{1,3}\.\d{1,3}|unknown|no such|not (?:found|exist|listed|known|valid)|doesn't|does not|quota|full|fail|reject|denied|refused|timed? ?out|error|exceed|disabled|unavailable|invalid|blocked|inactive|suspended|unroutable|unrouteable|cannot|can't|couldn't|could not|unable|unzustellbar|nicht|returned|said")
            .expect("the reason pattern is valid")
    });
    words.iter().any(|w| re.is_match(w))
}

fn finish(current: &mut Option<(String, Vec<String>)>, report: &mut TextReport) {
    let Some((address, words)) = current.take() else { return };
    if words.is_empty() || report.entries.len() >= MAX_RECIPIENTS || !says_why(&words) {
        return;
    }
    let words = words.join("\n");
    if words.len() > MAX_DIAGNOSTIC {
        report.cut = true;
    }
    report.entries.push(Entry { address, words: cut_at(&words, MAX_DIAGNOSTIC).to_string(), stage: None });
}

/// Sendmail's and Courier's transcripts: `>>> RCPT To:<a@b>` then `<<< 550 …`. A reply to a
/// command after the recipients (DATA, the end of data) concerns every recipient of the session.
fn transcript(lines: &[&str], report: &mut TextReport) {
    let mut stage = None;
    let mut rcpt: Option<String> = None;
    let mut session: Vec<String> = Vec::new();
    let mut reply: Vec<String> = Vec::new();
    let mut flush = |stage: Option<ReplyStage>, rcpt: &Option<String>, session: &[String], reply: &mut Vec<String>| {
        if reply.is_empty() {
            return;
        }
        let words = reply.join("\n");
        reply.clear();
        if !words.starts_with('4') && !words.starts_with('5') {
            return;
        }
        let targets: Vec<String> = match (stage, rcpt) {
            (Some(ReplyStage::Rcpt), Some(address)) => vec![address.clone()],
            _ => session.to_vec(),
        };
        for address in targets {
            if report.entries.len() >= MAX_RECIPIENTS {
                return;
            }
            report.entries.push(Entry { address, words: words.clone(), stage });
        }
    };
    for line in lines {
        let trimmed = line.trim();
        if let Some(command) = trimmed.strip_prefix(">>>") {
            flush(stage, &rcpt, &session, &mut reply);
            let command = command.trim();
            stage = ReplyStage::of_command(command);
            if stage == Some(ReplyStage::Rcpt) {
                rcpt =
                    address_line().captures(command.split_once(':').map_or("", |(_, a)| a)).map(|c| c["a"].to_string());
                session.extend(rcpt.clone());
            }
        } else if let Some(answer) = trimmed.strip_prefix("<<<") {
            reply.push(answer.trim().to_string());
        } else {
            flush(stage, &rcpt, &session, &mut reply);
        }
    }
    flush(stage, &rcpt, &session, &mut reply);
}

impl TextReport {
    /// The recipients the text names, one per address: the words that hold a reply win over
    /// those that do not.
    pub fn recipients(&self) -> Vec<Recipient> {
        let mut out: Vec<Recipient> = Vec::new();
        for entry in &self.entries {
            let recipient = self.recipient(entry);
            match out.iter_mut().find(|r| r.address.eq_ignore_ascii_case(&recipient.address)) {
                Some(known) if better(&recipient, known) => *known = recipient,
                Some(_) => {}
                None => out.push(recipient),
            }
        }
        out
    }

    fn recipient(&self, entry: &Entry) -> Recipient {
        let said = reply::read(&entry.words, entry.stage, None);
        let temporary = said.reason.code.is_some_and(|c| (400..500).contains(&c))
            || said.reason.enhanced.as_deref().is_some_and(|e| e.starts_with('4'));
        let action = if self.delayed && (temporary || said.reason.code.is_none()) {
            DsnAction::Delayed
        } else {
            DsnAction::Failed
        };
        Recipient {
            address: clean(&entry.address, MAX_LINE),
            action,
            status: said.reason.enhanced.clone(),
            remote_mta: said.remote_mta,
            reply: said.reply,
            said_by: said.said_by,
            stage: said.reason.stage.as_str().to_string(),
            reason: said.reason,
            diagnostic: said.diagnostic,
            meaning: None,
        }
    }
}

/// True when `new` says more than `known`: a receiver's reply over our MTA's words, a known
/// stage over an unknown one.
fn better(new: &Recipient, known: &Recipient) -> bool {
    let rank = |r: &Recipient| {
        (u8::from(r.said_by == Speaker::Receiver), u8::from(r.reason.code.is_some()), u8::from(r.stage != "unknown"))
    };
    rank(new) > rank(known)
}

/// Fills in what a delivery-status part left out from the text beside it: the receiver's
/// reply where the `Diagnostic-Code` quoted none, the stage where it gave none.
pub fn complete(recipients: &mut [Recipient], text: &TextReport) {
    let from_text = text.recipients();
    for recipient in recipients.iter_mut() {
        let Some(found) = from_text.iter().find(|r| r.address.eq_ignore_ascii_case(&recipient.address)) else {
            continue;
        };
        if better(found, recipient) {
            let (action, status, remote) = (recipient.action, recipient.status.clone(), recipient.remote_mta.clone());
            *recipient = Recipient {
                action,
                status: status.or(found.status.clone()),
                remote_mta: remote.or(found.remote_mta.clone()),
                ..found.clone()
            };
        }
    }
}

/// The original's fields from the headers quoted after the marker line.
fn quoted_headers(after: &str) -> Option<Original> {
    // Some MTAs indent the quoted headers or put a blank line first.
    let start = after.lines().position(|l| {
        let t = l.trim_start();
        t.split_once(':').is_some_and(|(name, _)| !name.is_empty() && !name.contains(' '))
    })?;
    let block: Vec<&str> = after.lines().skip(start).map(str::trim_start).take(2000).collect();
    // The block may end the text: a blank line closes its last field.
    super::original::from_headers(format!("{}\n\n", block.join("\n")).as_bytes())
}

/// True when the message presents itself as a bounce: its sender, its subject or its words.
pub fn looks_like_bounce(subject: Option<&str>, from: Option<&str>, body: &str) -> bool {
    static SUBJECT: OnceLock<Regex> = OnceLock::new();
    static BODY: OnceLock<Regex> = OnceLock::new();
    let subject_re = SUBJECT.get_or_init(|| {
        Regex::new(r"(?i)undeliver|undelivered|delivery|failure|failed|returned|non.?remis|unzustellbar|nicht zugestellt|zustellung|delayed|could not be delivered|warning|error|problem|mail system")
            .expect("the subject pattern is valid")
    });
    let body_re = BODY.get_or_init(|| {
        Regex::new(r"(?i)remote server returned|remoteserver hat|remote host said|smtp error from remote|said: \d{3}|in reply to (?:rcpt|mail|end of data|data)|could not be delivered|delivery has failed|permanent fatal errors|transcript of session follows|wasn't delivered|not be delivered|delivery to the following recipient|undeliverable|failed permanently|diagnostic information for administrators|diagnoseinformationen für administratoren|konnte nicht zugestellt")
            .expect("the body pattern is valid")
    });
    let from = from.unwrap_or("").to_ascii_lowercase();
    ["mailer-daemon", "postmaster", "mail delivery", "mailerdaemon", "microsoftexchange", "mail administrator"]
        .iter()
        .any(|w| from.contains(w))
        || subject.is_some_and(|s| subject_re.is_match(s))
        || body_re.is_match(body)
}

#[cfg(test)]
mod tests {
    use crate::bounce::{Shape, Speaker};

    /// A German Exchange NDR's admin block: the field names of Microsoft's German documentation
    /// ("DSNs und NDRs in Exchange Server": Diagnoseinformationen für Administratoren,
    /// Generierender Server, Remoteserver, Ursprüngliche Nachrichtenkopfzeilen) around the reply
    /// line Exchange writes in German; the reply is Exchange's documented 5.1.1 text.
    #[test]
    fn a_german_exchange_ndr_is_read() {
        let text = "Diagnoseinformationen für Administratoren:\n\nGenerierender Server: ex01.example.de\n\n\
                    anna@example.net\nmx.example.net\n\
                    Remoteserver hat '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found' zurückgegeben\n\n\
                    Ursprüngliche Nachrichtenkopfzeilen:\n\nFrom: clerk@example.de\nTo: anna@example.net\nSubject: Rechnung\n";
        let bounce = crate::bounce::read(text.as_bytes()).expect("a bounce");
        assert_eq!(bounce.shape, Shape::Text);
        assert_eq!(bounce.reporting_mta.as_deref(), Some("ex01.example.de"));
        assert_eq!(bounce.original.subject.as_deref(), Some("Rechnung"));
        let [recipient] = bounce.recipients.as_slice() else { panic!("{:?}", bounce.recipients) };
        assert_eq!(recipient.address, "anna@example.net");
        assert_eq!(recipient.said_by, Speaker::Receiver);
        assert_eq!(recipient.reply.as_deref(), Some("550 5.1.1 RESOLVER.ADR.RecipNotFound; not found"));
        assert_eq!(recipient.remote_mta.as_deref(), Some("mx.example.net"));
        assert_eq!(recipient.reason.class.as_str(), "recipient_unknown");
        assert!(recipient.meaning.as_deref().is_some_and(|m| m.contains("no mailbox")));
    }
}
