//! Step 1: the local queue grouped by recipient domain (or by reason), with ages; choosing a
//! group or a message sets the target and the observed error and moves on to the MX step.
//!
//! Only the groups and the messages of the selected group become rows, so a queue of 100,000
//! messages costs a few hundred rows per frame.

use chrono::{Duration, Utc};

use super::bounce_input::{BounceInput, BounceRead};
use super::queue_act::{self, Acted, Acting, WATCH_EVERY, WATCH_ROUNDS, Watching};
use super::{Effect, Job, JobEvent, JobKind, Jobs, Request, Row, Step, StepId, StepKey, StepStatus, StepView, Tone};
use crate::context::Context;
use crate::queue::actions::{QueueOp, Selection};
use crate::queue::time::format_age;
use crate::queue::{EntryRef, Group, LoadRequest, QueueReport};
use crate::session::escape::escape_str;
use crate::session::{Event, EventKind, Session, Target};

/// Groups listed at most; the rest are counted in a last row.
const MAX_GROUPS: usize = 500;
/// Messages listed under the selected group at most.
const MAX_ENTRIES: usize = 100;
/// Reasons are cut to this many characters in list rows.
const REASON_CHARS: usize = 100;
/// Where the text of the selected group's reasons starts, and its wrapped lines continue.
const DETAIL_HANG: usize = 14;

/// What the queue job reports: the analysed queue, or why it could not be read.
#[derive(Debug)]
pub enum QueueEvent {
    Done(Result<Box<QueueReport>, String>),
}

/// How the list is grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    #[default]
    Domain,
    Reason,
}

/// Where the selection is: a group, or one of its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cursor {
    pub group: usize,
    pub entry: Option<usize>,
}

/// State of the Queue step.
#[derive(Debug, Default)]
pub struct QueueStep {
    result: Option<Result<Box<QueueReport>, String>>,
    group_by: GroupBy,
    cursor: Cursor,
    act: Acting,
    /// A domain to retry once the queue is read (asked for by the diagnosis).
    retry_after_load: Option<String>,
    /// Running against the demo world: actions are dry runs.
    demo: bool,
    /// The `bounce>` prompt (`o`): a bounce to start from.
    bounce: BounceInput,
}

/// The key that opens the `bounce>` prompt.
const BOUNCE_KEY: StepKey = StepKey { key: 'o', hint: "start from a bounce (file or pasted text)" };

/// The keys that act on the selection, and what they do.
const ACTION_KEYS: [(char, QueueOp, &str); 4] = [
    ('t', QueueOp::Retry, "retry now"),
    ('h', QueueOp::Hold, "hold"),
    ('u', QueueOp::Release, "release"),
    ('D', QueueOp::Delete, "delete"),
];

impl QueueStep {
    /// The loaded queue, when there is one.
    pub fn report(&self) -> Option<&QueueReport> {
        self.result.as_ref().and_then(|r| r.as_ref().ok()).map(|b| &**b)
    }

    /// The selection.
    pub fn cursor(&self) -> Cursor {
        self.cursor
    }

    /// The grouping shown.
    pub fn group_by(&self) -> GroupBy {
        self.group_by
    }

    fn groups(&self) -> &[Group] {
        self.report().map_or(&[], |report| groups(report, self.group_by))
    }

    fn shown_groups(&self) -> usize {
        self.groups().len().min(MAX_GROUPS)
    }

    fn shown_entries(&self, group: usize) -> usize {
        self.groups().get(group).map_or(0, |g| g.entries.len().min(MAX_ENTRIES))
    }

    fn start() -> Vec<Effect> {
        QueueStep::start_after(std::time::Duration::ZERO)
    }

