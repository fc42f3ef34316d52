//! A note for the receiver's postmaster: plain text, about 30 lines, that says who we are, what
//! their servers answered and when, which messages wait, and what we already checked on our side.
//! No local paths, no finding ids, nothing only mailwiz would understand.

use chrono::{DateTime, Utc};

use crate::session::escape::escape_str;
use crate::session::{Finding, Severity};

/// At most this many replies and queue ids are quoted; a postmaster needs examples, not a dump.
const MAX_REPLIES: usize = 4;
const MAX_IDS: usize = 10;

/// What one of their servers did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub host: String,
    pub addr: String,
    /// The exact reply, or what happened instead ("closed the connection before any banner").
    pub said: String,
}

/// Everything the note says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub domain: String,
    pub ip: Option<String>,
    /// Our PTR name, or why there is none.
    pub ptr: Option<String>,
    pub helo: Option<String>,
    pub answers: Vec<Answer>,
    pub queue_ids: Vec<String>,
    /// What we checked on our side, one sentence each.
    pub checked: Vec<String>,
    pub at: DateTime<Utc>,
}

impl Note {
    /// The note for `domain` from the findings of a check (or a wizard session), the ids of the
    /// messages waiting for the domain, and the time of the check.
    pub fn from_findings(domain: &str, findings: &[Finding], queue_ids: &[String], at: DateTime<Utc>) -> Note {
        let arg = |id_prefix: &str, name: &str| {
            findings.iter().filter(|f| f.id.starts_with(id_prefix)).find_map(|f| f.arg(name).map(str::to_string))
        };
        let ip = arg("ptr.", "ip").or_else(|| arg("helo.", "ip")).or_else(|| arg("dnsbl.", "ip"));
        let ptr = if findings.iter().any(|f| f.id == "ptr.missing") {
            Some("none (no PTR record)".to_string())
        } else {
            arg("ptr.ok", "name").or_else(|| arg("ptr.fcrdns_mismatch", "name"))
        };
        let mut answers: Vec<Answer> = Vec::new();
        for finding in findings.iter().filter(|f| f.family() == "smtp") {
            let (Some(host), Some(addr)) = (finding.arg("host"), finding.arg("addr")) else { continue };
            let said = match finding.id.as_str() {
                "smtp.ok" | "smtp.rcpt_accepted" | "smtp.reply_explained" | "smtp.slow_banner" => continue,
                "smtp.closed_before_banner" => "closed the connection before any banner".to_string(),
                "smtp.reset_before_banner" => "reset the connection before any banner".to_string(),
                "smtp.closed_after_banner" => "closed the connection after its banner".to_string(),
                "smtp.refused" => "refused the TCP connection".to_string(),
                "smtp.timeout" => "did not answer the TCP connection".to_string(),
                _ => match finding.arg("reply") {
                    Some(reply) if !reply.is_empty() => reply.to_string(),
                    _ => finding.summary.clone(),
                },
            };
            let answer = Answer { host: host.to_string(), addr: addr.to_string(), said };
            if !answers.contains(&answer) {
                answers.push(answer);
            }
        }
        answers.truncate(MAX_REPLIES);
        Note {
            domain: domain.to_string(),
            ip,
            ptr,
            helo: arg("helo.", "helo"),
            answers,
            queue_ids: queue_ids.iter().take(MAX_IDS).cloned().collect(),
            checked: checked(findings),
            at,
        }
    }

