//! Step 1's `bounce>` prompt (`o`): the path of a bounce file typed, or the bounce's text pasted
//! (lines typed after a paste join it; an empty Enter reads what was collected). A job reads it
//! and journals its findings; its end lays the bounce into the session as `mailwiz --bounce`
//! does, except that the bounce just given names the target. A bounce that cannot be read is
//! one sentence in the status line and changes nothing. The read is the step's job of kind
//! [`JobKind::Read`]: whether it runs is the job table's to say, and its event is told apart by
//! its payload, [`BounceRead`].

use std::path::Path;

use super::{Effect, Job, JobEvent, JobKind, Jobs, Row, StepId, StepView, Tone};
use crate::bounce::seed::{self, TargetRule};
use crate::bounce::{self, Bounce, MAX_INPUT};
use crate::session::{Event, EventKind, Finding, Session};

/// The console prompt while the bounce input is open and nothing is pasted yet.
pub const PROMPT: &str = "bounce> ";

/// Recipients listed in the pane after a read; the rest are counted.
const SHOWN_RECIPIENTS: usize = 5;

/// What the read job reports: the name the bounce goes by, the bounce and its findings (already
/// journaled); or the one sentence saying why it could not be read.
#[derive(Debug)]
pub struct BounceRead(pub Result<(String, Bounce, Vec<Finding>), String>);

/// Where the bounce to read comes from.
#[derive(Debug)]
enum Source {
    Path(String),
    Pasted(String),
}

/// The state of the bounce prompt.
#[derive(Debug, Default)]
pub struct BounceInput {
    open: bool,
    /// Text pasted, and lines typed after it, not yet read.
    text: String,
    lines: usize,
    /// What the last bounce read said, for the pane.
    last: Vec<Row>,
}

impl BounceInput {
    /// `o`: opens an empty prompt.
    pub fn open(&mut self, jobs: Jobs<'_>) -> Vec<Effect> {
        if reading(jobs) {
            return still_reading();
        }
        self.open = true;
        self.clear();
        vec![Effect::OpenInput]
    }

    /// Esc left the prompt: what was pasted is dropped.
    pub fn close(&mut self) {
        self.open = false;
        self.clear();
    }

    /// The prompt, while open; it counts the lines pasted.
    pub fn prompt(&self) -> Option<String> {
        self.open.then(|| match self.lines {
            0 => PROMPT.to_string(),
            n => format!("bounce ({n} lines)> "),
        })
    }

    /// A paste of more than one line is the bounce's text, taken whole (within the cap of a
    /// bounce: beyond it the read says the text is too large). A one-line paste is left to the
    /// input line: a path.
    pub fn paste(&mut self, text: &str) -> bool {
        // Terminals send the lines of a bracketed paste ended by CR.
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        if !self.open || !text.trim_end().contains('\n') {
            return false;
        }
        self.append(&text);
        true
    }

    /// What the input history keeps of a typed line: a path, not a line of a bounce's text.
    pub fn history_entry(&self, line: &str) -> Option<String> {
        (self.text.is_empty() && !starts_message(line)).then(|| line.to_string())
    }

    /// Enter at the prompt: a path is read at once; a line that starts a message, or any line
    /// after a paste, joins the text; an empty line reads the text.
    pub fn submit(&mut self, line: &str, jobs: Jobs<'_>) -> Vec<Effect> {
        if reading(jobs) {
            return still_reading();
        }
        let trimmed = line.trim();
        match (trimmed.is_empty(), self.text.is_empty()) {
            (true, true) => vec![Effect::Status(
                Tone::Dim,
                "Type the path of a bounce file, or paste the bounce's text; Esc leaves.".into(),
            )],
            (true, false) => {
                let text = std::mem::take(&mut self.text);
                self.start(Source::Pasted(text))
            }
            (false, true) if !starts_message(line) => self.start(Source::Path(trimmed.to_string())),
            (false, _) => {
                self.append(&format!("{line}\n"));
                Vec::new()
            }
        }
    }

