//! Who said what about a recipient: the receiver's reply inside the report's words, or the
//! words of the MTA that gave up without one (a timeout, a refused connection, a DNS failure);
//! and the reply classifier's reading of it at its stage.

use std::sync::OnceLock;

use regex::Regex;
use serde::Serialize;

use super::{MAX_DIAGNOSTIC, clean, cut_at};
use crate::logs::reply::{flatten, server_words};
use crate::smtp::classify::{Classification, Classifier, ReasonClass, ReplyStage};
use crate::smtp::reply::Reply;

/// Who wrote the words a bounce gives for a recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Speaker {
    /// The receiving server answered with this reply.
    Receiver,
    /// The MTA that wrote the report, about itself: it got no reply it could quote.
    ReportingMta,
    /// The report says nothing about why.
    Unknown,
}

/// What was said about one recipient, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Said {
    pub reply: Option<String>,
    pub said_by: Speaker,
    pub reason: Classification,
    pub diagnostic: Option<String>,
    /// The receiving host the words name.
    pub remote_mta: Option<String>,
}

/// Reads `diagnostic` (the report's words for one recipient, any shape), with the stage the
/// report gives when its words do not (`stage`) and its enhanced status code (`status`).
pub fn read(diagnostic: &str, stage: Option<ReplyStage>, status: Option<&str>) -> Said {
    let flat = flatten(cut_at(diagnostic, MAX_DIAGNOSTIC));
    let stage = ReplyStage::from_mta_text(&flat).or(stage).or_else(|| bracket_stage(&flat));
    let words = receiver_words(&flat);
    let classifier = Classifier::bundled();
    let mut reason = match words.as_deref() {
        Some(words) => classifier.classify_reply(&Reply::parse(words), stage.unwrap_or(ReplyStage::Unknown)),
        None if flat.is_empty() => status_only(status, stage),
        None => {
            let mut reason = classifier.classify_text(&flat);
            if reason.stage == ReplyStage::Unknown {
                reason.stage = stage.unwrap_or(ReplyStage::Unknown);
            }
            reason
        }
    };
    if reason.enhanced.is_none() {
        reason.enhanced = status.filter(|s| crate::logs::reply::is_enhanced(s)).map(str::to_string);
    }
    // Words that say the receiver was never reached are the reporting MTA's, whatever quotes
    // them (Exchange writes its own DNS failures as a "Remote Server returned" line).
    let said_by = match (&words, reason.class) {
        (_, ReasonClass::NotReached) => Speaker::ReportingMta,
        (Some(_), _) => Speaker::Receiver,
        (None, _) if flat.is_empty() => Speaker::Unknown,
        (None, _) => Speaker::ReportingMta,
    };
    let reply = match said_by {
        Speaker::Receiver => words.map(|w| clean(&w, MAX_DIAGNOSTIC)),
        Speaker::ReportingMta => Some(clean(&flat, MAX_DIAGNOSTIC)),
        Speaker::Unknown => None,
    };
    Said {
        reply,
        said_by,
        reason,
        diagnostic: (!flat.is_empty()).then(|| clean(&flat, MAX_DIAGNOSTIC)),
        remote_mta: remote_host(&flat),
    }
}

/// The class a bare status code gives, when a report says nothing else.
fn status_only(status: Option<&str>, stage: Option<ReplyStage>) -> Classification {
    let text = status.map(|s| format!("{} {s}", if s.starts_with('4') { 450 } else { 550 })).unwrap_or_default();
    let mut reason = Classifier::bundled().classify_text(&text);
    reason.code = None;
    reason.stage = stage.unwrap_or(ReplyStage::Unknown);
    reason.decided_by = status.map(|s| format!("the status {s} alone"));
    reason
}

/// The receiver's reply inside an MTA's words: after `said:`, `smtp;`, a colon, or quoted by
/// Exchange (`Remote Server returned '550 5.7.1 …'`, `Remoteserver hat '…' zurückgegeben`).
pub fn receiver_words(flat: &str) -> Option<String> {
    static QUOTED: OnceLock<Regex> = OnceLock::new();
    let quoted = QUOTED.get_or_init(|| {
        Regex::new(r"(?i)(?:remote server(?: at \S+(?: \([^)]*\))?)? returned|remoteserver hat) '(.+?)'(?: zurückgegeben|\s*$|\s+(?:original message|ursprüngliche))")
            .expect("the Exchange pattern is valid")
    });
    if let Some(found) = quoted.captures(flat).and_then(|c| c.get(1)) {
        let inner = found.as_str();
        // Exchange 2010 wraps the reply: `< #5.0.0 smtp; 550 5.1.1 …>`.
        let inner = inner.find("smtp;").map_or(inner, |i| inner[i + 5..].trim_start());
        let inner = inner.trim_end_matches(|c: char| c == '>' || c.is_whitespace());
        if let Some(words) = server_words(inner) {
            return Some(words.to_string());
        }
    }
    if let Some(i) = flat.find("smtp;").or_else(|| flat.find("SMTP;"))
        && let Some(words) = server_words(flat[i + 5..].trim_start())
    {
        return Some(strip_tail(words));
    }
    server_words(flat).map(strip_tail)
}

