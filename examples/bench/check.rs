//! `check` against the demo world with latency added to every DNS answer and SMTP reply: prints
//! the wall time next to the time the parts take one after another and the sum of all DNS
//! round trips.
//!
//!     cargo run --release --example bench -- check [LATENCY_MS]

use mailwiz::check::{self, CheckOptions};
use mailwiz::config::Config;
use mailwiz::context::Context;
use mailwiz::demo::attach_world;
use mailwiz::demo::world::World;
use mailwiz::session::{EventKind, Target};

#[tokio::main]
pub async fn run(args: &[String]) {
    let latency: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(50);
    let mut world = World::bundled();
    world.dns_delay_ms = latency;
    for server in &mut world.smtp {
        server.script.banner_delay_ms = latency;
        server.script.reply_delay_ms = latency;
    }
    let config = Config { timeout: 10.0, ..Config::default() };
    let ctx = attach_world(Context::new(config), world).await.expect("the demo world starts");
    let target = Target::parse("bank.example").expect("valid target");
    let report = check::run(&ctx, &target, &CheckOptions::default()).await.expect("the check runs");
    let events = ctx.journal.events();
    let queries = events.iter().filter(|e| e.kind == EventKind::DnsQuery).count();
    let sent = events.iter().filter(|e| matches!(e.kind, EventKind::Sent | EventKind::TlsSent)).count();
    let t = &report.timings;
    println!("latency added: {latency} ms per DNS answer, SMTP banner and SMTP reply");
    println!("DNS queries: {queries} (one after another: {} ms)", queries as u64 * latency);
    println!("SMTP commands sent: {sent}");
    println!(
        "parts: mx {} ms, smtp {} ms, identity {} ms, block lists {} ms, queue {} ms, logs {} ms",
        t.mx_ms, t.smtp_ms, t.identity_ms, t.blocklists_ms, t.queue_ms, t.logs_ms
    );
    println!("wall time: {} ms; the parts one after another: {} ms", t.wall_ms, t.sequential_ms());
    // Our address, its PTR, the PTR name's forward lookup, then the block lists: each needs the
    // answer before it.
    println!(
        "the limit: the dependent chain, about 4 round trips = {} ms (wall time {:.2}x of it)",
        4 * latency,
        t.wall_ms as f64 / (4 * latency) as f64
    );
    println!("first cause: {}", report.causes.first().map_or("none", |c| c.id.as_str()));
}
