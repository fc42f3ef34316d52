//! `mailwiz blocklist [IP|DOMAIN] [--zones z1,z2] [--self-test]`.

use serde_json::json;

use super::args::BlocklistArgs;
use super::output::{exit_for, findings_text, print_json, print_text};
use super::{CliError, CliResult};
use crate::context::Context;
use crate::dns::Resolver;
use crate::dns::dnsbl::{
    DnsblReport, SelfTest, Subject, ZoneResult, ZoneStatus, check, configured, dnsbl_findings, self_test,
    self_test_findings,
};

/// Runs `mailwiz blocklist`.
pub async fn run(args: BlocklistArgs, ctx: &Context, json: bool) -> CliResult {
    let named = (!args.zones.is_empty()).then_some(args.zones.as_slice());
    let (zones, deadline, exposure) = configured(ctx, named).map_err(CliError::Input)?;
    let resolver = Resolver::from_context(ctx).map_err(|err| CliError::CannotRun(err.to_string()))?;

    if args.self_test {
        let tests = self_test(&resolver, &zones, deadline).await;
        let findings = self_test_findings(&tests, deadline);
        journal(ctx, &findings);
        if json {
            print_json("blocklist", json!(null), json!({"self_test": tests}), &findings);
        } else {
            print_text(&format!("{}\n{}", render_self_test(&tests), findings_text(&findings)));
        }
        return Ok(exit_for(&findings));
    }

    let text = match (&args.subject, ctx.config.ip) {
        (Some(text), _) => text.clone(),
        (None, Some(ip)) => ip.to_string(),
        (None, None) => {
            return Err(CliError::Input(
                "give the address (or domain) to check, e.g. mailwiz blocklist 203.0.113.5".into(),
            ));
        }
    };
    let subject = Subject::parse(&text).map_err(|err| CliError::Input(err.to_string()))?;
    let report = check(&resolver, &subject, &zones, deadline, exposure).await;
    let findings = dnsbl_findings(&report);
    journal(ctx, &findings);
    if json {
        print_json("blocklist", json!(subject.text()), json!({"blocklist": report}), &findings);
    } else {
        print_text(&format!("{}\n{}", render(&report), findings_text(&findings)));
    }
    Ok(exit_for(&findings))
}

fn journal(ctx: &Context, findings: &[crate::session::Finding]) {
    for finding in findings {
        ctx.journal.finding(finding);
    }
}

/// The readable table: one line per zone, with the meaning, TXT reason and delisting page of
/// each listing.
pub fn render(report: &DnsblReport) -> String {
    if let Some(why) = &report.not_queried {
        return format!("{} not checked: {why}.\n", report.subject);
    }
    let asked = report.results.iter().filter(|r| !matches!(r.status, ZoneStatus::Skipped { .. })).count();
    let mut out = format!(
        "{} against {asked} block list(s), all at once (deadline {:.1} s, took {:.2} s)\n",
        report.subject,
        report.deadline_ms as f64 / 1000.0,
        report.elapsed_ms as f64 / 1000.0
    );
    let width = report.results.iter().map(|r| r.zone.len()).max().unwrap_or(0);
    for result in report.worst_first() {
        out.push_str(&zone_line(result, width, report.deadline_ms));
    }
    out
}

fn zone_line(result: &ZoneResult, width: usize, deadline_ms: u64) -> String {
    let zone = format!("{:<width$}", result.zone);
    match &result.status {
        ZoneStatus::Clean => format!("  ✓ {zone}  not listed\n"),
        ZoneStatus::Listed { codes, txt } => {
            let mut line = String::new();
            for code in codes {
                line.push_str(&format!("  ✗ {zone}  listed {}: {}\n", code.code, code.meaning));
            }
            for reason in txt {
                line.push_str(&format!("      reason: {reason}\n"));
            }
            if let Some(delist) = &result.delist {
                line.push_str(&format!("      delist: {delist}\n"));
            }
            line
        }
        ZoneStatus::Refused { code, reason } => format!("  ⚠ {zone}  query refused ({code}): {reason}\n"),
        ZoneStatus::Timeout => format!("  ⚠ {zone}  no answer within {:.1} s\n", deadline_ms as f64 / 1000.0),
        ZoneStatus::Skipped { reason } => format!("  · {zone}  skipped: {reason}\n"),
    }
}

/// The self-test table: one line per zone.
pub fn render_self_test(tests: &[SelfTest]) -> String {
    let width = tests.iter().map(|t| t.zone.len()).max().unwrap_or(0);
    let mut out = format!("Self-test of {} block list(s): test entry listed, clean entry not\n", tests.len());
    for test in tests {
        match &test.problem {
            None => out.push_str(&format!("  ✓ {:<width$}  works\n", test.zone)),
            Some(problem) => out.push_str(&format!("  ✗ {:<width$}  {problem}\n", test.zone)),
        }
    }
    out
}