    /// The note as plain text, every value from outside escaped.
    pub fn render(&self) -> String {
        let unknown = || "unknown".to_string();
        let mut out = vec![
            format!("Subject: mail from {} to {} is refused", self.ip.clone().unwrap_or_else(unknown), self.domain),
            String::new(),
            "Hello postmaster,".to_string(),
            String::new(),
            format!(
                "our mail to {} is not accepted. What we see, at {}:",
                self.domain,
                self.at.format("%Y-%m-%d %H:%M UTC")
            ),
            String::new(),
        ];
        for answer in &self.answers {
            out.push(format!("  {} ({}) {}", answer.host, answer.addr, quote(&answer.said)));
        }
        if self.answers.is_empty() {
            out.push("  (no connection to your servers was tried)".to_string());
        }
        out.push(String::new());
        out.push("Our sending server:".to_string());
        out.push(format!("  address     {}", self.ip.clone().unwrap_or_else(unknown)));
        out.push(format!("  PTR         {}", self.ptr.clone().unwrap_or_else(unknown)));
        out.push(format!("  HELO name   {}", self.helo.clone().unwrap_or_else(unknown)));
        if !self.queue_ids.is_empty() {
            out.push(format!("  waiting     {} (our queue ids)", self.queue_ids.join(", ")));
        }
        if !self.checked.is_empty() {
            out.push(String::new());
            out.push("What we checked on our side:".to_string());
            out.extend(self.checked.iter().map(|c| format!("  - {c}")));
        }
        out.push(String::new());
        out.push(format!(
            "Could you tell us why {} is refused, or allow it? Thank you.",
            self.ip.clone().unwrap_or_else(|| "our server".into())
        ));
        let mut text: String = out.iter().map(|l| escape_str(l)).collect::<Vec<_>>().join("\n");
        text.push('\n');
        text
    }
}

/// A reply as said, or an event in words.
fn quote(said: &str) -> String {
    if said.chars().next().is_some_and(|c| c.is_ascii_digit()) { format!("answered: {said}") } else { said.to_string() }
}

/// One sentence per thing we checked on our side, in words a postmaster reads.
fn checked(findings: &[Finding]) -> Vec<String> {
    let mut out = Vec::new();
    let has = |id: &str| findings.iter().find(|f| f.id == id);
    if let Some(f) = has("ptr.ok") {
        out.push(format!("reverse DNS: {} resolves back to our address", f.arg("name").unwrap_or("the PTR name")));
    } else if has("ptr.missing").is_some() {
        out.push("reverse DNS: our address has no PTR record yet".to_string());
    } else if let Some(f) = has("ptr.fcrdns_mismatch") {
        out.push(format!(
            "reverse DNS: {} does not resolve back to our address yet",
            f.arg("name").unwrap_or("the PTR")
        ));
    }
    if has("helo.ok").is_some() {
        out.push("HELO: our HELO name matches our PTR and resolves to our address".to_string());
    }
    if let Some(f) = has("dnsbl.clean") {
        out.push(format!("block lists: not listed on the {} public lists we asked", f.arg("count").unwrap_or("")));
    }
    let listed: Vec<&str> = findings.iter().filter(|f| f.id == "dnsbl.listed").filter_map(|f| f.arg("zone")).collect();
    if !listed.is_empty() {
        out.push(format!("block lists: listed on {}; we are working on it", listed.join(", ")));
    }
    if let Some(f) = findings.iter().find(|f| f.id.starts_with("spf.") && f.severity == Severity::Ok) {
        out.push(format!("SPF: {}", f.summary));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_without_ids_or_paths() {
        let findings = vec![
            Finding::new(
                "smtp.banner_4xx",
                &[("host", "mx1.bank.example"), ("addr", "192.0.2.10"), ("reply", "421 4.0.0 Server error")],
            ),
            Finding::new("smtp.closed_before_banner", &[("host", "mx2.bank.example"), ("addr", "192.0.2.20")]),
            Finding::new("ptr.missing", &[("ip", "203.0.113.5"), ("helo", "mail.example.com")]),
            Finding::new(
                "helo.mismatch",
                &[("helo", "mta1.internal.example.com"), ("ip", "203.0.113.5"), ("reason", "x")],
            ),
        ];
        let at = DateTime::parse_from_rfc3339("2026-11-29T12:00:00Z").unwrap().with_timezone(&Utc);
        let note = Note::from_findings("bank.example", &findings, &["4F2B81A0C3".into()], at).render();
        assert!(note.contains("mx1.bank.example (192.0.2.10) answered: 421 4.0.0 Server error"), "{note}");
        assert!(note.contains("mx2.bank.example (192.0.2.20) closed the connection before any banner"), "{note}");
        assert!(note.contains("PTR         none (no PTR record)"), "{note}");
        assert!(note.contains("2026-11-29 12:00 UTC"), "{note}");
        assert!(note.contains("4F2B81A0C3"), "{note}");
        assert!(!note.contains("ptr.missing") && !note.contains("smtp."), "no finding ids: {note}");
        assert!(note.lines().count() <= 30, "{note}");
    }
}
