//! `mailwiz mx DOMAIN [--compare-with IP]`: the MX analysis of step 2, headless.

use std::net::SocketAddr;

use serde_json::json;

use super::args::MxArgs;
use super::output::{exit_for, findings_text, print_json};
use super::{CliError, CliResult};
use crate::config::parse_server;
use crate::context::Context;
use crate::dns::Resolver;
use crate::dns::mx::{MxAnalysis, analyse};
use crate::session::Target;

/// Runs `mailwiz mx`.
pub async fn run(args: MxArgs, ctx: &Context, json: bool) -> CliResult {
    let target = Target::parse(&args.domain).map_err(|err| CliError::Input(err.to_string()))?;
    let compare_with = compare_server(args.compare_with.as_deref(), ctx)?;
    let resolver = Resolver::from_context(ctx).map_err(|err| CliError::CannotRun(err.to_string()))?;
    let analysis = analyse(ctx, &resolver, &target, compare_with).await;
    if json {
        let fields = json!({
            "display": analysis.display,
            "mx": analysis.mx,
            "implicit": analysis.implicit,
            "null_mx": analysis.null_mx,
            "resolvers": resolver.servers().iter().map(ToString::to_string).collect::<Vec<_>>(),
            "compare_with": compare_with.map(|a| a.to_string()),
            "elapsed_ms": u64::try_from(analysis.elapsed.as_millis()).unwrap_or(u64::MAX),
        });
        print_json("mx", json!(analysis.domain), fields, &analysis.findings);
    } else {
        super::output::print_text(&text(&analysis));
    }
    Ok(if analysis.answered() { exit_for(&analysis.findings) } else { super::output::NO_ANSWER })
}

/// `--compare-with`, else the configured resolver to compare with (only when public lookups are
/// allowed: never under --demo or --dns-server unless given on the command line).
fn compare_server(flag: Option<&str>, ctx: &Context) -> Result<Option<SocketAddr>, CliError> {
    let configured = ctx.config.dns.compare_with.as_deref().filter(|_| ctx.public_lookups_allowed());
    let Some(text) = flag.or(configured) else { return Ok(None) };
    let server = parse_server(text).map_err(|_| {
        CliError::Input(format!("--compare-with \"{text}\" is not a DNS server address (IP or IP:PORT)"))
    })?;
    ctx.dns_server_allowed(server).map_err(|why| CliError::Input(format!("--compare-with: {why}")))?;
    Ok(Some(server))
}

/// The readable report.
pub fn text(analysis: &MxAnalysis) -> String {
    let mut out: String =
        crate::wizard::mx::analysis_rows(analysis).iter().map(|row| format!("{}\n", row.text())).collect();
    out.push('\n');
    out.push_str(&findings_text(&analysis.findings));
    out
}
