//! Benchmark: MX analysis of a domain with 5 MX hosts (A and AAAA each) against the in-process
//! DNS server adding 50 ms to every answer. Prints the wall time of each run next to the sum of
//! its query latencies: with the exchangers' lookups concurrent, the wall time stays near two
//! round trips (MX, then addresses) while the sum grows with the number of queries.
//!
//! `cargo run --release --example bench -- mx [RUNS]`

use std::time::Duration;

use mailwiz::config::Config;
use mailwiz::context::Context;
use mailwiz::demo::dns_server::DnsServer;
use mailwiz::dns::Resolver;
use mailwiz::dns::mx::analyse;
use mailwiz::session::Target;

const DELAY: Duration = Duration::from_millis(50);

fn zone() -> String {
    let mut zone = String::new();
    for i in 1..=5 {
        zone.push_str(&format!("@ 300 IN MX {} mx{i}\n", i * 10));
        zone.push_str(&format!("mx{i} 300 IN A 192.0.2.{i}\nmx{i} 300 IN AAAA 2001:db8::{i}\n"));
    }
    zone
}

#[tokio::main]
pub async fn run(args: &[String]) {
    let runs: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(10);
    let server = DnsServer::builder().zone("five.example", &zone()).delay(DELAY).start().await.expect("server starts");
    let ctx = Context::new(Config { dns_servers: vec![server.addr().to_string()], ..Config::default() });
    let resolver = Resolver::from_context(&ctx).expect("resolver");
    let target = Target::parse("five.example").expect("target");

    println!("MX analysis, 5 exchangers, {} ms added per answer, {runs} runs", DELAY.as_millis());
    println!("{:>4}  {:>8}  {:>14}  {:>7}", "run", "wall ms", "sum of queries", "queries");
    let mut walls = Vec::new();
    let mut sums = Vec::new();
    for run in 1..=runs {
        let analysis = analyse(&ctx, &resolver, &target, None).await;
        assert_eq!(analysis.mx.len(), 5, "the zone has five exchangers");
        let wall = analysis.elapsed.as_secs_f64() * 1000.0;
        let sum = analysis.query_time().as_secs_f64() * 1000.0;
        println!("{run:>4}  {wall:>8.1}  {sum:>14.1}  {:>7}", analysis.replies.len());
        walls.push(wall);
        sums.push(sum);
    }
    walls.sort_by(f64::total_cmp);
    sums.sort_by(f64::total_cmp);
    let median = |v: &[f64]| v[v.len() / 2];
    println!(
        "median: wall {:.1} ms, sum of query latencies {:.1} ms ({:.1}x); a serial walk would take the sum",
        median(&walls),
        median(&sums),
        median(&sums) / median(&walls)
    );
}
