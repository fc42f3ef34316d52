//! Real bounces (`data/`, provenance in `data/SOURCES.md`): each gives the recipients, who
//! answered, the reply's class and stage a mail admin reads in it.

use mailwiz::bounce::{self, DsnAction, Shape, Speaker};

struct Case {
    file: &'static str,
    /// Who wrote the bounce (see `data/SOURCES.md`).
    mta: &'static str,
    shape: Shape,
    /// address, action, class, stage, who said it, words the reply holds
    recipients: &'static [(&'static str, DsnAction, &'static str, &'static str, Speaker, &'static str)],
}

use DsnAction::{Delayed, Failed};
use Speaker::{Receiver, ReportingMta, Unknown};

const CASES: &[Case] = &[
    Case {
        file: "flufl-dsn_10.eml",
        mta: "Postfix",
        shape: Shape::DeliveryStatus,
        recipients: &[(
            "anne.person@dom.ain",
            Failed,
            "recipient_unknown",
            "rcpt",
            Receiver,
            "User unknown or not available",
        )],
    },
    Case {
        file: "flufl-dsn_16.eml",
        mta: "Postfix",
        shape: Shape::DeliveryStatus,
        recipients: &[(
            "hishealinghand@pastors.com",
            Failed,
            "recipient_unknown",
            "rcpt",
            Receiver,
            "550 unknown user",
        )],
    },
    Case {
        file: "flufl-dsn_13.eml",
        mta: "Exchange",
        shape: Shape::DeliveryStatus,
        recipients: &[("marcooherbst@cardinal.com", Failed, "recipient_unknown", "unknown", Unknown, "")],
    },
    Case {
        file: "flufl-dsn_15.eml",
        mta: "Exchange",
        shape: Shape::DeliveryStatus,
        recipients: &[("horu@ccc-ces.com", Failed, "recipient_unknown", "unknown", Unknown, "")],
    },
    Case {
        file: "flufl-dsn_14.eml",
        mta: "Exchange gateway",
        shape: Shape::DeliveryStatus,
        recipients: &[(
            "artboardregistration@home.dk",
            Failed,
            "recipient_unknown",
            "unknown",
            Receiver,
            "550 5.1.1 User unknown",
        )],
    },
    Case {
        file: "flufl-dsn_17.eml",
        mta: "delayed",
        shape: Shape::DeliveryStatus,
        recipients: &[(
            "kb3543.50@be37.mail.saunalahti.fi",
            Delayed,
            "mailbox_full",
            "unknown",
            ReportingMta,
            "Quota exceeded",
        )],
    },
    Case {
        file: "flufl-postfix_01.eml",
        mta: "Postfix",
        shape: Shape::Text,
        recipients: &[(
            "xxxxx@local.ie",
            Failed,
            "recipient_unknown",
            "unknown",
            Receiver,
            "550 5.1.1 <xxxxx@local.ie>... User unknown",
        )],
    },
    Case {
        file: "flufl-postfix_02.eml",
        mta: "Postfix",
        shape: Shape::Text,
        recipients: &[(
            "yyyyy@digicool.com",
            Failed,
            "unknown",
            "unknown",
            ReportingMta,
            "Name service error for domain digicool.com",
        )],
    },
    Case {
        file: "flufl-exim_01.eml",
        mta: "Exim",
        shape: Shape::Text,
        recipients: &[(
            "delangen@its.tudelft.nl",
            Failed,
            "recipient_unknown",
            "rcpt",
            Receiver,
            "553 5.1.1 unknown or illegal user",
        )],
    },
    Case {
        file: "flufl-simple_08.eml",
        mta: "Exim",
        shape: Shape::Text,
        recipients: &[(
            "severin.XXX@t-online.de",
            Failed,
            "recipient_unknown",
            "unknown",
            Receiver,
            "550 user unknown",
        )],
    },
    Case {
        file: "flufl-qmail_03.eml",
        mta: "qmail",
        shape: Shape::Text,
        recipients: &[(
            "crown@hbc.co.jp",
            Failed,
            "recipient_unknown",
            "unknown",
            ReportingMta,
            "no mailbox here by that name",
        )],
    },
    Case {
        file: "flufl-qmail_04.eml",
        mta: "qmail",
        shape: Shape::Text,
        recipients: &[(
            "merotiia@tennisnsw.com.au",
            Failed,
            "recipient_unknown",
            "unknown",
            Receiver,
            "550 merotiia@tennisnsw.com.au... No such user",
        )],
    },
    Case {
        file: "flufl-qmail_05.eml",
        mta: "qmail",
        shape: Shape::Text,
        recipients: &[(
            "ivokggrrdvc@caixaforte.freeservers.com",
            Failed,
            "recipient_unknown",
            "unknown",
            Receiver,
            "Recipient address rejected",
        )],
    },
    Case {
        file: "flufl-sendmail_02.eml",
        mta: "Sendmail",
        shape: Shape::Text,
        recipients: &[("foo@rbd.spb.ru", Failed, "recipient_unknown", "unknown", Receiver, "550 5.1.1 User unknown")],
    },
    Case {
        file: "flufl-yahoo_03.eml",
        mta: "Yahoo",
        shape: Shape::Text,
        recipients: &[(
            "cresus22@yahoo.com",
            Failed,
            "recipient_disabled",
            "unknown",
            ReportingMta,
            "This account has been disabled",
        )],
    },
    Case {
        file: "flufl-yahoo_10.eml",
        mta: "Yahoo",
        shape: Shape::Text,
        recipients: &[
            (
                "jajcchoo@yahoo.com",
                Failed,
                "recipient_unknown",
                "unknown",
                ReportingMta,
                "doesn't have a yahoo.com account",
            ),
            ("lyons94706@yahoo.com", Failed, "recipient_disabled", "unknown", ReportingMta, "cannot be delivered"),
            (
                "turtle4jne@yahoo.com",
                Failed,
                "recipient_unknown",
                "unknown",
                ReportingMta,
                "doesn't have a yahoo.com account",
            ),
        ],
    },
    Case {
        file: "flufl-simple_36.eml",
        mta: "hosting provider",
        shape: Shape::Text,
        recipients: &[(
            "garyt@xxx.com",
            Failed,
            "recipient_unknown",
            "unknown",
            Receiver,
            "550 unknown user <garyt@xxx.com>",
        )],
    },
    Case {
        file: "flufl-simple_34.eml",
        mta: "cPanel Exim",
        shape: Shape::Text,
        recipients: &[(
            "roland@xxx.com",
            Failed,
            "recipient_unknown",
            "unknown",
            Receiver,
            "550 5.1.1 <roland@xxx.com>... User unknown",
        )],
    },
];

