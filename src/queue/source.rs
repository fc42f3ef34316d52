//! Where the listing comes from: the local MTA's own command (run as an argv, never through a
//! shell, under a timeout) or a file.

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::io::AsyncReadExt;
use tokio_util::io::SyncIoBridge;

use super::actions::Mta;
use super::exim::{DelayReasons, join_reasons};
use super::findings::Lifetime;
use super::format::Format;
use super::parse_reader;
use super::parsed::Parsed;
use super::time::parse_duration;
use crate::context::Context;
use crate::{input_file, mta_command};

/// What to load: a file (with its format, or detected), else the local MTA's queue.
#[derive(Debug, Clone, Default)]
pub struct LoadRequest {
    pub file: Option<PathBuf>,
    pub format: Option<Format>,
}

/// A listing read and parsed.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub parsed: Parsed,
    /// `postqueue -j`, or the file's path.
    pub source: String,
    pub lifetime: Lifetime,
    pub notes: Vec<String>,
}

/// Why no listing could be read: one sentence naming what is at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// The file given is missing, unreadable or not a queue listing.
    #[error("{0}")]
    Input(String),
    /// No MTA command, or it failed.
    #[error("{0}")]
    CannotRun(String),
}

/// A local listing command: the program, its arguments, the format it prints (None: detect).
type Listing = (&'static str, &'static [&'static str], Option<Format>);

/// The local commands tried in order for a format (its registry entry's), or for any format.
fn commands_for(format: Option<Format>) -> Vec<Listing> {
    match format {
        None => vec![
            ("postqueue", &["-j"], Some(Format::PostfixJson)),
            ("exim", &["-bp"], Some(Format::Exim)),
            ("exim4", &["-bp"], Some(Format::Exim)),
            ("mailq", &[], None),
        ],
        Some(format) => format.spec().commands.iter().map(|&(program, args)| (program, args, Some(format))).collect(),
    }
}

/// Where Exim's mainlog usually is.
const EXIM_MAINLOGS: &[&str] =
    &["/var/log/exim4/mainlog", "/var/log/exim/mainlog", "/var/log/exim/main.log", "/var/spool/exim/log/mainlog"];

/// At most this many `exim -Mvl` runs when no mainlog is readable.
const MAX_MSGLOGS: usize = 50;

/// Most bytes read of one message's log (`exim -Mvl`).
const MAX_MSGLOG: usize = 1 << 20;

/// Loads the queue `request` names; with no file, `config.queue.file`, else the local MTA's
/// listing (`postqueue -j`, else `exim -bp`, else `mailq`; never in the demo).
pub async fn load(ctx: &Context, request: &LoadRequest, now: DateTime<Utc>) -> Result<Loaded, SourceError> {
    let config_lifetime = Lifetime::from_config(ctx.config.queue.lifetime_days);
    if let Some(path) = request.file.clone().or_else(|| ctx.config.queue.file.clone()) {
        let (parsed, notes) = load_file(&path, request.format, now).await?;
        return Ok(Loaded { parsed, source: path.display().to_string(), lifetime: config_lifetime, notes });
    }
    if ctx.demo {
        // The demo never runs the host's MTA, not even to read its queue.
        return Err(SourceError::Input(
            "the demo world has no queue listing, and the demo never runs this machine's MTA commands".into(),
        ));
    }
    if request.format == Some(Format::Exchange) {
        return Err(SourceError::Input(
            "Exchange queues are read from a file: save Get-Queue or Get-Message output (| fl or Export-Csv) and give it with --file".into(),
        ));
    }
    let timeout = ctx.config.queue.command_timeout();
    for (program, args, format) in commands_for(request.format) {
        let Some(path) = mta_command::find(program) else { continue };
        let (mut parsed, mut notes) = run_listing(&path, args, format, timeout, now, MAX_LISTING_OUTPUT).await?;
        let source = std::iter::once(program).chain(args.iter().copied()).collect::<Vec<_>>().join(" ");
        let mut lifetime = config_lifetime.clone();
        if parsed.format.spec().mta == Mta::Postfix
            && let Some(from_postfix) = postfix_lifetime(ctx.config.timeout()).await
        {
            lifetime = from_postfix;
        }
        if parsed.format.spec().mta == Mta::Exim {
            notes.extend(exim_reasons(&path, &mut parsed, ctx.config.timeout()).await);
        }
        return Ok(Loaded { parsed, source, lifetime, notes });
    }
    let wanted: Vec<&str> = commands_for(request.format).iter().map(|(program, _, _)| *program).collect();
    Err(SourceError::CannotRun(format!(
        "no mail queue command was found ({}); give a listing with --file",
        wanted.join(", ")
    )))
}

/// Most bytes read of a queue file, as of a listing command: a source that never ends (a pipe)
/// stops here, said in a note.
pub const MAX_QUEUE_FILE: u64 = MAX_LISTING_OUTPUT;

/// Most bytes read of a listing command's output (about a million messages of `postqueue -j`): a
/// command that never stops writing is stopped here, said in a note.
pub const MAX_LISTING_OUTPUT: u64 = 512 << 20;

async fn load_file(
    path: &Path,
    format: Option<Format>,
    now: DateTime<Utc>,
) -> Result<(Parsed, Vec<String>), SourceError> {
    let shown = path.display().to_string();
    let file = input_file::open(path).map_err(|err| SourceError::Input(file_error(&shown, &err)))?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(SourceError::Input(format!("the queue file {shown} is a directory")));
    }
    let size_before = file.metadata().map(|m| m.len()).unwrap_or(0);
    let (capped, cut) = input_file::Capped::new(file, MAX_QUEUE_FILE);
    let read = capped.count();
    let parsed =
        tokio::task::spawn_blocking(move || parse_reader(BufReader::with_capacity(256 * 1024, capped), format, now))
            .await
            .map_err(|err| SourceError::CannotRun(format!("reading the queue file {shown} failed: {err}")))?
            .map_err(|err| SourceError::Input(format!("the queue file {shown} cannot be read: {err}")))?;
    if parsed.entries.is_empty()
        && parsed.skipped.count == 0
        && let Some(note) = input_file::no_writer_note(path)
    {
        return Err(SourceError::Input(note));
    }
    let mut notes = Vec::new();
    let read = read.load(std::sync::atomic::Ordering::Relaxed);
    if cut.load(std::sync::atomic::Ordering::Relaxed) {
        notes.push(format!("only the first {} MiB of {shown} were read; the rest was left", MAX_QUEUE_FILE >> 20));
    } else if read < size_before.min(MAX_QUEUE_FILE) {
        notes.push(format!(
            "{shown} shrank while it was read ({read} of its {size_before} bytes came): the listing may be partial; read it again"
        ));
    }
    Ok((parsed, notes))
}

fn file_error(shown: &str, err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => format!("the queue file {shown} does not exist"),
        std::io::ErrorKind::PermissionDenied => format!("the queue file {shown} cannot be read: permission denied"),
        _ => format!("the queue file {shown} cannot be read: {err}"),
    }
}

