//! The JSON report of a session, in the shape every command prints (`schema`, `command`,
//! `target`, `findings`) with the events. Written event by event, so a journal of any length is
//! rendered without holding it: the events come first, what needs the whole session after them.

use std::io::{self, Write};

use serde_json::{Map, Value};

use super::journal::Event;
use super::summary::SummaryFold;

/// The JSON report of `events` as a value.
pub fn json(events: &[Event]) -> Value {
    let mut report = JsonReport::new(Vec::new());
    let written = events
        .iter()
        .try_for_each(|event| report.push(event))
        .and_then(|()| report.finish(Map::new()))
        .expect("a report in memory is written whole");
    serde_json::from_slice(&written).expect("the report is JSON")
}

/// The report written to `out` as events arrive.
#[derive(Debug)]
pub struct JsonReport<W: Write> {
    out: W,
    summary: SummaryFold,
    events: usize,
}

impl<W: Write> JsonReport<W> {
    /// A report that writes to `out`.
    pub fn new(out: W) -> JsonReport<W> {
        JsonReport { out, summary: SummaryFold::default(), events: 0 }
    }

    /// Writes the next event and folds what the report says after the events.
    pub fn push(&mut self, event: &Event) -> io::Result<()> {
        self.separator()?;
        serde_json::to_writer(&mut self.out, event)?;
        self.summary.push(event);
        Ok(())
    }

    /// The opening of the object before the first event, a comma before the others.
    fn separator(&mut self) -> io::Result<()> {
        self.events += 1;
        if self.events > 1 {
            return self.out.write_all(b",");
        }
        let schema = super::export::SCHEMA;
        write!(self.out, r#"{{"schema":{schema},"command":"report","events":["#)
    }

    /// Closes the events and writes the session's facts, conclusion and findings, then `extra`;
    /// gives back the writer.
    pub fn finish(mut self, extra: Map<String, Value>) -> io::Result<W> {
        if self.events == 0 {
            self.separator()?;
        }
        let summary = self.summary.finish();
        let facts = summary.facts;
        let mut tail = Map::new();
        tail.insert("target".into(), facts.target.into());
        tail.insert("started".into(), serde_json::to_value(facts.started)?);
        tail.insert("ended".into(), serde_json::to_value(facts.ended)?);
        tail.insert("ip".into(), facts.ip.into());
        tail.insert("helo".into(), facts.helo.into());
        tail.insert("observed_error".into(), facts.observed_error.into());
        tail.insert("demo".into(), facts.demo.into());
        tail.insert("also_fix".into(), serde_json::to_value(summary.also_fix)?);
        tail.insert("not_checked".into(), summary.not_checked.into());
        tail.insert("mx_paths".into(), serde_json::to_value(summary.paths)?);
        tail.insert("findings".into(), serde_json::to_value(summary.findings)?);
        tail.extend(extra);
        self.out.write_all(b"]")?;
        for (key, value) in &tail {
            write!(self.out, ",{}:", serde_json::to_string(key)?)?;
            serde_json::to_writer(&mut self.out, value)?;
        }
        self.out.write_all(b"}")?;
        Ok(self.out)
    }
}
