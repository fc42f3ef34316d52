//! Property tests over every parser of outside bytes (generators and properties in
//! `common/hostile.rs`, shared with `examples/fuzz.rs`): no panic, bounded output, no control or
//! bidi character unescaped in what is shown.

#[path = "common/hostile.rs"]
mod hostile;

use hostile::*;
use mailwiz::logs::Format as LogFormat;
use mailwiz::queue::Format as QueueFormat;
use proptest::prelude::*;

/// 64 cases per property unless `PROPTEST_CASES` says otherwise; `examples/fuzz.rs` runs longer.
fn modest() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(64);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(modest())]

    #[test]
    fn smtp_replies(bytes in mutated(SMTP)) {
        smtp_reply(&bytes)?;
    }

    #[test]
    fn spf_records_and_macros(bytes in mutated(SPF), hostile in nasty_text()) {
        spf_record(&bytes, &hostile)?;
    }

    #[test]
    fn dns_names_and_texts(name in nasty_text(), texts in prop::collection::vec(nasty_text(), 0..40)) {
        dns_texts(&name, &texts)?;
    }

    #[test]
    fn postfix_json_listings(bytes in mutated(&[&postfix_json()])) {
        queue_listing(&bytes, Some(QueueFormat::PostfixJson))?;
        queue_listing(&bytes, None)?;
    }

    #[test]
    fn postfix_text_listings(bytes in mutated(POSTFIX_TEXT)) {
        queue_listing(&bytes, Some(QueueFormat::PostfixText))?;
        queue_listing(&bytes, None)?;
    }

    #[test]
    fn exim_listings(bytes in mutated(EXIM)) {
        queue_listing(&bytes, Some(QueueFormat::Exim))?;
    }

    #[test]
    fn sendmail_listings(bytes in mutated(SENDMAIL)) {
        queue_listing(&bytes, Some(QueueFormat::Sendmail))?;
    }

    #[test]
    fn exchange_listings(bytes in mutated(EXCHANGE)) {
        queue_listing(&bytes, Some(QueueFormat::Exchange))?;
        queue_listing(&bytes, None)?;
    }

    #[test]
    fn log_lines_of_every_format(bytes in mutated(LOGS), format in prop::option::of(prop::sample::select(&LogFormat::ALL[..]))) {
        log_lines(&bytes, format)?;
    }

    #[test]
    fn peers_named_in_log_lines_and_reasons(bytes in mutated(PEERS)) {
        peer(&bytes)?;
    }

    #[test]
    fn dns_replies_to_the_ad_query(noise in prop::collection::vec(any::<u8>(), 0..600)) {
        dns_reply(&noise)?;
    }

    #[test]
    fn journals(bytes in mutated(JOURNAL)) {
        journal(&bytes)?;
    }

    #[test]
    fn configs(bytes in config_text()) {
        config(&bytes)?;
    }
}
