//! `mailwiz smtp HOST[:PORT]`: the raw console on stdin/stdout, or with probe flags the probe.

use std::io::Write;

use serde_json::json;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::args::SmtpArgs;
use super::output::{exit_for, findings_text, print_json};
use super::{CliError, CliResult};
use crate::context::Context;
use crate::session::Finding;
use crate::session::escape::escape_str;
use crate::session::marks;
use crate::smtp::pipeline::{self, Envelope};
use crate::smtp::probe::{self, ProbeRequest, ProbeResult};
use crate::smtp::session::{self, ConsoleEvent, ConsoleOptions};
use crate::smtp::swaks;
use crate::smtp::target::{self, HostPort};

/// Runs `mailwiz smtp`.
pub async fn run(args: SmtpArgs, ctx: &Context, json: bool) -> CliResult {
    // `--via` (or `[smtp] via`) carries this session from the other vantage point.
    let ctx = &Context { via: ctx.config.smtp.via.clone(), ..ctx.clone() };
    let default_port = if args.tls { session::IMPLICIT_TLS_PORT } else { ctx.config.port };
    let target = target::parse_host_port(&args.host, default_port).map_err(CliError::Input)?;
    check_probe_args(&args)?;
    let request = probe_request(&args, ctx).await;
    if args.as_swaks {
        let line = swaks::command_line(&target.host, target.port, &request, request.starttls);
        if json {
            print_json("smtp", json!(target.host), json!({ "port": target.port, "swaks": line }), &[]);
        } else {
            println!("{}", escape_str(&line));
        }
        return Ok(0);
    }
    let probing =
        args.ehlo.is_some() || args.from.is_some() || args.to.is_some() || args.starttls || args.quit_after.is_some();
    if probing {
        run_probe(&target, &request, ctx, json).await
    } else {
        run_console(target, request, args.tls, ctx, json).await
    }
}

/// Refuses `--ehlo`, `--from` or `--to` that would change the dialogue (exit 2).
fn check_probe_args(args: &SmtpArgs) -> Result<(), CliError> {
    crate::session::envelope::check_all(
        args.ehlo.as_deref().map(|e| ("--ehlo", e)),
        args.from.as_deref().map(|f| ("--from", f)),
        args.to.as_deref().map(|t| ("--to", t)),
    )
    .map_err(|err| CliError::Input(err.to_string()))
}

async fn probe_request(args: &SmtpArgs, ctx: &Context) -> ProbeRequest {
    // No target domain here: a configured recipient is taken as it stands.
    let to = args.to.clone().or_else(|| ctx.config.to.clone());
    let envelope = Envelope { ehlo: args.ehlo.clone(), from: args.from.clone(), to };
    let request = pipeline::request(ctx, None, None, envelope).await;
    ProbeRequest { starttls: args.starttls, quit_after: args.quit_after, implicit_tls: args.tls, ..request }
}

async fn run_probe(target: &HostPort, request: &ProbeRequest, ctx: &Context, json: bool) -> CliResult {
    // A domain goes to its MX hosts, as swaks does.
    // A name that does not resolve leaves nothing to probe: could not look.
    let mx = pipeline::exchangers(ctx, target).await.map_err(CliError::CannotRun)?;
    let results = probe::probe_mx(ctx, &mx, target.port, request).await;
    let findings: Vec<Finding> = results.iter().flat_map(|r| r.findings.iter().cloned()).collect();
    if json {
        print_json("smtp", json!(target.host), json!({ "port": target.port, "attempts": results }), &findings);
    } else {
        let mut out = String::new();
        for result in &results {
            out.push_str(&probe_text(result));
        }
        out.push_str(&findings_text(&findings));
        super::output::print_text(&out);
    }
    Ok(exit_for(&findings))
}