    /// Reads the queue after `delay` (the re-reads that watch a retry).
    fn start_after(delay: std::time::Duration) -> Vec<Effect> {
        let job = Job::new(StepId::Queue, "Reading the mail queue", move |jc| async move {
            if !delay.is_zero() {
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = jc.cancel.cancelled() => return,
                }
            }
            let request = LoadRequest::default();
            let outcome = tokio::select! {
                read = crate::queue::read(&jc.ctx, &request, Utc::now(), None) => read,
                () = jc.cancel.cancelled() => return,
            };
            let outcome = outcome.map_err(|err| err.to_string());
            if let Ok(report) = &outcome {
                jc.ctx.journal.log(
                    EventKind::Info,
                    format!(
                        "queue: read {} ({}): {} message(s), {} line(s) skipped",
                        escape_str(&report.source),
                        report.format.name(),
                        report.grouping.messages,
                        report.skipped.count
                    ),
                );
            }
            jc.finish(QueueEvent::Done(outcome.map(Box::new)));
        });
        vec![Effect::Spawn(job)]
    }

    /// Sets the target and observed error from the selection and moves on to the MX step.
    fn choose(&mut self, session: &mut Session) -> Vec<Effect> {
        let Some(report) = self.report() else { return Vec::new() };
        let Some(group) = self.groups().get(self.cursor.group) else { return Vec::new() };
        let (domain, reason) = match self.cursor.entry {
            Some(i) => {
                let Some(entry) = report.entries.get(group.entries[i] as usize) else { return Vec::new() };
                let recipient = match self.group_by {
                    GroupBy::Domain => entry.pending().find(|r| r.domain() == group.key),
                    GroupBy::Reason => entry.pending().next(),
                };
                match recipient {
                    Some(r) => (r.domain().to_string(), r.reason().map(|reason| reason.text().into_owned())),
                    None => return Vec::new(),
                }
            }
            None => match self.group_by {
                GroupBy::Domain => (group.key.clone(), group.example.clone()),
                // The reason's main domain, and the reason as the MTA wrote it for that domain.
                GroupBy::Reason => match group.top.first() {
                    Some(share) => (share.key.clone(), share.example.clone()),
                    None => return Vec::new(),
                },
            },
        };
        let Ok(target) = Target::parse(&domain) else {
            return vec![Effect::Record(Event::new(
                EventKind::Error,
                format!("queue: \"{}\" is not a domain to look into", escape_str(&domain)),
            ))];
        };
        let reason = reason.map(|r| escape_str(&r));
        let text = match &reason {
            Some(reason) => format!("queue: target {} chosen, observed error: {reason}", target.display),
            None => format!("queue: target {} chosen", target.display),
        };
        session.queued_recipient = crate::queue::entry::oldest_recipient(&report.entries, &target.domain);
        session.target = Some(target);
        session.observed_error = reason;
        vec![Effect::Record(Event::new(EventKind::Info, text)), Effect::Goto(StepId::Mx)]
    }

    /// The selected message, or the selected group: a domain (retry takes it whole) or the
    /// group's messages.
    fn selection(&self, action: QueueOp) -> Option<(Selection, Option<String>)> {
        let report = self.report()?;
        let group = self.groups().get(self.cursor.group)?;
        let ids = |indices: &[u32]| {
            indices.iter().filter_map(|&i| report.entries.get(i as usize)).map(|e| e.id().to_string()).collect()
        };
        Some(match (self.cursor.entry, self.group_by, action) {
            (Some(e), _, _) => (Selection::Ids(ids(&group.entries[e..=e])), None),
            (None, GroupBy::Domain, QueueOp::Retry) => (Selection::Domain(group.key.clone()), Some(group.key.clone())),
            (None, _, _) => (Selection::Ids(ids(&group.entries)), None),
        })
    }

    /// Plans `action` on `selection` and asks to confirm it (Exchange lines are only printed,
    /// and the demo runs nothing, so they need no confirmation).
    fn propose(&mut self, action: QueueOp, selection: &Selection, watch: Option<String>) -> Vec<Effect> {
        let Some(report) = self.report() else { return Vec::new() };
        match queue_act::plan(report, action, selection, self.demo) {
            Err(text) => {
                self.act.note = Some((Tone::Warn, text));
                Vec::new()
            }
            // A dry run (the demo) changes nothing: no question, and nothing to watch.
            Ok(plan) if self.demo || plan.commands.iter().all(|c| c.print_only) => self.run_plan(plan, None),
            Ok(plan) => {
                let question = plan.question();
                self.act.pending = Some((plan, watch));
                vec![Effect::Confirm { step: StepId::Queue, question }]
            }
        }
    }

    fn run_plan(&mut self, plan: crate::queue::actions::Plan, watch: Option<String>) -> Vec<Effect> {
        self.act.note = None;
        self.act.watching = watch.map(|domain| Watching { domain, rounds: 0 });
        vec![Effect::Spawn(queue_act::job(plan))]
    }

    /// After a re-read: says when the watched domain's messages have left, or reads again.
    fn watch(&mut self) -> Vec<Effect> {
        let Some(mut watch) = self.act.watching.take() else { return Vec::new() };
        let Some(report) = self.report() else {
            let text = format!("queue: the queue could not be read again to watch {}", watch.domain);
            self.act.note = Some((Tone::Warn, text.trim_start_matches("queue: ").to_string()));
            return vec![Effect::Record(Event::new(EventKind::Error, text))];
        };
        let left = report.grouping.by_domain.iter().find(|g| g.key == watch.domain).map_or(0, |g| g.messages);
        watch.rounds += 1;
        let text = if left == 0 {
            format!("queue: every message to {} has left the queue", watch.domain)
        } else if watch.rounds >= WATCH_ROUNDS {
            format!(
                "queue: {left} message(s) to {} still queued after the retry; the Logs step shows the new reason",
                watch.domain
            )
        } else {
            self.act.watching = Some(watch);
            return QueueStep::start_after(WATCH_EVERY);
        };
        let tone = if left == 0 { Tone::Ok } else { Tone::Warn };
        self.act.note = Some((tone, text.trim_start_matches("queue: ").to_string()));
        vec![Effect::Record(Event::new(EventKind::Info, text))]
    }

    /// Keeps the cursor inside the list after it changed.
    fn clamp_cursor(&mut self) {
        let groups = self.shown_groups();
        if groups == 0 {
            self.cursor = Cursor::default();
            return;
        }
        self.cursor.group = self.cursor.group.min(groups - 1);
        let entries = self.shown_entries(self.cursor.group);
        self.cursor.entry = self.cursor.entry.filter(|_| entries > 0).map(|e| e.min(entries - 1));
    }

    /// Puts the cursor on the target's domain group, when the session already has a target.
    fn select_target(&mut self, session: &Session) {
        self.cursor = Cursor::default();
        if let (Some(target), GroupBy::Domain) = (&session.target, self.group_by)
            && let Some(i) = self.groups().iter().take(MAX_GROUPS).position(|g| g.key == target.domain)
        {
            self.cursor.group = i;
        }
    }
}

