//! The openspf.org RFC 7208 test suite (`spf/rfc7208-tests.yml` of the shared corpus, read in
//! place) against the walk: each scenario's `zonedata` served by the in-process DNS server, every
//! test evaluated as a receiver does, its result compared with the one (or any of the ones) the
//! suite expects, and the explanation too where it names one.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use hickory_proto::rr::rdata::{A, AAAA, CNAME, MX, PTR, TXT};
use hickory_proto::rr::{Name, RData, Record};
use mailwiz::auth::spf::{self, Identity, SpfReport, SpfRequest};
use mailwiz::demo::dns_server::{DnsServer, DnsServerBuilder};
use mailwiz::dns::Resolver;
use mailwiz::dns::resolver::Limits;
use mailwiz::session::Journal;
use yaml_rust2::{Yaml, YamlLoader};

/// Enough for an answer from loopback on a busy machine; a `TIMEOUT` name costs this much.
const QUERY_TIMEOUT: Duration = Duration::from_millis(400);

struct Case {
    name: String,
    spec: String,
    helo: String,
    host: IpAddr,
    mailfrom: String,
    results: Vec<String>,
    explanation: Option<String>,
}

fn text(yaml: &Yaml) -> String {
    match yaml {
        Yaml::String(s) | Yaml::Real(s) => s.clone(),
        Yaml::Integer(n) => n.to_string(),
        Yaml::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(", "),
        _ => String::new(),
    }
}

fn cases(scenario: &Yaml) -> Vec<Case> {
    let Some(tests) = scenario["tests"].as_hash() else { return Vec::new() };
    tests
        .iter()
        .map(|(name, test)| Case {
            name: text(name),
            spec: text(&test["spec"]),
            helo: text(&test["helo"]),
            host: text(&test["host"]).parse().expect("the suite's host is an address"),
            mailfrom: text(&test["mailfrom"]),
            results: match &test["result"] {
                Yaml::Array(items) => items.iter().map(text).collect(),
                one => vec![text(one)],
            },
            explanation: test["explanation"].as_str().map(str::to_string),
        })
        .collect()
}

/// A name as the suite writes it, label by label, any byte allowed; `""` is the root.
fn name(text: &str) -> Name {
    let trimmed = text.trim_end_matches('.');
    let mut name = if trimmed.is_empty() {
        Name::root()
    } else {
        Name::from_labels(trimmed.split('.').map(str::as_bytes)).expect("the suite's names are valid DNS names")
    };
    name.set_fqdn(true);
    name
}

fn txt(value: &Yaml) -> RData {
    match value {
        Yaml::Array(items) => RData::TXT(TXT::new(items.iter().map(text).collect())),
        one => RData::TXT(TXT::new(vec![text(one)])),
    }
}

/// The scenario's zone data as one root zone, plus the names that time out (`TIMEOUT`: no
/// answer for a type the name has no record of). SPF-type records are served as TXT where the
/// name has no TXT of its own (`TXT: NONE` says it has none), as the suite's header asks; the
/// server matches names without regard to case.
fn world(scenario: &Yaml) -> DnsServerBuilder {
    let mut records = Vec::new();
    let mut timeouts = Vec::new();
    for (owner, entries) in scenario["zonedata"].as_hash().into_iter().flatten() {
        let owner = text(owner);
        let entries = entries.as_vec().cloned().unwrap_or_default();
        let has_txt = entries.iter().any(|e| !e["TXT"].is_badvalue());
        let mut answered = Vec::new();
        let mut times_out = false;
        for entry in &entries {
            if entry.as_str() == Some("TIMEOUT") {
                times_out = true;
                continue;
            }
            let Some((rtype, value)) = entry.as_hash().and_then(|h| h.front()) else { continue };
            let data = match text(rtype).as_str() {
                "SPF" if has_txt => continue,
                "TXT" if value.as_str() == Some("NONE") => continue,
                "SPF" | "TXT" => txt(value),
                "A" => RData::A(A(text(value).parse().expect("an IPv4 address"))),
                "AAAA" => RData::AAAA(AAAA(text(value).parse().expect("an IPv6 address"))),
                "PTR" => RData::PTR(PTR(name(&text(value)))),
                "CNAME" => RData::CNAME(CNAME(name(&text(value)))),
                "MX" => RData::MX(MX::new(
                    u16::try_from(value[0].as_i64().expect("an MX preference")).unwrap(),
                    name(&text(&value[1])),
                )),
                other => panic!("the suite uses the record type {other}, which this driver does not serve"),
            };
            answered.push(data.record_type());
            records.push(Record::from_rdata(name(&owner), 300, data));
        }
        if times_out {
            timeouts.push((owner, answered));
        }
    }
    let mut builder = DnsServer::builder().zone_records(".", records);
    for (owner, answered) in timeouts {
        builder = builder.silent_except(&owner, &answered);
    }
    builder
}

