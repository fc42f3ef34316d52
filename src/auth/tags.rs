//! Tag lists (`v=DKIM1; k=rsa; p=...`, RFC 6376 §3.2), the form of DKIM key and DMARC records.

/// Tags kept from one record; anything past this is ignored, so a hostile record stays small.
pub const MAX_TAGS: usize = 64;

/// The tags of `text` in order, names lowercased, values trimmed. A part without `=` is
/// returned with an empty name, so the caller can say the record is malformed.
pub fn parse(text: &str) -> Vec<(String, String)> {
    text.split(';')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .take(MAX_TAGS)
        .map(|part| match part.split_once('=') {
            Some((name, value)) => (name.trim().to_ascii_lowercase(), value.trim().to_string()),
            None => (String::new(), part.to_string()),
        })
        .collect()
}

/// The value of the first tag named `name`.
pub fn get<'a>(tags: &'a [(String, String)], name: &str) -> Option<&'a str> {
    tags.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tags_are_split_and_trimmed() {
        let tags = parse(" v=DKIM1; K = rsa ;p=AB CD; ;junk");
        assert_eq!(get(&tags, "k"), Some("rsa"));
        assert_eq!(get(&tags, "p"), Some("AB CD"));
        assert_eq!(tags.last(), Some(&(String::new(), "junk".to_string())));
    }

    proptest! {
        #[test]
        fn any_text_gives_a_bounded_list(text in any::<String>()) {
            let tags = parse(&text);
            prop_assert!(tags.len() <= MAX_TAGS);
            prop_assert!(tags.iter().all(|(n, v)| n.len() + v.len() <= text.len()));
        }
    }
}
