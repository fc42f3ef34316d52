//! Benchmarks, one subcommand each; they print figures and assert nothing about time.
//!
//!     cargo run --release --example bench -- NAME [OPTIONS]
//!
//! NAME is `bounce`, `check`, `classify`, `mx`, `dnsbl`, `smtp`, `queue`, `logs` or `tui`; each module's comment gives
//! its options.

mod bounce;
mod check;
mod classify;
mod dnsbl;
mod logs;
mod mx;
mod queue;
mod smtp;
mod tui;

/// The mean time of `runs` calls of `f`.
fn time_each(runs: u32, mut f: impl FnMut()) -> std::time::Duration {
    let start = std::time::Instant::now();
    for _ in 0..runs {
        f();
    }
    start.elapsed() / runs
}

const USAGE: &str =
    "usage: cargo run --release --example bench -- bounce|check|classify|mx|dnsbl|smtp|queue|logs|tui [OPTIONS]";

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((name, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        std::process::exit(2);
    };
    match name.as_str() {
        "bounce" => return bounce::run(rest),
        "check" => check::run(rest),
        "classify" => classify::run(rest),
        "mx" => mx::run(rest),
        "dnsbl" => dnsbl::run(),
        "smtp" => smtp::run(),
        "queue" => return queue::run(rest),
        "logs" => logs::run(rest),
        "tui" => tui::run(),
        _ => {
            eprintln!("unknown benchmark {name:?}; {USAGE}");
            std::process::exit(2);
        }
    }
    Ok(())
}
