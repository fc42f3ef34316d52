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
/// Exchange (`Remote Server returned '550 5.7.1 …'`, in German `Remoteserver hat '…'
/// zurückgegeben`, the quotes `'…'`, `„…“` or `"…"`). When the words are the sending MTA's own
/// expiry that quotes the last reply in brackets (Amazon SES: `554 4.4.7 Message expired: … <451
/// 4.7.651 …>`), the reply in brackets is the receiver's.
pub fn receiver_words(flat: &str) -> Option<String> {
    let words = outer_words(flat)?;
    Some(expired_last_reply(&words).unwrap_or(words))
}

fn outer_words(flat: &str) -> Option<String> {
    static QUOTED: OnceLock<Regex> = OnceLock::new();
    let quoted = QUOTED.get_or_init(|| {
        Regex::new(r#"(?i)(?:remote server(?: at \S+(?: \([^)]*\))?)? returned|(?:der )?remoteserver hat) ['„“"](.+?)['“”"](?:\s*zurückgegeben|\s*$|\s+(?:original message|ursprüngliche))"#)
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

/// The last reply an expiry report quotes in angle brackets: `554 4.4.7 Message expired: unable
/// to deliver in 840 minutes.<451 4.7.651 …>` gives `451 4.7.651 …`.
fn expired_last_reply(words: &str) -> Option<String> {
    static EXPIRED: OnceLock<Regex> = OnceLock::new();
    let re = EXPIRED.get_or_init(|| {
        Regex::new(r"(?i)^[45]\d\d[ -](?:[45]\.4\.7\b|.{0,40}\bexpired\b).*?<\s*(?:#?[45]\.\d{1,3}\.\d{1,3}\s+)?(?:smtp;\s*)?(?P<r>[45]\d\d[ -][^<>]+)>")
            .expect("the expiry pattern is valid")
    });
    let inner = re.captures(words)?.name("r")?.as_str().trim();
    server_words(inner).map(strip_tail)
}

/// What the reply (else the status) means, in one sentence from the reply explainer: Exchange
/// Online's `5.7.708` is its own block of the sending tenant's IP, Gmail's `5.7.25` a missing
/// PTR, a bare `5.1.1` an unknown mailbox. `None` when nothing is known of either.
pub fn meaning(reply: Option<&str>, status: Option<&str>) -> Option<String> {
    let explainer = crate::smtp::explain::Explainer::global();
    let from_reply = reply.map(Reply::parse).and_then(|reply| explainer.specific_summary(&reply));
    from_reply.or_else(|| {
        let code = crate::smtp::reply::EnhancedCode::parse_prefix(status?)?;
        explainer.enhanced(code).filter(|e| !e.general).map(|e| e.entry.meaning)
    })
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
            // Exchange 2013 and later name the receiving host on the line before the reply.
            r"|(?:^|\s)(?P<h5>[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.[a-z]{2,})\s+(?:remote server returned|(?:der )?remoteserver hat)",
        ))
        .expect("the host pattern is valid")
    });
    let caps = re.captures(flat)?;
    if let Some(host) = caps.name("h5") {
        return Some(clean(host.as_str(), 300));
    }
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

    /// The admin block of Exchange Online's NDRs names the receiving host on the line before the
    /// reply (Microsoft Learn, "Email non-delivery reports in Exchange Online", the "Remote
    /// server" field); the reply is Exchange Online's documented 5.1.10 text.
    #[test]
    fn exchange_online_names_the_receiving_host_before_the_reply() {
        let said = read(
            "mx.example.net\nRemote server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'",
            None,
            None,
        );
        assert_eq!(said.remote_mta.as_deref(), Some("mx.example.net"));
        assert_eq!(said.reason.class, ReasonClass::RecipientUnknown);
        assert!(meaning(said.reply.as_deref(), None).is_some_and(|m| m.contains("no mailbox for the recipient")));
    }

    /// German Exchange quotes the reply as `Remoteserver hat '…' zurückgegeben`; Microsoft's
    /// German documentation writes `Der Remoteserver hat „…“ zurückgegeben`
    /// (MicrosoftDocs/microsoft-365-docs-pr.de-DE,
    /// removing-user-from-restricted-users-portal-after-spam.md, whose reply text is translated).
    #[test]
    fn german_exchange_quotes_the_receiver_in_either_quotes() {
        for line in [
            "Der Remoteserver hat „550 5.1.8 Zugriff verweigert, ungültiger ausgehender Absender“ zurückgegeben.",
            "Remoteserver hat '550 5.1.8 Access denied, bad outbound sender' zurückgegeben",
        ] {
            let said = read(line, None, Some("5.1.8"));
            assert_eq!(said.said_by, Speaker::Receiver, "{line}");
            assert!(said.reply.as_deref().is_some_and(|r| r.starts_with("550 5.1.8 ")), "{line}: {:?}", said.reply);
        }
    }

    /// Exchange Online's own block of a sending tenant (MicrosoftDocs/OfficeDocs-Exchange issue
    /// #1181 quotes the reply) is explained as such, not as the recipient's refusal.
    #[test]
    fn a_5_7_708_is_explained_as_the_sending_tenants_block() {
        let said = read(
            "Remote server returned '550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP'",
            None,
            None,
        );
        let meaning = meaning(said.reply.as_deref(), None).expect("explained");
        assert!(meaning.contains("Exchange Online refuses to send for the sending organization"), "{meaning}");
        assert!(meaning.contains("not the recipient's"), "{meaning}");
    }

    /// Amazon SES gives up with its own 4.4.7 and quotes the receiver's last reply in brackets
    /// (its diagnostic code as SES reported it in github.com/dmailofficial/dmail issue 12).
    #[test]
    fn an_expiry_that_quotes_the_last_reply_gives_the_receivers_words() {
        let said = read(
            "554 4.4.7 Message expired: unable to deliver in 840 minutes.<450 ERROR-TO: SPF fail.>",
            None,
            Some("4.4.7"),
        );
        assert!(said.reply.as_deref().is_some_and(|r| r.starts_with("450 ERROR-TO: SPF fail")), "{:?}", said.reply);
        assert_eq!(said.said_by, Speaker::Receiver);
        assert_eq!(said.reason.class, ReasonClass::Authentication);
    }
}
