//! The queue listing formats mailwiz reads: one registry line per format; each format's module
//! holds its `FORMAT` entry (name, detector, parser, MTA and listing commands).

use std::io::BufRead;

use chrono::{DateTime, Utc};

use super::actions::Mta;
use super::parsed::Parsed;
use crate::format_registry::{Confidence, format_registry};

/// What the engine knows of a queue listing format.
pub struct Spec {
    /// The name used on the command line and in JSON.
    pub name: &'static str,
    /// How sure the format is that a sample is its own.
    pub sniff: fn(&str) -> Confidence,
    /// Reads a listing whose start is `sample`; ages are counted back from the time given.
    pub parse: fn(&mut dyn BufRead, &str, DateTime<Utc>) -> Parsed,
    /// Whose commands act on such a queue.
    pub mta: Mta,
    /// The local commands that print it, tried in order: program and arguments.
    pub commands: &'static [(&'static str, &'static [&'static str])],
    /// What prints such a listing, as admins know it (named when a file is none of them).
    pub listed_by: &'static str,
}

format_registry! { Spec;
    /// `postqueue -j`.
    PostfixJson => postfix_json,
    /// `mailq` / `postqueue -p` of Postfix.
    PostfixText => postfix_text,
    /// `exim -bp`.
    Exim => exim,
    /// Sendmail `mailq`.
    Sendmail => sendmail,
    /// Exchange `Get-Queue` / `Get-Message`, list or CSV.
    Exchange => exchange,
}

impl Format {
    /// What prints each listing, as said in sentences: `postqueue -j, … or Exchange Get-Queue/Get-Message`.
    pub fn listings() -> String {
        let names: Vec<&str> = Format::ALL.iter().map(|f| f.spec().listed_by).collect();
        match names.split_last() {
            Some((last, [])) => (*last).to_string(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        }
    }
}