/// Runs `program args`, parsing its output as it streams in, at most `cap` bytes of it (then the
/// program is stopped, and a note says so); fails on a non-zero exit with the first line the
/// program wrote to stderr.
async fn run_listing(
    program: &Path,
    args: &[&str],
    format: Option<Format>,
    timeout: Duration,
    now: DateTime<Utc>,
    cap: u64,
) -> Result<(Parsed, Vec<String>), SourceError> {
    let shown = std::iter::once(program.display().to_string())
        .chain(args.iter().map(ToString::to_string))
        .collect::<Vec<_>>()
        .join(" ");
    let mut child = mta_command::command(program, args).spawn().map_err(|err| match err.kind() {
        std::io::ErrorKind::PermissionDenied => {
            SourceError::CannotRun(format!("cannot run {}: permission denied", program.display()))
        }
        _ => SourceError::CannotRun(format!("cannot run {}: {err}", program.display())),
    })?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let work = async move {
        let errors = tokio::spawn(async move {
            let mut text = Vec::new();
            let _ = (&mut stderr).take(8 * 1024).read_to_end(&mut text).await;
            String::from_utf8_lossy(&text).into_owned()
        });
        let (capped, cut) = input_file::Capped::new(SyncIoBridge::new(stdout), cap);
        let parsed = tokio::task::spawn_blocking(move || {
            parse_reader(BufReader::with_capacity(256 * 1024, capped), format, now)
        });
        let parsed = parsed.await;
        let cut = cut.load(std::sync::atomic::Ordering::Relaxed);
        if cut {
            // It would block on a full pipe until the deadline.
            let _ = child.start_kill();
        }
        let status = child.wait().await;
        let errors = errors.await.unwrap_or_default();
        (parsed, status, errors, cut)
    };
    let (parsed, status, errors, cut) = tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| SourceError::CannotRun(format!("{shown} did not finish within {} seconds", timeout.as_secs())))?;
    let first_error =
        crate::session::escape::escape_str(errors.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim());
    match status {
        Ok(status) if status.success() || cut => {}
        Ok(status) => {
            let code = status.code().map_or_else(|| "a signal".to_string(), |c| format!("exit status {c}"));
            let hint = if first_error.to_lowercase().contains("permission") {
                "; run mailwiz as root or as a user the MTA lets read its queue"
            } else {
                ""
            };
            let said = if first_error.is_empty() { String::new() } else { format!(": {first_error}") };
            return Err(SourceError::CannotRun(format!("{shown} failed with {code}{said}{hint}")));
        }
        Err(err) => return Err(SourceError::CannotRun(format!("{shown} could not be waited for: {err}"))),
    }
    let parsed =
        parsed.map_err(|err| SourceError::CannotRun(format!("reading the output of {shown} failed: {err}")))?;
    let parsed =
        parsed.map_err(|err| SourceError::CannotRun(format!("the output of {shown} cannot be read: {err}")))?;
    let notes = if cut {
        vec![format!("only the first {} MiB of the output of {shown} were read; it was stopped there", cap >> 20)]
    } else {
        Vec::new()
    };
    Ok((parsed, notes))
}

