//! The explainer against real replies: every reply code in the corpus has a meaning of its own,
//! every enhanced code a meaning, and the big providers' texts are recognised.

use crate::common;

use std::collections::BTreeSet;
use std::path::Path;

use mailwiz::smtp::explain::Explainer;
use mailwiz::smtp::reply::{EnhancedCode, Reply};
use regex::Regex;

/// Texts that name a provider, and the explainer entry (by name prefix) that must recognise them.
const MARKERS: &[(&str, &str)] = &[
    ("gsmtp", "Gmail"),
    ("TSS04", "Yahoo: TSS04"),
    ("TSS05", "Yahoo: TSS04"),
    ("IPTS04", "Yahoo: TSS04"),
    ("S3140", "Microsoft: IP on the block list"),
    ("AS3140", "Microsoft: IP on the block list"),
    ("5.7.606", "Microsoft: 5.7.606"),
    ("protection.outlook.com", "Microsoft"),
    ("spamhaus", "Spamhaus"),
    ("yahooinc.com", "Yahoo"),
];

fn reply_codes(text: &str) -> Vec<(u16, Option<EnhancedCode>)> {
    let pattern = Regex::new(
        r"(?m)(?:^|said:\s*|SMTP error from remote mail server after [^:]*:\s*|smtp;\s*|<-\s+|<\*\*\s+|Remote host said:\s*)([2-5][0-9][0-9])(?:[ -]([245]\.[0-9]{1,3}\.[0-9]{1,3}))?(?:[ -]|$)",
    )
    .unwrap();
    pattern
        .captures_iter(text)
        .map(|c| (c[1].parse().unwrap(), c.get(2).and_then(|e| EnhancedCode::parse_prefix(e.as_str()))))
        .collect()
}

/// Whole texts to match provider patterns on: JSON responses one by one, transcript sections
/// (between `#####` headers) joined, since bounces wrap a reply over several lines.
fn provider_texts(path: &Path, text: &str) -> Vec<String> {
    if path.extension().is_some_and(|e| e == "json") {
        let json: serde_json::Value = serde_json::from_str(text).unwrap();
        let mut out = Vec::new();
        for provider in json["providers"].as_array().into_iter().flatten() {
            for response in provider["responses"].as_array().into_iter().flatten() {
                out.push(response["response"].as_str().unwrap_or("").to_string());
            }
        }
        return out;
    }
    text.split("#####").map(|section| section.split_whitespace().collect::<Vec<_>>().join(" ")).collect()
}

#[test]
fn every_reply_code_and_provider_text_in_the_corpus_is_explained() {
    let Some(corpus) = common::corpus_dir() else { return };
    let explainer = Explainer::bundled();
    let mut codes = BTreeSet::new();
    let mut enhanced = BTreeSet::new();
    let mut markers_seen = BTreeSet::new();
    let mut files = 0;
    for folder in ["smtp-transcript", "postfix-log", "exim", "exchange", "iis-smtp", "sendmail", "postfix-queue"] {
        let Ok(entries) = std::fs::read_dir(corpus.join(folder)) else { continue };
        for entry in entries {
            let path = entry.unwrap().path();
            let Ok(bytes) = std::fs::read(&path) else { continue };
            let text = String::from_utf8_lossy(&bytes);
            files += 1;
            for (code, enh) in reply_codes(&text) {
                codes.insert(code);
                enhanced.extend(enh);
            }
            if folder != "smtp-transcript" {
                continue;
            }
            if path.extension().is_some_and(|e| e == "json") {
                let json: serde_json::Value = serde_json::from_str(&text).unwrap();
                codes.insert(u16::try_from(json["reply"].as_u64().unwrap()).unwrap());
            }
            for reply_text in provider_texts(&path, &text) {
                let found = explainer.providers(&reply_text);
                for (marker, name) in MARKERS {
                    if reply_text.to_lowercase().contains(&marker.to_lowercase()) {
                        markers_seen.insert(*marker);
                        assert!(
                            found.iter().any(|p| p.key.starts_with(name)),
                            "{}: \"{marker}\" not recognised as {name} in: {reply_text}\nfound: {:?}",
                            path.display(),
                            found.iter().map(|p| &p.key).collect::<Vec<_>>()
                        );
                    }
                }
            }
        }
    }
    assert!(files > 5, "the corpus has files");
    assert!(codes.len() >= 10, "the corpus has reply codes: {codes:?}");
    for code in &codes {
        let explained = explainer.code(*code).unwrap_or_else(|| panic!("no meaning for {code}"));
        assert!(!explained.general, "{code} only has its class's meaning");
        assert!(!explained.entry.meaning.is_empty());
    }
    for code in &enhanced {
        let explained = explainer.enhanced(*code).unwrap_or_else(|| panic!("no meaning for {code}"));
        assert!(!explained.entry.meaning.is_empty());
    }
    for code in ["5.7.1", "5.7.25", "4.7.0", "4.4.2", "5.1.1", "4.2.1"] {
        let code = EnhancedCode::parse_prefix(code).unwrap();
        assert!(!explainer.enhanced(code).unwrap().general, "{code} has its own entry");
    }
    for (marker, _) in MARKERS.iter().filter(|(m, _)| ["gsmtp", "TSS04", "S3140", "spamhaus"].contains(m)) {
        assert!(markers_seen.contains(marker), "the corpus mentions {marker}");
    }
    // A whole reply as a server sends it, explained end to end.
    let reply = Reply::parse(
        "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
    );
    let explanation = explainer.explain(&reply, mailwiz::smtp::classify::ReplyStage::Greeting);
    assert!(explanation.fix().unwrap().contains("postmaster.yahooinc.com"));
}

