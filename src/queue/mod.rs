//! Mail queues: one module per source, all read into [`QueueEntry`]s; grouping and ages.
//!
//! [`source::load`] runs the local MTA's listing command or reads a file, [`parse_reader`]
//! turns a listing into entries (bad lines are counted, never fatal), and [`analyse`] groups
//! them and derives the `queue.*` findings. [`read`], what front ends call, does all three and
//! journals the findings.

pub mod actions;
pub mod detect;
pub mod entry;
pub mod exchange;
pub mod exim;
pub mod family;
pub mod findings;
pub mod format;
pub mod group;
pub mod intern;
pub mod lines;
pub mod parallel;
pub mod parsed;
pub mod postfix_json;
pub mod postfix_text;
pub mod reason;
pub mod sendmail;
pub mod source;
pub mod store;
pub mod time;

use std::io::{BufRead, Cursor, Read};

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use detect::DetectError;
pub use entry::{QueueEntry, QueueName, Recipient};
pub use findings::Lifetime;
pub use format::Format;
pub use group::{Group, Grouping};
pub use parsed::{Parsed, Skipped};
pub use source::{LoadRequest, Loaded, SourceError};
pub use store::{Entries, EntryRef, ReasonRef, RecipientRef};

use crate::context::Context;
use crate::format_registry::SAMPLE_BYTES;
use crate::session::Finding;

/// Parses a listing in `format`, or in the format its first [`SAMPLE_BYTES`] show when `None`.
pub fn parse_reader<R: BufRead>(
    mut reader: R,
    format: Option<Format>,
    now: DateTime<Utc>,
) -> Result<Parsed, DetectError> {
    let mut head = Vec::with_capacity(8 * 1024);
    // A read error here leaves a shorter sample; the parser meets it again and stops there.
    let _ = (&mut reader).take(SAMPLE_BYTES as u64).read_to_end(&mut head);
    let sample = String::from_utf8_lossy(&head).into_owned();
    let (format, given) = match format {
        Some(format) => (format, true),
        None => (detect::detect(&sample)?, false),
    };
    let mut reader = Cursor::new(head).chain(reader);
    let parsed = (format.spec().parse)(&mut reader, &sample, now);
    // A named format that reads nothing of a listing that is not empty is the wrong one.
    if given && parsed.entries.is_empty() && !sample.trim().is_empty() {
        let detected = detect::detect(&sample).ok().filter(|d| *d != format);
        if parsed.skipped.count > 0 || detected.is_some() {
            return Err(DetectError::Mismatch { given: format, detected });
        }
    }
    Ok(parsed)
}

/// A loaded queue, grouped, with its findings: what the CLI prints and step 1 shows.
#[derive(Debug, Clone, Serialize)]
pub struct QueueReport {
    /// Where the listing came from: the command run or the file read.
    pub source: String,
    pub format: Format,
    pub lifetime: Lifetime,
    /// What the loader could not do (e.g. no readable Exim mainlog for delay reasons).
    pub notes: Vec<String>,
    pub skipped: Skipped,
    pub grouping: Grouping,
    pub entries: Entries,
    pub findings: Vec<Finding>,
    /// The moment ages are counted from.
    pub now: DateTime<Utc>,
}

/// Loads the queue `request` names and groups it at `now`; its findings go to the journal before
/// it is returned. With `domain`, only the findings about that domain (or about the listing
/// itself) are kept.
pub async fn read(
    ctx: &Context,
    request: &LoadRequest,
    now: DateTime<Utc>,
    domain: Option<&str>,
) -> Result<QueueReport, SourceError> {
    let loaded = source::load(ctx, request, now).await?;
    let mut report = tokio::task::spawn_blocking(move || analyse(loaded, now))
        .await
        .map_err(|err| SourceError::CannotRun(format!("grouping the queue failed: {err}")))?;
    if let Some(domain) = domain {
        report.findings.retain(|f| f.arg("domain").is_none_or(|d| d.eq_ignore_ascii_case(domain)));
    }
    for finding in &report.findings {
        ctx.journal.finding(finding);
    }
    Ok(report)
}

/// Groups a loaded queue at `now` and derives its findings.
pub fn analyse(loaded: Loaded, now: DateTime<Utc>) -> QueueReport {
    let Loaded { parsed, source, lifetime, notes } = loaded;
    let grouping = group::group(&parsed.entries, now);
    let findings = findings::findings(&parsed.entries, &grouping, &parsed.skipped, &lifetime, now);
    QueueReport {
        source,
        format: parsed.format,
        lifetime,
        notes,
        skipped: parsed.skipped,
        grouping,
        entries: parsed.entries,
        findings,
        now,
    }
}
