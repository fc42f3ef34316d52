//! The headless front end: one module per command, sharing the engines with the TUI.

pub mod args;
pub mod auth;
pub mod blocklist;
pub mod bounce;
pub mod check;
pub mod dns;
pub mod logs;
pub mod logs_follow;
pub mod man;
pub mod mx;
pub mod output;
pub mod ptr;
pub mod queue;
pub mod queue_action;
pub mod report;
pub mod smtp;
pub mod stdin;

use std::path::PathBuf;
use std::sync::Arc;

use clap::CommandFactory;

pub use args::{Cli, Command, GlobalArgs};
pub use output::{CliError, CliResult};

use crate::config::{self, Config, Family};
use crate::context::Context;
use crate::session::Journal;

/// Builds the configuration: defaults < config file < `MAILWIZ_*` variables and flags (clap
/// reads the variables into the same fields as the flags).
pub fn load_config(global: &GlobalArgs) -> Result<Config, CliError> {
    let from_file = match &global.config {
        Some(path) => Config::load(path, true),
        None => match config::paths::config_dir() {
            Some(dir) => Config::load(&dir.join("config.toml"), false),
            None => Ok(None),
        },
    }
    .map_err(|err| CliError::Input(err.to_string()))?;
    let mut config = from_file.unwrap_or_default();
    config::check_seconds("--timeout (or MAILWIZ_TIMEOUT)", global.timeout)
        .map_err(|err| CliError::Input(err.to_string()))?;
    layer(&mut config.dns_servers, Some(global.dns_servers.clone()).filter(|servers| !servers.is_empty()));
    layer(&mut config.timeout, global.timeout);
    // A timeout given for this run also bounds the deadlines the config's sections set.
    config.timeout_is_cap |= global.timeout.is_some();
    layer(&mut config.source, global.source.map(Some));
    layer_identity(&mut config, global)?;
    layer(&mut config.port, global.port);
    layer(&mut config.smtp.via, global.via.clone().map(Some));
    config::check_port("--port (or MAILWIZ_PORT, or port in the config)", config.port)
        .map_err(|err| CliError::Input(err.to_string()))?;
    check_envelope(&config)?;
    config.dns_server_addrs().map_err(|err| CliError::Input(err.to_string()))?;
    Ok(config)
}

/// Lays a flag's value (or its `MAILWIZ_*` variable's: clap reads both into the flag) over the
/// setting from the config file or the default, when it is given.
fn layer<T>(setting: &mut T, flag: Option<T>) {
    if let Some(value) = flag {
        *setting = value;
    }
}

/// The flags that say who we are; they win over the demo world's identity too. `--ip` sets the
/// address of its family and keeps the other family's.
fn layer_identity(config: &mut Config, global: &GlobalArgs) -> Result<(), CliError> {
    let families: Vec<Family> = global.ip.iter().map(|ip| Family::of(*ip)).collect();
    for family in [Family::V4, Family::V6] {
        if families.iter().filter(|f| **f == family).count() > 1 {
            return Err(CliError::Input(format!(
                "--ip was given more than one {} address: give it once per family",
                family.label()
            )));
        }
    }
    for ip in &global.ip {
        config.set_our_ip(*ip);
    }
    layer(&mut config.helo, global.helo.clone().map(Some));
    config.family = match (global.ipv4_only, global.ipv6_only) {
        (true, _) => Some(Family::V4),
        (_, true) => Some(Family::V6),
        _ => None,
    };
    Ok(())
}

/// Refuses a HELO name or envelope address from flags, variables or the config file that would
/// change the SMTP dialogue (a line break, a space, a bracket) or break RFC 5321's limits.
fn check_envelope(config: &Config) -> Result<(), CliError> {
    crate::session::envelope::check_all(
        config.helo.as_deref().map(|h| ("the HELO name (--helo, MAILWIZ_HELO or helo in the config)", h)),
        config.from.as_deref().map(|f| ("the envelope sender (from in the config)", f)),
        config.to.as_deref().map(|t| ("the envelope recipient (to in the config)", t)),
    )
    .map_err(|err| CliError::Input(err.to_string()))
}

/// The journal: `--journal FILE`, else in memory (the TUI picks its own default file).
pub fn open_journal(path: Option<&PathBuf>) -> Result<Journal, CliError> {
    match path {
        Some(path) => Journal::create(path).map_err(|err| CliError::Input(err.to_string())),
        None => Ok(Journal::in_memory()),
    }
}

