//! The `mailwiz` binary: parse the command line and hand over to the CLI or the TUI.

use std::process::ExitCode;

use clap::Parser;
use mailwiz::cli::{self, Cli, Command};
use mailwiz::session::Target;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Usage errors quote what was typed: escaped by the one rule, like every other message.
        Err(err) if err.use_stderr() => {
            eprint!("{}", mailwiz::session::escape::escape_text(&err.render().to_string()));
            return ExitCode::from(2);
        }
        Err(err) => err.exit(),
    };
    let _log_guard = init_tracing(cli.global.log_file.as_deref());
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("mailwiz: cannot start the async runtime: {err}");
            return ExitCode::from(3);
        }
    };
    let code = runtime.block_on(async move {
        match cli.command {
            None => tui_main(cli.global.demo, cli.global, cli.target, cli.compare, cli.bounce).await,
            Some(Command::Demo) => tui_main(true, cli.global, cli.target, cli.compare, cli.bounce).await,
            Some(Command::Man) => cli::man::print(&mailwiz::tui::keys::manual()),
            // `logs --follow` ends on Ctrl-C itself, with its summary.
            Some(command) if matches!(&command, Command::Logs(args) if args.follow) => {
                Box::pin(cli::run(command, cli.global)).await
            }
            Some(command) => {
                tokio::select! {
                    code = Box::pin(cli::run(command, cli.global)) => code,
                    code = interrupted() => code,
                }
            }
        }
    });
    // Background tasks (demo servers, abandoned connections) must not delay the exit, and the
    // commands they started (`--via`) must not outlive it.
    runtime.shutdown_background();
    mailwiz::process_group::kill_all();
    ExitCode::from(code)
}

/// Waits for Ctrl-C (or SIGTERM, SIGHUP) and returns the exit code for it (130, 143, 129), so
/// the commands mailwiz started are killed before it ends.
async fn interrupted() -> u8 {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut hup)) = (signal(SignalKind::terminate()), signal(SignalKind::hangup())) else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => 130,
            _ = term.recv() => 143,
            _ = hup.recv() => 129,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        130
    }
}

async fn tui_main(
    demo: bool,
    global: cli::GlobalArgs,
    target: Option<String>,
    compare: Option<std::path::PathBuf>,
    bounce: Option<String>,
) -> u8 {
    let earlier = match compare.as_deref().map(cli::report::read_earlier).transpose() {
        Ok(earlier) => earlier,
        Err(err) => {
            eprintln!("mailwiz: --compare: {}", mailwiz::session::escape::escape_str(&err.to_string()));
            return 2;
        }
    };
    let bounce = match bounce.as_deref().map(cli::bounce::read_file).transpose() {
        Ok(read) => read.map(|(_, bounce)| bounce),
        Err(err) => {
            mailwiz::cli::output::print_error(&format!("--bounce: {err}"));
            return err.exit_code();
        }
    };
    let target = match target.as_deref().map(Target::parse).transpose() {
        Ok(target) => target,
        Err(err) => {
            mailwiz::cli::output::print_error(&err);
            return 2;
        }
    };
    let (journal, notice) = match mailwiz::tui::runtime::open_journal(global.journal.as_deref()) {
        Ok(opened) => opened,
        Err(err) => {
            mailwiz::cli::output::print_error(&err);
            return 2;
        }
    };
    let ctx = match cli::build_context(&global, demo, journal).await {
        Ok(ctx) => ctx,
        Err(err) => {
            mailwiz::cli::output::print_error(&err);
            return err.exit_code();
        }
    };
    let options = mailwiz::tui::Options { no_color: global.no_color, notice, earlier, bounce };
    match mailwiz::tui::run(ctx, target, options).await {
        Ok(()) => 0,
        Err(err) => {
            mailwiz::cli::output::print_error(&format!("{err:#}"));
            3
        }
    }
}

/// Diagnostic logs go to `--log-file` only, never to the terminal.
fn init_tracing(path: Option<&std::path::Path>) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let path = path?;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let file = tracing_appender::rolling::never(dir, path.file_name()?);
    let (writer, guard) = tracing_appender::non_blocking(file);
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("MAILWIZ_LOG").unwrap_or_else(|_| "info".into()))
        .init();
    Some(guard)
}