/// Postfix's `maximal_queue_lifetime`, when `postconf` answers within `timeout`.
async fn postfix_lifetime(timeout: Duration) -> Option<Lifetime> {
    let value = mta_command::stdout_of("postconf", &["-h", "maximal_queue_lifetime"], timeout).await?;
    let duration = parse_duration(value.trim(), 'd').filter(|d| *d > chrono::Duration::zero())?;
    Some(Lifetime { duration, source: "postconf maximal_queue_lifetime".into() })
}

/// Adds Exim delay reasons from the mainlog, or from `exim -Mvl` for the first messages when no
/// mainlog is readable. Returns notes on what could not be done.
async fn exim_reasons(exim: &Path, parsed: &mut Parsed, timeout: Duration) -> Vec<String> {
    let needing: Vec<String> = parsed
        .entries
        .iter()
        .filter(|e| e.pending().any(|r| r.reason().is_none()))
        .map(|e| e.id().to_string())
        .collect();
    if needing.is_empty() {
        return Vec::new();
    }
    let mainlog = EXIM_MAINLOGS.iter().map(Path::new).find(|p| std::fs::File::open(p).is_ok());
    if let Some(path) = mainlog {
        let path = path.to_path_buf();
        let reasons = tokio::task::spawn_blocking(move || {
            let mut reasons = DelayReasons::default();
            if let Ok(file) = std::fs::File::open(&path) {
                reasons.read(BufReader::with_capacity(256 * 1024, file), None);
            }
            reasons
        })
        .await
        .unwrap_or_default();
        join_reasons(parsed, &reasons);
        return Vec::new();
    }
    let mut reasons = DelayReasons::default();
    for id in needing.iter().take(MAX_MSGLOGS) {
        if let Ok(ran) = mta_command::run(exim, &["-Mvl", id], timeout, MAX_MSGLOG).await
            && ran.status.success()
        {
            reasons.read(&ran.stdout[..], Some(id));
        }
    }
    join_reasons(parsed, &reasons);
    let mut notes = vec!["no Exim mainlog was readable; delay reasons come from exim -Mvl".to_string()];
    if needing.len() > MAX_MSGLOGS {
        notes.push(format!("exim -Mvl was read for {MAX_MSGLOGS} of {} messages", needing.len()));
    }
    notes
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_listing_command_that_never_stops_is_cut_and_stopped() {
        let yes = mta_command::find("yes").expect("coreutils yes is on every Unix");
        let line = r#"{"queue_name": "deferred", "queue_id": "A1", "arrival_time": 1700000000, "message_size": 10, "sender": "a@b.example", "recipients": [{"address": "c@d.example", "delay_reason": "421 try later"}]}"#;
        let started = std::time::Instant::now();
        let (parsed, notes) =
            run_listing(&yes, &[line], Some(Format::PostfixJson), Duration::from_secs(30), Utc::now(), 1 << 20)
                .await
                .expect("a cut listing is read, not refused");
        assert!(started.elapsed() < Duration::from_secs(20), "stopped at the cap, not at the deadline");
        assert!(parsed.entries.len() > 1_000, "{} entries", parsed.entries.len());
        assert!(parsed.entries.len() < 10_000, "{} entries", parsed.entries.len());
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("only the first 1 MiB of the output of"), "{}", notes[0]);
    }
}
