//! The log formats mailwiz reads, and a parser for each.

use chrono::NaiveDate;
use serde::Serialize;

use super::parser::LogParser;

/// A log format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// IIS SMTP service, W3C extended (`#Fields:`).
    IisW3c,
    /// IIS SMTP service, NCSA common log format.
    IisNcsa,
    Postfix,
    /// Exim mainlog or rejectlog.
    Exim,
    /// Exchange message tracking log (CSV).
    ExchangeMsgtrk,
    /// Exchange SMTP send/receive protocol log (CSV).
    ExchangeSmtp,
}

impl Format {
    /// Every format, in the order detection prefers them on a tie.
    pub const ALL: [Format; 6] =
        [Format::ExchangeMsgtrk, Format::ExchangeSmtp, Format::IisW3c, Format::IisNcsa, Format::Postfix, Format::Exim];

    /// The name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Format::IisW3c => "iis-w3c",
            Format::IisNcsa => "iis-ncsa",
            Format::Postfix => "postfix",
            Format::Exim => "exim",
            Format::ExchangeMsgtrk => "exchange-msgtrk",
            Format::ExchangeSmtp => "exchange-smtp",
        }
    }

    /// A format by its name.
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    /// A fresh parser; `reference` dates syslog lines that carry no year.
    pub fn parser(self, reference: NaiveDate) -> Box<dyn LogParser> {
        match self {
            Format::IisW3c => Box::new(super::iis_w3c::W3cParser::default()),
            Format::IisNcsa => Box::new(super::iis_ncsa::NcsaParser::default()),
            Format::Postfix => Box::new(super::postfix::PostfixParser::new(reference)),
            Format::Exim => Box::new(super::exim::EximParser),
            Format::ExchangeMsgtrk => Box::new(super::exchange_msgtrk::MsgtrkParser::default()),
            Format::ExchangeSmtp => Box::new(super::exchange_smtp::SmtpLogParser::default()),
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
