//! `mailwiz blocklist [IP|DOMAIN] [--zones z1,z2] [--self-test]`.

use serde_json::json;

use super::args::BlocklistArgs;
use super::output::{exit_for, findings_text, print_json, print_text};
use super::{CliError, CliResult};
use crate::context::Context;
use crate::dns::Resolver;
use crate::dns::dnsbl::{DnsblReport, SelfTest, Subject, check_lists, configured, dnsbl_findings, self_test_lists};

/// Runs `mailwiz blocklist`.
pub async fn run(args: BlocklistArgs, ctx: &Context, json: bool) -> CliResult {
    let named = (!args.zones.is_empty()).then_some(args.zones.as_slice());
    let lists = configured(ctx, named).map_err(CliError::Input)?;
    let resolver = Resolver::from_context(ctx).map_err(|err| CliError::CannotRun(err.to_string()))?;

    if args.self_test {
        let (tests, findings) = self_test_lists(ctx, &resolver, &lists).await;
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
    let report = check_lists(ctx, &resolver, &subject, &lists).await;
    let findings = dnsbl_findings(&report);
    if json {
        print_json("blocklist", json!(subject.text()), json!({"blocklist": report}), &findings);
    } else {
        print_text(&format!("{}\n{}", render(&report), findings_text(&findings)));
    }
    Ok(exit_for(&findings))
}

/// The readable table: step 6's rows as text.
pub fn render(report: &DnsblReport) -> String {
    crate::wizard::blocklists::report_rows(report).iter().map(|row| format!("{}\n", row.text())).collect()
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