impl Step for QueueStep {
    fn id(&self) -> StepId {
        StepId::Queue
    }

    fn status(&self) -> StepStatus {
        StepStatus::after(self.result.as_ref().map(Result::is_ok))
    }

    fn view(&self, _session: &Session, jobs: Jobs<'_>) -> StepView {
        let mut view = self.queue_view(jobs.running(JobKind::Run));
        self.bounce.prepend_to(&mut view, jobs);
        view
    }

    fn prompt(&self) -> Option<String> {
        self.bounce.prompt()
    }

    fn history_entry(&self, line: &str) -> Option<String> {
        self.bounce.history_entry(line)
    }

    fn submit(&mut self, line: &str, _session: &mut Session, _ctx: &Context, jobs: Jobs<'_>) -> Vec<Effect> {
        self.bounce.submit(line, jobs)
    }

    fn paste(&mut self, text: &str) -> bool {
        self.bounce.paste(text)
    }

    fn input_left(&mut self) {
        self.bounce.close();
    }

    fn run(&mut self, session: &mut Session, ctx: &Context, jobs: Jobs<'_>) -> Vec<Effect> {
        self.demo = ctx.demo;
        match (jobs.running(JobKind::Run), &self.result) {
            (true, _) => Vec::new(),
            (false, Some(Ok(report))) if report.grouping.messages > 0 => self.choose(session),
            _ => QueueStep::start(),
        }
    }

