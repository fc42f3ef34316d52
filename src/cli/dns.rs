//! `mailwiz dns [TYPE] NAME`: one query, nslookup-like; with no NAME, the console language of
//! step 2 read line by line from stdin (works in a pipe).

use std::io::{IsTerminal, Write};

use serde_json::json;

use super::args::DnsArgs;
use super::output::{exit_for, print_json};
use super::{CliError, CliResult};
use crate::context::Context;
use crate::dns::Resolver;
use crate::dns::console::{self, Console, ConsoleAction, ConsoleCommand, ConsoleLine, Question};
use crate::dns::resolver::QueryType;

/// Runs `mailwiz dns`.
pub async fn run(args: DnsArgs, ctx: &Context, json: bool) -> CliResult {
    let mut words = args.words;
    if let Some(record_type) = args.record_type {
        if words.len() != 1 {
            return Err(CliError::Input(format!("--type {record_type} needs exactly one NAME to look up")));
        }
        words.insert(0, record_type);
    }
    match words.as_slice() {
        [] if json => Err(CliError::Input("--json needs a NAME to look up; the console prints text".into())),
        [] => interactive(ctx).await,
        words => one_query(words, ctx, json).await,
    }
}

async fn one_query(words: &[String], ctx: &Context, json: bool) -> CliResult {
    if words.len() == 2 {
        words[0].parse::<QueryType>().map_err(|err| CliError::Input(err.to_string()))?;
    }
    let command = console::parse(&words.join(" "))
        .map_err(|err| CliError::Input(err.to_string()))?
        .ok_or_else(|| CliError::Input("the name to look up is empty".into()))?;
    let (question, asked_as) = match command {
        ConsoleCommand::Query { name, qtype, server: None } => {
            (Question::Name { name, qtype: qtype.unwrap_or(QueryType::A) }, None)
        }
        ConsoleCommand::Reverse { ip, server: None } => (Question::Reverse(ip), Some(ip.to_string())),
        _ => return Err(CliError::Input(format!("\"{}\" is not [TYPE] NAME", words.join(" ")))),
    };
    let resolver = Resolver::from_context(ctx).map_err(|err| CliError::CannotRun(err.to_string()))?;
    let (reply, findings) = question.ask(ctx, &resolver).await.map_err(CliError::Input)?;
    if json {
        let fields = json!({
            "question": {"name": reply.name, "type": reply.qtype},
            "server": reply.server.to_string(),
            "status": reply.outcome.label(),
            "answers": reply.records(),
            "elapsed_ms": u64::try_from(reply.elapsed.as_millis()).unwrap_or(u64::MAX),
        });
        print_json("dns", json!(asked_as.unwrap_or_else(|| reply.name.clone())), fields, &findings);
    } else {
        print_lines(&console::render(&reply, asked_as.as_deref()));
    }
    Ok(if reply.outcome.is_no_answer() { super::output::NO_ANSWER } else { exit_for(&findings) })
}

/// The console on stdin: a prompt when stdin is a terminal, none in a pipe.
async fn interactive(ctx: &Context) -> CliResult {
    let prompt = std::io::stdin().is_terminal();
    let mut console = Console::default();
    console.confine(ctx.demo.then(|| crate::dns::console::DEMO_CONFINED.to_string()));
    let mut lines = super::stdin::StdinLines::default();
    loop {
        if prompt {
            super::output::print_text("> ");
            let _ = std::io::stdout().flush();
        }
        let line = match lines.next().await {
            Some(Ok(line)) => line,
            Some(Err(why)) => {
                super::output::print_error(&why);
                continue;
            }
            None => break,
        };
        match console.submit(&line) {
            ConsoleAction::Print(out) => print_lines(&out),
            ConsoleAction::Run(lookup) => {
                print_lines(&lookup.run(ctx).await);
                super::output::print_text("\n");
            }
            ConsoleAction::Exit => break,
        }
    }
    Ok(0)
}

fn print_lines(lines: &[ConsoleLine]) {
    let mut out = std::io::stdout().lock();
    for line in lines {
        let _ = writeln!(out, "{}", crate::session::escape::escape_text(&line.text));
    }
    let _ = out.flush();
}
