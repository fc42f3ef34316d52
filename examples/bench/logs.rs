//! Log scanning speed: generates a 1 GiB Postfix log (smtpd/cleanup/qmgr/smtp lines, 1% of the
//! messages to the target domain) in the temporary directory, then times on the same file, in one
//! run: `mailwiz logs --domain D` (the release binary), `grep -c D`, and `pflogsumm` (when
//! installed). Prints MB/s for each and the peak memory of mailwiz; deletes the file at the end.
//!
//! ```sh
//! cargo build --release && cargo run --release --example bench -- logs [SIZE_MIB [--no-pflogsumm]]
//! ```
//!
//! pflogsumm reads about 1 MB/s; `--no-pflogsumm` leaves it out of quick runs.

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

/// Removes the generated file however the run ends.
struct TempLog(PathBuf);

impl Drop for TempLog {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
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
    let log = TempLog(std::env::temp_dir().join(format!("mailwiz-bench-{}.log", std::process::id())));
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
    // Warm the page cache so every tool reads from memory, not the disk.
    let _ = timed("cat", &[&path]);

    let report = |name: &str, seconds: f64, rss: Option<u64>, note: &str| {
        let rss = rss.map_or(String::new(), |kib| format!(", peak RSS {:.1} MB", kib as f64 / 1024.0));
        println!("{name:<32} {seconds:>7.2} s {:>9.0} MB/s{rss}  {note}", mb / seconds);
    };
    let grep = timed("grep", &["-c", TARGET, &path]);
    if let Some((seconds, out, rss)) = &grep {
        report(&format!("grep -c {TARGET}"), *seconds, *rss, &format!("{} lines", out.trim()));
    }
    let ours = timed(mailwiz.to_str().unwrap(), &["logs", &path, "--domain", TARGET, "--json"]);
    if let Some((seconds, out, rss)) = &ours {
        let json: serde_json::Value = serde_json::from_str(out).unwrap_or_default();
        let note = format!(
            "{} lines read, {} records, {} deferred",
            json["files"][0]["examined"], json["records"], json["statuses"][0]["count"]
        );
        report(&format!("mailwiz logs --domain {TARGET}"), *seconds, *rss, &note);
        if let Some((grep_seconds, _, _)) = &grep {
            println!("mailwiz / grep time: {:.2}x (goal: within 2x)", seconds / grep_seconds);
        }
    }
    let all = timed(mailwiz.to_str().unwrap(), &["logs", &path, "--json"]);
    if let Some((seconds, out, rss)) = &all {
        let json: serde_json::Value = serde_json::from_str(out).unwrap_or_default();
        report("mailwiz logs (every line parsed)", *seconds, *rss, &format!("{} records", json["records"]));
    }
    if !pflogsumm {
        println!("pflogsumm: left out (--no-pflogsumm)");
    } else if Command::new("pflogsumm").arg("--help").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok() {
        if let Some((seconds, _, rss)) = timed("pflogsumm", &[&path]) {
            report("pflogsumm", seconds, rss, "whole-log summary, no domain filter");
        }
    } else {
        println!("pflogsumm: not installed (apt-get install pflogsumm)");
    }
}
