//! Telling the format of a log by its content: the format registry scores the first part of the
//! file (each format's `sniff`); text that is binary is refused first.

use super::format::Format;

/// The format of a log whose first bytes are `sample`, or `None` when no format reads it.
pub fn detect(sample: &[u8]) -> Option<Format> {
    Format::sniff(&String::from_utf8_lossy(sample))
}

/// True when `sample` looks like binary data rather than text.
pub fn looks_binary(sample: &[u8]) -> bool {
    if sample.contains(&0) {
        return true;
    }
    let control = sample.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c | 0x1b)).count();
    control * 20 > sample.len()
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
