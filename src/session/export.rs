//! Exports of a journal: plain-text transcript, Markdown report and JSON.
