//! Log scanning speed: generates a Postfix log (smtpd/cleanup/qmgr/smtp lines, 1% of the
//! messages to the target domain; 1 GiB unless told) in the temporary directory, then times on the
//! same file, three runs each: `mailwiz logs --domain D` (the release binary) against `grep -c D`
//! (the limit: half grep's time), `mailwiz logs` parsing every line, and `pflogsumm` (when
//! installed). Then `mailwiz logs --follow --domain D` on a small log to which a burst of
//! 200 MiB is appended: the time until the burst's last line is shown gives the rate (the limit:
//! 100 MiB/s). Prints min/median/max beside each limit and the peak memory of mailwiz; deletes
//! the files at the end.
//!
//! ```sh
//! cargo build --release && cargo run --release --example bench -- logs [SIZE_MIB [--no-pflogsumm]]
//! ```
//!
//! pflogsumm reads about 1 MB/s; `--no-pflogsumm` leaves it out of quick runs. `--keep` leaves the
//! generated log in place (for profiling) and says where.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const TARGET: &str = "bank.example";
const OTHER_DOMAINS: [&str; 8] = [
    "gmail.com",
    "outlook.com",
    "yahoo.com",
    "example.org",
    "mail.example.net",
    "corp.example",
    "lists.example.com",
    "web.de",
];

/// Removes the generated file however the run ends, unless kept.
struct TempLog(PathBuf, bool);

