//! The log formats mailwiz reads: one registry line per format; each format's module holds its
//! `FORMAT` entry (name, detector, parser).

use chrono::NaiveDate;

use super::parser::LogParser;
use crate::format_registry::{Confidence, format_registry};

/// What the engine knows of a log format.
pub struct Spec {
    /// The name used on the command line and in JSON.
    pub name: &'static str,
    /// What the format is called in sentences.
    pub label: &'static str,
    /// How sure the format is that a sample is its own.
    pub sniff: fn(&str) -> Confidence,
    /// A fresh parser; the date places syslog lines that carry no year.
    pub parser: fn(NaiveDate) -> Box<dyn LogParser>,
}

format_registry! { Spec;
    /// IIS SMTP service, W3C extended (`#Fields:`).
    IisW3c => iis_w3c,
    /// IIS SMTP service, NCSA common log format.
    IisNcsa => iis_ncsa,
    Postfix => postfix,
    /// Exim mainlog or rejectlog.
    Exim => exim,
    /// Exchange message tracking log (CSV).
    ExchangeMsgtrk => exchange_msgtrk,
    /// Exchange SMTP send/receive protocol log (CSV).
    ExchangeSmtp => exchange_smtp,
}

impl Format {
    /// Every format as said in sentences: `IIS SMTP W3C, …, Exchange SMTP protocol`.
    pub fn labels() -> String {
        Format::ALL.iter().map(|f| f.spec().label).collect::<Vec<_>>().join(", ")
    }

    /// A fresh parser; `reference` dates syslog lines that carry no year.
    pub fn parser(self, reference: NaiveDate) -> Box<dyn LogParser> {
        (self.spec().parser)(reference)
    }
}
