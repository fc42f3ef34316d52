//! RFC 3464 delivery-status fields: one group for the message (`Reporting-MTA`,
//! `Arrival-Date`), then one per recipient (`Final-Recipient`, `Action`, `Status`,
//! `Remote-MTA`, `Diagnostic-Code`), groups apart by blank lines. Each group is a header block
//! read by `mail-parser` (folded lines included); typed values (`rfc822;`, `dns;`, `smtp;`,
//! `X-Postfix;`) lose their type. Exchange 2007 and later put the receiver's reply in
//! `X-Supplementary-Info` (`<mx.example #5.1.1 smtp;550 5.1.1 …>`) and give no
//! `Diagnostic-Code`; it is read in its place. The Courier mail server's early versions wrote
//! the recipient field as `Final-Receipient` (its DSN documentation shows it); it is read as
//! `Final-Recipient`.

use mail_parser::MessageParser;

use super::{DsnAction, MAX_DIAGNOSTIC, MAX_LINE, MAX_RECIPIENTS, Recipient, clean, cut_at, reply};

/// The fields of one recipient group.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DsnRecipient {
    pub final_recipient: Option<String>,
    pub original_recipient: Option<String>,
    pub action: Option<String>,
    pub status: Option<String>,
    pub remote_mta: Option<String>,
    pub diagnostic: Option<String>,
    /// Exchange's `X-Supplementary-Info`, read when there is no `Diagnostic-Code`.
    pub supplementary: Option<String>,
}

/// A delivery-status part, read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub reporting_mta: Option<String>,
    pub arrival: Option<String>,
    pub recipients: Vec<DsnRecipient>,
    /// True when groups past the recipient cap were left out.
    pub cut: bool,
}

/// True when `text` holds delivery-status recipient fields at the start of a line.
pub fn has_fields(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("final-recipient:") || l.starts_with("final-receipient:") || l.starts_with("original-recipient:")
    })
}

/// Reads the fields of a delivery-status part (or of text that holds them).
pub fn parse(text: &str) -> Report {
    let text = text.replace("\r\n", "\n");
    let parser = MessageParser::new();
    let mut report = Report::default();
    for block in text.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let block = format!("{}\n\n", block.trim_start_matches('\n'));
        let Some(headers) = parser.parse_headers(block.as_bytes()) else { continue };
        let mut group = DsnRecipient::default();
        for (name, value) in headers.headers_raw() {
            let value = cut_at(value, MAX_DIAGNOSTIC);
            match name.to_ascii_lowercase().as_str() {
                "reporting-mta" => report.reporting_mta = Some(untyped(value)),
                "arrival-date" => report.arrival = Some(crate::logs::reply::flatten(value).into_owned()),
                "final-recipient" | "final-receipient" => group.final_recipient = Some(address(value)),
                "original-recipient" => group.original_recipient = Some(address(value)),
                "action" => group.action = Some(crate::logs::reply::flatten(value).into_owned()),
                "status" => group.status = Some(crate::logs::reply::flatten(value).into_owned()),
                "remote-mta" => group.remote_mta = Some(untyped(value)),
                "diagnostic-code" => group.diagnostic = Some(untyped(value)),
                "x-supplementary-info" => group.supplementary = Some(supplementary(value)),
                _ => {}
            }
        }
        if group.final_recipient.is_some() || group.original_recipient.is_some() {
            if report.recipients.len() >= MAX_RECIPIENTS {
                report.cut = true;
                break;
            }
            report.recipients.push(group);
        }
    }
    report
}

