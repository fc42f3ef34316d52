//! MTA logs: format detection, one module per format, the domain filter and the summary.
//!
//! [`analyse`] reads several files (plain or gzip) in one streaming pass each, detects the format
//! of each by content, skips lines that do not mention the target before parsing them, and
//! summarises the records that concern the target; [`read`], what front ends call, also journals
//! the findings.

pub mod by_family;
pub mod detect;
pub mod dialogue;
pub mod exchange_msgtrk;
pub mod exchange_smtp;
pub mod exim;
pub mod filter;
pub mod follow;
pub mod format;
pub mod iis_ncsa;
pub mod iis_session;
pub mod iis_w3c;
pub mod input;
pub mod json;
pub mod parser;
pub mod peer;
pub mod postfix;
pub mod record;
pub mod reply;
pub mod scan;
pub mod summary;
pub mod time;
pub mod watch;

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::NaiveDate;

use crate::context::Context;
use crate::format_registry::SAMPLE_BYTES;

pub use filter::DomainFilter;
pub use format::Format;
pub use record::{Direction, LogRecord, LogTime, Status};
pub use scan::FileReport;
pub use summary::{LogSummary, SummaryBuilder};

/// Logs of this size or more take long enough to read that the reply tables are compiled
/// meanwhile.
const WARM_UP_BYTES: u64 = 32 << 20;

/// Why logs could not be summarised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogsError {
    /// Bad input: no readable file, a bad pattern.
    #[error("{0}")]
    Input(String),
    /// The user cancelled.
    #[error("reading the logs was cancelled")]
    Cancelled,
}

/// What to read and for whom.
#[derive(Debug, Clone, Default)]
pub struct LogsRequest {
    pub paths: Vec<PathBuf>,
    /// Force a format instead of detecting it per file.
    pub format: Option<Format>,
    /// Keep only records about this target; all records when none.
    pub filter: Option<DomainFilter>,
    /// Date against which syslog times without a year are placed; the file's date when none.
    pub reference: Option<NaiveDate>,
}

/// How far reading has got, in bytes taken from disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
}

impl Progress {
    /// Done as a fraction from 0 to 1.
    pub fn fraction(self) -> f64 {
        if self.total == 0 { 1.0 } else { (self.done as f64 / self.total as f64).min(1.0) }
    }
}

/// The result of [`analyse`]: the summary and the raw lines of the latest deferrals (evidence).
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    pub summary: LogSummary,
    pub deferral_lines: Vec<String>,
}

impl Analysis {
    /// The findings for the target.
    pub fn findings(&self) -> Vec<crate::session::Finding> {
        self.summary.findings(&self.deferral_lines)
    }
}

/// [`analyse`], with the findings for the target journaled before the analysis is returned.
/// Blocking: run it off the async runtime.
pub fn read(
    ctx: &Context,
    request: &LogsRequest,
    cancelled: &dyn Fn() -> bool,
    progress: &mut dyn FnMut(Progress),
) -> Result<Analysis, LogsError> {
    let analysis = analyse(request, cancelled, progress)?;
    for finding in analysis.findings() {
        ctx.journal.finding(&finding);
    }
    Ok(analysis)
}

/// Reads every file of `request` and summarises it. Blocking: run it off the async runtime.
/// `cancelled` is polled between blocks; `progress` is told after each block.
///
/// A file that cannot be read (missing, a directory, binary, no known format) is reported in its
/// [`FileReport`]; it is an error only when no file at all could be read.
pub fn analyse(
    request: &LogsRequest,
    cancelled: &dyn Fn() -> bool,
    progress: &mut dyn FnMut(Progress),
) -> Result<Analysis, LogsError> {
    let total = input::total_size(&request.paths);
    if total >= WARM_UP_BYTES {
        // The reply tables the summary and its findings need at the end take tens of
        // milliseconds to compile: on another thread they are ready when a long scan ends.
        let _ = std::thread::Builder::new().name("reply-tables".into()).spawn(|| {
            crate::smtp::classify::Classifier::bundled();
            crate::smtp::explain::Explainer::global();
        });
    }
    let counter = Arc::new(AtomicU64::new(0));
    let mut builder = SummaryBuilder::new(request.filter.as_ref().map(|f| f.domain.clone()));
    let mut reports = Vec::new();
    for path in &request.paths {
        let mut report = FileReport { path: path.display().to_string(), ..FileReport::default() };
        let mut control = Control { cancelled, progress: &mut *progress, counter: counter.clone(), total };
        match read_file(request, path, &counter, &mut builder, &mut report, &mut control) {
            Ok(()) => report.error = report.format.is_none().then(|| crate::input_file::no_writer_note(path)).flatten(),
            Err(FileError::Cancelled) => return Err(LogsError::Cancelled),
            Err(FileError::Unreadable(message)) => report.error = Some(message),
        }
        reports.push(report);
    }
    progress(Progress { done: counter.load(Ordering::Relaxed), total });
    if !reports.is_empty() && reports.iter().all(|r| r.error.is_some()) {
        let first = reports[0].error.clone().unwrap_or_default();
        return Err(LogsError::Input(if reports.len() == 1 {
            first
        } else {
            format!("none of the {} log files could be read; the first: {first}", reports.len())
        }));
    }
    let deferral_lines = builder.deferral_lines();
    Ok(Analysis { summary: builder.finish(reports), deferral_lines })
}

