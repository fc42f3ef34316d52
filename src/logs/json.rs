//! Log lines inside JSON exports: a document or JSON Lines whose objects carry the line in a
//! `message`, `MESSAGE` (journald) or `log` (Docker) field, as shippers like Filebeat and
//! `journalctl -o json` write them.

use serde_json::Value;

/// The largest JSON export read (it is parsed in memory, unlike plain logs).
pub const MAX_JSON_BYTES: u64 = 256 << 20;

/// True when `sample` starts like JSON.
pub fn looks_like_json(sample: &[u8]) -> bool {
    sample.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|b| matches!(b, b'{' | b'['))
}

/// The log lines of a JSON export, one per line; `None` when `bytes` holds no such field.
pub fn unwrap(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    match serde_json::from_slice::<Value>(bytes) {
        Ok(document) => collect(&document, &mut out),
        Err(_) => {
            for line in bytes.split(|&b| b == b'\n') {
                if let Ok(value) = serde_json::from_slice::<Value>(line) {
                    collect(&value, &mut out);
                }
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

fn collect(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Array(items) => items.iter().for_each(|item| collect(item, out)),
        Value::Object(map) => {
            for key in ["message", "MESSAGE", "log"] {
                if let Some(Value::String(text)) = map.get(key) {
                    out.extend_from_slice(text.trim_end_matches(['\r', '\n']).as_bytes());
                    out.push(b'\n');
                    return;
                }
            }
            map.values().for_each(|item| collect(item, out));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_and_json_lines() {
        let doc = br#"{"events": [{"log": {"file": {"path": "x"}}, "message": "line one"}, {"message": "line two"}]}"#;
        assert_eq!(unwrap(doc).unwrap(), b"line one\nline two\n");
        let lines = b"{\"MESSAGE\": \"a\", \"_PID\": \"1\"}\n{\"log\": \"b\\n\", \"stream\": \"stdout\"}\n";
        assert_eq!(unwrap(lines).unwrap(), b"a\nb\n");
        assert_eq!(unwrap(b"{\"other\": 1}"), None);
        assert!(looks_like_json(b"  \n{"));
    }
}