    fn key(&mut self, key: char, session: &mut Session, _ctx: &Context, jobs: Jobs<'_>) -> Vec<Effect> {
        match key {
            'o' => self.bounce.open(jobs),
            'g' if self.report().is_some() => {
                self.group_by = match self.group_by {
                    GroupBy::Domain => GroupBy::Reason,
                    GroupBy::Reason => GroupBy::Domain,
                };
                self.select_target(session);
                Vec::new()
            }
            'r' if !jobs.running(JobKind::Run) => QueueStep::start(),
            key => match ACTION_KEYS.iter().find(|(k, _, _)| *k == key) {
                Some((_, action, _)) if !jobs.running(JobKind::Action) => match self.selection(*action) {
                    Some((selection, watch)) => self.propose(*action, &selection, watch),
                    None => Vec::new(),
                },
                _ => Vec::new(),
            },
        }
    }

    fn confirmed(&mut self, yes: bool, _session: &mut Session, _ctx: &Context, _jobs: Jobs<'_>) -> Vec<Effect> {
        match self.act.pending.take() {
            Some((plan, watch)) if yes => self.run_plan(plan, watch),
            Some(_) => {
                self.act.note = Some((Tone::Dim, "Not confirmed: nothing was changed.".into()));
                Vec::new()
            }
            None => Vec::new(),
        }
    }

    fn request(&mut self, request: Request, session: &mut Session, ctx: &Context, jobs: Jobs<'_>) -> Vec<Effect> {
        let Request::RetryDomain(domain) = request else { return self.run_if_idle(&request, session, ctx, jobs) };
        let reading = jobs.running(JobKind::Run);
        if !reading && self.report().is_some() {
            return self.propose(QueueOp::Retry, &Selection::Domain(domain.clone()), Some(domain));
        }
        self.retry_after_load = Some(domain);
        if reading { Vec::new() } else { QueueStep::start() }
    }

    fn keys(&self, jobs: Jobs<'_>) -> Vec<StepKey> {
        let mut keys = vec![BOUNCE_KEY];
        // Until a queue is loaded, Enter (or a bounce) is the only thing to do.
        if self.report().is_none() {
            return keys;
        }
        keys.extend([StepKey { key: 'g', hint: "group by domain/reason" }, StepKey { key: 'r', hint: "reload" }]);
        if !jobs.running(JobKind::Action) && self.report().is_some_and(|r| r.grouping.messages > 0) {
            keys.extend(ACTION_KEYS.iter().map(|&(key, _, hint)| StepKey { key, hint }));
        }
        keys
    }

    /// `o` is named in the pane and the help: the bar keeps its room for the keys of the queue
    /// and of every step.
    fn bar_keys(&self, jobs: Jobs<'_>) -> Vec<StepKey> {
        self.keys(jobs).into_iter().filter(|k| k.key != BOUNCE_KEY.key).collect()
    }

    fn all_keys(&self) -> Vec<StepKey> {
        let mut keys = vec![
            BOUNCE_KEY,
            StepKey { key: 'g', hint: "group by domain/reason" },
            StepKey { key: 'r', hint: "reload" },
        ];
        keys.extend(ACTION_KEYS.iter().map(|&(key, _, hint)| StepKey { key, hint }));
        keys
    }

