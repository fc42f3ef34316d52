//! Benchmark: the reply classifier over 1,000,000 replies — the texts MTAs write in queues and
//! logs, one-line and multi-line, known and unknown — with the table loaded once. Prints the
//! time per run and per reply beside the budget (2 s for the million).
//!
//! `cargo run --release --example bench -- classify [RUNS]`

use std::time::Instant;

use mailwiz::smtp::classify::Classifier;

const REPLIES: usize = 1_000_000;

const TEXTS: &[&str] = &[
    "host mx1.bank.example[192.0.2.10] refused to talk to me: 421 4.0.0 Server error",
    "host mx.example[192.0.2.1] said: 550 5.1.1 <a@example.com>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)",
    "SMTP error from remote mail server after RCPT TO:<b@example.com>: 550-5.7.1 [203.0.113.5] Our system has detected that this message is\n550-5.7.1 likely unsolicited mail. To reduce the amount of spam sent to Gmail,\n550 5.7.1 this message has been blocked.",
    "host mx.example[192.0.2.1] said: 554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org (in reply to RCPT TO command)",
    "550 5.1.1 <a@example.com> - 203.0.113.222 has sent to too many recipients this hour. IB607",
    "connect to mx.example[192.0.2.1]:25: Connection timed out",
    "host mx.example[192.0.2.1] said: 451 4.7.1 Please try again later (in reply to RCPT TO command)",
    "554 IP=203.0.113.5 - A problem occurred. (Ask your postmaster for help or to contact tosa@rx.t-online.de to clarify.)",
];

pub fn run(args: &[String]) {
    let runs: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(3);
    let started = Instant::now();
    let classifier = Classifier::bundled();
    println!("table loaded in {:.1} ms", started.elapsed().as_secs_f64() * 1000.0);
    println!("{REPLIES} replies of {} kinds, {runs} runs; budget 2000 ms a run", TEXTS.len());
    let mut times = Vec::new();
    for run in 1..=runs {
        let start = Instant::now();
        let mut known = 0usize;
        for i in 0..REPLIES {
            let class = classifier.classify_text(TEXTS[i % TEXTS.len()]).class;
            known += usize::from(class != mailwiz::smtp::classify::ReasonClass::Unknown);
        }
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        times.push(ms);
        println!("run {run}: {ms:.0} ms ({:.2} µs a reply, {known} classified)", ms * 1000.0 / REPLIES as f64);
    }
    times.sort_by(f64::total_cmp);
    println!("min {:.0} ms · median {:.0} ms · max {:.0} ms", times[0], times[times.len() / 2], times[times.len() - 1]);
}
