//! The command line: every command and global option (README.md lists them).

use std::ffi::OsStr;
use std::marker::PhantomData;
use std::net::IpAddr;
use std::path::PathBuf;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::{logs, queue};

/// mailwiz: find out why mail to one domain is stuck.
#[derive(Debug, Parser)]
#[command(name = "mailwiz", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Option<Command>,

    /// Open the wizard for this domain or address (user@domain).
    pub target: Option<String>,

    /// Show in the wizard what changed since this earlier session (its journal).
    #[arg(long, value_name = "OLD.jsonl")]
    pub compare: Option<PathBuf>,

    /// Start the wizard from this bounce (a file, or - for stdin): its failed recipient's domain
    /// is the target, that recipient the probe's RCPT TO, its findings part of the session.
    #[arg(long, value_name = "FILE")]
    pub bounce: Option<String>,
}

/// Options every command takes, before or after the command name.
#[derive(Debug, Clone, Default, Args)]
#[allow(clippy::struct_excessive_bools, reason = "each bool is one command-line switch")]
pub struct GlobalArgs {
    /// Use this DNS server instead of the system resolver (IP or IP:PORT; repeatable).
    #[arg(
        long = "dns-server",
        value_name = "IP[:PORT]",
        global = true,
        env = "MAILWIZ_DNS_SERVER",
        value_delimiter = ','
    )]
    pub dns_servers: Vec<String>,

    /// Deadline of each network operation, in seconds.
    #[arg(long, value_name = "SECS", global = true, env = "MAILWIZ_TIMEOUT")]
    pub timeout: Option<f64>,

    /// Bind outgoing connections to this local address.
    #[arg(long, value_name = "IP", global = true, env = "MAILWIZ_SOURCE")]
    pub source: Option<IpAddr>,

    /// Our public IP address; once per family on a dual-stack host (IPv4 and IPv6).
    #[arg(long, value_name = "IP", global = true, env = "MAILWIZ_IP", value_delimiter = ',')]
    pub ip: Vec<IpAddr>,

    /// Connect over IPv4 only.
    #[arg(short = '4', global = true, conflicts_with = "ipv6_only")]
    pub ipv4_only: bool,

    /// Connect over IPv6 only.
    #[arg(short = '6', global = true)]
    pub ipv6_only: bool,

    /// The HELO/EHLO name we announce.
    #[arg(long, value_name = "NAME", global = true, env = "MAILWIZ_HELO")]
    pub helo: Option<String>,

    /// A second vantage point: a command whose stdin/stdout carry the SMTP session, `%h` and `%p`
    /// standing for the address and port (`ssh -W %h:%p box2`). `smtp` connects through it;
    /// `check` probes from here and through it.
    #[arg(long, value_name = "CMD", global = true, env = "MAILWIZ_VIA")]
    pub via: Option<String>,

    /// SMTP port of the receivers instead of 25.
    #[arg(long, value_name = "N", global = true, env = "MAILWIZ_PORT")]
    pub port: Option<u16>,

    /// Print exactly one JSON object on stdout.
    #[arg(long, global = true)]
    pub json: bool,

    /// Write the session journal to this file.
    #[arg(long, value_name = "FILE", global = true, env = "MAILWIZ_JOURNAL")]
    pub journal: Option<PathBuf>,

    /// Read settings from this TOML file instead of the default one.
    #[arg(long, value_name = "FILE", global = true, env = "MAILWIZ_CONFIG")]
    pub config: Option<PathBuf>,

    /// Write diagnostic logs to this file.
    #[arg(long, value_name = "FILE", global = true, env = "MAILWIZ_LOG_FILE")]
    pub log_file: Option<PathBuf>,

    /// Do not use colours (also when `NO_COLOR` is set).
    #[arg(long, global = true)]
    pub no_color: bool,

    /// Run against the built-in demo world instead of the network.
    #[arg(long, global = true)]
    pub demo: bool,
}