    fn select(&mut self, delta: isize) -> bool {
        if self.report().is_none() {
            return false;
        }
        let groups = self.shown_groups();
        if groups == 0 {
            return true;
        }
        let step = delta.signum();
        for _ in 0..delta.unsigned_abs() {
            let Cursor { group, entry } = self.cursor;
            self.cursor = match (step, entry) {
                (1, None) if self.shown_entries(group) > 0 => Cursor { group, entry: Some(0) },
                (1, Some(e)) if e + 1 < self.shown_entries(group) => Cursor { group, entry: Some(e + 1) },
                (1, _) if group + 1 < groups => Cursor { group: group + 1, entry: None },
                (-1, Some(0)) => Cursor { group, entry: None },
                (-1, Some(e)) => Cursor { group, entry: Some(e - 1) },
                (-1, None) if group > 0 => Cursor { group: group - 1, entry: None },
                _ => break,
            };
        }
        true
    }

    fn on_event(&mut self, event: JobEvent, session: &mut Session, jobs: Jobs<'_>) -> Vec<Effect> {
        if event.is::<BounceRead>() {
            return self.bounce.on_event(event, session);
        }
        if event.is::<Acted>() {
            if let Some(Acted(plan, outcome)) = event.take::<Acted>() {
                self.act.last = Some((plan, outcome));
                // The queue is read again at once, to show what the action changed.
                if !jobs.running(JobKind::Run) {
                    return QueueStep::start();
                }
            }
            return Vec::new();
        }
        match event.take::<QueueEvent>() {
            Some(QueueEvent::Done(outcome)) => {
                if let Ok(report) = &outcome {
                    session.replace_step_findings(StepId::Queue, report.findings.clone());
                }
                let keep = self.result.as_ref().is_some_and(Result::is_ok) && outcome.is_ok();
                let cursor = self.cursor;
                // A recipient of the target's domain already known (a bounce's) is kept.
                if let (Ok(report), Some(target)) = (&outcome, &session.target)
                    && !recipient_of(session.queued_recipient.as_deref(), &target.domain)
                    && let Some(oldest) = crate::queue::entry::oldest_recipient(&report.entries, &target.domain)
                {
                    session.queued_recipient = Some(oldest);
                }
                self.result = Some(outcome);
                if keep {
                    // A re-read keeps the selection where it was, within the new list.
                    self.cursor = cursor;
                    self.clamp_cursor();
                } else {
                    self.select_target(session);
                }
                if let Some(domain) = self.retry_after_load.take() {
                    return self.propose(QueueOp::Retry, &Selection::Domain(domain.clone()), Some(domain));
                }
                return self.watch();
            }
            None => {}
        }
        Vec::new()
    }

    fn cancelled(&mut self, kinds: &[JobKind], _session: &mut Session) {
        self.act.watching = None;
        self.retry_after_load = None;
        if kinds.contains(&JobKind::Run) && self.report().is_none() {
            self.result = Some(Err("Reading the queue was cancelled.".into()));
        }
        if kinds.contains(&JobKind::Action) {
            // The MTA's command cannot be called back once started: its outcome is in the journal.
            let text = "Stopped waiting for the queue change; r re-reads the queue to see what it did.";
            self.act.note = Some((Tone::Warn, text.into()));
        }
    }
}

impl QueueStep {
    /// The queue's own view: reading, not read yet, failed, or the groups.
    fn queue_view(&self, reading: bool) -> StepView {
        if reading && self.report().is_none() {
            return StepView {
                subtitle: "Reading the mail queue — Esc cancels".into(),
                rows: vec![Row::new(Tone::Dim, "Running the MTA's queue listing…")],
                progress: Some(0.0),
                ..StepView::default()
            };
        }
        match &self.result {
            None => StepView {
                subtitle: "Enter reads the local mail queue".into(),
                rows: vec![
                    Row::plain("Groups the queue by recipient domain and by last error, with ages."),
                    Row::new(Tone::Dim, "Runs postqueue -j, exim -bp or mailq, or reads [queue] file."),
                    Row::new(Tone::Dim, "Or o: start from a bounce (its file, or its text pasted)."),
                ],
                ..StepView::default()
            },
            Some(Err(message)) => StepView {
                subtitle: "Enter tries again".into(),
                rows: vec![Row::new(Tone::Fail, escape_str(message))],
                ..StepView::default()
            },
            Some(Ok(report)) => self.report_view(report, reading),
        }
    }