impl DsnRecipient {
    /// The recipient as the bounce reports it.
    pub fn read(&self) -> Recipient {
        let address = self.final_recipient.clone().or_else(|| self.original_recipient.clone()).unwrap_or_default();
        let status = self.status.as_deref().map(|s| s.split_whitespace().next().unwrap_or("").to_string());
        let action = self.action.as_deref().and_then(DsnAction::parse).unwrap_or_else(|| {
            // Without an Action field, the status class tells (RFC 3464 requires both).
            match status.as_deref().and_then(|s| s.chars().next()) {
                Some('2') => DsnAction::Delivered,
                Some('4') => DsnAction::Delayed,
                _ => DsnAction::Failed,
            }
        });
        let words = self.diagnostic.as_deref().or(self.supplementary.as_deref()).unwrap_or("");
        let said = reply::read(words, None, status.as_deref());
        Recipient {
            address: clean(&address, MAX_LINE),
            action,
            status: status.map(|s| clean(&s, 32)),
            remote_mta: self.remote_mta.as_deref().map(|m| clean(m, MAX_LINE)).or(said.remote_mta),
            reply: said.reply,
            said_by: said.said_by,
            stage: said.reason.stage.as_str().to_string(),
            reason: said.reason,
            diagnostic: said.diagnostic,
            meaning: None,
        }
    }
}

/// A typed value without its type: `smtp; 550 …` → `550 …`, `dns; mx.example` → `mx.example`.
fn untyped(value: &str) -> String {
    let flat = crate::logs::reply::flatten(value);
    match flat.split_once(';') {
        Some((kind, rest)) if is_type(kind) => rest.trim().to_string(),
        _ => flat.into_owned(),
    }
}

/// Exchange's `<mx.example #5.1.1 smtp;550 5.1.1 …>`: the words after `smtp;`, else the
/// value without its brackets.
fn supplementary(value: &str) -> String {
    let flat = crate::logs::reply::flatten(value);
    let inner = flat.trim().trim_start_matches('<').trim_end_matches('>').trim();
    let lower = inner.to_ascii_lowercase();
    lower.find("smtp;").map_or(inner, |i| inner[i + 5..].trim_start()).to_string()
}

/// An address field without its type and angle brackets.
fn address(value: &str) -> String {
    untyped(value).trim_matches(|c: char| c == '<' || c == '>' || c.is_whitespace()).to_string()
}

/// An RFC 3464 address or diagnostic type: `rfc822`, `smtp`, `dns`, `X-Postfix`, `X-Local`.
fn is_type(word: &str) -> bool {
    let word = word.trim();
    !word.is_empty() && word.len() <= 32 && word.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smtp::classify::{ReasonClass, ReplyStage};

    #[test]
    fn folded_postfix_fields_are_read() {
        let report = parse(
            "Reporting-MTA: dns; mail.example.org\nArrival-Date: Mon, 1 Jan 2024 10:00:00 +0000\n\n\
             Final-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 5.1.1\n\
             Remote-MTA: dns; mx.example.net\nDiagnostic-Code: X-Postfix; host mx.example.net[192.0.2.1] said: 550\n    5.1.1 no such user (in reply to RCPT TO command)\n",
        );
        assert_eq!(report.reporting_mta.as_deref(), Some("mail.example.org"));
        let r = report.recipients[0].read();
        assert_eq!(r.address, "a@example.net");
        assert_eq!(r.action, DsnAction::Failed);
        assert_eq!(r.reply.as_deref(), Some("550 5.1.1 no such user (in reply to RCPT TO command)"));
        assert_eq!(r.reason.stage, ReplyStage::Rcpt);
        assert_eq!(r.reason.class, ReasonClass::RecipientUnknown);
        assert_eq!(r.remote_mta.as_deref(), Some("mx.example.net"));
    }

    #[test]
    fn exchange_supplementary_info_gives_the_reply() {
        let report = parse(
            "Reporting-MTA: dns; ex.example.org\n\nFinal-recipient: RFC822;\n a@example.net\nAction: failed\n\
             Status: 5.1.1\nRemote-MTA: dns; mx.example.net\nX-Supplementary-Info: <mx.example.net #5.1.1 smtp;550 5.1.1\n no such user>\n",
        );
        let r = report.recipients[0].read();
        assert_eq!(r.reply.as_deref(), Some("550 5.1.1 no such user"));
        assert_eq!(r.reason.class, ReasonClass::RecipientUnknown);
    }
}
