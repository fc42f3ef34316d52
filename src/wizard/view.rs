//! What a step shows, as styled-less rows the front end maps to its theme.

/// The role of a piece of text; the TUI theme gives each a style, the CLI prints it plain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tone {
    #[default]
    Normal,
    Dim,
    Heading,
    Ok,
    Warn,
    Fail,
    /// A line we sent.
    Sent,
    /// A line we received.
    Received,
    /// An explanation under a received line.
    Explain,
    /// The selected row of a list.
    Selected,
}

/// One line of the main pane, made of spans of text with a tone each.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Row {
    pub spans: Vec<(Tone, String)>,
    /// Wrap to the pane's width, continuation lines indented by this many columns; `None`:
    /// continuation lines indented as the row itself is.
    pub hang: Option<usize>,
    /// A table row: one line, ending in `…` where the pane is narrower (←/→ and `z` show the
    /// rest), so its columns stay aligned.
    pub table: bool,
}

impl Row {
    /// A row of one span.
    pub fn new(tone: Tone, text: impl Into<String>) -> Row {
        Row { spans: vec![(tone, text.into())], hang: None, table: false }
    }

    /// A row of one span that wraps to the pane's width, later lines indented by `hang`.
    pub fn wrapped(tone: Tone, text: impl Into<String>, hang: usize) -> Row {
        Row { hang: Some(hang), ..Row::new(tone, text) }
    }

    /// A row in the normal tone.
    pub fn plain(text: impl Into<String>) -> Row {
        Row::new(Tone::Normal, text)
    }

    /// The row as a table row (see [`Row::table`]).
    pub fn in_table(mut self) -> Row {
        self.table = true;
        self
    }

    /// Appends a span.
    pub fn push(mut self, tone: Tone, text: impl Into<String>) -> Row {
        self.spans.push((tone, text.into()));
        self
    }

    /// The row's text without tones.
    pub fn text(&self) -> String {
        self.spans.iter().map(|(_, s)| s.as_str()).collect()
    }
}

/// The main pane of a step.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StepView {
    /// A line under the pane's title: what Enter does, or what is running.
    pub subtitle: String,
    pub rows: Vec<Row>,
    /// Index into `rows` of the selected row of a list, kept in view by the front end.
    pub selected: Option<usize>,
    /// Follow the end of `rows` (consoles) rather than the top.
    pub follow_tail: bool,
    /// Progress of a running job, 0.0 to 1.0, when known.
    pub progress: Option<f64>,
    /// The step's job only waits for the user (a console with no connection open): nothing
    /// is in progress, so the front end shows no spinner.
    pub idle: bool,
}