    fn report_view(&self, report: &QueueReport, reading: bool) -> StepView {
        let mut rows = header_rows(report);
        rows.extend(self.act.rows());
        if report.grouping.messages == 0 {
            rows.extend(group_rows(report, self.group_by, Open::Selection(self.cursor)).0);
            return StepView { subtitle: "r reloads".into(), rows, ..StepView::default() };
        }
        let (list, selected) = group_rows(report, self.group_by, Open::Selection(self.cursor));
        let selected = selected.map(|i| i + rows.len());
        rows.extend(list);
        let subtitle = if reading {
            "Re-reading the mail queue — Esc stops".into()
        } else {
            "Enter makes the selection the target · t h u D act on it".into()
        };
        StepView { subtitle, rows, selected, ..StepView::default() }
    }
}

/// What the group list opens under its groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Open {
    /// The selected group (its reasons and messages), or the group of the selected message: the step.
    Selection(Cursor),
    /// Every group's reasons, no messages: `mailwiz queue`.
    Reasons,
}

/// The groups of `report` for `group_by`.
fn groups(report: &QueueReport, group_by: GroupBy) -> &[Group] {
    match group_by {
        GroupBy::Domain => &report.grouping.by_domain,
        GroupBy::Reason => &report.grouping.by_reason,
    }
}

/// Where the queue came from, its size, what was skipped and the loader's notes; shared by the
/// step and `mailwiz queue`.
pub fn header_rows(report: &QueueReport) -> Vec<Row> {
    let g = &report.grouping;
    let mut rows = vec![
        Row::new(
            Tone::Heading,
            format!(
                "Queue {} ({}) · lifetime {}",
                // The full path is in the journal; the pane names the file.
                escape_str(source_name(&report.source)),
                report.format.name(),
                report.lifetime.label()
            ),
        ),
        Row::plain(format!("{} message(s), {} recipient(s)", g.messages, g.recipients)),
    ];
    if report.skipped.count > 0 {
        rows.push(Row::new(Tone::Warn, format!("{} line(s) could not be read and were skipped", report.skipped.count)));
    }
    for note in &report.notes {
        rows.push(Row::new(Tone::Dim, escape_str(note)));
    }
    rows
}

