//! `mailwiz check` as a user runs it: the demo story, exit codes, JSON and the report file.

use crate::common;

use std::io::Write;
use std::process::Command;

fn mailwiz(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mailwiz"))
        .args(args)
        .env("XDG_CONFIG_HOME", "/nonexistent-mailwiz-config")
        .output()
        .expect("mailwiz runs")
}

#[test]
fn demo_check_ranks_the_missing_ptr_first_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("bank.md");
    let out = mailwiz(&["--demo", "check", "bank.example", "--json", "--report", report.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "exactly one JSON object");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["command"], "check");
    assert_eq!(json["target"], "bank.example");
    assert_eq!(json["diagnosis"][0]["id"], "diagnosis.missing_ptr");
    assert_eq!(json["diagnosis"][1]["id"], "diagnosis.blocklisted");
    // mx1 refuses at the greeting and mx2 drops before it: no HELO was ever sent.
    assert!(json["diagnosis"].as_array().unwrap().iter().all(|c| c["id"] != "diagnosis.helo_mismatch"));
    assert_eq!(json["also_fix"][0]["id"], "helo.mismatch", "{}", json["also_fix"]);
    assert!(json["also_fix"][0]["why"].as_str().unwrap().contains("before it could see this"));
    assert!(json["also_fix"][0]["fix"].as_str().is_some_and(|f| !f.is_empty()));
    assert_eq!(json["not_checked"], serde_json::json!([]));
    let findings = json["findings"].as_array().unwrap();
    for id in ["queue.stuck_domain", "mx.ok", "log.deferrals", "smtp.banner_4xx", "ptr.missing", "dnsbl.listed"] {
        assert!(findings.iter().any(|f| f["id"] == id), "{id} missing");
    }
    let markdown = std::fs::read_to_string(&report).unwrap();
    assert!(markdown.contains("diagnosis.missing_ptr"));
    assert!(markdown.contains("203.0.113.5"));
    assert!(markdown.contains("## Also fix before the retry"), "{markdown}");
}

