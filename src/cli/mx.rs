//! `mailwiz mx DOMAIN [--compare-with IP]`: the MX analysis of step 2, headless.

use std::fmt::Write as _;
use std::net::SocketAddr;

use serde_json::json;

use super::args::MxArgs;
use super::output::{exit_for, findings_text, print_json};
use super::{CliError, CliResult};
use crate::config::parse_server;
use crate::context::Context;
use crate::dns::Resolver;
use crate::dns::mx::{MxAnalysis, analyse, both_ways};
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
            "elapsed_ms": analysis.elapsed.as_millis() as u64,
        });
        print_json("mx", json!(analysis.domain), fields, &analysis.findings);
    } else {
        super::output::print_text(&text(&analysis, &resolver));
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
pub fn text(analysis: &MxAnalysis, resolver: &Resolver) -> String {
    let mut out = String::new();
    let servers: Vec<String> = resolver.servers().iter().map(ToString::to_string).collect();
    let _ = writeln!(out, "MX of {} (asked {})", both_ways(&analysis.domain, &analysis.display), servers.join(", "));
    if analysis.null_mx {
        let _ = writeln!(out, "  0 .   null MX: the domain takes no mail");
    }
    if analysis.implicit {
        let _ = writeln!(out, "  no MX records; mail goes to the domain's own address (implicit MX)");
    }
    let width = analysis.mx.iter().map(|h| h.label().chars().count()).max().unwrap_or(0);
    for host in &analysis.mx {
        let addresses = if host.addresses.is_empty() {
            "no address".to_string()
        } else {
            host.addresses.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
        };
        let problems =
            if host.problems.is_empty() { String::new() } else { format!("  [{}]", host.problems.join(", ")) };
        let _ = writeln!(out, "  {:<width$}  {addresses}{problems}", host.label());
    }
    let _ = writeln!(
        out,
        "{} quer{} in {} ms\n",
        analysis.replies.len(),
        if analysis.replies.len() == 1 { "y" } else { "ies" },
        analysis.elapsed.as_millis()
    );
    out.push_str(&findings_text(&analysis.findings));
    out
}