/// The groups as rows, shared by the step and `mailwiz queue`: figures and ages per group, what
/// `open` opens, the TOTAL row. Returns the rows and the index of the selected one.
pub fn group_rows(report: &QueueReport, group_by: GroupBy, open: Open) -> (Vec<Row>, Option<usize>) {
    if report.grouping.messages == 0 {
        return (vec![Row::new(Tone::Ok, "The queue is empty: nothing is stuck.")], None);
    }
    let groups = groups(report, group_by);
    let width = match group_by {
        GroupBy::Domain => {
            groups.iter().take(MAX_GROUPS).map(|g| g.key.chars().count()).max().unwrap_or(6).clamp(6, 28)
        }
        GroupBy::Reason => 0,
    };
    let (first, last) = match group_by {
        GroupBy::Domain => (format!("{:<width$} ", "domain"), "main reason"),
        GroupBy::Reason => (String::new(), "reason (domains)"),
    };
    let mut rows = vec![
        Row::new(Tone::Dim, format!("  {first}{:>5} {:>5} {:>7}  {:<11}  {last}", "msgs", "rcpts", "oldest", "ages¹"))
            .in_table(),
    ];
    let mut selected = None;
    for (i, group) in groups.iter().take(MAX_GROUPS).enumerate() {
        let cursor = match open {
            Open::Selection(cursor) if cursor.group == i => Some(cursor),
            _ => None,
        };
        let is_selected = cursor.is_some_and(|c| c.entry.is_none());
        if is_selected {
            selected = Some(rows.len());
        }
        rows.push(group_row(group, group_by, width, is_selected));
        if cursor.is_some() || open == Open::Reasons {
            rows.extend(detail_rows(group, group_by));
        }
        let Some(cursor) = cursor else { continue };
        for (e, &index) in group.entries.iter().take(MAX_ENTRIES).enumerate() {
            let is_selected = cursor.entry == Some(e);
            if is_selected {
                selected = Some(rows.len());
            }
            if let Some(entry) = report.entries.get(index as usize) {
                rows.push(entry_row(entry, group, group_by, report, is_selected));
            }
        }
        if group.entries.len() > MAX_ENTRIES {
            rows.push(Row::new(
                Tone::Dim,
                format!(
                    "      … {} more message(s) (mailwiz queue --json lists all)",
                    group.entries.len() - MAX_ENTRIES
                ),
            ));
        }
    }
    rows.push(total_row(groups, group_by, width));
    if groups.len() > MAX_GROUPS {
        rows.push(Row::new(
            Tone::Dim,
            format!("… {} more group(s) (mailwiz queue --json lists all)", groups.len() - MAX_GROUPS),
        ));
    }
    rows.push(Row::new(Tone::Dim, "¹ messages under 5 min / 80 min / 21 h old / older (qshape buckets)"));
    (rows, selected)
}

/// A group's reasons (or domains) in full, wrapped to the pane.
fn detail_rows(group: &Group, group_by: GroupBy) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut push = |count: u64, text: &str| {
        let label = format!("{count} msg{}:", if count == 1 { "" } else { "s" });
        rows.push(Row::wrapped(Tone::Explain, format!("    {label:<9} {text}"), DETAIL_HANG));
    };
    match group_by {
        GroupBy::Domain => {
            for share in &group.top {
                // The MTA's own words for the reason, as a message to this domain had them.
                let text = match (share.example.as_deref(), share.key.is_empty()) {
                    (_, true) => "(no reason given)".to_string(),
                    (Some(example), false) => escape_str(example),
                    (None, false) => escape_str(&share.key),
                };
                push(share.messages, &text);
            }
        }
        GroupBy::Reason => {
            let text = group.example.as_deref().map_or_else(|| "(no reason given)".to_string(), escape_str);
            push(group.messages, &text);
            let domains: Vec<String> =
                group.top.iter().map(|s| format!("{} ({})", escape_str(&s.key), s.messages)).collect();
            rows.push(Row::wrapped(Tone::Explain, format!("    {:<9} to {}", "", domains.join(", ")), DETAIL_HANG));
        }
    }
    rows
}

fn group_row(group: &Group, group_by: GroupBy, width: usize, selected: bool) -> Row {
    let oldest = group.oldest_secs.map_or_else(|| "?".to_string(), |s| format_age(Duration::seconds(s)));
    // Four coarse age columns from the qshape buckets: under 5, 80 and 1280 minutes, older.
    let a = &group.ages;
    let coarse = [a[0], a[1] + a[2] + a[3] + a[4], a[5..9].iter().sum(), a[9]];
    let ages = coarse.iter().map(ToString::to_string).collect::<Vec<_>>().join("/");
    let mark = if selected { "▶ " } else { "  " };
    let tone = if selected {
        Tone::Selected
    } else if group.delayed > 0 {
        Tone::Warn
    } else {
        Tone::Normal
    };
    let figures = format!("{:>5} {:>5} {:>7}  {ages:<11}  ", group.messages, group.recipients, oldest);
    match group_by {
        GroupBy::Domain => {
            let name = if group.key.is_empty() { "(no domain)".to_string() } else { escape_str(&group.key) };
            let reason = group.example.as_deref().map_or_else(|| "(no reason given)".into(), short);
            Row::new(tone, format!("{mark}{name:<width$} {figures}")).push(Tone::Dim, reason).in_table()
        }
        GroupBy::Reason => {
            let reason = if group.key.is_empty() { "(no reason given)".to_string() } else { short(&group.key) };
            let domains: Vec<String> = group.top.iter().take(3).map(|s| escape_str(&s.key)).collect();
            Row::new(tone, format!("{mark}{figures}{reason}"))
                .push(Tone::Dim, format!(" ({})", domains.join(", ")))
                .in_table()
        }
    }
}