/// The headless commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The wizard against the built-in demo world (no network needed).
    Demo,
    /// All steps headless: findings and diagnosis.
    Check(CheckArgs),
    /// MX analysis of a domain.
    Mx(MxArgs),
    /// One DNS query, nslookup-like; with no NAME, an interactive console on stdin.
    Dns(DnsArgs),
    /// A telnet-like SMTP session on stdin/stdout, or a probe with --ehlo/--from/--to.
    Smtp(SmtpArgs),
    /// Reverse DNS, forward confirmation and HELO identity of an address.
    Ptr(PtrArgs),
    /// An address against DNS block lists.
    Blocklist(BlocklistArgs),
    /// The local mail queue grouped by domain and error.
    Queue(QueueArgs),
    /// MTA logs summarised for a domain.
    Logs(LogsArgs),
    /// Read a bounce (RFC 3464 report, Exchange NDR, MTA text): recipients, the receiver's reply
    /// and stage, then the diagnosis for the recipient's domain.
    Bounce(BounceArgs),
    /// Does our mail authenticate? SPF for our IP, DMARC, DKIM keys; the receiver's MTA-STS and DANE.
    Auth(AuthArgs),
    /// A saved session journal as a report (the diagnosis first), its transcript, Markdown or JSON.
    Report(ReportArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Print the man page (roff): `mailwiz man > ~/.local/share/man/man1/mailwiz.1`.
    Man,
    /// Print configuration help; `--example` prints a commented config file.
    Config(ConfigArgs),
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Print a commented config file, valid as it stands, with every setting and its default.
    #[arg(long)]
    pub example: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The domain (or user@domain) mail is stuck for.
    pub domain: Option<String>,
    /// Envelope sender for the SMTP probe.
    #[arg(long)]
    pub from: Option<String>,
    /// Envelope recipient for the SMTP probe.
    #[arg(long)]
    pub to: Option<String>,
    /// Also write the Markdown report to this file.
    #[arg(long, value_name = "FILE.md")]
    pub report: Option<PathBuf>,
    /// Also write a short plain-text note for the receiver's postmaster to this file.
    #[arg(long, value_name = "FILE")]
    pub note: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BounceArgs {
    /// The bounce: an .eml or mbox file, a text file, or `-` for stdin.
    #[arg(value_name = "FILE|-")]
    pub file: String,
    /// Read the bounce only: no lookups, no probe, no diagnosis.
    #[arg(long)]
    pub no_check: bool,
}

#[derive(Debug, Args)]
pub struct AuthArgs {
    /// Our domain, or the envelope sender address (user@domain); --ip gives our address.
    /// Without it, --helo NAME checks the HELO identity alone.
    #[arg(value_name = "DOMAIN|ADDRESS")]
    pub target: Option<String>,
    /// A DKIM selector of our domain to check (repeatable).
    #[arg(long = "selector", value_name = "S")]
    pub selectors: Vec<String>,
    /// The From header's domain when it differs from the envelope domain (DMARC and DKIM).
    #[arg(long, value_name = "DOMAIN")]
    pub header_from: Option<String>,
    /// Also check this receiving domain's MTA-STS, TLS-RPT and DANE.
    #[arg(long, value_name = "DOMAIN")]
    pub receiver: Option<String>,
}

#[derive(Debug, Args)]
pub struct MxArgs {
    /// The domain to analyse.
    pub domain: String,
    /// Ask this resolver too and report where the answers differ.
    #[arg(long, value_name = "IP[:PORT]")]
    pub compare_with: Option<String>,
}

#[derive(Debug, Args)]
pub struct DnsArgs {
    /// Record type (A, AAAA, MX, PTR, TXT, CNAME, NS, SOA, TLSA, ANY) followed by the name, or just the name.
    #[arg(num_args = 0..=2, value_name = "[TYPE] NAME")]
    pub words: Vec<String>,
    /// The record type, as an option (shells complete it): `mailwiz dns -t mx bank.example`.
    #[arg(long = "type", short = 't', value_name = "TYPE", ignore_case = true,
          value_parser = clap::builder::PossibleValuesParser::new(["A", "AAAA", "MX", "PTR", "TXT", "CNAME", "NS", "SOA", "ANY"]))]
    pub record_type: Option<String>,
}

#[derive(Debug, Args)]
pub struct SmtpArgs {
    /// The server, HOST or HOST:PORT (or `[IPv6]:PORT`).
    pub host: String,
    /// Run the probe announcing this name.
    #[arg(long)]
    pub ehlo: Option<String>,
    /// Probe: envelope sender.
    #[arg(long)]
    pub from: Option<String>,
    /// Probe: envelope recipient.
    #[arg(long)]
    pub to: Option<String>,
    /// Probe: upgrade with STARTTLS when offered.
    #[arg(long)]
    pub starttls: bool,
    /// Probe: stop after this stage.
    #[arg(long, value_enum)]
    pub quit_after: Option<crate::smtp::probe::Stage>,
    /// Speak TLS from the first byte (implicit TLS, as on port 465).
    #[arg(long)]
    pub tls: bool,
    /// Print the probe as one swaks command line instead of running it.
    #[arg(long)]
    pub as_swaks: bool,
}

