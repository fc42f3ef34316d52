//! Which listing a text is, told from its content by the format registry, and what is refused.

use super::format::Format;

/// Why the format could not be told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DetectError {
    #[error("it is qshape output, a summary of the queue; give the listing itself (postqueue -j or mailq)")]
    Qshape,
    #[error("it does not look like a mail queue listing ({})", Format::listings())]
    Unknown,
    /// `--format` named one listing and the text is another (or none).
    #[error("it is not a {} listing{}", .given.name(), .detected.map(|d| format!(" (it looks like {}: give --format {} or leave --format out)", d.name(), d.name())).unwrap_or_default())]
    Mismatch { given: Format, detected: Option<Format> },
}

/// Tells the format from the first part of a listing (a few KiB are enough). An empty listing
/// (or `Mail queue is empty`) is an empty Postfix text listing.
pub fn detect(sample: &str) -> Result<Format, DetectError> {
    if let Some(format) = Format::sniff(sample) {
        return Ok(format);
    }
    let mut lines = sample.lines().map(str::trim).filter(|l| !l.is_empty()).peekable();
    if lines.peek().is_none() {
        Ok(Format::PostfixText)
    } else if lines.any(|l| l.starts_with("T ") && l.split_whitespace().skip(1).take(3).eq(["5", "10", "20"])) {
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

    #[test]
    fn an_unknown_listing_names_what_prints_each_known_one() {
        let text = DetectError::Unknown.to_string();
        for format in Format::ALL {
            assert!(text.contains(format.spec().listed_by), "{text} lacks {format}");
        }
        assert!(text.contains(" or Exchange Get-Queue/Get-Message)"), "{text}");
    }
}
