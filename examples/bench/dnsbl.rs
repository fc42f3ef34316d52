//! Block-list check wall time: 20 zones on a DNS server that waits 100 ms before every answer.
//! Asked one after another this would take 20 × 100 ms (more for listings, which add a TXT
//! query); asked at once it should take about one or two round trips.
//!
//! `cargo run --release --example bench -- dnsbl`

use std::time::{Duration, Instant};

use mailwiz::demo::dns_server::DnsServer;
use mailwiz::dns::dnsbl::{Exposure, Subject, ZoneStatus, check};
use mailwiz::dns::dnsbl_zones::ZoneList;
use mailwiz::dns::resolver::{Limits, Resolver};
use mailwiz::session::Journal;

const ZONES: usize = 20;
const DELAY: Duration = Duration::from_millis(100);
const RUNS: usize = 5;

#[tokio::main]
pub async fn run() {
    let mut builder = DnsServer::builder().delay(DELAY);
    let mut names = Vec::new();
    for i in 0..ZONES {
        let zone = format!("bl{i}.bench.test");
        // Every fourth list lists the address (A, then TXT: two round trips), the rest say NXDOMAIN.
        let text = if i % 4 == 0 {
            "5.113.0.203 300 IN A 127.0.0.2\n5.113.0.203 300 IN TXT \"listed for the benchmark\"\n"
        } else {
            "2.0.0.127 300 IN A 127.0.0.2\n"
        };
        builder = builder.zone(&zone, text);
        names.push(zone);
    }
    let server = builder.start().await.expect("the benchmark DNS server starts");
    let zones = ZoneList::bundled().select(&names).expect("zone names are valid");
    let resolver = Resolver::with_servers(
        &[server.addr()],
        Limits { timeout: Duration::from_secs(5), attempts: 1 },
        Journal::in_memory(),
    );
    let subject = Subject::Ip("203.0.113.5".parse().unwrap());

    let mut walls = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        let report = check(&resolver, &subject, &zones, Duration::from_secs(10), Exposure::Any).await;
        walls.push(started.elapsed());
        let listed = report.results.iter().filter(|r| matches!(r.status, ZoneStatus::Listed { .. })).count();
        let clean = report.results.iter().filter(|r| r.status == ZoneStatus::Clean).count();
        assert_eq!((listed, clean), (ZONES / 4, ZONES - ZONES / 4), "every zone answered");
    }
    walls.sort();
    let sequential = DELAY * u32::try_from(ZONES).unwrap();
    println!("bench dnsbl: {ZONES} zones, server delay {} ms per answer, {RUNS} runs", DELAY.as_millis());
    println!(
        "  wall time: min {:.0} ms, median {:.0} ms, max {:.0} ms (the limit: one round trip, {} ms)",
        ms(walls[0]),
        ms(walls[RUNS / 2]),
        ms(walls[RUNS - 1]),
        DELAY.as_millis()
    );
    println!(
        "  one after another: {ZONES} × {} ms = {:.0} ms (the TXT of the {} listings asked with their A)",
        DELAY.as_millis(),
        ms(sequential),
        ZONES / 4
    );
    println!("  speed-up: {:.1}x", ms(sequential) / ms(walls[RUNS / 2]));
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
