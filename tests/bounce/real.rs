//! Real bounces (`data/`, provenance in `data/SOURCES.md`): each gives the recipients, who
//! answered, the reply's class and stage a mail admin reads in it.

use mailwiz::bounce::{self, DsnAction, Shape, Speaker};

/// One recipient as a mail admin reads it: address, action, status, class, stage, who said
/// it, and words the reply holds.
type Expected = (&'static str, DsnAction, Option<&'static str>, &'static str, &'static str, Speaker, &'static str);

struct Case {
    file: &'static str,
    /// Who wrote the bounce (see `data/SOURCES.md`).
    mta: &'static str,
    shape: Shape,
    /// address, action, status, class, stage, who said it, words the reply holds
    recipients: &'static [Expected],
}

use DsnAction::{Delayed, Failed, Relayed};
use Speaker::{Receiver, ReportingMta, Unknown};

const CASES: &[Case] = &[
    Case {
        file: "flufl-dsn_10.eml",
        mta: "Postfix",
        shape: Shape::DeliveryStatus,
        recipients: &[(
            "anne.person@dom.ain",
            Failed,
            Some("5.0.0"),
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
            Some("5.0.0"),
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
        recipients: &[(
            "marcooherbst@cardinal.com",
            Failed,
            Some("5.1.1"),
            "recipient_unknown",
            "unknown",
            Unknown,
            "",
        )],
    },
    Case {
        file: "flufl-dsn_15.eml",
        mta: "Exchange",
        shape: Shape::DeliveryStatus,
        recipients: &[("horu@ccc-ces.com", Failed, Some("5.1.1"), "recipient_unknown", "unknown", Unknown, "")],
    },
    Case {
        file: "flufl-dsn_14.eml",
        mta: "Exchange gateway",
        shape: Shape::DeliveryStatus,
        recipients: &[(
            "artboardregistration@home.dk",
            Failed,
            None,
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
            Some("4.3.0"),
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
            Some("5.1.1"),
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
            None,
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
            Some("5.1.1"),
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
            None,
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
            Some("5.1.1"),
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
            None,
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
            None,
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
        recipients: &[(
            "foo@rbd.spb.ru",
            Failed,
            Some("5.1.1"),
            "recipient_unknown",
            "unknown",
            Receiver,
            "550 5.1.1 User unknown",
        )],
    },
    Case {
        file: "flufl-yahoo_03.eml",
        mta: "Yahoo",
        shape: Shape::Text,
        recipients: &[(
            "cresus22@yahoo.com",
            Failed,
            None,
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
                None,
                "recipient_unknown",
                "unknown",
                ReportingMta,
                "doesn't have a yahoo.com account",
            ),
            (
                "lyons94706@yahoo.com",
                Failed,
                None,
                "recipient_disabled",
                "unknown",
                ReportingMta,
                "cannot be delivered",
            ),
            (
                "turtle4jne@yahoo.com",
                Failed,
                None,
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
            None,
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
            Some("5.1.1"),
            "recipient_unknown",
            "unknown",
            Receiver,
            "550 5.1.1 <roland@xxx.com>... User unknown",
        )],
    },
    Case {
        file: "flufl-simple_11.eml",
        mta: "Domino",
        shape: Shape::Text,
        recipients: &[(
            "carlosr73@hartfordlife.com",
            Failed,
            None,
            "recipient_unknown",
            "unknown",
            ReportingMta,
            "not listed in Domino Directory",
        )],
    },
    Case {
        file: "flufl-dsn_04.eml",
        mta: "PMDF",
        shape: Shape::DeliveryStatus,
        recipients: &[("HAASM@yogi.urz.unibas.ch", Failed, Some("5.0.0"), "unknown", "unknown", Unknown, "")],
    },
    Case {
        file: "courier-doc-dsn.eml",
        mta: "Courier",
        shape: Shape::DeliveryStatus,
        recipients: &[
            (
                "nosuchuser@relay2.example.com",
                Failed,
                Some("5.0.0"),
                "recipient_unknown",
                "rcpt",
                Receiver,
                "550 Sorry, no mailbox here by that name.",
            ),
            ("test2@relay2.example.com", Relayed, Some("2.0.0"), "unknown", "unknown", Receiver, "250 ok 931200942"),
        ],
    },
    Case {
        file: "flanker-office365.eml",
        mta: "Microsoft 365",
        shape: Shape::DeliveryStatus,
        recipients: &[(
            "noname@example.com",
            Failed,
            Some("5.1.10"),
            "recipient_unknown",
            "unknown",
            Receiver,
            "550 5.1.10 RESOLVER.ADR.RecipientNotFound",
        )],
    },
    Case {
        file: "flanker-gmail-invalid-address.eml",
        mta: "Gmail",
        shape: Shape::Text,
        recipients: &[(
            "awfawfawfawfawfaw@someserverhere.com",
            Failed,
            Some("5.1.0"),
            "unknown",
            "unknown",
            Receiver,
            "550 5.1.0 Recipient rejected",
        )],
    },
    Case {
        file: "flanker-gmail-no-dns.eml",
        mta: "Gmail",
        shape: Shape::Text,
        recipients: &[(
            "user@example.comm",
            Failed,
            None,
            "unknown",
            "unknown",
            ReportingMta,
            "DNS Error: Domain name not found",
        )],
    },
    Case {
        file: "flanker-mailbox-full.eml",
        mta: "AOL",
        shape: Shape::DeliveryStatus,
        recipients: &[(
            "user@aol.com",
            Failed,
            Some("5.2.2"),
            "mailbox_full",
            "rcpt",
            Receiver,
            "552 5.2.2 E4.12 user MAILBOX FULL",
        )],
    },
    Case {
        file: "flanker-zed.eml",
        mta: "Postfix",
        shape: Shape::DeliveryStatus,
        recipients: &[(
            "asdfasdfasdfasdfasdfasdfewrqertrtyrthsfgdfgadfqeadvxzvz@gmail.com",
            Failed,
            Some("5.1.1"),
            "recipient_unknown",
            "rcpt",
            Receiver,
            "550-5.1.1 The email account that you tried to reach does not exist.",
        )],
    },
    Case {
        file: "rgl-exchange2007-non-existing-mailbox.eml",
        mta: "Exchange 2007",
        shape: Shape::DeliveryStatus,
        recipients: &[(
            "email_that_does_not_exists_this_is_just_a_test@gmail.com",
            Failed,
            Some("5.1.1"),
            "recipient_unknown",
            "unknown",
            Receiver,
            "550-5.1.1 The email account that you tried to reach does not exist.",
        )],
    },
    Case {
        file: "rgl-qmail-no-host-found.eml",
        mta: "qmail",
        shape: Shape::Text,
        recipients: &[(
            "god@heaven.af.mil",
            Failed,
            None,
            "unknown",
            "unknown",
            ReportingMta,
            "Sorry, I couldn't find any host by that name.",
        )],
    },
    Case {
        file: "phpbh-barracuda-32.eml",
        mta: "Barracuda",
        shape: Shape::DeliveryStatus,
        recipients: &[(
            "stellamiranda@interlink.com.ar",
            Failed,
            Some("5.7.1"),
            "content",
            "unknown",
            Receiver,
            "550 5.7.1 Message content rejected, UBE",
        )],
    },
    Case {
        file: "phpbh-exchange1.eml",
        mta: "IIS SMTP (Exchange 2003)",
        shape: Shape::DeliveryStatus,
        recipients: &[("phk@nordiskeiendom.no", Failed, Some("5.1.1"), "recipient_unknown", "unknown", Unknown, "")],
    },
    Case {
        file: "phpbh-hotmail-10.eml",
        mta: "Hotmail",
        shape: Shape::DeliveryStatus,
        recipients: &[(
            "animecox_x@hotmail.com",
            Failed,
            Some("5.5.0"),
            "unknown",
            "unknown",
            Receiver,
            "550 Requested action not taken: mailbox unavailable",
        )],
    },
    Case {
        file: "phpbh-postfix-mailru.eml",
        mta: "Postfix",
        shape: Shape::DeliveryStatus,
        recipients: &[(
            "leopold_skryd@mail.ru",
            Failed,
            Some("5.0.0"),
            "receiver_blocklist",
            "rcpt",
            Receiver,
            "550 Access from ip address 87.237.123.24 blocked.",
        )],
    },
    Case {
        file: "phpbh-yahoo-61.eml",
        mta: "Yahoo",
        shape: Shape::DeliveryStatus,
        recipients: &[(
            "user@yahoo.com",
            Failed,
            Some("5.7.9"),
            "other_policy",
            "end_of_data",
            Receiver,
            "554 5.7.9 Message not accepted for policy reasons.",
        )],
    },
    Case {
        file: "bp-exchange2010-too-large.eml",
        mta: "Exchange 2010",
        shape: Shape::DeliveryStatus,
        recipients: &[(
            "john.smith@sample.net",
            Failed,
            Some("5.2.3"),
            "message_too_big",
            "unknown",
            Receiver,
            "550 5.2.3 RESOLVER.RST.SendSizeLimit.Org; message too large for this organization",
        )],
    },
    Case {
        file: "bp-exchange55-unknown.eml",
        mta: "Exchange 5.5",
        shape: Shape::Text,
        recipients: &[(
            "RECIPIENT@EXAMPLE.NET",
            Failed,
            None,
            "recipient_unknown",
            "unknown",
            ReportingMta,
            "The recipient name is not recognized",
        )],
    },
    Case {
        file: "bp-iis-several-recipients.eml",
        mta: "IIS SMTP, several recipients",
        shape: Shape::DeliveryStatus,
        recipients: &[
            (
                "bounced1@example.net",
                Failed,
                Some("5.0.0"),
                "unknown",
                "unknown",
                Receiver,
                "550 Requested action not taken",
            ),
            (
                "bounced2@example.net",
                Failed,
                Some("5.0.0"),
                "unknown",
                "unknown",
                Receiver,
                "550 Requested action not taken",
            ),
            (
                "bounced3@example.net",
                Failed,
                Some("5.0.0"),
                "unknown",
                "unknown",
                Receiver,
                "550 Requested action not taken",
            ),
            (
                "bounced4@example.net",
                Failed,
                Some("5.0.0"),
                "unknown",
                "unknown",
                Receiver,
                "550 Requested action not taken",
            ),
        ],
    },
    Case {
        file: "msdocs-exchange-group-auth.txt",
        mta: "Exchange 2016+ to Microsoft 365",
        shape: Shape::Text,
        recipients: &[(
            "mygroup@groups.contoso.com",
            Failed,
            Some("5.7.133"),
            "other_policy",
            "unknown",
            Receiver,
            "550 5.7.133 RESOLVER.RST.SenderNotAuthenticatedForGroup",
        )],
    },
    Case {
        file: "otrs-ses-expired.eml",
        mta: "Amazon SES",
        shape: Shape::DeliveryStatus,
        recipients: &[(
            "wrongster@foo.com",
            Failed,
            Some("5.0.0"),
            "unknown",
            "unknown",
            ReportingMta,
            "5.4.7 - Delivery expired (message too old) 'no valid ip addresses'",
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
        for (r, (address, action, status, class, stage, said_by, words)) in got.recipients.iter().zip(case.recipients) {
            let reply = r.reply.as_deref().unwrap_or("");
            if r.action != *action
                || r.status.as_deref() != *status
                || r.reason.class.as_str() != *class
                || r.stage != *stage
                || r.said_by != *said_by
                || !reply.contains(words)
            {
                wrong.push(format!(
                    "{} ({}) {address}: got {:?} {:?} {} {} {:?} {reply:?}",
                    case.file,
                    case.mta,
                    r.action,
                    r.status,
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
    assert!(CASES.len() >= 30);
    for mta in ["Postfix", "Exim", "qmail", "Sendmail", "Exchange", "Exchange 2007", "Microsoft 365", "Gmail", "Yahoo"]
    {
        assert!(CASES.iter().any(|c| c.mta == mta), "{mta}");
    }
    for mta in ["Courier", "Domino", "Hotmail", "AOL", "Barracuda", "IIS SMTP (Exchange 2003)", "Amazon SES"] {
        assert!(CASES.iter().any(|c| c.mta == mta), "{mta}");
    }
    for mta in ["Exchange 2010", "Exchange 2016+ to Microsoft 365"] {
        assert!(CASES.iter().any(|c| c.mta == mta), "{mta}");
    }
    // An RFC 3464 report about several different recipients, and a text one.
    let several = |shape| CASES.iter().any(|c| c.shape == shape && c.recipients.windows(2).any(|w| w[0].0 != w[1].0));
    assert!(several(Shape::DeliveryStatus) && several(Shape::Text));
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

#[test]
fn the_receiving_host_is_named_where_the_report_names_it() {
    let gmail = read("flanker-gmail-invalid-address.eml");
    assert_eq!(gmail.recipients[0].remote_mta.as_deref(), Some("mxa.example.org [198.61.253.48]"));
    let exchange = read("rgl-exchange2007-non-existing-mailbox.eml");
    assert_eq!(exchange.recipients[0].remote_mta.as_deref(), Some("mx.google.com"));
    assert_eq!(exchange.reporting_mta.as_deref(), Some("test.local"));
}
