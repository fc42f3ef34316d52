//! A finding read whole, as text: what the full-screen view says and how its lines wrap. The
//! view styles these lines; the layout counts them and measures the widest.

use unicode_width::UnicodeWidthStr;

use crate::session::{Finding, Severity};
use crate::tui::text::{behind_lead, safe};

/// What a line of the view is, for its style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The first line: the lead is the mark and severity, the text the id.
    Title,
    Blank,
    Heading,
    Summary,
    Detail,
    Evidence,
    Fix,
    Note,
}

/// One line of the view: a lead (an evidence bar, a note's mark, an indent) and the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextLine {
    pub part: Part,
    pub lead: String,
    pub text: String,
}

impl TextLine {
    fn plain(part: Part, text: &str) -> TextLine {
        TextLine { part, lead: String::new(), text: text.to_string() }
    }

    /// Its width in columns as drawn (the title's lead and id stand a space apart).
    pub fn width(&self) -> usize {
        self.lead.width() + self.text.width() + usize::from(self.part == Part::Title)
    }
}

/// The lines of `finding` (one of `findings`, the session's) for a view `width` columns wide:
/// summary, detail, every piece of evidence, the fix and the other notes of `findings`; words
/// never split.
pub fn lines(findings: &[Finding], finding: &Finding, width: usize) -> Vec<TextLine> {
    let title = format!("{} {}", finding.severity.mark(), finding.severity.as_str());
    let mut out = vec![
        TextLine { part: Part::Title, lead: title, text: safe(&finding.id).into_owned() },
        TextLine::plain(Part::Blank, ""),
    ];
    let text = |out: &mut Vec<TextLine>, part: Part, text: &str, lead: &str| {
        out.extend(behind_lead(text, width, lead, false).into_iter().map(|(lead, text)| TextLine { part, lead, text }));
    };
    text(&mut out, Part::Summary, &finding.summary, "");
    if !finding.detail.is_empty() {
        out.push(TextLine::plain(Part::Blank, ""));
        text(&mut out, Part::Detail, &finding.detail, "");
    }
    if !finding.evidence.is_empty() {
        out.push(TextLine::plain(Part::Blank, ""));
        out.push(TextLine::plain(Part::Heading, "Evidence"));
        for evidence in &finding.evidence {
            text(&mut out, Part::Evidence, evidence, "│ ");
        }
    }
    if !finding.fix.is_empty() {
        out.push(TextLine::plain(Part::Blank, ""));
        out.push(TextLine::plain(Part::Heading, "Fix"));
        text(&mut out, Part::Fix, &finding.fix, "");
    }
    let notes: Vec<&Finding> =
        findings.iter().filter(|f| f.severity == Severity::Note && !std::ptr::eq(*f, finding)).collect();
    if !notes.is_empty() {
        out.push(TextLine::plain(Part::Blank, ""));
        out.push(TextLine::plain(Part::Heading, "Notes"));
        for note in notes {
            text(&mut out, Part::Note, &note.summary, "✎ ");
        }
    }
    out
}

/// The widest of `lines`, for how far the view scrolls sideways.
pub fn widest(lines: &[TextLine]) -> usize {
    lines.iter().map(TextLine::width).max().unwrap_or(0)
}