impl Drop for TempLog {
    fn drop(&mut self) {
        if !self.1 {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

/// xorshift64*: deterministic and fast enough to write a gigabyte quickly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn generate(path: &Path, size: u64) -> std::io::Result<(u64, u64)> {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut written, mut lines, mut messages) = (0u64, 0u64, 0u64);
    let mut second = 0u64;
    while written < size {
        messages += 1;
        second += rng.below(3);
        let (h, m, s) = ((second / 3600) % 24, (second / 60) % 60, second % 60);
        let day = 1 + (second / 86_400) % 28;
        let stamp = format!("Nov {day:>2} {h:02}:{m:02}:{s:02} mx1");
        let id = format!("{:010X}", rng.next() & 0xFF_FFFF_FFFF);
        let pid = 1000 + rng.below(30_000);
        let client = format!("client{}.example.net[198.51.100.{}]", rng.below(500), rng.below(250) + 1);
        let to_target = rng.below(100) == 0;
        let domain = if to_target {
            TARGET
        } else {
            OTHER_DOMAINS[usize::try_from(rng.below(OTHER_DOMAINS.len() as u64)).unwrap()]
        };
        let user = format!("user{}", rng.below(100_000));
        let mut block = String::with_capacity(1200);
        block.push_str(&format!("{stamp} postfix/smtpd[{pid}]: connect from {client}\n"));
        block.push_str(&format!("{stamp} postfix/smtpd[{pid}]: {id}: client={client}\n"));
        block.push_str(&format!(
            "{stamp} postfix/cleanup[{}]: {id}: message-id=<{}.{}@sender.example.net>\n",
            pid + 1,
            rng.next(),
            messages
        ));
        block.push_str(&format!(
            "{stamp} postfix/qmgr[900]: {id}: from=<news{}@sender.example.net>, size={}, nrcpt=1 (queue active)\n",
            rng.below(50),
            1000 + rng.below(90_000)
        ));
        block.push_str(&format!(
            "{stamp} postfix/smtpd[{pid}]: disconnect from {client} ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5\n"
        ));
        let relay = format!("mx{}.{domain}[203.0.113.{}]:25", rng.below(3), rng.below(250) + 1);
        let delivery = match (to_target, rng.below(10)) {
            (true, 0..=6) => format!(
                "relay={relay}, delay=0.{}, delays=0.1/0/0.2/0, dsn=4.7.0, status=deferred (host {} said: 421 4.7.0 Too many connections from 192.0.2.5, try again later (in reply to MAIL FROM command))",
                rng.below(99),
                relay.trim_end_matches(":25")
            ),
            (true, _) => format!(
                "relay={relay}, delay=1.2, delays=0.1/0/0.5/0.6, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as {})",
                rng.next() % 100_000
            ),
            (false, 0) => format!(
                "relay={relay}, delay=0.3, delays=0.1/0/0.2/0, dsn=4.2.1, status=deferred (host {} said: 450 4.2.1 The user you are trying to contact is receiving mail too quickly (in reply to RCPT TO command))",
                relay.trim_end_matches(":25")
            ),
            (false, _) => format!(
                "relay={relay}, delay=0.8, delays=0.1/0/0.3/0.4, dsn=2.0.0, status=sent (250 2.0.0 OK 1700000000 {})",
                rng.next() % 1_000_000
            ),
        };
        block.push_str(&format!("{stamp} postfix/smtp[{}]: {id}: to=<{user}@{domain}>, {delivery}\n", pid + 2));
        block.push_str(&format!("{stamp} postfix/qmgr[900]: {id}: removed\n"));
        lines += 7;
        written += block.len() as u64;
        out.write_all(block.as_bytes())?;
    }
    out.flush()?;
    Ok((lines, messages))
}

/// Runs `command`, returns seconds, its stdout and its peak RSS in KiB (via /usr/bin/time).
fn timed(program: &str, args: &[&str]) -> Option<(f64, String, Option<u64>)> {
    let time = Path::new("/usr/bin/time").exists();
    let mut command = if time {
        let mut c = Command::new("/usr/bin/time");
        c.arg("-f").arg("MAXRSS %M").arg(program);
        c
    } else {
        Command::new(program)
    };
    command.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    let started = Instant::now();
    let output = command.output().ok()?;
    let seconds = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let rss = stderr.lines().find_map(|l| l.strip_prefix("MAXRSS ")).and_then(|v| v.trim().parse().ok());
    if !output.status.success() && output.status.code() != Some(1) {
        eprintln!("{program} failed: {stderr}");
        return None;
    }
    Some((seconds, String::from_utf8_lossy(&output.stdout).to_string(), rss))
}

/// Runs per figure.
const RUNS: usize = 3;
/// The limit for `logs --domain`: this fraction of grep's time.
const GREP_LIMIT: f64 = 0.5;
/// The burst appended to a followed log.
const BURST_MIB: u64 = 200;
/// The limit for following: MiB read per second.
const FOLLOW_LIMIT: f64 = 100.0;

/// min / median / max of `values`.
fn spread(values: &[f64]) -> (f64, f64, f64) {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    (sorted[0], sorted[sorted.len() / 2], sorted[sorted.len() - 1])
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_string())
}

pub fn run(args: &[String]) {
    let mib: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(1024);
    let pflogsumm = !args.iter().any(|a| a == "--no-pflogsumm");
    let exe = std::env::current_exe().expect("own path");
    let mailwiz = exe.parent().and_then(Path::parent).map(|dir| dir.join("mailwiz")).expect("target dir");
    assert!(
        mailwiz.exists(),
        "build the release binary first: cargo build --release ({} is missing)",
        mailwiz.display()
    );
    let mailwiz = mailwiz.to_str().expect("utf-8 path").to_string();
    let keep = args.iter().any(|a| a == "--keep");
    let log = TempLog(std::env::temp_dir().join(format!("mailwiz-bench-{}.log", std::process::id())), keep);
    let path = log.0.to_str().expect("utf-8 temp path").to_string();

    let started = Instant::now();
    let (lines, messages) = generate(&log.0, mib << 20).expect("write the log");
    let size = std::fs::metadata(&log.0).expect("generated").len();
    let mb = size as f64 / 1e6;
    println!(
        "generated {path}: {:.0} MB, {lines} lines, {messages} messages, 1% to {TARGET} ({:.1} s)",
        mb,
        started.elapsed().as_secs_f64()
    );
    println!("load average before: {}", load_average());
    // Warm the page cache so every tool reads from memory, not the disk.
    let _ = timed("cat", &[&path]);

    let report = |name: &str, seconds: &[f64], rss: Option<u64>, note: &str| {
        let (min, median, max) = spread(seconds);
        let rss = rss.map_or(String::new(), |kib| format!(", peak RSS {:.1} MB", kib as f64 / 1024.0));
        println!(
            "{name:<34} {min:>6.2} / {median:>6.2} / {max:>6.2} s (min/median/max) {:>6.0} MB/s{rss}  {note}",
            mb / median
        );
    };
    // grep and mailwiz alternate, so a change of load on the machine hits both alike; each
    // ratio is of one pair.
    let (mut grep_times, mut our_times, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let (mut grep_note, mut our_note, mut our_rss) = (String::new(), String::new(), None);
    for _ in 0..RUNS {
        let grep = timed("grep", &["-c", TARGET, &path]);
        let ours = timed(&mailwiz, &["logs", &path, "--domain", TARGET, "--json"]);
        if let Some((seconds, out, _)) = &grep {
            grep_times.push(*seconds);
            grep_note = format!("{} lines", out.trim());
        }
        if let Some((seconds, out, rss)) = &ours {
            our_times.push(*seconds);
            let json: serde_json::Value = serde_json::from_str(out).unwrap_or_default();
            our_note = format!(
                "{} lines read, {} records, {} deferred",
                json["files"][0]["examined"], json["records"], json["statuses"][0]["count"]
            );
            our_rss = our_rss.max(*rss);
        }
        if let (Some((g, _, _)), Some((o, _, _))) = (&grep, &ours) {
            ratios.push(o / g);
        }
    }
    if !grep_times.is_empty() {
        report(&format!("grep -c {TARGET}"), &grep_times, None, &grep_note);
    }
    if !our_times.is_empty() {
        report(&format!("mailwiz logs --domain {TARGET}"), &our_times, our_rss, &our_note);
    }
    if !ratios.is_empty() {
        let (min, median, max) = spread(&ratios);
        println!(
            "mailwiz logs --domain: {median:.2}× grep -c (limit {GREP_LIMIT}×; min {min:.2}×, max {max:.2}×){}",
            if median <= GREP_LIMIT { "" } else { "  OVER THE LIMIT" }
        );
    }
    let mut all_times = Vec::new();
    let (mut all_note, mut all_rss) = (String::new(), None);
    for _ in 0..RUNS {
        if let Some((seconds, out, rss)) = timed(&mailwiz, &["logs", &path, "--json"]) {
            all_times.push(seconds);
            let json: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
            all_note = format!("{} records", json["records"]);
            all_rss = all_rss.max(rss);
        }
    }
    if !all_times.is_empty() {
        report("mailwiz logs (every line parsed)", &all_times, all_rss, &all_note);
    }
    follow(&mailwiz, &log.0);
    println!("load average after: {}", load_average());
    if !pflogsumm {
        println!("pflogsumm: left out (--no-pflogsumm)");
    } else if Command::new("pflogsumm").arg("--help").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok() {
        if let Some((seconds, _, rss)) = timed("pflogsumm", &[&path]) {
            report("pflogsumm", &[seconds], rss, "whole-log summary, no domain filter");
        }
    } else {
        println!("pflogsumm: not installed (apt-get install pflogsumm)");
    }
    if keep {
        println!("kept {path}");
    }
}

/// Kills and reaps the follower however the run ends.
struct Follower(std::process::Child);

impl Drop for Follower {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `mailwiz logs --follow --domain` on a small log; [`BURST_MIB`] of the generated log (whole
/// lines) and one marked line about the target are appended at once, [`RUNS`] times; the time
/// from the start of the write to the marked line on mailwiz's output gives the rate.
fn follow(mailwiz: &str, generated: &Path) {
    use std::io::{BufRead, BufReader, Read};
    let mut burst = Vec::new();
    let _ = std::fs::File::open(generated).and_then(|f| f.take(BURST_MIB << 20).read_to_end(&mut burst));
    burst.truncate(memchr::memrchr(b'\n', &burst).map_or(0, |i| i + 1));
    let burst_mib = burst.len() as f64 / f64::from(1u32 << 20);
    let followed =
        TempLog(std::env::temp_dir().join(format!("mailwiz-bench-follow-{}.log", std::process::id())), false);
    let mut rates = Vec::new();
    for run in 0..RUNS {
        std::fs::write(&followed.0, &burst[..memchr::memchr(b'\n', &burst).map_or(0, |i| i + 1)]).expect("a log");
        let mut child = Follower(
            Command::new(mailwiz)
                .args(["logs", followed.0.to_str().expect("utf-8 temp path"), "--follow", "--domain", TARGET])
                .env("XDG_CONFIG_HOME", "/nonexistent")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("mailwiz runs"),
        );
        let (tx, rx) = std::sync::mpsc::channel::<(String, Instant)>();
        for stream in [
            Box::new(child.0.stdout.take().expect("piped")) as Box<dyn Read + Send>,
            Box::new(child.0.stderr.take().expect("piped")),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = tx.send((line, Instant::now()));
                }
            });
        }
        let marker = format!("BENCH{run:05X}");
        let wait = |wanted: &str| rx.iter().find(|(line, _)| line.contains(wanted)).map(|(_, at)| at);
        if wait("mailwiz: following").is_none() {
            eprintln!("mailwiz logs --follow did not start");
            return;
        }
        let started = Instant::now();
        let mut file = std::fs::OpenOptions::new().append(true).open(&followed.0).expect("the followed log");
        file.write_all(&burst).expect("append the burst");
        writeln!(
            file,
            "Nov 28 23:59:59 mx1 postfix/smtp[1]: {marker}: to=<last@{TARGET}>, relay=mx1.{TARGET}[203.0.113.1]:25, delay=1, delays=0/0/1/0, dsn=4.7.0, status=deferred (host mx1.{TARGET}[203.0.113.1] said: 421 4.7.0 Try again later (in reply to MAIL FROM command))"
        )
        .expect("append the last line");
        let Some(at) = wait(&marker) else {
            eprintln!("mailwiz logs --follow ended before the burst's last line");
            return;
        };
        rates.push(burst_mib / at.duration_since(started).as_secs_f64());
    }
    let (min, median, max) = spread(&rates);
    println!(
        "mailwiz logs --follow: a {burst_mib:.0} MiB burst read at {median:.0} MiB/s (limit {FOLLOW_LIMIT:.0} MiB/s; min {min:.0}, max {max:.0}){}",
        if median >= FOLLOW_LIMIT { "" } else { "  UNDER THE LIMIT" }
    );
}
