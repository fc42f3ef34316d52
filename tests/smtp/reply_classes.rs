//! The reply classifier over real receivers' texts (`tests/data/reply-texts.tsv`: stage, the
//! reply as sent, the class a mail admin gives it, who sends it, and where the text was read —
//! providers' error-code pages, MTA documentation, public bounce pastes). Every row must read
//! as expected; the table covers every class, every enhanced-code family and the big receivers.

use std::collections::BTreeMap;

use mailwiz::smtp::classify::{Classifier, ReasonClass, ReplyStage};
use mailwiz::smtp::reply::Reply;

const TABLE: &str = include_str!("../data/reply-texts.tsv");

struct Row<'a> {
    stage: ReplyStage,
    text: &'a str,
    class: ReasonClass,
    provider: &'a str,
    source: &'a str,
}

fn rows() -> Vec<Row<'static>> {
    TABLE
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(f.len(), 5, "five fields: {line}");
            Row {
                stage: ReplyStage::from_name(f[0]).unwrap_or_else(|| panic!("stage {:?}", f[0])),
                text: f[1],
                class: ReasonClass::from_name(f[2]).unwrap_or_else(|| panic!("class {:?}", f[2])),
                provider: f[3],
                source: f[4],
            }
        })
        .collect()
}

#[test]
fn every_real_text_reads_as_its_class() {
    let rows = rows();
    assert!(rows.len() >= 150, "{} rows", rows.len());
    let classifier = Classifier::bundled();
    let mut wrong = Vec::new();
    for row in &rows {
        assert!(!row.source.is_empty() && !row.provider.is_empty(), "{}", row.text);
        let got = classifier.classify_reply(&Reply::parse(row.text), row.stage);
        if got.class != row.class {
            wrong.push(format!(
                "{:?} expected {} got {} ({:?}) [{}]",
                row.text, row.class, got.class, got.decided_by, row.provider
            ));
        }
    }
    assert!(wrong.is_empty(), "{} of {} wrong:\n{}", wrong.len(), rows.len(), wrong.join("\n"));
}

#[test]
fn the_table_covers_every_class_family_and_big_receiver() {
    let rows = rows();
    let mut classes: BTreeMap<&str, usize> = BTreeMap::new();
    for row in &rows {
        *classes.entry(row.class.as_str()).or_default() += 1;
    }
    for class in ReasonClass::ALL {
        // `not_reached` is our MTA's own words, never a receiver's reply.
        if class != ReasonClass::NotReached {
            assert!(classes.get(class.as_str()).is_some_and(|n| *n >= 3), "{class}: {classes:?}");
        }
    }
    for family in 1..=7 {
        assert!(
            rows.iter().any(|r| r.text.contains(&format!(" 5.{family}.")) || r.text.contains(&format!(" 4.{family}."))),
            "X.{family}"
        );
    }
    // The big receivers and filters of issue 24, and the MTAs whose notations are read.
    for provider in [
        "Gmail",
        "Microsoft",
        "Yahoo",
        "AOL",
        "Apple",
        "Comcast",
        "AT&T",
        "Cox",
        "Spectrum",
        "GoDaddy",
        "T-Online",
        "GMX",
        "Web.de",
        "Orange",
        "Free",
        "Mimecast",
        "Proofpoint",
        "Barracuda",
        "Cisco",
        "Trend Micro",
        "Sophos",
        "Zoho",
        "Yandex",
        "Mail.ru",
        "QQ",
        "Postfix",
        "Exim",
        "Sendmail",
        "qmail",
        "Courier",
    ] {
        assert!(rows.iter().any(|r| r.provider.contains(provider)), "{provider}");
    }
}