/// Every provider reply of the smtp-field-manual corpus, classified. The corpus's own enhanced
/// codes and words say what the class must be; few replies stay without a reason.
#[test]
fn the_classifier_reads_every_provider_reply_of_the_corpus() {
    use mailwiz::smtp::classify::{Classifier, ReasonClass};
    let Some(corpus) = common::corpus_dir() else { return };
    let classifier = Classifier::bundled();
    let (mut total, mut unknown, mut wrong) = (0, Vec::new(), Vec::new());
    for code in ["421", "450", "451", "550", "554"] {
        let path = corpus.join(format!("smtp-transcript/smtp-field-manual-provider-replies-{code}.json"));
        let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let responses = ["providers", "spamFilters"]
            .iter()
            .flat_map(|key| json[key].as_array().unwrap())
            .flat_map(|provider| provider["responses"].as_array().unwrap())
            .map(|r| (r["status"].as_str().unwrap_or(""), r["response"].as_str().unwrap()));
        for (status, text) in responses {
            total += 1;
            let class = classifier.classify_text(text).class;
            let lower = text.to_lowercase();
            let expected = if status.starts_with("5.1.1") && !lower.contains("unverified") {
                Some(ReasonClass::RecipientUnknown)
            } else if lower.contains("greylist") {
                Some(ReasonClass::Greylisted)
            } else if lower.contains("dmarc") && !lower.contains("rate limited") {
                Some(ReasonClass::Authentication)
            } else if lower.contains("relay access denied") || lower.contains("relaying denied") {
                Some(ReasonClass::RelayDenied)
            } else if ["s3150", "5.7.606", "prs.proofpoint", "cloudmark"].iter().any(|m| lower.contains(m)) {
                Some(ReasonClass::ReceiverBlocklist)
            } else if lower.contains("tss04") || lower.contains("4.7.28") || lower.contains("4.7.650") {
                Some(ReasonClass::RateLimited)
            } else {
                None
            };
            if expected.is_some_and(|e| e != class) {
                wrong.push(format!("{class:?} instead of {expected:?}: {text}"));
            }
            if class == ReasonClass::Unknown {
                unknown.push(text.to_string());
            }
        }
    }
    eprintln!("{total} provider replies: {} with a class, {} without", total - unknown.len(), unknown.len());
    assert!(total > 150, "the corpus has its replies ({total})");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // A reply without a reason is honest only when its words give none ("Requested mail action
    // aborted", a bare "Blocked" or "mailbox unavailable": never a class guessed from a bare
    // 5xx); more than one in ten means the table fell behind the providers.
    assert!(
        unknown.len() * 10 <= total,
        "{} of {total} replies without a class:\n{}",
        unknown.len(),
        unknown.join("\n")
    );
}