/// One probe as a readable transcript.
pub fn probe_text(result: &ProbeResult) -> String {
    let c = &result.connect;
    let mut out = format!("{} {}\n", marks::INFO, pipeline::outcome_line(c));
    for line in &c.banner {
        out.push_str(&format!("{} {line}\n", marks::received(c.tls.is_some(), line)));
    }
    let mut tls = c.tls.is_some();
    for stage in &result.stages {
        if stage.stage == "tls" {
            tls = stage.error.is_none();
            for line in &stage.reply {
                out.push_str(&format!("{} {line}\n", marks::INFO));
            }
            continue;
        }
        out.push_str(&format!("{} {}\n", marks::sent(tls), escape_str(&stage.command)));
        for line in &stage.reply {
            out.push_str(&format!("{} {line}\n", marks::received(tls, line)));
        }
        if let Some(error) = &stage.error {
            out.push_str(&format!("{} {error}\n", marks::EVENT));
        }
        for line in stage.explanation.iter().flat_map(crate::smtp::explain::Explanation::lines) {
            out.push_str(&format!("  = {line}\n"));
        }
    }
    if let Some(ip) = result.echoed_ip {
        out.push_str(&format!("{} the server sees us as {ip}\n", marks::INFO));
    }
    out
}

/// A console event as a line of text for a terminal or a pipe; every peer byte is escaped.
pub fn event_text(event: &ConsoleEvent) -> Vec<String> {
    match event {
        ConsoleEvent::Info(text) => vec![format!("{} {}", marks::INFO, escape_str(text))],
        ConsoleEvent::Connected(report) => vec![format!("{} {}", marks::INFO, pipeline::outcome_line(report))],
        ConsoleEvent::Sent(text, tls) => vec![format!("{} {}", marks::sent(*tls), escape_str(text))],
        ConsoleEvent::Received(text, tls) => vec![format!("{} {text}", marks::received(*tls, text))],
        ConsoleEvent::Reply { code, explanation } => {
            if code.is_some_and(|c| c < 400) {
                return Vec::new();
            }
            explanation.lines().into_iter().map(|l| format!("  = {}", escape_str(&l))).collect()
        }
        ConsoleEvent::Tls(info) => info.describe().into_iter().map(|l| format!("{} {l}", marks::INFO)).collect(),
        ConsoleEvent::Finding(f) | ConsoleEvent::Experiment(f) => {
            vec![format!("{} {} {}", f.severity.mark(), f.id, f.summary)]
        }
        ConsoleEvent::Probe(results) => {
            results.iter().flat_map(|r| probe_text(r).lines().map(String::from).collect::<Vec<_>>()).collect()
        }
        ConsoleEvent::EchoedIp { ip, .. } => vec![format!("{} the server sees us as {ip}", marks::INFO)],
        ConsoleEvent::DataMode(_) | ConsoleEvent::Working(_) => Vec::new(),
        ConsoleEvent::Closed(why) => vec![format!("{} connection closed: {}", marks::EVENT, escape_str(why))],
    }
}

async fn run_console(target: HostPort, request: ProbeRequest, tls: bool, ctx: &Context, json: bool) -> CliResult {
    let (line_tx, line_rx) = mpsc::channel::<String>(16);
    let (event_tx, mut event_rx) = mpsc::unbounded_channel();
    let options = ConsoleOptions { port: ctx.config.port, probe: request, mx: Vec::new(), lockstep: true, scope: None };
    let cancel = CancellationToken::new();
    let console = tokio::spawn(session::run(
        ctx.clone(),
        options,
        Some(session::Start::host(target.clone(), tls)),
        line_rx,
        event_tx,
        cancel,
    ));
    let stdin = tokio::spawn(async move {
        let mut lines = super::stdin::StdinLines::default();
        while let Some(line) = lines.next().await {
            match line {
                Ok(line) => {
                    if line_tx.send(line).await.is_err() {
                        break;
                    }
                }
                Err(why) => super::output::print_error(&why),
            }
        }
    });
    let mut findings = Vec::new();
    let mut transcript = Vec::new();
    let mut attempted = false;
    while let Some(event) = event_rx.recv().await {
        match &event {
            ConsoleEvent::Finding(f) => findings.push(f.clone()),
            ConsoleEvent::Connected(_) => attempted = true,
            _ => {}
        }
        let lines = event_text(&event);
        if json {
            transcript.extend(lines);
        } else {
            let mut out = std::io::stdout().lock();
            for line in lines {
                let _ = writeln!(out, "{}", crate::session::escape::escape_text(&line));
            }
            let _ = out.flush();
        }
    }
    stdin.abort();
    let _ = console.await;
    if json {
        print_json("smtp", json!(target.host), json!({ "port": target.port, "transcript": transcript }), &findings);
    }
    // No connection was even tried (the name did not resolve): nothing was looked at.
    if !attempted && findings.is_empty() {
        return Ok(super::output::NO_ANSWER);
    }
    Ok(exit_for(&findings))
}
