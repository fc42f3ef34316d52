//! Queue actions against fake MTA programs first on `PATH` that record their calls: the demo
//! runs none of them, duplicates are acted on once, and a listing's own MTA does the work.

use chrono::Utc;
use serde_json::Value;

use crate::common::FakeMta;

fn json(output: &std::process::Output) -> Value {
    let stderr = String::from_utf8_lossy(&output.stderr);
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("one JSON object ({e}): {stderr}"))
}

/// A Postfix `postqueue -j` listing of `ids`, each deferred to bank.example ten minutes ago.
fn postfix_listing(dir: &tempfile::TempDir, ids: &[&str]) -> String {
    let arrival = Utc::now().timestamp() - 600;
    let text: String = ids
        .iter()
        .map(|id| {
            format!(
                r#"{{"queue_name": "deferred", "queue_id": "{id}", "arrival_time": {arrival}, "message_size": 358, "sender": "a@b.example", "recipients": [{{"address": "user@bank.example", "delay_reason": "host mx.bank.example[192.0.2.10] refused to talk to me: 421 4.7.0 Try again later"}}]}}"#
            ) + "\n"
        })
        .collect();
    let path = dir.path().join("postqueue.jsonl");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn demo_queue_actions_say_what_they_would_run_and_run_nothing() {
    let mta = FakeMta::new();
    let cases: &[(&[&str], &str)] = &[
        (&["retry", "bank.example"], "postqueue -i 4F2B81A0C3"),
        (&["hold", "4F2B81A0C3"], "postsuper -h 4F2B81A0C3"),
        (&["delete", "4F2B81A0C3", "7C1E3B2D90"], "postsuper -d 7C1E3B2D90"),
    ];
    for (action, command) in cases {
        for yes in [true, false] {
            let mut args = vec!["--demo", "--json", "queue"];
            args.extend_from_slice(action);
            if yes {
                args.push("--yes");
            }
            let output = mta.mailwiz(&args);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
            let json = json(&output);
            assert_eq!(json["dry_run"], true, "{json}");
            assert_eq!(json["mta"], "postfix");
            assert_eq!(json["done"], serde_json::json!([]));
            let would: Vec<&str> =
                json["would_run"].as_array().unwrap().iter().map(|w| w["command"].as_str().unwrap()).collect();
            assert!(would.contains(command), "{args:?}: {would:?}");
            assert!(stderr.contains(&format!("would run {command} (demo: nothing is run)")), "{stderr}");
        }
    }
    let text = mta.mailwiz(&["--demo", "queue", "hold", "9A0D4C7E11", "--yes"]);
    assert_eq!(text.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(stdout.contains("would run (demo: nothing is run): postsuper -h 9A0D4C7E11"), "{stdout}");
    assert!(stdout.contains("would hold 9A0D4C7E11 (demo: nothing was run)"), "{stdout}");
    // Reading the queue in the demo runs no MTA command either.
    let listing = mta.mailwiz(&["--demo", "--json", "queue"]);
    assert_eq!(json(&listing)["format"], "postfix-json");
    assert_eq!(mta.calls(), Vec::<String>::new(), "no MTA program may run under --demo");
}

#[test]
fn the_demo_refuses_flags_that_leave_its_world_and_ignores_a_configured_via() {
    let mta = FakeMta::new();
    let cases: &[(&[&str], &str)] = &[
        (&["--via", "ssh relay.example mailwiz"], "--via (or MAILWIZ_VIA) cannot be used with --demo"),
        (&["--dns-server", "9.9.9.9"], "--dns-server (or MAILWIZ_DNS_SERVER) cannot be used with --demo"),
        (&["--source", "192.0.2.1"], "--source (or MAILWIZ_SOURCE) cannot be used with --demo"),
    ];
    for (flags, sentence) in cases {
        let mut args = vec!["--demo"];
        args.extend_from_slice(flags);
        args.extend(["smtp", "bank.example"]);
        let output = mta.mailwiz(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(sentence), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "one sentence: {stderr}");
    }
    // The user's own config names a vantage point; the demo world has none and runs no ssh.
    let config = mta.config_dir().join("mailwiz");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.toml"), "[smtp]\nvia = \"ssh relay.example mailwiz\"\n").unwrap();
    let output = mta.mailwiz(&["--demo", "--json", "smtp", "bank.example"]);
    let json = json(&output);
    assert_eq!(json["command"], "smtp", "{json}");
    assert!(!json.to_string().contains("via_failed"), "{json}");
    assert_eq!(mta.calls(), Vec::<String>::new(), "nothing outside the demo world may run");
}

#[test]
fn the_fake_mta_records_what_a_real_run_does() {
    // The same action without --demo runs the (fake) postsuper: the recorder above can fail.
    let mta = FakeMta::new();
    let dir = tempfile::tempdir().unwrap();
    let file = postfix_listing(&dir, &["4F2B81A0C3"]);
    let output = mta.mailwiz(&["--json", "queue", "--file", &file, "hold", "4F2B81A0C3", "--yes"]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let json = json(&output);
    assert_eq!(json["dry_run"], false);
    assert_eq!(json["done"][0]["command"], "postsuper -h 4F2B81A0C3");
    assert_eq!(mta.calls(), ["postsuper -h 4F2B81A0C3"]);
}

#[test]
fn an_id_named_a_hundred_times_is_acted_on_once() {
    let mta = FakeMta::new();
    let dir = tempfile::tempdir().unwrap();
    let file = postfix_listing(&dir, &["4F2B81A0C3", "7C1E3B2D90"]);
    let mut args = vec!["--json", "queue", "--file", &file, "delete", "--yes"];
    args.extend(std::iter::repeat_n("4F2B81A0C3", 100));
    args.push("7C1E3B2D90");
    let output = mta.mailwiz(&args);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let json = json(&output);
    assert_eq!(json["done"].as_array().unwrap().len(), 2, "{json}");
    assert_eq!(mta.calls(), ["postsuper -d 4F2B81A0C3", "postsuper -d 7C1E3B2D90"]);
}

#[test]
fn a_listing_detected_as_exim_is_acted_on_with_exims_commands() {
    let mta = FakeMta::new();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("exim-bp.txt");
    std::fs::write(&file, " 25m  2.9K 1raAO5-0091Cv-IH <alice@example.org>\n          bob@bank.example\n\n").unwrap();
    let file = file.to_str().unwrap();
    let output = mta.mailwiz(&["--json", "queue", "--file", file, "hold", "1raAO5-0091Cv-IH", "--yes"]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let json = json(&output);
    assert_eq!(json["mta"], "exim");
    assert_eq!(mta.calls(), ["exim -Mf 1raAO5-0091Cv-IH"], "postsuper is never asked to act on an Exim queue");
    // A Postfix id is not an Exim id: refused before anything runs.
    let output = mta.mailwiz(&["queue", "--file", file, "hold", "4F2B81A0C3", "--yes"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not an Exim queue id"));
    assert_eq!(mta.calls().len(), 1);
}
