//! The Markdown report of a session, for a ticket: the verdict or the ranked causes with their
//! next actions, each finding about the target once, by step; DNS answers and the transcript in
//! appendices. Built event by event, so a journal of any length is rendered without holding it.

use std::fmt::Write as _;
use std::io::{self, Seek as _, Write};

use tempfile::SpooledTempFile;

use super::conclusion::AlsoFix;
use super::escape::{escape_str, escape_text};
use super::export::{stamp, transcript_of};
use super::finding::{Finding, Severity};
use super::journal::{Event, EventKind};
use super::mx_path::MxPath;
use super::summary::{Summary, SummaryFold};

/// An appendix is kept in memory up to this size, then in a temporary file.
const SPOOL_IN_MEMORY: usize = 1 << 20;

/// At most this many evidence lines per finding; the rest is in the transcript.
const REPORT_EVIDENCE: usize = 3;

/// The Markdown report of `events`.
pub fn markdown(events: &[Event]) -> String {
    let mut report = MarkdownReport::default();
    let mut out = Vec::new();
    events
        .iter()
        .try_for_each(|event| report.push(event))
        .and_then(|()| report.finish(&mut out))
        .expect("a report in memory is written whole");
    String::from_utf8(out).expect("the report is UTF-8")
}

/// The report built from events one at a time: what needs the whole session is folded, the
/// appendices are spooled until [`MarkdownReport::finish`], so memory holds one event and the
/// findings.
#[derive(Debug)]
pub struct MarkdownReport {
    summary: SummaryFold,
    dns: Appendix,
    transcript: Appendix,
}

impl Default for MarkdownReport {
    fn default() -> MarkdownReport {
        MarkdownReport { summary: SummaryFold::default(), dns: Appendix::new(), transcript: Appendix::new() }
    }
}

impl MarkdownReport {
    /// Takes the next event; fails only when the spool of an appendix cannot be written.
    pub fn push(&mut self, event: &Event) -> io::Result<()> {
        self.summary.push(event);
        match event.kind {
            EventKind::DnsAnswer => self.dns.push(&transcript_of(std::iter::once(event), false)),
            EventKind::DnsQuery => Ok(()),
            _ => self.transcript.push(&transcript_of(std::iter::once(event), false)),
        }
    }

    /// Writes the report to `out`.
    pub fn finish(self, out: &mut impl Write) -> io::Result<()> {
        let mut head = String::new();
        write_head(&mut head, &self.summary.finish());
        // The one rule also covers what the sections above took from findings and facts.
        out.write_all(escape_text(&head).as_bytes())?;
        self.dns.write_to(out, "Appendix: DNS answers", false)?;
        self.transcript.write_to(out, "Appendix: transcript", true)
    }
}

/// Transcript lines kept for an appendix, with the longest run of backticks among them.
#[derive(Debug)]
struct Appendix {
    spool: SpooledTempFile,
    longest_backticks: usize,
    empty: bool,
}

impl Appendix {
    fn new() -> Appendix {
        Appendix { spool: SpooledTempFile::new(SPOOL_IN_MEMORY), longest_backticks: 0, empty: true }
    }

    fn push(&mut self, lines: &str) -> io::Result<()> {
        self.longest_backticks = self.longest_backticks.max(longest_backticks(lines));
        self.empty &= lines.is_empty();
        self.spool.write_all(escape_text(lines).as_bytes())
    }

    /// Writes the appendix under `title` in a fence; an empty one only when `always`.
    fn write_to(mut self, out: &mut impl Write, title: &str, always: bool) -> io::Result<()> {
        if self.empty && !always {
            return Ok(());
        }
        let fence = "`".repeat((self.longest_backticks + 1).max(3));
        write!(out, "## {title}\n\n{fence}text\n")?;
        self.spool.rewind()?;
        io::copy(&mut self.spool, out)?;
        writeln!(out, "{fence}")?;
        if !always {
            writeln!(out)?;
        }
        Ok(())
    }
}

/// The longest run of backticks in `content`: a fence must be longer, so the content cannot
/// close it.
fn longest_backticks(content: &str) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for c in content.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

/// A code fence longer than any backtick run in `content`.
fn fence(content: &str) -> String {
    "`".repeat((longest_backticks(content) + 1).max(3))
}

/// The title, who checked from where, the diagnosis, the conclusion, the findings by step and
/// the notes.
fn write_head(out: &mut String, summary: &Summary) {
    let parts = summary.parts();
    let _ = writeln!(out, "# {}\n", md(&summary.title(&parts.causes)));
    let _ = writeln!(out, "{}\n", md(&summary.about_us().join(" · ")));
    if let Some(error) = &summary.facts.observed_error {
        let _ = writeln!(out, "The queue said: {}\n", md(error));
    }
    write_causes(out, &parts.causes);
    write_conclusion(out, &summary.also_fix, &summary.not_checked);
    write_paths(out, &summary.paths);
    write_findings(out, &parts.rest);
    if !parts.notes.is_empty() {
        let _ = writeln!(out, "## Notes\n");
        for (time, note) in &parts.notes {
            let stamp = time.map(|t| format!("{} ", stamp(t))).unwrap_or_default();
            let _ = writeln!(out, "- {stamp}{}", md(&note.summary));
        }
        out.push('\n');
    }
}

