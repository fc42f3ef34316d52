//! Telling the format of a log by its content: each format scores the lines of the first part of
//! the file it would read; the best score wins.

use super::exim;
use super::format::Format;
use super::time;

/// How much of a file's start detection looks at.
pub const SAMPLE_BYTES: usize = 64 * 1024;

/// The format of a log whose first bytes are `sample`, or `None` when no format reads it.
pub fn detect(sample: &[u8]) -> Option<Format> {
    let text = String::from_utf8_lossy(sample);
    let mut scores = [0u32; Format::ALL.len()];
    for line in text.lines().take(400).map(str::trim_end).filter(|l| !l.is_empty()) {
        for (i, format) in Format::ALL.into_iter().enumerate() {
            scores[i] += score(format, line);
        }
    }
    let (best, score) = scores.iter().enumerate().max_by_key(|(i, s)| (**s, std::cmp::Reverse(*i)))?;
    (*score > 0).then(|| Format::ALL[best])
}

/// True when `sample` looks like binary data rather than text.
pub fn looks_binary(sample: &[u8]) -> bool {
    if sample.contains(&0) {
        return true;
    }
    let control = sample.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c | 0x1b)).count();
    control * 20 > sample.len()
}

fn score(format: Format, line: &str) -> u32 {
    match format {
        Format::ExchangeMsgtrk => {
            if line.starts_with("#Log-type: Message Tracking") || line.starts_with("#Fields: date-time,client-ip") {
                100
            } else {
                u32::from(iso_t(line) && line.matches(',').count() >= 20)
            }
        }
        Format::ExchangeSmtp => {
            if line.starts_with("#Log-type: SMTP Send Protocol")
                || line.starts_with("#Log-type: SMTP Receive Protocol")
                || line.starts_with("#Fields: date-time,connector-id,session-id")
            {
                100
            } else {
                let fields: Vec<&str> = line.splitn(8, ',').collect();
                u32::from(iso_t(line) && fields.len() == 8 && matches!(fields[6], "+" | "-" | ">" | "<" | "*")) * 2
            }
        }
        Format::IisW3c => {
            if line.starts_with("#Software: Microsoft Internet Information Services")
                || (line.starts_with("#Fields:") && line.contains("cs-method"))
            {
                100
            } else if line.contains("SMTPSVC") || line.contains(" OutboundConnection") {
                2 * u32::from(!line.contains(" [") || !line.contains('"'))
            } else {
                0
            }
        }
        Format::IisNcsa => {
            let Some(open) = line.find(" [") else { return 0 };
            let stamp = line.get(open + 2..open + 22).unwrap_or("");
            let ncsa = stamp.len() == 20
                && stamp.as_bytes()[2] == b'/'
                && stamp.as_bytes()[6] == b'/'
                && stamp.as_bytes()[11] == b':'
                && line.contains(" SMTP\"");
            u32::from(ncsa) * 3
        }
        Format::Postfix => {
            let mut out = Vec::new();
            let mut parser = super::postfix::PostfixParser::new(chrono::NaiveDate::MIN);
            use super::parser::LogParser;
            u32::from(parser.line(line, 1, &mut out) == super::parser::LineKind::Recognised)
        }
        Format::Exim => {
            let Some((_, rest)) = time::iso_space_prefix(line) else { return 0 };
            let rest = rest.trim_start();
            let rest = match rest.strip_prefix('[') {
                Some(pid) => pid.split_once(']').map(|(_, r)| r.trim_start()).unwrap_or(rest),
                None => rest,
            };
            let first = rest.split(' ').next().unwrap_or("");
            let exim_words = ["Start queue run", "End queue run", "exim ", "H=", "SMTP ", "login authenticator"];
            u32::from(
                exim::is_message_id(first) || exim_words.iter().any(|w| rest.starts_with(w)) || rest.contains(" exim["),
            )
        }
    }
}

/// Starts with `YYYY-MM-DDTHH:MM:SS`.
fn iso_t(line: &str) -> bool {
    time::rfc3339_prefix(line).is_some() && line.as_bytes().get(4) == Some(&b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_format_from_a_line() {
        let cases = [
            ("Nov  3 18:05:55 mail postfix/qmgr[1434]: 81571C2D: removed\n", Format::Postfix),
            ("1999-03-02 09:44:33 10HmaX-0005vi-00 <= CALLER@test.ex U=CALLER P=local S=sss\n", Format::Exim),
            ("#Software: Microsoft Internet Information Services 7.0\n#Fields: c-ip cs-method\n", Format::IisW3c),
            ("1.2.3.4 - x [11/Oct/2006:13:16:40 -0600] \"HELO -?+x SMTP\" 250 46\n", Format::IisNcsa),
            (
                "2024-01-25T15:14:39.460Z,Send,08DC1DB8591B22A0,0,,10.11.12.13:2525,*,,attempting to connect\n",
                Format::ExchangeSmtp,
            ),
        ];
        for (text, format) in cases {
            assert_eq!(detect(text.as_bytes()), Some(format), "{text}");
        }
        assert_eq!(detect(b"hello world\n"), None);
        assert_eq!(detect(b""), None);
        assert!(looks_binary(b"\x7fELF\x02\x01\x01\x00\x00"));
        assert!(!looks_binary(b"plain text\n"));
    }
}