#[test]
fn a_helo_name_that_resolves_to_our_address_is_not_blamed() {
    // mail.example.com has an A record 203.0.113.5 in the demo world; only the PTR is missing.
    let out = mailwiz(&["--demo", "check", "bank.example", "--helo", "mail.example.com", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = json["findings"].as_array().unwrap();
    let helo: Vec<_> = findings.iter().filter(|f| f["id"].as_str().unwrap().starts_with("helo.")).collect();
    assert_eq!(helo.len(), 1, "{helo:?}");
    assert_eq!(helo[0]["id"], "helo.ok");
    assert_eq!(helo[0]["severity"], "ok");
    assert!(findings.iter().all(|f| f["id"] != "diagnosis.helo_mismatch"));
    assert_eq!(json["diagnosis"][0]["id"], "diagnosis.missing_ptr");
    assert!(json["also_fix"].as_array().unwrap().iter().all(|a| a["id"] != "helo.mismatch"));
}

#[test]
fn check_without_a_domain_is_a_usage_error() {
    let out = mailwiz(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("needs the domain"), "{stderr}");
}

#[test]
fn check_refuses_a_malformed_domain() {
    let out = mailwiz(&["--demo", "check", "bank..example"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty label"));
}

#[test]
fn the_demo_world_makes_no_connection_outside_itself() {
    let out = mailwiz(&["--demo", "smtp", "192.0.2.99:25", "--ehlo", "mail.example.com", "--json"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("unreachable"), "{stdout}");
    assert!(stdout.contains("not part of the demo world"), "{stdout}");
}

#[test]
fn a_receiver_that_accepts_us_is_said_so_and_exits_0() {
    let out = mailwiz(&["--demo", "check", "good.example"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let headline = stdout.lines().next().unwrap();
    assert!(headline.contains("should flow now") && !headline.contains("stuck"), "{headline}");
    assert!(stdout.contains("diagnosis.deliverable"), "{stdout}");
    assert!(!stdout.contains("diagnosis.helo_mismatch"), "{stdout}");
}

#[test]
fn the_note_for_the_receivers_postmaster_tells_the_demo_story() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("note.txt");
    let out = mailwiz(&["--demo", "check", "bank.example", "--note", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let note = std::fs::read_to_string(&path).unwrap();
    for expected in [
        "203.0.113.5",
        "PTR         none (no PTR record)",
        "HELO name   mta1.internal.example.com",
        "mx1.bank.example (192.0.2.10) answered: 421 4.0.0 Server error",
        "mx2.bank.example (192.0.2.20) closed the connection before any banner",
        "4F2B81A0C3",
        " UTC",
        "reverse DNS: our address has no PTR record yet",
    ] {
        assert!(note.contains(expected), "{expected:?} missing from:\n{note}");
    }
    assert!(note.lines().count() <= 32, "about 30 lines:\n{note}");
    for noise in ["ptr.missing", "diagnosis.", "smtp.", "/tmp", "mailwiz-demo", "\\n", "@127.0.0.1"] {
        assert!(!note.contains(noise), "{noise:?} in:\n{note}");
    }
}

#[test]
fn with_a_dead_resolver_no_lookup_starts_after_the_deadline() {
    // A bound socket that is never read: a resolver that never answers.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("check.jsonl");
    let server = silent.local_addr().unwrap().to_string();
    let args = ["check", "bank.example", "--dns-server", &server, "--timeout", "1", "--ip", "203.0.113.5"];
    let out = mailwiz(
        &[&args[..], &["--helo", "mail.sender.example", "--json", "--journal"], &[journal.to_str().unwrap()]].concat(),
    );
    assert!(out.status.code().is_some(), "{}", String::from_utf8_lossy(&out.stderr));
    let events = mailwiz::session::journal::read(&journal).unwrap();
    let queries: Vec<&str> =
        events.iter().filter(|e| e.kind == mailwiz::session::EventKind::DnsQuery).map(|e| e.text.as_str()).collect();
    // The name suggestion asks the HELO name first; its next questions would each wait for the
    // dead resolver again, outside every timed part of the check.
    assert!(queries.iter().any(|q| q.starts_with("A mail.sender.example")), "{queries:?}");
    assert!(!queries.iter().any(|q| q.starts_with("MX sender.example")), "{queries:?}");
}

#[test]
fn the_demo_honours_helo_and_ip_from_flags_and_the_environment() {
    let out = mailwiz(&["--demo", "check", "bank.example", "--json", "--helo", "mail.rehearsal.example"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("mail.rehearsal.example"), "{stdout}");
    let out = Command::new(env!("CARGO_BIN_EXE_mailwiz"))
        .args(["--demo", "check", "bank.example", "--json", "--ip", "198.51.100.77"])
        .env("MAILWIZ_HELO", "env.rehearsal.example")
        .env("XDG_CONFIG_HOME", "/nonexistent-mailwiz-config")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("env.rehearsal.example") && stdout.contains("198.51.100.77"), "{stdout}");
}

#[test]
fn a_helo_holding_escapes_is_refused_and_reaches_no_output_raw() {
    let helo = "mail\u{1b}]0;owned\u{7}.example\u{202e}";
    for format in [&["--json"][..], &[][..]] {
        let out = mailwiz(&[&["--demo", "check", "bank.example", "--helo", helo][..], format].concat());
        assert_eq!(out.status.code(), Some(2));
        assert!(out.stdout.is_empty());
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(mailwiz::session::escape::is_clean(&stderr), "{stderr:?}");
        assert!(stderr.contains("\"mail\\x1b]0;owned\\x07.example\\u{202e}\" holds a control character"), "{stderr}");
    }
}

#[test]
fn the_markdown_report_reads_well_in_a_ticket() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bank.md");
    mailwiz(&["--demo", "check", "bank.example", "--report", path.to_str().unwrap()]);
    let report = std::fs::read_to_string(&path).unwrap();
    let (body, appendix) = report.split_once("## Appendix").expect("DNS answers and the transcript in an appendix");
    assert!(body.lines().count() < 100, "{} lines before the appendix:\n{body}", body.lines().count());
    assert!(body.starts_with("# Why mail to bank.example is stuck"), "{body}");
    for id in ["ptr.missing", "smtp.banner_4xx", "queue.stuck_domain", "dnsbl.listed"] {
        let listed = body.lines().filter(|l| l.starts_with("- ") && l.contains(&format!("`{id}`"))).count();
        assert_eq!(listed, 1, "{id} is listed once among the findings:\n{body}");
    }
    assert!(!body.contains("@127.0.0.1"), "DNS answers are in the appendix, not the body:\n{body}");
    assert!(appendix.contains("@127.0.0.1"), "{appendix}");
    assert!(!report.contains("\\n") && !report.contains("\\[") && !report.contains("\\_"), "{report}");
    assert!(!report.contains("mailwiz-demo-"), "no temporary paths: {report}");
}

#[test]
fn conventions_man_page_example_config_and_the_demo_log() {
    let man = mailwiz(&["man"]);
    assert_eq!(man.status.code(), Some(0));
    let page = String::from_utf8(man.stdout).unwrap();
    assert!(page.contains(".TH mailwiz 1") && page.contains("check"), "{page}");

    let example = mailwiz(&["config", "--example"]);
    assert_eq!(example.status.code(), Some(0));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, &example.stdout).unwrap();
    // The example is used as it stands: the same story as without it.
    let out = mailwiz(&["--config", config.to_str().unwrap(), "--demo", "check", "bank.example", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["schema"], 1);
    assert_eq!(json["diagnosis"][0]["id"], "diagnosis.missing_ptr");
    let score = json["diagnosis"][0]["score"].as_f64().unwrap();
    assert!(((score * 100.0).round() / 100.0 - score).abs() < f64::EPSILON, "scores are rounded: {score}");
    assert_eq!(mailwiz(&["config"]).status.code(), Some(2));

    // Every logged attempt to bank.example was deferred: a failure (exit 1).
    let logs = mailwiz(&["--demo", "logs", "--domain", "bank.example", "--json"]);
    assert_eq!(logs.status.code(), Some(1), "{}", String::from_utf8_lossy(&logs.stderr));
    let json: serde_json::Value = serde_json::from_slice(&logs.stdout).unwrap();
    assert!(json["attempts"].as_u64().unwrap() > 0, "the demo world's log is read: {json}");
    let bare = mailwiz(&["logs"]);
    assert_eq!(bare.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bare.stderr).contains("needs a log FILE"));
}

#[test]
fn the_demo_asks_no_resolver_outside_itself() {
    let out = mailwiz(&["--demo", "mx", "bank.example", "--compare-with", "9.9.9.9"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("9.9.9.9:53 is not part of the demo world"), "{stderr}");

    let mut child = Command::new(env!("CARGO_BIN_EXE_mailwiz"))
        .args(["--demo", "dns"])
        .env("XDG_CONFIG_HOME", "/nonexistent-mailwiz-config")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"server 9.9.9.9\nbank.example\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    // `server` refuses the address; the lookup after it asks the demo world's own resolver.
    assert!(stdout.contains("9.9.9.9 is outside the demo world"), "{stdout}");
    assert!(stdout.contains("the server stays as it is"), "{stdout}");
    assert!(!stdout.contains("Server:   9.9.9.9"), "{stdout}");
}

/// Runs `script` under `unshare -rn` (an empty network namespace, loopback up) with every
/// connect and send of `mailwiz` traced; `None` (said) when this machine cannot, outside CI.
#[cfg(target_os = "linux")]
fn traced_in_empty_namespace(script: &str) -> Option<String> {
    let usable =
        |program: &str, args: &[&str]| Command::new(program).args(args).output().is_ok_and(|o| o.status.success());
    if !usable("unshare", &["-rn", "ip", "link", "set", "lo", "up"]) || !usable("strace", &["-V"]) {
        assert!(!common::in_ci(), "the empty-namespace test needs unshare, ip and strace under CI");
        eprintln!("skipped: unshare -rn, ip or strace is not usable here");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace");
    let traced = format!(
        "strace -f -qq -A -e trace=connect,sendto,sendmsg,sendmmsg -o {} {} --demo",
        trace.display(),
        env!("CARGO_BIN_EXE_mailwiz")
    );
    let status = Command::new("unshare")
        .args(["-rn", "sh", "-c", &format!("ip link set lo up && {}", script.replace("MAILWIZ", &traced))])
        .env("XDG_CONFIG_HOME", "/nonexistent-mailwiz-config")
        .env("XDG_STATE_HOME", dir.path())
        .status()
        .unwrap();
    assert!(status.success(), "{script}");
    Some(std::fs::read_to_string(trace).unwrap_or_default())
}

#[cfg(target_os = "linux")]
#[test]
fn in_an_empty_network_namespace_the_demo_sends_nothing_off_loopback() {
    let script = "MAILWIZ check bank.example --json >/dev/null; \
                  printf 'server 9.9.9.9\\nbank.example\\nset type=mx\\nbank.example\\n' | MAILWIZ dns >/dev/null; \
                  MAILWIZ mx bank.example --compare-with 9.9.9.9 >/dev/null 2>&1; \
                  MAILWIZ smtp 192.0.2.99:25 --ehlo mail.example.com >/dev/null; true";
    let Some(trace) = traced_in_empty_namespace(script) else { return };
    let addresses: Vec<&str> = trace
        .lines()
        .filter_map(|line| line.split_once("inet_addr(\"").or_else(|| line.split_once("inet_pton(AF_INET6, \"")))
        .map(|(_, rest)| rest.split('"').next().unwrap_or(""))
        .collect();
    assert!(!addresses.is_empty(), "the demo's own loopback traffic was traced: {trace}");
    let outside: Vec<&&str> = addresses.iter().filter(|a| !a.starts_with("127.") && **a != "::1").collect();
    assert!(outside.is_empty(), "connects or sends off loopback: {outside:?}\n{trace}");
}

#[test]
fn an_mx_lookup_that_fails_ranks_no_cause_on_the_receivers_side() {
    // old-partner.example answers SERVFAIL for its MX: we never reach a receiver.
    let out = mailwiz(&["--demo", "check", "old-partner.example", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let causes: Vec<&str> = json["diagnosis"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(causes, ["diagnosis.dns_broken"]);
    let also: Vec<&str> = json["also_fix"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    for id in ["ptr.missing", "helo.mismatch", "dnsbl.listed"] {
        assert!(also.contains(&id), "{id} is left to fix: {also:?}");
    }
    assert!(json["also_fix"][0]["why"].as_str().unwrap().contains("not reached"));
    // The queue's words are our MTA's, not the receiver's.
    let logs = json["findings"].as_array().unwrap().iter().find(|f| f["id"] == "log.reply_code").unwrap();
    assert!(logs["fix"].as_str().unwrap().starts_with("Our MTA's own words"), "{logs}");
}

/// The name a command's findings propose for our PTR ("set its PTR to NAME").
fn proposed_ptr(findings: &serde_json::Value) -> String {
    let fix = findings.as_array().unwrap().iter().find(|f| f["id"] == "ptr.missing").unwrap()["fix"].as_str().unwrap();
    let name = fix.split("set its PTR to ").nth(1).unwrap().split([',', ' ']).next().unwrap();
    name.to_string()
}

#[test]
fn ptr_and_check_propose_the_same_name() {
    let ptr = mailwiz(&["--demo", "ptr", "203.0.113.5", "--json"]);
    let ptr: serde_json::Value = serde_json::from_slice(&ptr.stdout).unwrap();
    let check = mailwiz(&["--demo", "check", "bank.example", "--json"]);
    let check: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    // mail.example.com resolves to 203.0.113.5; the announced mta1.internal.example.com does not.
    assert_eq!(proposed_ptr(&ptr["findings"]), "mail.example.com");
    assert_eq!(proposed_ptr(&check["findings"]), "mail.example.com");
    let helo_fix = |json: &serde_json::Value| {
        json["findings"].as_array().unwrap().iter().find(|f| f["id"] == "helo.mismatch").unwrap()["fix"].clone()
    };
    assert_eq!(helo_fix(&ptr), helo_fix(&check));
    assert!(helo_fix(&ptr).as_str().unwrap().contains("Announce mail.example.com in HELO"));
}

#[test]
fn port_0_is_refused_as_a_setting() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "port = 0\n").unwrap();
    let config = config.to_str().unwrap();
    let cases: [(&[&str], &str); 4] = [
        (&["--port", "0", "smtp", "192.0.2.10"], "--port (or MAILWIZ_PORT, or port in the config) is 0"),
        (&["--dns-server", "127.0.0.1:0", "mx", "bank.example"], "\"127.0.0.1:0\" names port 0"),
        (&["--config", config, "smtp", "192.0.2.10"], "port is 0; give a port from 1 to 65535"),
        (&["smtp", "192.0.2.10:0"], "port 0 is not a port to connect to"),
    ];
    for (args, said) in cases {
        let out = mailwiz(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(said), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_mailwiz"))
        .args(["smtp", "192.0.2.10"])
        .env("MAILWIZ_PORT", "0")
        .env("XDG_CONFIG_HOME", "/nonexistent-mailwiz-config")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn ip_is_given_once_per_family() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_mailwiz")).args(args).env_remove("MAILWIZ_IP").output().unwrap()
    };
    let twice = run(&["--demo", "ptr", "203.0.113.5", "--ip", "203.0.113.5", "--ip", "198.51.100.7"]);
    assert_eq!(twice.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&twice.stderr).contains("more than one IPv4 address"));
    let both = run(&["--demo", "--json", "auth", "billing@example.com", "--ip", "203.0.113.5", "--ip", "2001:db8::25"]);
    let json: serde_json::Value = serde_json::from_slice(&both.stdout).expect("JSON");
    let spf: Vec<(&str, &str)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"].as_str().is_some_and(|id| id.starts_with("spf.")))
        .map(|f| (f["id"].as_str().unwrap(), f["summary"].as_str().unwrap()))
        .collect();
    assert!(spf.iter().any(|(id, s)| *id == "spf.pass" && s.contains("203.0.113.5")), "{spf:?}");
    assert!(spf.iter().any(|(id, s)| *id == "spf.fail" && s.contains("2001:db8::25")), "{spf:?}");
}

#[test]
fn the_demos_dual_stack_receiver_refuses_the_ipv6_path_and_says_both_remedies() {
    let out = mailwiz(&["--demo", "check", "dualstack.example", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = json["findings"].as_array().unwrap();
    let differs = findings.iter().find(|f| f["id"] == "smtp.family_differs").expect("smtp.family_differs");
    assert!(differs["summary"].as_str().unwrap().contains("accepted over IPv4 (192.0.2.70)"), "{differs}");
    let probed: Vec<&str> =
        json["smtp"].as_array().unwrap().iter().map(|p| p["connect"]["addr"].as_str().unwrap()).collect();
    assert_eq!(probed, ["192.0.2.70:25", "[2001:db8::70]:25"]);
    let cause = &json["diagnosis"][0];
    assert_eq!(cause["id"], "diagnosis.ipv6_refused", "{}", json["diagnosis"]);
    assert!(cause["explanation"].as_str().unwrap().contains("2001:db8::5 has no PTR record"), "{cause}");
    let actions: Vec<&str> = cause["actions"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    let actions = actions.join("\n");
    for wanted in [
        "Ask the owner of 2001:db8::5 to set its PTR",
        "ip6:2001:db8::5",
        "smtp_address_preference = ipv4",
        "dns_ipv4_lookup = dualstack.example",
    ] {
        assert!(actions.contains(wanted), "{wanted} missing from {actions}");
    }
    // What our IPv4 address lacks is no cause here: the receiver accepts it.
    assert!(json["diagnosis"].as_array().unwrap().iter().all(|c| c["id"] != "diagnosis.missing_ptr"));
    let also: Vec<&str> = json["also_fix"].as_array().unwrap().iter().map(|a| a["why"].as_str().unwrap()).collect();
    assert!(
        !also.is_empty() && also.iter().all(|why| why.starts_with("The receiver accepts us over IPv4")),
        "{also:?}"
    );
}

#[test]
fn the_bank_story_does_not_judge_our_ipv6_address_bank_example_has_none() {
    let out = mailwiz(&["--demo", "check", "bank.example", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["identity"]["chosen"], serde_json::json!(["203.0.113.5"]));
    assert_eq!(json["identity"]["not_judged"], serde_json::json!(["2001:db8::5"]));
    let text = serde_json::to_string(&json["findings"]).unwrap();
    assert!(!text.contains("2001:db8::5"), "no finding about our IPv6 address: {text}");
    let skipped: Vec<&str> = json["skipped"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert!(
        skipped.iter().any(|s| s.starts_with("Our IPv6 address 2001:db8::5 was not judged: bank.example has no IPv6"))
    );
}

#[test]
fn the_reports_list_one_row_per_mx_address_with_its_family() {
    let dir = tempfile::tempdir().unwrap();
    let (md, journal) = (dir.path().join("dual.md"), dir.path().join("dual.jsonl"));
    let out = mailwiz(&[
        "--demo",
        "--journal",
        journal.to_str().unwrap(),
        "check",
        "dualstack.example",
        "--report",
        md.to_str().unwrap(),
    ]);
    let check = String::from_utf8(out.stdout).unwrap();
    let markdown = std::fs::read_to_string(&md).unwrap();
    let text = String::from_utf8(mailwiz(&["report", journal.to_str().unwrap(), "--format", "text"]).stdout).unwrap();
    for (what, report) in [("check", &check), ("markdown", &markdown), ("text", &text)] {
        let v4 = report.lines().find(|l| l.contains("mail.dualstack.example  IPv4 192.0.2.70")).unwrap_or_else(|| {
            panic!("{what}: no IPv4 row:\n{report}");
        });
        assert!(v4.starts_with('✓') && v4.contains("RCPT TO accepted"), "{what}: {v4}");
        let v6 = report.lines().find(|l| l.contains("mail.dualstack.example  IPv6 2001:db8::70")).unwrap();
        assert!(v6.starts_with('✗') && v6.contains("RCPT TO rejected (550-5.7.1"), "{what}: {v6}");
    }
    assert!(markdown.contains("## MX addresses probed"), "{markdown}");
    let json: serde_json::Value =
        serde_json::from_slice(&mailwiz(&["report", journal.to_str().unwrap(), "--format", "json"]).stdout).unwrap();
    let families: Vec<&str> =
        json["mx_paths"].as_array().unwrap().iter().map(|p| p["family"].as_str().unwrap()).collect();
    assert_eq!(families, ["IPv4", "IPv6"]);
}