/// The reply without what the reporting MTA added after it (Postfix's stage note stays: the
/// classifier reads it).
fn strip_tail(words: &str) -> String {
    let mut words = words.trim().trim_end_matches(" (delivery attempts: 0)").trim_end();
    // A closing bracket the reporting MTA wrapped around the reply (`(reason: 550 …)`).
    for (open, close) in [('(', ')'), ('<', '>')] {
        if words.ends_with(close) && words.matches(close).count() > words.matches(open).count() {
            words = words[..words.len() - 1].trim_end();
        }
    }
    words.to_string()
}

/// Yahoo's and qmail's stage tags (`[RCPT_TO]`, `[BODY]`).
fn bracket_stage(flat: &str) -> Option<ReplyStage> {
    let upper = flat.to_ascii_uppercase();
    if upper.contains("[RCPT_TO]") {
        Some(ReplyStage::Rcpt)
    } else if upper.contains("[MAIL_FROM]") {
        Some(ReplyStage::Mail)
    } else if upper.contains("[BODY]") || upper.contains("[END_OF_DATA]") {
        Some(ReplyStage::EndOfData)
    } else {
        None
    }
}

/// The receiving host the words name: Postfix `host mx[192.0.2.1]`, Exim `host mx [192.0.2.1]`,
/// Exchange `Remote Server at mx (192.0.2.1)`, Gmail `rejected by the server for the recipient
/// domain example.net by mx.example.net. [192.0.2.1]`.
pub fn remote_host(flat: &str) -> Option<String> {
    static HOST: OnceLock<Regex> = OnceLock::new();
    let re = HOST.get_or_init(|| {
        Regex::new(concat!(
            r"(?i)\bhost (?P<h>[a-z0-9][a-z0-9.-]*\.[a-z0-9-]+)\.? ?\[(?P<ip>[0-9a-f.:]+)\]",
            r"|remote server at (?P<h2>[a-z0-9][a-z0-9.-]*) \((?P<ip2>[0-9a-f.:]+)\)",
            r"|connect to (?P<h3>[a-z0-9][a-z0-9.-]*)\[(?P<ip3>[0-9a-f.:]+)\]",
            r"|rejected by the server for the recipient domain \S+ by (?P<h4>[a-z0-9][a-z0-9.-]*[a-z0-9])\.? \[(?P<ip4>[0-9a-f.:]+)\]",
        ))
        .expect("the host pattern is valid")
    });
    let caps = re.captures(flat)?;
    let host = caps.name("h").or(caps.name("h2")).or(caps.name("h3")).or(caps.name("h4"))?.as_str();
    let ip = caps.name("ip").or(caps.name("ip2")).or(caps.name("ip3")).or(caps.name("ip4"))?.as_str();
    Some(clean(&format!("{host} [{ip}]"), 300))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exchange_quotes_the_receiver() {
        let said = read(
            "Remote Server returned '550 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using Spamhaus'",
            None,
            Some("5.7.1"),
        );
        assert_eq!(said.said_by, Speaker::Receiver);
        assert_eq!(
            said.reply.as_deref(),
            Some("550 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using Spamhaus")
        );
        assert_eq!(said.reason.class, ReasonClass::PublicBlocklist);
    }

    #[test]
    fn a_timeout_is_our_mtas_own_word() {
        let said = read("connect to mx.example.net[192.0.2.1]:25: Connection timed out", None, Some("4.4.1"));
        assert_eq!(said.said_by, Speaker::ReportingMta);
        assert_eq!(said.reason.class, ReasonClass::NotReached);
        assert_eq!(said.remote_mta.as_deref(), Some("mx.example.net [192.0.2.1]"));
    }

    #[test]
    fn postfix_says_the_stage() {
        let said = read(
            "host mx.example.net[192.0.2.1] said: 550 5.1.1 <a@example.net>: Recipient address rejected (in reply to RCPT TO command)",
            None,
            None,
        );
        assert_eq!(said.said_by, Speaker::Receiver);
        assert_eq!(said.reason.stage, ReplyStage::Rcpt);
        assert_eq!(said.reason.class, ReasonClass::RecipientUnknown);
    }
}
