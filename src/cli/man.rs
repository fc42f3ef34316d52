//! `mailwiz man`: the manual page, built from the same sources as `--help` (clap's command tree)
//! and the TUI's key tables, so neither can drift from what mailwiz does.

use clap::CommandFactory;
use roff::{Roff, bold, italic, roman};

use super::Cli;

/// The keys of one part of the TUI: a title and (keys, what they do) rows.
pub type KeySection = (String, Vec<(String, String)>);

/// What each exit status means: one rule for every command.
const EXIT_STATUS: &[(&str, &str)] = &[
    ("0", "It ran and found no failure."),
    (
        "1",
        "It found a failure: a finding marked fail (for logs, no logged attempt to the domain was delivered, or one \
         bounced; for report, the session held one).",
    ),
    ("2", "Bad usage or input; one sentence on standard error names what is wrong."),
    (
        "3",
        "It could not look: no answer came (a resolver that times out, refuses or is not there; a name that does not \
         resolve), every finding says a check could not be made, or a saved session checked nothing.",
    ),
    ("129, 130, 143", "Ended by SIGHUP, SIGINT (Ctrl-C) or SIGTERM; every command it started was ended too."),
];

/// Variables read besides the `MAILWIZ_*` ones clap lists with their options.
const ENVIRONMENT: &[(&str, &str)] = &[
    ("NO_COLOR", "When set, the TUI and the text output use no colour."),
    ("XDG_CONFIG_HOME", "Where mailwiz/config.toml is looked for (default ~/.config)."),
    ("XDG_STATE_HOME", "Where mailwiz/sessions/ keeps journals and saves (default ~/.local/state)."),
    ("MAILWIZ_CORPUS", "For the tests only: the third-party samples they read in place."),
];

const FILES: &[(&str, &str)] = &[
    (
        "$XDG_CONFIG_HOME/mailwiz/config.toml",
        "Settings, below flags and MAILWIZ_* variables; mailwiz config --example prints every one with its default.",
    ),
    (
        "$XDG_STATE_HOME/mailwiz/sessions/",
        "The TUI's journals (JSON Lines, one event a line, 0600) and the transcript, report and note saved beside them \
         with Ctrl-S.",
    ),
    (
        "dnsbl.toml",
        "A list of DNS block lists replacing the bundled one, named by zones_file in the [blocklist] section.",
    ),
];

/// The seed's story, command by command; a test parses each line.
pub const EXAMPLES: &[(&str, &str)] = &[
    ("mailwiz --demo", "The wizard in the built-in demo world: mail to bank.example stuck since this morning."),
    ("mailwiz queue", "What is stuck, grouped by recipient domain and reason."),
    ("mailwiz mx bank.example", "The receiver's mail servers, with their addresses."),
    ("mailwiz logs /var/log/mail.log --domain bank.example", "What the MTA logged about the domain."),
    (
        "mailwiz smtp bank.example --ehlo mail.example.com --from alerts@example.com --to payments@bank.example",
        "Probe every MX up to RCPT TO, never DATA.",
    ),
    ("mailwiz ptr 203.0.113.5 --helo mail.example.com", "Our reverse DNS and HELO name."),
    ("mailwiz blocklist 203.0.113.5", "Our address on the DNS block lists."),
    (
        "mailwiz check bank.example --from alerts@example.com --to payments@bank.example",
        "Every step and the diagnosis.",
    ),
    ("mailwiz bounce undeliverable.eml", "Start from the bounce a user forwarded."),
    ("mailwiz report session.jsonl", "A saved session: the diagnosis first."),
];

/// Pages that exist on a mail host with the usual tools.
const SEE_ALSO: &[(&str, &str)] =
    &[("swaks", "1"), ("dig", "1"), ("postqueue", "1"), ("qshape", "1"), ("postconf", "5")];

