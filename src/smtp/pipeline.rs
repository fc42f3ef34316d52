//! The probe pipeline every front end shares (the wizard's step 4, `check` and `mailwiz smtp`):
//! the request from the target and our identity, the domain's routes, the probes from here and
//! through the second vantage point, and the line that says how a connection ended.

use super::connection::ConnectReport;
use super::probe::{self, ProbeRequest, ProbeResult};
use super::target::{self, HostPort};
use super::vantage;
use crate::context::Context;
use crate::helo::choose::ehlo_name;
use crate::session::escape::escape_str;
use crate::session::{EventKind, MxTarget, Target};

/// What the caller asked for outright (flags, the session); the rest comes from the config.
#[derive(Debug, Clone, Default)]
pub struct Envelope {
    /// The EHLO name; else [`ehlo_name`]'s choice.
    pub ehlo: Option<String>,
    /// The envelope sender; else config `from`, else the null sender.
    pub from: Option<String>,
    /// The envelope recipient; else see [`request`].
    pub to: Option<String>,
}

/// Whether `address` is at `domain` (any case).
pub fn in_domain(address: &str, domain: &str) -> bool {
    address.rsplit_once('@').is_some_and(|(_, at)| at.eq_ignore_ascii_case(domain))
}

/// The probe's request: STARTTLS when offered, the whole dialogue. The recipient is the given
/// one, else (with a target) the target's address, the queue's oldest recipient of the target
/// (`queued`), config `to` when it is in the target (another domain's would probe the wrong
/// receiver's policy), else the target's postmaster (which RFC 5321 requires to exist).
pub async fn request(ctx: &Context, target: Option<&Target>, queued: Option<String>, wanted: Envelope) -> ProbeRequest {
    let to = match target {
        None => wanted.to,
        Some(target) => Some(
            wanted
                .to
                .or_else(|| target.address.clone())
                .or(queued)
                .or_else(|| ctx.config.to.clone().filter(|to| in_domain(to, &target.domain)))
                .unwrap_or_else(|| format!("postmaster@{}", target.domain)),
        ),
    };
    ProbeRequest {
        ehlo: ehlo_name(ctx, wanted.ehlo.as_deref()).await,
        from: wanted.from.or_else(|| ctx.config.from.clone()).unwrap_or_default(),
        to,
        starttls: true,
        quit_after: None,
        implicit_tls: false,
    }
}

/// Where `host` leads for mail (see [`target::route`]), grouped by exchanger in the order found.
pub async fn exchangers(ctx: &Context, host: &HostPort) -> Result<Vec<MxTarget>, String> {
    let routes = target::route(ctx, host).await?;
    let mut out: Vec<MxTarget> = Vec::new();
    for (exchange, addr) in routes {
        match out.iter_mut().find(|m| m.exchange == exchange) {
            Some(known) => known.addresses.push(addr.ip()),
            None => out.push(MxTarget {
                preference: u16::try_from(out.len()).unwrap_or(u16::MAX),
                exchange,
                addresses: vec![addr.ip()],
            }),
        }
    }
    Ok(out)
}

/// The exchangers to probe: `known` (the MX step's) with the addresses of those that have none
/// looked up, else, when none is known, `domain`'s own; a lookup that fails is journaled.
pub async fn routes(ctx: &Context, known: Vec<MxTarget>, domain: &str, port: u16) -> Vec<MxTarget> {
    if known.is_empty() {
        return match exchangers(ctx, &HostPort { host: domain.to_string(), port }).await {
            Ok(found) => found,
            Err(err) => {
                ctx.journal.log(EventKind::Error, err);
                Vec::new()
            }
        };
    }
    let mut out = Vec::with_capacity(known.len());
    for mut mx in known {
        if mx.addresses.is_empty() {
            match target::addresses(ctx, &HostPort { host: mx.exchange.clone(), port }).await {
                Ok(addrs) => mx.addresses = addrs.into_iter().map(|a| a.ip()).collect(),
                Err(err) => ctx.journal.log(EventKind::Error, err),
            }
        }
        out.push(mx);
    }
    out
}

/// The probes of every address of `mx` from here and, when `[smtp] via` is set, through the
/// second vantage point, at the same time.
pub async fn probe_both(
    ctx: &Context,
    mx: &[MxTarget],
    port: u16,
    request: &ProbeRequest,
) -> (Vec<ProbeResult>, Option<Vec<ProbeResult>>) {
    tokio::join!(probe::probe_mx(ctx, mx, port, request), vantage::probe_there(ctx, mx, request))
}

/// How a connection ended, in one line: host, address, outcome, times and the error.
pub fn outcome_line(report: &ConnectReport) -> String {
    let mut text = format!("{} ({}) {}", report.host, report.addr, report.outcome);
    if let Some(ms) = report.connect_ms {
        text.push_str(&format!(" · connected in {ms} ms"));
    }
    if let Some(ms) = report.banner_ms.filter(|_| !report.banner.is_empty()) {
        text.push_str(&format!(" · banner after {ms} ms"));
    }
    if let Some(error) = &report.error {
        text.push_str(&format!(" · {}", escape_str(error)));
    }
    text
}
