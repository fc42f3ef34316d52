//! Benchmark: `bounce::read` over 10,000 bounces — the real bounces of `tests/bounce/data`
//! (every shape the reader knows: RFC 3464 parts, Microsoft's NDRs, Gmail, Exim, qmail,
//! Sendmail transcripts), read in turn. Prints the time per run beside the budget (5 s for
//! the 10,000).
//!
//! `cargo run --release --example bench -- bounce [RUNS]`

use std::time::Instant;

const BOUNCES: usize = 10_000;

pub fn run(args: &[String]) -> std::io::Result<()> {
    let runs: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(3);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bounce/data");
    let mut samples = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "eml" || e == "txt") {
            samples.push(std::fs::read(&path)?);
        }
    }
    samples.sort();
    if samples.is_empty() {
        eprintln!("no .eml or .txt file in {}", dir.display());
        std::process::exit(2);
    }
    let bytes: usize = (0..BOUNCES).map(|i| samples[i % samples.len()].len()).sum();
    println!(
        "{BOUNCES} bounces from {} real ones ({:.1} MiB in all), {runs} runs; budget 5000 ms a run",
        samples.len(),
        bytes as f64 / (1024.0 * 1024.0)
    );
    let mut times = Vec::new();
    for run in 1..=runs {
        let start = Instant::now();
        let mut recipients = 0usize;
        for i in 0..BOUNCES {
            if let Ok(bounce) = mailwiz::bounce::read(&samples[i % samples.len()]) {
                recipients += bounce.recipients.len();
            }
        }
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        times.push(ms);
        println!("run {run}: {ms:.0} ms ({:.0} µs a bounce, {recipients} recipients)", ms * 1000.0 / BOUNCES as f64);
    }
    times.sort_by(f64::total_cmp);
    println!("min {:.0} ms · median {:.0} ms · max {:.0} ms", times[0], times[times.len() / 2], times[times.len() - 1]);
    Ok(())
}
