//! `mailwiz ptr IP [--helo NAME]`: reverse DNS, forward confirmation and the HELO name.

use std::net::IpAddr;

use serde_json::json;

use super::args::PtrArgs;
use super::output::{exit_for, findings_text, print_json, print_text};
use super::{CliError, CliResult};
use crate::context::Context;
use crate::dns::Resolver;
use crate::dns::identity::check_address;
use crate::dns::ptr::PtrReport;
use crate::helo::check::HeloReport;
use crate::session::escape::escape_str;

/// Runs `mailwiz ptr`.
pub async fn run(args: PtrArgs, ctx: &Context, json: bool) -> CliResult {
    let ip: IpAddr = args
        .address
        .trim()
        .parse()
        .map_err(|_| CliError::Input(format!("\"{}\" is not an IP address", escape_str(args.address.trim()))))?;
    let ip = ip.to_canonical();
    let resolver = Resolver::from_context(ctx).map_err(|err| CliError::CannotRun(err.to_string()))?;
    let (report, helo_report, findings) = check_address(ctx, &resolver, ip).await;
    if json {
        print_json("ptr", json!(ip.to_string()), json!({"ptr": report, "helo": helo_report}), &findings);
    } else {
        print_text(&format!("{}\n{}", render(&report, helo_report.as_ref()), findings_text(&findings)));
    }
    // No answer about the PTR at all: the check could not run (exit 3), as for `dns` and `mx`.
    Ok(if report.answered() { exit_for(&findings) } else { super::output::NO_ANSWER })
}

/// The readable answer: step 5's rows for the reverse DNS and the HELO name, as text.
pub fn render(report: &PtrReport, helo: Option<&HeloReport>) -> String {
    let rows = crate::wizard::identity::ptr_rows(report).into_iter().chain(crate::wizard::identity::helo_rows(helo));
    rows.map(|row| format!("{}\n", row.text())).collect()
}