    /// The read job's event ([`BounceRead`]): the bounce laid into the session, or the reason it
    /// was not.
    pub fn on_event(&mut self, event: JobEvent, session: &mut Session) -> Vec<Effect> {
        match event.take::<BounceRead>() {
            Some(BounceRead(Ok((name, bounce, found)))) => {
                self.last = summary_rows(&name, &bounce);
                let target = seed::apply(session, &bounce, found, TargetRule::FromBounce);
                let text = match (target, &session.queued_recipient) {
                    (Some(target), Some(recipient)) => format!(
                        "Bounce {name} read: target {}, real recipient {recipient}; Tab goes on to the MX step.",
                        target.domain
                    ),
                    (Some(target), None) => format!("Bounce {name} read: target {}.", target.domain),
                    (None, _) => format!("Bounce {name} read; it names no recipient whose domain could be looked at."),
                };
                vec![
                    Effect::Record(Event::new(EventKind::Info, format!("bounce: {text}"))),
                    Effect::Status(Tone::Ok, text),
                ]
            }
            Some(BounceRead(Err(sentence))) => vec![
                Effect::Record(Event::new(EventKind::Error, format!("bounce: {sentence}"))),
                Effect::Status(Tone::Fail, sentence),
            ],
            None => Vec::new(),
        }
    }

    /// Puts the prompt's rows (what it takes, what was pasted, the last bounce read) above the
    /// rows of `view`.
    pub fn prepend_to(&self, view: &mut StepView, jobs: Jobs<'_>) {
        let mut rows = Vec::new();
        if self.open {
            rows.push(Row::new(
                Tone::Heading,
                "bounce> the path of a bounce file (.eml, mbox, text), or paste the bounce's text",
            ));
            rows.push(Row::new(Tone::Dim, "  Enter on an empty line reads what was pasted · Esc leaves"));
            if self.lines > 0 {
                rows.push(Row::plain(format!("  {} line(s) pasted, {} bytes", self.lines, self.text.len())));
            }
        }
        if reading(jobs) {
            rows.push(Row::new(Tone::Dim, "Reading the bounce…"));
        }
        rows.extend(self.last.iter().cloned());
        if rows.is_empty() {
            return;
        }
        rows.push(Row::default());
        let shift = rows.len();
        view.selected = view.selected.map(|i| i + shift);
        rows.append(&mut view.rows);
        view.rows = rows;
    }

    fn clear(&mut self) {
        self.text.clear();
        self.lines = 0;
    }

    /// Adds `text` to what was pasted, within one byte past the cap of a bounce.
    fn append(&mut self, text: &str) {
        let room = (MAX_INPUT + 1).saturating_sub(self.text.len());
        self.text.push_str(bounce::cut_at(text, room));
        self.lines += text.lines().count();
    }

    fn start(&mut self, source: Source) -> Vec<Effect> {
        self.open = false;
        self.clear();
        vec![Effect::LeaveInput, Effect::Spawn(read_job(source))]
    }
}

/// True while the step's job reading a bounce runs.
fn reading(jobs: Jobs<'_>) -> bool {
    jobs.running(JobKind::Read)
}

/// The answer to `o` or a line while a bounce is being read: one read at a time.
fn still_reading() -> Vec<Effect> {
    vec![Effect::Status(Tone::Dim, "The bounce given last is still being read (Esc cancels).".into())]
}

/// True when `line` starts a message rather than naming a file: a header field (`Subject: …`)
/// or an mbox separator (`From …`).
fn starts_message(line: &str) -> bool {
    if line.starts_with("From ") {
        return true;
    }
    line.split_once(':').is_some_and(|(name, rest)| {
        !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && (rest.is_empty() || rest.starts_with([' ', '\t']))
    })
}

/// The job that reads the bounce from `source` (off the async threads: a file, a parse of up
/// to 16 MiB) and journals its findings.
fn read_job(source: Source) -> Job {
    let label = match &source {
        Source::Path(path) => format!("Reading the bounce {}", crate::session::escape::escape_str(path)),
        Source::Pasted(_) => "Reading the pasted bounce".to_string(),
    };
    let job = Job::new(StepId::Queue, label, move |jc| async move {
        let work = tokio::task::spawn_blocking(move || match source {
            Source::Path(path) => bounce::file::load(Path::new(&path)),
            Source::Pasted(text) => bounce::file::parse("the pasted text", text.as_bytes()),
        });
        let read = tokio::select! {
            joined = work => joined.unwrap_or_else(|err| Err(format!("the bounce could not be read: {err}."))),
            () = jc.cancel.cancelled() => return,
        };
        let outcome = read.map(|(name, bounce)| {
            let found = bounce::findings::findings(&bounce);
            for finding in &found {
                jc.ctx.journal.finding(finding);
            }
            (name, bounce, found)
        });
        jc.finish(BounceRead(outcome));
    });
    job.of_kind(JobKind::Read)
}

