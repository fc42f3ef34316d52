//! `mailwiz auth DOMAIN|ADDRESS --ip IP [--selector S]...`: does our mail authenticate (SPF for
//! our address, DMARC, DKIM keys), and with `--receiver`, the receiver's MTA-STS, TLS-RPT and DANE.

use std::net::IpAddr;

use serde_json::json;

use super::args::AuthArgs;
use super::output::{exit_for, findings_text, print_json, print_text};
use super::{CliError, CliResult};
use crate::auth::{self, SenderRequest, signer_config, spf};
use crate::context::Context;
use crate::dns::Resolver;
use crate::helo::choose::ehlo_name;
use crate::session::Target;
use crate::session::escape::escape_str;

/// Runs `mailwiz auth`.
pub async fn run(args: AuthArgs, ctx: &Context, json: bool) -> CliResult {
    let Some(input) = args.target.as_deref() else { return helo_only(ctx, json).await };
    let target = sender_target(input)?;
    let header_from = match &args.header_from {
        Some(from) => Some(
            Target::parse(from)
                .map_err(|err| CliError::Input(format!("--header-from: {}", escape_str(&err.to_string()))))?
                .domain,
        ),
        None => None,
    };
    if let Some(bad) = args.selectors.iter().find(|s| !signer_config::valid_selector(s.trim())) {
        return Err(CliError::Input(format!("--selector \"{}\" is not a DKIM selector (DNS labels)", escape_str(bad))));
    }
    let receiver = match &args.receiver {
        Some(domain) => Some(
            Target::parse(domain)
                .map_err(|err| CliError::Input(format!("--receiver: {}", escape_str(&err.to_string()))))?,
        ),
        None => None,
    };
    let ip = ctx.config.ip.ok_or_else(|| {
        CliError::Input("mailwiz auth needs our public IP to evaluate SPF: give it with --ip IP".into())
    })?;
    let resolver = Resolver::from_context(ctx).map_err(|err| CliError::CannotRun(err.to_string()))?;
    let from_domain = header_from.clone().unwrap_or_else(|| target.domain.clone());
    let request = SenderRequest {
        domain: target.domain.clone(),
        sender: target.address.clone(),
        header_from,
        ip: Some(ip),
        ip6: ctx.config.ip6.map(IpAddr::V6),
        helo: ctx.config.helo.clone(),
        selectors: auth::selectors(ctx, &from_domain, &args.selectors),
    };
    let receiver_check = async {
        let receiver = receiver.as_ref()?;
        let hosts = auth::mx_hosts(&resolver, &receiver.domain).await;
        let ehlo = ehlo_name(ctx, None).await;
        Some(auth::check_receiver_probing(ctx, &resolver, &receiver.domain, &hosts, &ehlo).await)
    };
    let (sender, receiver) = tokio::join!(auth::check_our_mail(ctx, &resolver, &request), receiver_check);
    let mut findings = sender.findings.clone();
    findings.extend(receiver.iter().flat_map(|r| r.findings.iter().cloned()));
    if json {
        let fields = json!({
            "ip": ip.to_string(),
            "from_domain": sender.from_domain,
            "selectors": request.selectors,
            "spf": sender.spf,
            "helo_spf": sender.helo_spf,
            "dmarc": sender.dmarc,
            "dkim": sender.dkim,
            "receiver": receiver,
        });
        print_json("auth", json!(target.address.as_deref().unwrap_or(&target.domain)), fields, &findings);
    } else {
        let mut lines = sender.describe();
        lines.extend(receiver.iter().flat_map(auth::ReceiverReport::describe));
        print_text(&format!("{}\n\n{}", lines.join("\n"), findings_text(&findings)));
    }
    Ok(exit_for(&findings))
}

/// The sender to check, read as RFC 7208 §4.3 reads it: `@domain` is `postmaster@domain`, and a
/// domain no lookup can be made for (a domain literal, an empty or 64-character label) is
/// evaluated (its SPF result is none) rather than refused; only text that is no address or
/// domain at all is an input error.
fn sender_target(input: &str) -> Result<Target, CliError> {
    let trimmed = input.trim();
    if let Some(domain) = trimmed.strip_prefix('@') {
        let target = Target::parse(domain).map_err(|err| CliError::Input(escape_str(&err.to_string())))?;
        return Ok(Target { address: Some(format!("postmaster@{}", target.domain)), ..target });
    }
    match Target::parse(trimmed) {
        Ok(target) => Ok(target),
        Err(_) if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_graphic()) => {
            let domain = trimmed.rsplit_once('@').map_or(trimmed, |(_, d)| d).to_ascii_lowercase();
            let address = trimmed.contains('@').then(|| trimmed.to_string());
            Ok(Target { display: domain.clone(), domain, address })
        }
        Err(err) => Err(CliError::Input(escape_str(&err.to_string()))),
    }
}

/// `mailwiz auth --helo NAME` without an address: SPF of the HELO identity alone.
async fn helo_only(ctx: &Context, json: bool) -> CliResult {
    let helo = ctx.config.helo.clone().filter(|h| !h.trim().is_empty()).ok_or_else(|| {
        CliError::Input("mailwiz auth needs a domain or an address, or --helo NAME to check the HELO name".into())
    })?;
    let ip = ctx.config.ip.ok_or_else(|| {
        CliError::Input("mailwiz auth needs our public IP to evaluate SPF: give it with --ip IP".into())
    })?;
    let resolver = Resolver::from_context(ctx).map_err(|err| CliError::CannotRun(err.to_string()))?;
    let report = spf::evaluate(&resolver, &spf::SpfRequest::helo(helo.trim(), ip)).await;
    let findings = vec![spf::spf_finding(&report)];
    for finding in &findings {
        ctx.journal.finding(finding);
    }
    if json {
        let fields = json!({"ip": ip.to_string(), "identity": "helo", "spf": report});
        print_json("auth", json!(helo.trim()), fields, &findings);
    } else {
        print_text(&format!("{}\n\n{}", spf::describe(&report).join("\n"), findings_text(&findings)));
    }
    Ok(exit_for(&findings))
}
