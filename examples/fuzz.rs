//! The property tests' generators, run for longer: `cargo run --release --example fuzz -- --secs N`
//! feeds every parser of outside bytes hostile input for N seconds (10 by default) and prints
//! how many cases each took and how many crashed (panicked) or broke a property (unescaped
//! output, unbounded output). Exits 1 when any did.

#[path = "../tests/common/hostile.rs"]
mod hostile;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use hostile::{
    EXCHANGE, EXIM, JOURNAL, LOGS, PEERS, POSTFIX_TEXT, SENDMAIL, SMTP, SPF, config, config_text, dns_reply, dns_texts,
    journal, log_lines, mutated, nasty_text, peer, postfix_json, queue_listing, smtp_reply, spf_record,
};
use mailwiz::logs::Format as LogFormat;
use mailwiz::queue::Format as QueueFormat;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{TestCaseError, TestRunner};

/// Draws one case and checks it; `Err` says what went wrong, and for which input.
type Case = Box<dyn FnMut(&mut TestRunner) -> Result<(), String>>;

/// One parser under test.
struct Target {
    name: &'static str,
    run: Case,
    cases: u64,
    crashes: u64,
    broken: u64,
    first_problem: Option<String>,
}

fn target<S>(name: &'static str, strategy: S, property: fn(&S::Value) -> Result<(), TestCaseError>) -> Target
where
    S: Strategy + 'static,
    S::Value: std::fmt::Debug,
{
    let run = move |runner: &mut TestRunner| -> Result<(), String> {
        let value = strategy.new_tree(runner).map_err(|e| format!("cannot generate: {e}"))?.current();
        match catch_unwind(AssertUnwindSafe(|| property(&value))) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(err)) => Err(format!("broken: {err} for {}", shown(&value))),
            Err(_) => Err(format!("crash for {}", shown(&value))),
        }
    };
    Target { name, run: Box::new(run), cases: 0, crashes: 0, broken: 0, first_problem: None }
}

fn shown(value: &impl std::fmt::Debug) -> String {
    let text = format!("{value:?}");
    let count = text.chars().count();
    if count > 300 { format!("{}… ({count} chars)", text.chars().take(300).collect::<String>()) } else { text }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let secs = match args.iter().position(|a| a == "--secs").map(|i| args.get(i + 1).and_then(|s| s.parse().ok())) {
        None => 10,
        Some(Some(secs)) => secs,
        Some(None) => {
            eprintln!("fuzz: --secs needs a whole number of seconds");
            std::process::exit(2);
        }
    };
    let mut targets = vec![
        target("smtp replies", mutated(SMTP), |b| smtp_reply(b)),
        target("dns names and texts", (nasty_text(), prop::collection::vec(nasty_text(), 0..40)), |(n, t)| {
            dns_texts(n, t)
        }),
        target("postfix json listings", mutated(&[&postfix_json()]), |b| {
            queue_listing(b, Some(QueueFormat::PostfixJson))
        }),
        target("postfix text listings", mutated(POSTFIX_TEXT), |b| queue_listing(b, Some(QueueFormat::PostfixText))),
        target("exim listings", mutated(EXIM), |b| queue_listing(b, Some(QueueFormat::Exim))),
        target("sendmail listings", mutated(SENDMAIL), |b| queue_listing(b, Some(QueueFormat::Sendmail))),
        target("exchange listings", mutated(EXCHANGE), |b| queue_listing(b, Some(QueueFormat::Exchange))),
        target("detected listings", mutated(POSTFIX_TEXT), |b| queue_listing(b, None)),
        target("log lines", (mutated(LOGS), prop::option::of(prop::sample::select(&LogFormat::ALL[..]))), |(b, f)| {
            log_lines(b, *f)
        }),
        target("peers in log lines", mutated(PEERS), |b| peer(b)),
        target("dns AD replies", prop::collection::vec(any::<u8>(), 0..600), |b| dns_reply(b)),
        target("journals", mutated(JOURNAL), |b| journal(b)),
        target("configs", config_text(), |b| config(b)),
        target("spf records and macros", (mutated(SPF), nasty_text()), |(b, h)| spf_record(b, h)),
    ];
    // Crashes are counted and their inputs shown below; the panic messages would only repeat.
    std::panic::set_hook(Box::new(|_| {}));
    let mut runner = TestRunner::deterministic();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    while Instant::now() < deadline {
        for t in &mut targets {
            t.cases += 1;
            if let Err(problem) = (t.run)(&mut runner) {
                if problem.starts_with("crash") {
                    t.crashes += 1;
                } else {
                    t.broken += 1;
                }
                t.first_problem.get_or_insert(problem);
            }
        }
    }
    let _ = std::panic::take_hook();
    println!("{:<24} {:>9} {:>8} {:>8}", "parser", "cases", "crashes", "broken");
    for t in &targets {
        println!("{:<24} {:>9} {:>8} {:>8}", t.name, t.cases, t.crashes, t.broken);
    }
    let total: u64 = targets.iter().map(|t| t.cases).sum();
    let bad: u64 = targets.iter().map(|t| t.crashes + t.broken).sum();
    println!("{total} cases in {:.1} s, {bad} crashed or broke a property", started.elapsed().as_secs_f64());
    for t in targets.iter().filter(|t| t.first_problem.is_some()) {
        println!("{}: {}", t.name, t.first_problem.as_deref().unwrap_or(""));
    }
    std::process::exit(i32::from(bad > 0));
}