/// Runs one case; `None` when it passes, else what went wrong.
async fn run(dns: &DnsServer, case: &Case, request: SpfRequest) -> (SpfReport, Option<String>) {
    let resolver =
        Resolver::with_servers(&[dns.addr()], Limits { timeout: QUERY_TIMEOUT, attempts: 1 }, Journal::in_memory());
    let report = spf::evaluate(&resolver, &request).await;
    let got = report.result.as_str();
    let mut wrong = None;
    if !case.results.iter().any(|r| r == got) {
        wrong = Some(format!("result {got}, expected {}", case.results.join(" or ")));
    } else if got == "fail"
        && let Some(expected) = &case.explanation
    {
        let ours = report.explanation.as_deref();
        // Compared without regard to case: the suite writes `%{i}` of an IPv6 address with
        // uppercase nibbles (v-macro-ip6), RFC 7208 §7.4's own example with lowercase ones.
        let right = if expected == "DEFAULT" {
            ours.is_none()
        } else {
            ours.is_some_and(|ours| ours.eq_ignore_ascii_case(expected))
        };
        if !right {
            wrong = Some(format!("explanation {ours:?}, expected {expected:?}"));
        }
    }
    let wrong = wrong.map(|why| {
        format!(
            "{} ({}, {:?}): {why}; decided by {}; record {:?}",
            case.name,
            case.spec,
            request.identity,
            report.decided_by(),
            report.record
        )
    });
    (report, wrong)
}

#[tokio::test]
async fn the_rfc7208_suite_passes_for_both_identities() {
    let Some(path) = crate::common::corpus_file("spf/rfc7208-tests.yml") else { return };
    let source = std::fs::read_to_string(&path).expect("the suite is readable");
    let scenarios = YamlLoader::load_from_str(&source).expect("the suite is valid YAML");
    let started = Instant::now();
    let (mut mail_from, mut helo, mut total) = (0, 0, 0);
    let mut failures = Vec::new();
    for scenario in &scenarios {
        let dns = world(scenario).start().await.expect("the scenario's zone data loads");
        let cases = cases(scenario);
        let runs = cases.iter().map(|case| {
            let dns = &dns;
            async move {
                // What a receiver does: MAIL FROM, or the HELO name when MAIL FROM is empty.
                let request = SpfRequest::mail_from(&case.mailfrom, Some(&case.helo), case.host);
                let mut out = vec![run(dns, case, request).await];
                // A test of the HELO identity is also run as `mailwiz auth --helo NAME` asks it.
                if out[0].0.identity == Identity::Helo {
                    out.push(run(dns, case, SpfRequest::helo(&case.helo, case.host)).await);
                }
                out
            }
        });
        for outcome in futures::future::join_all(runs).await.into_iter().flatten() {
            match outcome.0.identity {
                Identity::MailFrom => mail_from += 1,
                Identity::Helo => helo += 1,
            }
            failures.extend(outcome.1);
        }
        total += cases.len();
    }
    eprintln!(
        "RFC 7208 suite: {total} tests, {mail_from} runs of the MAIL FROM identity, {helo} of the HELO identity, {} failed, in {:.1} s",
        failures.len(),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(total, 203, "the suite holds 203 tests");
    assert!(failures.is_empty(), "{} of the suite's runs fail:\n{}", failures.len(), failures.join("\n"));
}