enum FileError {
    Unreadable(String),
    Cancelled,
}

fn read_file(
    request: &LogsRequest,
    path: &std::path::Path,
    counter: &Arc<AtomicU64>,
    builder: &mut SummaryBuilder,
    report: &mut FileReport,
    control: &mut Control<'_>,
) -> Result<(), FileError> {
    let shown = path.display().to_string();
    let opened = input::open(path, counter.clone())
        .map_err(|err| FileError::Unreadable(format!("cannot read {shown}: {err}")))?;
    report.compressed = opened.compressed;
    let cut = opened.cut.clone();
    let result = read_opened(request, path, opened, builder, report, control);
    if let Some(why) = cut.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take() {
        report.note = Some(format!(
            "the gzip data of {shown} ends early or is damaged ({why}); the {} line(s) before that were read",
            report.lines
        ));
    }
    result
}

fn read_opened(
    request: &LogsRequest,
    path: &std::path::Path,
    opened: input::Opened,
    builder: &mut SummaryBuilder,
    report: &mut FileReport,
    control: &mut Control<'_>,
) -> Result<(), FileError> {
    let shown = path.display().to_string();
    let mut reader = opened.reader;
    let mut sample = Vec::with_capacity(SAMPLE_BYTES);
    (&mut reader)
        .take(SAMPLE_BYTES as u64)
        .read_to_end(&mut sample)
        .map_err(|err| FileError::Unreadable(format!("cannot read {shown}: {err}")))?;
    if sample.is_empty() {
        return Ok(());
    }
    if json::looks_like_json(&sample) {
        return read_json(request, path, reader, sample, builder, report, control);
    }
    if detect::looks_binary(&sample) {
        return Err(FileError::Unreadable(format!("{shown} looks like binary data, not a text log")));
    }
    let format = request.format.or_else(|| detect::detect(&sample)).ok_or_else(|| {
        FileError::Unreadable(format!("{shown} is not in a log format mailwiz reads ({})", Format::labels()))
    })?;
    report.format = Some(format);
    let reference = request.reference.unwrap_or_else(|| time::reference_date(opened.modified));
    let mut parser = format.parser(reference);
    let mut stream = std::io::Cursor::new(sample).chain(reader);
    let file = shown.clone();
    let mut sink = |record: LogRecord| builder.add(&file, &record);
    scan::scan(&mut stream, parser.as_mut(), request.filter.as_ref(), report, &mut sink, control).map_err(|err| {
        match err {
            scan::ScanError::Cancelled(_) => FileError::Cancelled,
            scan::ScanError::Io(err) => FileError::Unreadable(format!("cannot read {shown}: {err}")),
        }
    })
}

/// A JSON export: parsed in memory (bounded), its log lines scanned like a plain log.
fn read_json(
    request: &LogsRequest,
    path: &std::path::Path,
    reader: Box<dyn Read + Send>,
    mut bytes: Vec<u8>,
    builder: &mut SummaryBuilder,
    report: &mut FileReport,
    control: &mut Control<'_>,
) -> Result<(), FileError> {
    let shown = path.display().to_string();
    reader
        .take(json::MAX_JSON_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|err| FileError::Unreadable(format!("cannot read {shown}: {err}")))?;
    if bytes.len() as u64 >= json::MAX_JSON_BYTES {
        return Err(FileError::Unreadable(format!(
            "{shown} is a JSON export of more than {} MiB; export the log lines as text instead",
            json::MAX_JSON_BYTES >> 20
        )));
    }
    let lines = json::unwrap(&bytes)
        .ok_or_else(|| FileError::Unreadable(format!("{shown} is JSON without log lines (no \"message\" fields)")))?;
    report.json = true;
    let sample = &lines[..lines.len().min(SAMPLE_BYTES)];
    let format = request.format.or_else(|| detect::detect(sample)).ok_or_else(|| {
        FileError::Unreadable(format!("the log lines in {shown} are not in a log format mailwiz reads"))
    })?;
    report.format = Some(format);
    let reference = request.reference.unwrap_or_else(|| time::reference_date(None));
    let mut parser = format.parser(reference);
    let file = shown.clone();
    let mut sink = |record: LogRecord| builder.add(&file, &record);
    let mut stream = std::io::Cursor::new(lines);
    scan::scan(&mut stream, parser.as_mut(), request.filter.as_ref(), report, &mut sink, control).map_err(|err| {
        match err {
            scan::ScanError::Cancelled(_) => FileError::Cancelled,
            scan::ScanError::Io(err) => FileError::Unreadable(format!("cannot read {shown}: {err}")),
        }
    })
}

struct Control<'a> {
    cancelled: &'a dyn Fn() -> bool,
    progress: &'a mut dyn FnMut(Progress),
    counter: Arc<AtomicU64>,
    total: u64,
}

impl scan::Control for Control<'_> {
    fn cancelled(&self) -> bool {
        (self.cancelled)()
    }

    fn progress(&mut self) {
        (self.progress)(Progress { done: self.counter.load(Ordering::Relaxed), total: self.total });
    }
}