fn read(file: &str) -> bounce::Bounce {
    let path = format!("{}/tests/bounce/data/{file}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    bounce::read(&bytes).unwrap_or_else(|e| panic!("{file} {e}"))
}

#[test]
fn every_real_bounce_reads_as_a_mail_admin_reads_it() {
    let mut wrong = Vec::new();
    for case in CASES {
        let got = read(case.file);
        if got.shape != case.shape {
            wrong.push(format!("{} ({}): shape {:?}", case.file, case.mta, got.shape));
        }
        let addresses: Vec<&str> = got.recipients.iter().map(|r| r.address.as_str()).collect();
        let expected: Vec<&str> = case.recipients.iter().map(|r| r.0).collect();
        if addresses != expected {
            wrong.push(format!("{} ({}): recipients {addresses:?}, expected {expected:?}", case.file, case.mta));
            continue;
        }
        for (r, (address, action, class, stage, said_by, words)) in got.recipients.iter().zip(case.recipients) {
            let reply = r.reply.as_deref().unwrap_or("");
            if r.action != *action
                || r.reason.class.as_str() != *class
                || r.stage != *stage
                || r.said_by != *said_by
                || !reply.contains(words)
            {
                wrong.push(format!(
                    "{} ({}) {address}: got {:?} {} {} {:?} {reply:?}",
                    case.file,
                    case.mta,
                    r.action,
                    r.reason.class.as_str(),
                    r.stage,
                    r.said_by
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{} wrong:\n{}", wrong.len(), wrong.join("\n"));
}

#[test]
fn the_table_covers_the_shapes_and_mtas() {
    assert!(CASES.len() >= 18);
    for mta in ["Postfix", "Exim", "qmail", "Sendmail", "Exchange", "Yahoo"] {
        assert!(CASES.iter().any(|c| c.mta == mta), "{mta}");
    }
    assert!(CASES.iter().any(|c| c.recipients.len() > 1));
}

#[test]
fn a_report_names_its_mta_and_the_original_message() {
    let got = read("flufl-dsn_10.eml");
    assert_eq!(got.reporting_mta.as_deref(), Some("brainy.example.com"));
    assert!(got.arrival.as_deref().is_some_and(|a| a.contains("21 Oct 2002")));
    assert_eq!(got.original.to.as_deref(), Some("people@example.com"));
    assert_eq!(got.recipients[0].remote_mta.as_deref(), Some("mx.dom.ain [192.168.1.100]"));
}

#[test]
fn several_recipient_groups_are_each_read() {
    let got = read("flufl-dsn_11.eml");
    assert!(got.recipients.len() >= 4, "{}", got.recipients.len());
    assert!(got.recipients.iter().all(|r| r.action == Failed));
}

#[test]
fn what_the_sending_mta_wrote_about_itself_is_not_the_receivers_reply() {
    let dns = read("flufl-postfix_02.eml");
    assert_eq!(dns.recipients[0].said_by, ReportingMta);
    let refused = read("flufl-postfix_01.eml");
    assert_eq!(refused.recipients[0].said_by, Receiver);
    assert_eq!(refused.recipients[0].remote_mta.as_deref(), Some("mail.local.ie [195.7.46.14]"));
}
