//! `mailwiz logs FILE... --follow`: after the summary, new lines as they are written (those about
//! `--domain` when given), rotation and truncation said, deliveries and new deferral reasons
//! pointed out; Ctrl-C ends it.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use super::CliResult;
use super::output::{exit_for, findings_text};
use crate::context::Context;
use crate::logs::follow::{FollowEvent, Follower};
use crate::logs::watch::{Seen, Watch};
use crate::logs::{DomainFilter, Format, LogSummary};
use crate::session::Finding;
use crate::session::escape::escape_str;

/// How often the files are looked at.
const POLL: Duration = Duration::from_millis(200);

/// Follows `paths` until Ctrl-C. `findings` are those of the summary; the exit code is that of
/// them and the findings recorded while following.
pub async fn run(
    paths: Vec<PathBuf>,
    format: Option<Format>,
    filter: Option<DomainFilter>,
    summary: &LogSummary,
    mut findings: Vec<Finding>,
    ctx: &Context,
) -> CliResult {
    let watch = filter.as_ref().map(|f| Watch::new(&f.domain, Some(summary)));
    let names: Vec<String> = paths.iter().map(|p| escape_str(&p.display().to_string())).collect();
    let mut follower = Follower::new(&paths, format, filter).with_watch(watch);
    // Said once the ends are taken: every line written after this is shown.
    eprintln!("mailwiz: following {} (Ctrl-C ends)", names.join(", "));
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    loop {
        let poller = ctx.clone();
        let polled = tokio::task::spawn_blocking(move || {
            let events = follower.poll(&poller);
            (follower, events)
        });
        // Ctrl-C ends the follow even while a poll runs.
        let (returned, events) = tokio::select! {
            _ = &mut interrupted => return Ok(exit_for(&findings)),
            polled = polled => polled,
        }
        .map_err(|err| super::CliError::CannotRun(format!("following the logs failed: {err}")))?;
        follower = returned;
        let mut out = String::new();
        for event in events {
            if let Some(notice) = event.notice() {
                eprintln!("mailwiz: {notice}");
                continue;
            }
            let FollowEvent::Line { text, seen, .. } = event else { continue };
            out.push_str(&escape_str(&text));
            out.push('\n');
            for seen in seen {
                match seen {
                    Seen::NewReason(finding) => {
                        out.push_str(&findings_text(std::slice::from_ref(&finding)));
                        findings.push(finding);
                    }
                    delivered @ Seen::Delivered { .. } => {
                        out.extend(delivered.delivered_line().map(|l| format!("  {l}\n")));
                    }
                }
            }
        }
        if !out.is_empty() {
            let mut stdout = std::io::stdout().lock();
            if stdout.write_all(out.as_bytes()).and_then(|()| stdout.flush()).is_err() {
                // The reader went away (`| head`): nothing more to show.
                return Ok(exit_for(&findings));
            }
        }
        // A file with more waiting is read again at once; else the next look is after POLL.
        let pause = if follower.behind() { Duration::ZERO } else { POLL };
        tokio::select! {
            _ = &mut interrupted => return Ok(exit_for(&findings)),
            () = tokio::time::sleep(pause) => {}
        }
    }
}
