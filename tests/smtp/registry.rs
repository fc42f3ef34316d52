//! The explainer against the IANA "Simple Mail Transfer Protocol (SMTP) Enhanced Status Codes"
//! registry (<https://www.iana.org/assignments/smtp-enhanced-status-codes>; RFC 3463, 3886, 4468,
//! 4954, 5248, 6531, 6710, 7293, 7372, 7505, 8617, 8689): every enumerated code explains itself,
//! and the codes whose meaning alone is a reason carry it.

use mailwiz::smtp::classify::{Classifier, ReasonClass, ReplyStage};
use mailwiz::smtp::explain::Explainer;
use mailwiz::smtp::reply::Reply;

/// The registry's enumerated codes, as subject.detail.
const REGISTRY: &[&str] = &[
    "0.0", // Other undefined status
    "1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "1.9", "1.10", // addressing
    "2.0", "2.1", "2.2", "2.3", "2.4", // mailbox
    "3.0", "3.1", "3.2", "3.3", "3.4", "3.5", "3.6", // mail system
    "4.0", "4.1", "4.2", "4.3", "4.4", "4.5", "4.6", "4.7", // network and routing
    "5.0", "5.1", "5.2", "5.3", "5.4", "5.5", "5.6", // protocol
    "6.0", "6.1", "6.2", "6.3", "6.4", "6.5", "6.6", "6.7", "6.8", "6.9", "6.10", // content
    "7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "7.7", "7.8", "7.9", "7.10", "7.11", "7.12", "7.13", "7.14",
    "7.15", "7.16", "7.17", "7.18", "7.19", "7.20", "7.21", "7.22", "7.23", "7.24", "7.25", "7.26", "7.27", "7.28",
    "7.29", "7.30", // security and policy
];

#[test]
fn every_registered_code_explains_itself() {
    let explainer = Explainer::global();
    for code in REGISTRY {
        for class in ["4", "5"] {
            let reply = Reply::parse(&format!("{class}50 {class}.{code} text"));
            let explained = explainer.explain(&reply, ReplyStage::Unknown);
            let enhanced = explained.enhanced.unwrap_or_else(|| panic!("{class}.{code} is not explained"));
            // Its own entry (X.0.0 says nothing beyond the reply code, and is marked general).
            assert!(enhanced.key.ends_with(&format!(".{code}")), "{class}.{code} falls back to {}", enhanced.key);
            assert!(!enhanced.entry.meaning.is_empty(), "{class}.{code}");
        }
    }
}

#[test]
fn codes_whose_meaning_is_a_reason_decide_the_class_over_vague_words() {
    let classifier = Classifier::bundled();
    for (code, class) in [
        ("5.1.1", ReasonClass::RecipientUnknown),
        ("5.1.10", ReasonClass::RecipientUnknown),
        ("5.1.8", ReasonClass::SenderRejected),
        ("5.2.1", ReasonClass::RecipientDisabled),
        ("5.2.2", ReasonClass::MailboxFull),
        ("5.3.1", ReasonClass::ReceiverFull),
        ("5.3.4", ReasonClass::MessageTooBig),
        ("5.5.3", ReasonClass::RateLimited),
        ("5.6.0", ReasonClass::Content),
        ("5.7.13", ReasonClass::RecipientDisabled),
        ("5.7.23", ReasonClass::Authentication),
        ("5.7.25", ReasonClass::OurPtr),
        ("5.7.26", ReasonClass::Authentication),
        ("5.7.27", ReasonClass::SenderRejected),
        ("5.7.28", ReasonClass::RateLimited),
        ("5.7.30", ReasonClass::TlsRequired),
    ] {
        // "Rejected" alone names no reason: the code decides.
        let reply = Reply::parse(&format!("550 {code} Rejected"));
        let got = classifier.classify_reply(&reply, ReplyStage::Rcpt);
        assert_eq!(got.class, class, "{code}");
        assert_eq!(got.decided_by.as_deref(), Some(format!("the enhanced code {code}").as_str()), "{code}");
    }
}