fn entry_row(entry: EntryRef<'_>, group: &Group, by: GroupBy, report: &QueueReport, selected: bool) -> Row {
    let age = entry.age(report.now).map_or_else(|| "?".to_string(), format_age);
    let recipient = match by {
        GroupBy::Domain => entry.pending().find(|r| r.domain() == group.key),
        GroupBy::Reason => entry.pending().next(),
    };
    let (address, reason) = recipient.map_or((String::new(), String::new()), |r| {
        (escape_str(&r.address()), r.reason().map(|reason| short(&reason.text())).unwrap_or_default())
    });
    let more = entry.pending().count().saturating_sub(1);
    let more = if more > 0 { format!(" +{more}") } else { String::new() };
    let sender = if entry.sender().is_empty() { "<>".to_string() } else { escape_str(entry.sender()) };
    let messages = if entry.messages() > 1 { format!(" ({} msgs)", entry.messages()) } else { String::new() };
    let tone = if selected { Tone::Selected } else { Tone::Normal };
    let mark = if selected { "  ▶ " } else { "    " };
    let id = escape_str(entry.id());
    Row::new(tone, format!("{mark}{id} {} {age:>7}  {address}{more}{messages}", entry.queue().as_str()))
        .push(Tone::Dim, format!("  {reason}  (from {sender})"))
        .in_table()
}

/// True when `address` is a recipient in `domain`.
fn recipient_of(address: Option<&str>, domain: &str) -> bool {
    address.and_then(|a| a.rsplit_once('@')).is_some_and(|(_, d)| d.eq_ignore_ascii_case(domain))
}

/// The file name of a file source; a command as it is.
fn source_name(source: &str) -> &str {
    match std::path::Path::new(source).file_name().and_then(|n| n.to_str()) {
        Some(name) if source.contains(std::path::MAIN_SEPARATOR) => name,
        _ => source,
    }
}

/// A reason cut for a list row, escaped.
fn short(text: &str) -> String {
    let mut cut: String = text.chars().take(REASON_CHARS).collect();
    if text.chars().count() > REASON_CHARS {
        cut.push('…');
    }
    escape_str(&cut)
}

/// The TOTAL row under the groups: messages and recipients summed over every group (also those
/// past [`MAX_GROUPS`]), the oldest age of all. Grouped by domain, a message to two domains
/// counts in each, as the group rows show it.
fn total_row(groups: &[Group], group_by: GroupBy, width: usize) -> Row {
    let messages: u64 = groups.iter().map(|g| g.messages).sum();
    let recipients: u64 = groups.iter().map(|g| g.recipients).sum();
    let oldest = groups.iter().filter_map(|g| g.oldest_secs).max();
    let oldest = oldest.map_or_else(|| "?".to_string(), |s| format_age(Duration::seconds(s)));
    let figures = format!("{messages:>5} {recipients:>5} {oldest:>7}");
    match group_by {
        GroupBy::Domain => Row::new(Tone::Heading, format!("  {:<width$} {figures}", "TOTAL")).in_table(),
        GroupBy::Reason => Row::new(Tone::Heading, format!("  {figures}  TOTAL")).in_table(),
    }
}