/// The bounce read, for the pane: its name, then each recipient with what was said about it.
fn summary_rows(name: &str, bounce: &Bounce) -> Vec<Row> {
    let mut rows = vec![Row::new(Tone::Heading, format!("Bounce {name}"))];
    for recipient in bounce.recipients.iter().take(SHOWN_RECIPIENTS) {
        let tone = if recipient.action.is_trouble() { Tone::Warn } else { Tone::Ok };
        let status = recipient.status.as_deref().map(|s| format!(" {s}")).unwrap_or_default();
        rows.push(Row::new(tone, format!("  {} {:?}{status}", recipient.address, recipient.action)));
        let said = match (&recipient.reply, recipient.said_by) {
            (Some(reply), bounce::Speaker::Receiver) => format!("the receiver said: {reply}"),
            (Some(reply), _) => format!("our MTA wrote: {reply}"),
            (None, _) => "no reason given".to_string(),
        };
        rows.push(Row::wrapped(Tone::Explain, format!("    {said}"), 6));
        rows.push(Row::wrapped(Tone::Dim, format!("    reason: {}", recipient.reason.describe()), 6));
        if let Some(meaning) = &recipient.meaning {
            rows.push(Row::wrapped(Tone::Dim, format!("    meaning: {meaning}"), 6));
        }
    }
    let more = bounce.recipients.len().saturating_sub(SHOWN_RECIPIENTS) + bounce.recipients_dropped;
    if more > 0 {
        rows.push(Row::new(Tone::Dim, format!("  … {more} more recipient(s) (mailwiz bounce FILE lists all)")));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wizard::job_table::JobTable;

    /// No job runs.
    fn idle() -> Jobs<'static> {
        Jobs::none(StepId::Queue)
    }

    #[test]
    fn a_header_line_or_mbox_line_starts_a_message_and_a_path_does_not() {
        for line in ["Return-Path: <>", "Subject:", "From MAILER-DAEMON Mon Jan  1 00:00:00 2024", "X-Foo:\tbar"] {
            assert!(starts_message(line), "{line}");
        }
        for line in ["/tmp/bounce.eml", "C:\\Users\\me\\bounce.eml", "bounce.eml", "~/b: x.eml"] {
            assert!(!starts_message(line), "{line}");
        }
    }

    #[test]
    fn a_multi_line_paste_is_collected_and_a_one_line_paste_is_left_to_the_line() {
        let mut input = BounceInput::default();
        assert!(!input.paste("a\nb\n"), "nothing is taken while the prompt is closed");
        input.open(idle());
        assert!(!input.paste("/tmp/bounce.eml\n"));
        assert!(input.paste("Subject: x\r\rbody\r"));
        assert_eq!(input.prompt().as_deref(), Some("bounce (3 lines)> "));
        assert!(input.submit("more", idle()).is_empty(), "a typed line joins the paste");
        assert_eq!(input.text, "Subject: x\n\nbody\nmore\n");
        input.close();
        assert_eq!(input.prompt(), None);
        assert!(input.text.is_empty(), "Esc drops what was pasted");
    }

    #[test]
    fn a_paste_is_kept_within_one_byte_past_the_cap() {
        let mut input = BounceInput::default();
        input.open(idle());
        let chunk = "x\n".repeat(1 << 20);
        for _ in 0..10 {
            input.paste(&chunk);
        }
        assert_eq!(input.text.len(), MAX_INPUT + 1);
    }

    #[test]
    fn enter_reads_a_path_at_once_and_pasted_text_on_an_empty_line() {
        let mut input = BounceInput::default();
        input.open(idle());
        let effects = input.submit("  /tmp/b.eml ", idle());
        let [Effect::LeaveInput, Effect::Spawn(job)] = effects.as_slice() else { panic!("{effects:?}") };
        assert_eq!(job.label, "Reading the bounce /tmp/b.eml");
        let mut table = JobTable::default();
        table.register(job, std::time::Duration::ZERO);
        let jobs = table.of(StepId::Queue);
        assert!(reading(jobs) && input.prompt().is_none());
        assert!(matches!(input.submit("x", jobs).as_slice(), [Effect::Status(Tone::Dim, _)]), "one read at a time");
        assert!(matches!(input.open(jobs).as_slice(), [Effect::Status(Tone::Dim, _)]));

        let mut input = BounceInput::default();
        input.open(idle());
        assert!(matches!(input.submit("", idle()).as_slice(), [Effect::Status(Tone::Dim, _)]), "nothing to read yet");
        assert!(input.submit("Subject: Undeliverable", idle()).is_empty());
        let effects = input.submit("", idle());
        assert!(
            matches!(effects.as_slice(), [Effect::LeaveInput, Effect::Spawn(job)] if job.label == "Reading the pasted bounce")
        );
    }
}