/// Builds the context for a run: config, journal and, with `--demo`, the running demo world.
pub async fn build_context(global: &GlobalArgs, demo: bool, journal: Journal) -> Result<Context, CliError> {
    let config = load_config(global)?;
    let mut ctx = Context { config: Arc::new(config), journal, ..Context::default() };
    if demo {
        refuse_outside_the_world(global)?;
        ctx = crate::demo::attach(ctx).await.map_err(|err| CliError::CannotRun(err.to_string()))?;
        // Flags and MAILWIZ_* variables still win over the world's identity, so a fix can be
        // rehearsed in the demo.
        let mut config = (*ctx.config).clone();
        layer_identity(&mut config, global)?;
        check_envelope(&config)?;
        // A vantage point from the config file is a real host: the demo runs nothing there.
        config.smtp.via = None;
        ctx.config = Arc::new(config);
    }
    Ok(ctx)
}

/// Refuses the flags that would take a demo run outside its world: another resolver, a command
/// run on another host, a source address of this machine. The demo would otherwise ignore them
/// or reach real hosts.
fn refuse_outside_the_world(global: &GlobalArgs) -> Result<(), CliError> {
    let given = [
        (
            !global.dns_servers.is_empty(),
            "--dns-server (or MAILWIZ_DNS_SERVER)",
            "the demo world answers every name itself",
        ),
        (global.via.is_some(), "--via (or MAILWIZ_VIA)", "it would run a command on a real host"),
        (global.source.is_some(), "--source (or MAILWIZ_SOURCE)", "the demo's servers are reached from loopback"),
    ];
    match given.into_iter().find(|(set, ..)| *set) {
        Some((_, flag, why)) => {
            Err(CliError::Input(format!("{flag} cannot be used with --demo: {why}; drop it or leave out --demo")))
        }
        None => Ok(()),
    }
}

/// Runs a headless command and returns the process exit code.
pub async fn run(command: Command, global: GlobalArgs) -> u8 {
    match dispatch(command, &global).await {
        Ok(code) => code,
        Err(err) => {
            output::print_error(&err);
            err.exit_code()
        }
    }
}

async fn dispatch(command: Command, global: &GlobalArgs) -> CliResult {
    match &command {
        Command::Completions(args) => {
            clap_complete::generate(args.shell, &mut Cli::command(), "mailwiz", &mut std::io::stdout());
            return Ok(0);
        }
        Command::Config(args) => {
            if !args.example {
                return Err(CliError::Input(
                    "mailwiz config needs --example (mailwiz config --example > ~/.config/mailwiz/config.toml)".into(),
                ));
            }
            output::print_text(crate::config::EXAMPLE);
            return Ok(0);
        }
        _ => {}
    }
    if let Command::Report(args) = &command {
        return report::run(args, global.json);
    }
    let journal = open_journal(global.journal.as_ref())?;
    let ctx = build_context(global, global.demo, journal).await?;
    let json = global.json;
    let code = run_command(command, &ctx, json).await?;
    match ctx.journal.write_error() {
        // The run's record is incomplete: that is "could not run", whatever was found.
        Some(err) => Err(CliError::CannotRun(format!(
            "the journal {} could not be written: {err}",
            ctx.journal.path().unwrap_or_default().display()
        ))),
        None => Ok(code),
    }
}

async fn run_command(command: Command, ctx: &Context, json: bool) -> CliResult {
    match command {
        Command::Auth(args) => auth::run(args, ctx, json).await,
        Command::Check(args) => check::run(args, ctx, json).await,
        Command::Bounce(args) => bounce::run(args, ctx, json).await,
        Command::Mx(args) => mx::run(args, ctx, json).await,
        Command::Dns(args) => dns::run(args, ctx, json).await,
        Command::Smtp(args) => smtp::run(args, ctx, json).await,
        Command::Ptr(args) => ptr::run(args, ctx, json).await,
        Command::Blocklist(args) => blocklist::run(args, ctx, json).await,
        Command::Queue(args) => queue::run(args, ctx, json).await,
        Command::Logs(args) => logs::run(args, ctx, json).await,
        Command::Demo | Command::Report(_) | Command::Completions(_) | Command::Man | Command::Config(_) => {
            unreachable!("handled by the caller")
        }
    }
}