#[derive(Debug, Args)]
pub struct PtrArgs {
    /// The address to check (IPv4 or IPv6). The HELO name to compare comes from --helo.
    #[arg(value_name = "IP")]
    pub address: String,
}

#[derive(Debug, Args)]
pub struct BlocklistArgs {
    /// The address (or domain, for domain lists) to check; --ip when omitted.
    #[arg(value_name = "IP")]
    pub subject: Option<String>,
    /// Query these zones instead of the bundled list (comma-separated); zones named here are
    /// asked even for private and documentation addresses (lab lists).
    #[arg(long, value_delimiter = ',', value_name = "ZONES")]
    pub zones: Vec<String>,
    /// Check each zone with its test entries (127.0.0.2 must be listed, 127.0.0.1 must not).
    #[arg(long)]
    pub self_test: bool,
}

#[derive(Debug, Args)]
pub struct QueueArgs {
    /// Read the queue listing from this file instead of running the MTA's command.
    #[arg(long, global = true)]
    pub file: Option<PathBuf>,
    /// The listing's format; with an action, also whose commands act (exchange: print them).
    #[arg(long, default_value = "auto", value_parser = FormatParser::<queue::Format>::default(), global = true)]
    pub format: FormatArg<queue::Format>,
    /// Act on the queue instead of listing it.
    #[command(subcommand)]
    pub action: Option<QueueAction>,
}

/// Changes to the queue, with the MTA's own commands.
#[derive(Debug, Subcommand)]
pub enum QueueAction {
    /// Deliver now: the messages to one domain, or the messages given by id.
    Retry(QueueActionArgs),
    /// Put messages on hold (Exim: freeze).
    Hold(QueueActionArgs),
    /// Release held messages (Exim: thaw).
    Release(QueueActionArgs),
    /// Delete messages from the queue.
    Delete(QueueActionArgs),
}

#[derive(Debug, Args)]
pub struct QueueActionArgs {
    /// Queue ids; for retry, a domain instead.
    #[arg(required = true, value_name = "DOMAIN|ID")]
    pub targets: Vec<String>,
    /// Change the queue without asking (needed when there is no terminal to ask on).
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Log files (plain or .gz); globs are expanded. None: the config's `[logs] paths` (the
    /// demo world's log with --demo).
    pub files: Vec<String>,
    /// Summarise for this domain.
    #[arg(long)]
    pub domain: Option<String>,
    #[arg(long, default_value = "auto", value_parser = FormatParser::<logs::Format>::default())]
    pub format: FormatArg<logs::Format>,
    /// After the summary, keep reading as the MTA writes (tail -f; rotation-aware); Ctrl-C ends.
    #[arg(long, short = 'f')]
    pub follow: bool,
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// The diagnosis first, then the findings by step and the notes.
    Text,
    /// Every event of the session, timestamped and marked as swaks marks them.
    Transcript,
    Markdown,
    Json,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The journal file (JSON Lines) of a saved session.
    #[arg(required_unless_present = "diff", conflicts_with = "diff")]
    pub journal: Option<PathBuf>,
    /// What changed between two sessions: findings and causes gone, new and changed.
    #[arg(long, num_args = 2, value_names = ["OLD", "NEW"])]
    pub diff: Option<Vec<PathBuf>>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: ReportFormat,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

/// `--format` of `queue` and `logs`: one of the engine's formats, or `None` for `auto` (detect).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatArg<F>(pub Option<F>);

/// Reads [`FormatArg`]: `auto`, or a name from the engine's format registry.
#[derive(Debug, Clone)]
pub struct FormatParser<F>(PhantomData<F>);

impl<F> Default for FormatParser<F> {
    fn default() -> Self {
        FormatParser(PhantomData)
    }
}

impl<F: ValueEnum + Clone + Send + Sync + 'static> TypedValueParser for FormatParser<F> {
    type Value = FormatArg<F>;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<Self::Value, clap::Error> {
        let names = PossibleValuesParser::new(self.possible_values().into_iter().flatten());
        let name = names.parse_ref(cmd, arg, value)?;
        Ok(FormatArg(F::from_str(&name, false).ok()))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        let formats = F::value_variants().iter().filter_map(ValueEnum::to_possible_value);
        Some(Box::new(std::iter::once(PossibleValue::new("auto")).chain(formats)))
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;
    use crate::session::step::STEPS;

    #[test]
    fn every_step_names_a_command_that_runs_it_headless() {
        let cli = Cli::command();
        for step in &STEPS {
            assert!(cli.find_subcommand(step.command).is_some(), "{:?}: no command {}", step.id, step.command);
        }
    }
}