/// The manual page in roff, with `keys` as its KEYS section.
pub fn page(keys: &[KeySection]) -> Result<String, std::io::Error> {
    let cmd = Cli::command();
    let man = clap_mangen::Man::new(cmd.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    let mut roff = Roff::new();
    commands(&mut roff, &cmd);
    key_tables(&mut roff, keys);
    rows(&mut roff, "EXIT STATUS", EXIT_STATUS);
    rows(&mut roff, "ENVIRONMENT", ENVIRONMENT);
    rows(&mut roff, "FILES", FILES);
    examples(&mut roff);
    roff.control("SH", ["SEE ALSO"]);
    let pages: Vec<_> = SEE_ALSO
        .iter()
        .enumerate()
        .flat_map(|(at, (name, section))| {
            let comma = if at + 1 < SEE_ALSO.len() { ", " } else { "" };
            [bold(*name), roman(format!("({section}){comma}"))]
        })
        .collect();
    roff.text(pages);
    man.render_version_section(&mut out)?;
    let mut text = String::from_utf8_lossy(&out).into_owned();
    text.push_str(&roff.to_roff());
    Ok(text)
}

/// Prints the page with `keys` as its KEYS section; the exit code.
pub fn print(keys: &[KeySection]) -> u8 {
    match page(keys) {
        Ok(page) => {
            super::output::print_text(&page);
            0
        }
        Err(err) => {
            super::output::print_error(&format!("cannot render the man page: {err}"));
            3
        }
    }
}

/// Every command (and its own subcommands) with its usage, what it does and its options.
fn commands(roff: &mut Roff, cmd: &clap::Command) {
    roff.control("SH", ["COMMANDS"]);
    command_tree(roff, cmd, "mailwiz");
}

fn command_tree(roff: &mut Roff, cmd: &clap::Command, prefix: &str) {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
        let name = format!("{prefix} {}", sub.get_name());
        let mut shown = sub.clone().bin_name(&name);
        let usage = shown.render_usage().to_string();
        roff.control("SS", [usage.trim_start_matches("Usage: ")]);
        if let Some(about) = sub.get_long_about().or_else(|| sub.get_about()) {
            roff.text([roman(about.to_string())]);
        }
        for arg in sub.get_arguments().filter(|a| !a.is_hide_set() && a.get_id() != "help") {
            roff.control("TP", []);
            roff.text([bold(arg_label(arg))]);
            if let Some(help) = arg.get_long_help().or_else(|| arg.get_help()) {
                roff.text([roman(help.to_string())]);
            }
        }
        command_tree(roff, sub, &name);
    }
}

/// An argument as typed: `--long VALUE`, `-s, --long`, or `NAME` for a positional one.
fn arg_label(arg: &clap::Arg) -> String {
    let value = arg.get_value_names().map(|names| names.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "));
    let mut label = Vec::new();
    if let Some(short) = arg.get_short() {
        label.push(format!("-{short}"));
    }
    if let Some(long) = arg.get_long() {
        label.push(format!("--{long}"));
    }
    if label.is_empty() {
        return value.unwrap_or_else(|| arg.get_id().to_string().to_uppercase());
    }
    let mut label = label.join(", ");
    if arg.get_action().takes_values()
        && let Some(value) = value
    {
        label.push(' ');
        label.push_str(&value);
    }
    label
}

fn key_tables(roff: &mut Roff, keys: &[KeySection]) {
    roff.control("SH", ["KEYS"]);
    roff.text([roman("In the TUI; the status bar and ? show the same tables.")]);
    for (title, rows) in keys {
        roff.control("SS", [title.as_str()]);
        for (key, what) in rows {
            roff.control("TP", []);
            roff.text([bold(key.as_str())]);
            roff.text([roman(what.as_str())]);
        }
    }
}

fn rows(roff: &mut Roff, title: &str, rows: &[(&str, &str)]) {
    roff.control("SH", [title]);
    for (term, text) in rows {
        roff.control("TP", []);
        roff.text([bold(*term)]);
        roff.text([roman(*text)]);
    }
}

fn examples(roff: &mut Roff) {
    roff.control("SH", ["EXAMPLES"]);
    for (command, what) in EXAMPLES {
        roff.control("TP", []);
        roff.text([italic(*command)]);
        roff.text([roman(*what)]);
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn every_example_parses_as_written() {
        for (command, _) in EXAMPLES {
            let words = command.split_whitespace();
            assert!(Cli::try_parse_from(words).is_ok(), "{command} does not parse");
        }
    }

    #[test]
    fn every_command_and_option_is_in_the_page_and_no_page_that_does_not_exist() {
        let page = page(&[]).unwrap();
        let cmd = Cli::command();
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
            assert!(page.contains(&format!("mailwiz {}", sub.get_name())), "{} is missing", sub.get_name());
            for long in sub.get_arguments().filter_map(clap::Arg::get_long) {
                assert!(page.contains(&format!("\\-\\-{}", long.replace('-', "\\-"))), "--{long} is missing");
            }
        }
        for section in ["EXIT STATUS", "ENVIRONMENT", "FILES", "EXAMPLES", "SEE ALSO", "KEYS", "COMMANDS"] {
            assert!(
                page.contains(&format!(".SH \"{section}\"")) || page.contains(&format!(".SH {section}")),
                "{section}"
            );
        }
        assert!(!page.contains("mailwiz-check(1)"), "names a page that does not exist");
        for var in ["MAILWIZ_TIMEOUT", "MAILWIZ_VIA", "XDG_CONFIG_HOME", "NO_COLOR"] {
            assert!(page.contains(var), "{var}");
        }
    }
}
