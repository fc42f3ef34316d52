//! Step 3 following the logs as the MTA writes them (after a retry, or on `f`): new lines about
//! the target are listed as they come, deliveries are pointed out, and a deferral reason not
//! seen before becomes a `log.new_reason` finding.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Duration;

use super::{Effect, Job, JobKind, Row, StepId, Tone};
use crate::logs::follow::{FollowEvent, Follower};
use crate::logs::watch::{Seen, Watch};
use crate::logs::{self, DomainFilter, LogSummary};
use crate::session::escape::escape_str;
use crate::session::{Event, EventKind, Session};

/// Lines kept on screen; older ones scroll away.
const KEPT: usize = 200;
/// How often the files are looked at.
const POLL: Duration = Duration::from_millis(500);

/// What the follow job reports: what happened since the last poll.
#[derive(Debug)]
pub struct Followed(pub Vec<FollowEvent>);

/// The follow's latest lines (its job is [`JobKind::Follow`] in the job table).
#[derive(Debug, Default)]
pub struct Following {
    lines: VecDeque<Row>,
}

impl Following {
    /// Starts following `patterns` for the session's target; the reasons of `summary` (the logs
    /// as read before) are not new.
    pub fn start(&mut self, patterns: Vec<String>, session: &Session, summary: Option<&LogSummary>) -> Vec<Effect> {
        let filter = session.target.as_ref().map(|t| DomainFilter::new(&t.domain));
        let watch = filter.as_ref().map(|f| Watch::new(&f.domain, summary));
        self.lines.clear();
        let label = match &filter {
            Some(f) => format!("Following the logs for {}", f.domain),
            None => "Following the logs".to_string(),
        };
        let job = Job::new(StepId::Logs, label, move |jc| async move {
            let Ok(paths) = logs::input::expand(&patterns) else {
                jc.finish(Followed(Vec::new()));
                return;
            };
            let mut follower = Some(Follower::new(&paths as &[PathBuf], None, filter).with_watch(watch));
            loop {
                let Some(mut current) = follower.take() else { return };
                let ctx = jc.ctx.clone();
                let polled = tokio::task::spawn_blocking(move || {
                    let events = current.poll(&ctx);
                    (current, events)
                })
                .await;
                let Ok((current, events)) = polled else { return };
                // A file with more waiting is read again at once; else the next look is after POLL.
                let pause = if current.behind() { Duration::ZERO } else { POLL };
                follower = Some(current);
                if !events.is_empty() {
                    jc.emit(Followed(events));
                }
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    () = jc.cancel.cancelled() => return,
                }
            }
        })
        .of_kind(JobKind::Follow);
        vec![
            Effect::Record(Event::new(EventKind::Info, format!("logs: {}", job.label.to_lowercase()))),
            Effect::Spawn(job),
        ]
    }

    /// Takes what the job saw: rows for the lines, findings for new reasons.
    pub fn take(&mut self, events: Vec<FollowEvent>, session: &mut Session) -> Vec<Effect> {
        let mut effects = Vec::new();
        for event in events {
            if let Some(notice) = event.notice() {
                let tone = if matches!(event, FollowEvent::Unreadable { .. }) { Tone::Fail } else { Tone::Dim };
                self.push(Row::new(tone, notice));
                continue;
            }
            let FollowEvent::Line { text, seen, .. } = event else { continue };
            self.push(Row::new(Tone::Normal, escape_str(&text)));
            for seen in seen {
                match seen {
                    Seen::NewReason(finding) => {
                        // Journaled by the follower; the session shows it.
                        self.push(Row::new(Tone::Warn, format!("  ⚠ {}", finding.summary)));
                        session.push_finding(finding);
                    }
                    delivered @ Seen::Delivered { .. } => {
                        let line = format!("  {}", delivered.delivered_line().unwrap_or_default());
                        effects.push(Effect::Record(Event::new(EventKind::Info, format!("logs:{line}"))));
                        self.push(Row::new(Tone::Ok, line));
                    }
                }
            }
        }
        effects
    }

    fn push(&mut self, row: Row) {
        if self.lines.len() == KEPT {
            self.lines.pop_front();
        }
        self.lines.push_back(row);
    }

    /// The rows under the summary while `following` (or after).
    pub fn rows(&self, following: bool) -> Vec<Row> {
        if !following && self.lines.is_empty() {
            return Vec::new();
        }
        let state =
            if following { "Following — new lines as they are written (Esc stops)" } else { "Followed lines" };
        let mut rows = vec![Row::new(Tone::Heading, state)];
        if self.lines.is_empty() {
            rows.push(Row::new(Tone::Dim, "  nothing new yet"));
        }
        rows.extend(self.lines.iter().cloned());
        rows
    }
}
