//! Which listing a text is, told from its content.

use serde::Serialize;

use super::{exchange, exim, postfix_text, sendmail};

/// The queue listing formats mailwiz reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// `postqueue -j`.
    PostfixJson,
    /// `mailq` / `postqueue -p` of Postfix.
    PostfixText,
    /// `exim -bp`.
    Exim,
    /// Sendmail `mailq`.
    Sendmail,
    /// Exchange `Get-Queue` / `Get-Message`, list or CSV.
    Exchange,
}

impl Format {
    /// The name used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::PostfixJson => "postfix-json",
            Format::PostfixText => "postfix-text",
            Format::Exim => "exim",
            Format::Sendmail => "sendmail",
            Format::Exchange => "exchange",
        }
    }
}

/// Why the format could not be told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DetectError {
    #[error("it is qshape output, a summary of the queue; give the listing itself (postqueue -j or mailq)")]
    Qshape,
    #[error(
        "it does not look like a mail queue listing (postqueue -j, mailq, exim -bp or Exchange Get-Queue/Get-Message)"
    )]
    Unknown,
}

/// Tells the format from the first part of a listing (a few KiB are enough). An empty listing
/// (or `Mail queue is empty`) is an empty Postfix text listing.
pub fn detect(sample: &str) -> Result<Format, DetectError> {
    let mut qshape = false;
    let mut blank = true;
    for line in sample.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        blank = false;
        if trimmed.starts_with('{') && (trimmed.contains("\"queue_id\"") || trimmed.contains("\"queue_name\"")) {
            return Ok(Format::PostfixJson);
        }
        if trimmed.starts_with("-Queue ID-")
            || trimmed.starts_with("Mail queue is empty")
            || postfix_text::is_entry_line(line)
        {
            return Ok(Format::PostfixText);
        }
        if trimmed.starts_with("MSP Queue status")
            || trimmed.starts_with("MTA Queue status")
            || trimmed.starts_with("-----Q-ID-----")
            || sendmail::is_entry_line(line)
        {
            return Ok(Format::Sendmail);
        }
        if exim::is_header_line(line) {
            return Ok(Format::Exim);
        }
        if trimmed.starts_with("#TYPE Microsoft.Exchange")
            || exchange::is_list_property(line)
            || (trimmed.contains("\"NextHopDomain\"") || trimmed.contains("\"FromAddress\""))
        {
            return Ok(Format::Exchange);
        }
        if trimmed.starts_with("T ") && trimmed.split_whitespace().skip(1).take(3).eq(["5", "10", "20"]) {
            qshape = true;
        }
    }
    if blank {
        Ok(Format::PostfixText)
    } else if qshape {
        Err(DetectError::Qshape)
    } else {
        Err(DetectError::Unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_formats_apart() {
        assert_eq!(detect(r#"{"queue_name": "deferred", "queue_id": "A"}"#), Ok(Format::PostfixJson));
        assert_eq!(detect("# prompt\n-Queue ID-  --Size--\n"), Ok(Format::PostfixText));
        assert_eq!(detect("Mail queue is empty\n"), Ok(Format::PostfixText));
        assert_eq!(detect("MSP Queue status...\n"), Ok(Format::Sendmail));
        assert_eq!(detect("25m  2.9K 0t5C6f-0000c8-00 <alice@example.org>\n"), Ok(Format::Exim));
        assert_eq!(detect("NextHopDomain : bank.example\n"), Ok(Format::Exchange));
        assert_eq!(detect("\"Identity\",\"NextHopDomain\"\n"), Ok(Format::Exchange));
        assert_eq!(detect(""), Ok(Format::PostfixText));
        assert_eq!(detect("                 T  5 10 20 40 80 160 320 640 1280 1280+\n"), Err(DetectError::Qshape));
        assert_eq!(detect("hello\nworld\n"), Err(DetectError::Unknown));
    }
}
