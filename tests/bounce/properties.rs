//! The bounce parser under arbitrary input: it never panics, keeps within its caps, and lets no
//! raw control byte out.

use mailwiz::bounce::{self, MAX_DIAGNOSTIC, MAX_LINE, MAX_RECIPIENTS};
use proptest::prelude::*;

fn no_control(text: &str) -> bool {
    !text.chars().any(|c| c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c))
}

fn check_output(got: &bounce::Bounce) {
    assert!(got.recipients.len() <= MAX_RECIPIENTS);
    for r in &got.recipients {
        for text in
            [Some(&r.address), r.reply.as_ref(), r.diagnostic.as_ref(), r.remote_mta.as_ref()].into_iter().flatten()
        {
            assert!(no_control(text), "{text:?}");
            // Escaping may grow a text up to four times.
            assert!(text.len() <= 4 * MAX_DIAGNOSTIC.max(MAX_LINE), "{}", text.len());
        }
    }
    let o = &got.original;
    for text in [&o.from, &o.to, &o.subject, &o.message_id, &got.reporting_mta, &got.subject].into_iter().flatten() {
        assert!(no_control(text), "{text:?}");
    }
}

/// Bounce-like lines, some of them hostile.
fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Final-Recipient: rfc822; a@example.net".to_string()),
        Just("Action: failed".to_string()),
        Just("Status: 5.1.1".to_string()),
        Just("Diagnostic-Code: smtp; 550 5.1.1 \u{1b}[31mno\u{202e} such user".to_string()),
        Just("    folded \u{7} continuation".to_string()),
        Just(
            "<b@example.org>: host mx.example.org[192.0.2.1] said: 550 5.7.1 blocked (in reply to RCPT TO command)"
                .to_string()
        ),
        Just("Remote Server returned '554 5.7.1 \u{9b}x'".to_string()),
        Just(">>> RCPT To:<c@example.com>".to_string()),
        Just("<<< 550 5.1.1 unknown".to_string()),
        Just("Content-Type: message/delivery-status".to_string()),
        Just("--boundary".to_string()),
        Just(String::new()),
        "[ -~\u{0}-\u{1f}\u{80}-\u{9f}]{0,80}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        if let Ok(got) = bounce::read(&bytes) {
            check_output(&got);
        }
    }

    #[test]
    fn bounce_like_text_stays_bounded_and_escaped(lines in proptest::collection::vec(line(), 0..60)) {
        let text = format!(
            "From: MAILER-DAEMON@example.org\nSubject: Undelivered Mail\nContent-Type: multipart/report; boundary=boundary\n\n--boundary\n\n{}",
            lines.join("\n")
        );
        if let Ok(got) = bounce::read(text.as_bytes()) {
            check_output(&got);
        }
    }
}

#[test]
fn recipients_past_the_cap_are_counted_not_kept() {
    let mut text = String::from("Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n");
    for i in 0..MAX_RECIPIENTS + 50 {
        text.push_str(&format!("\nFinal-Recipient: rfc822; u{i}@example.net\nAction: failed\nStatus: 5.1.1\n"));
    }
    let got = bounce::read(text.as_bytes()).expect("a report");
    assert_eq!(got.recipients.len(), MAX_RECIPIENTS);
    assert!(got.cut);
}

#[test]
fn a_huge_line_is_cut() {
    let text = format!(
        "Subject: Undelivered Mail\n\n<a@example.net>: host mx.example.net[192.0.2.1] said: 550 5.1.1 {}\n",
        "x".repeat(100_000)
    );
    let got = bounce::read(text.as_bytes()).expect("a bounce");
    assert!(got.cut);
    assert!(got.recipients[0].reply.as_deref().is_some_and(|r| r.len() <= MAX_DIAGNOSTIC));
}

#[test]
fn input_past_the_cap_is_refused() {
    let bytes = vec![b'a'; bounce::MAX_INPUT + 1];
    assert_eq!(bounce::read(&bytes), Err(bounce::BounceError::TooLarge));
}