fn write_causes(out: &mut String, causes: &[&Finding]) {
    if causes.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Diagnosis\n");
    for (rank, cause) in causes.iter().enumerate() {
        let _ = writeln!(out, "{}. **{}** (`{}`). {}\n", rank + 1, md(&cause.summary), cause.id, md(&cause.detail));
        if !cause.fix.is_empty() {
            let _ = writeln!(out, "   Next: {}\n", md(&cause.fix));
        }
        let cited: Vec<String> =
            cause.evidence.iter().filter_map(|e| e.split_once(": ").map(|(id, _)| format!("`{id}`"))).collect();
        if !cited.is_empty() {
            let _ = writeln!(out, "   Based on {}.\n", cited.join(", "));
        }
    }
}

/// "Also fix before the retry" and the steps not checked, as the diagnosis left them.
fn write_conclusion(out: &mut String, also_fix: &[AlsoFix], not_checked: &[String]) {
    if !also_fix.is_empty() {
        let _ = writeln!(out, "## Also fix before the retry\n");
        for item in also_fix {
            let _ = writeln!(out, "- **{}** (`{}`). {}", md(&item.summary), item.id, md(&item.why));
            if !item.fix.is_empty() {
                let _ = writeln!(out, "  Fix: {}", md(&item.fix));
            }
        }
        out.push('\n');
    }
    if !not_checked.is_empty() {
        let _ = writeln!(out, "Not checked: {}.\n", md(&not_checked.join(", ")));
    }
}

/// One row per MX address probed, with its family, as aligned text.
fn write_paths(out: &mut String, paths: &[MxPath]) {
    if paths.is_empty() {
        return;
    }
    let body = MxPath::table(paths).join("\n");
    let fence = fence(&body);
    let _ = writeln!(out, "## MX addresses probed\n\n{fence}text\n{body}\n{fence}\n");
}

fn write_findings(out: &mut String, rest: &[&Finding]) {
    if rest.is_empty() {
        return;
    }
    let count = |s: Severity| rest.iter().filter(|f| f.severity == s).count();
    let _ = writeln!(
        out,
        "## Findings\n\n{} fail, {} warn, {} info, {} ok.\n",
        count(Severity::Fail),
        count(Severity::Warn),
        count(Severity::Info),
        count(Severity::Ok)
    );
    for (step, findings) in Summary::by_step(rest) {
        let _ = writeln!(out, "### {step}\n");
        for finding in findings {
            write_finding(out, finding);
        }
        out.push('\n');
    }
}

/// One finding as a list item: mark, id and summary; for a failure or warning also its detail,
/// a few lines of evidence (DNS answers are in the appendix) and the fix.
fn write_finding(out: &mut String, finding: &Finding) {
    let _ = writeln!(out, "- {} `{}` {}", finding.severity.mark(), finding.id, md(&finding.summary));
    if finding.severity > Severity::Warn {
        return;
    }
    if !finding.detail.is_empty() {
        let lines: Vec<String> = finding.detail.lines().map(md).collect();
        let _ = writeln!(out, "  {}", lines.join("; "));
    }
    let evidence: Vec<String> =
        finding.evidence.iter().filter(|e| !is_dns_line(e)).take(REPORT_EVIDENCE).map(|e| escape_str(e)).collect();
    if !evidence.is_empty() {
        let body = evidence.join("\n  ");
        let fence = fence(&body);
        let _ = writeln!(out, "  {fence}text\n  {body}\n  {fence}");
    }
    if !finding.fix.is_empty() {
        let _ = writeln!(out, "  **Fix:** {}", md(&finding.fix));
    }
}

/// Evidence lines that are DNS answers (`MX bank.example @127.0.0.1:53: …`); the report keeps
/// them in its appendix.
fn is_dns_line(line: &str) -> bool {
    let mut words = line.split_whitespace();
    let qtype = words.next().unwrap_or("");
    let _name = words.next();
    let server = words.next().unwrap_or("");
    matches!(qtype, "A" | "AAAA" | "MX" | "PTR" | "TXT" | "CNAME" | "NS" | "SOA" | "TLSA") && server.starts_with('@')
}

/// Escapes what Markdown would interpret in running text, and no more: a reply such as
/// `host mx[192.0.2.10] said` or a setting such as `smtp_helo_name` reads the same in a ticket
/// system that shows Markdown as plain text.
pub(crate) fn md(text: &str) -> String {
    let text = escape_str(text);
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let before = i.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(i + 1).copied();
        // Emphasis needs a closing `_`; escaping every one that could close it is enough.
        let could_close = before.is_some_and(|b| !b.is_whitespace()) && after.is_none_or(|a| !a.is_alphanumeric());
        let special = match c {
            '\\' | '`' | '*' | '<' | '>' => true,
            '_' => could_close,
            // Only `](` and `][` make a link.
            ']' => matches!(after, Some('(' | '[')),
            '#' => i == 0,
            _ => false,
        };
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_outgrow_backticks_in_content() {
        assert_eq!(fence("plain"), "```");
        assert_eq!(fence("a ```` b"), "`````");
    }
}
