//! mailwiz walks a mail admin through finding out why mail to one domain is stuck: the queue,
//! MX records, the MTA's logs, an SMTP session with the receiver, reverse DNS and HELO identity,
//! DNS block lists, whether our mail authenticates (SPF, DKIM, DMARC) and what TLS the receiver
//! demands (MTA-STS, DANE), and a diagnosis; it starts from a bounce as well. Engines (`dns`, `helo`, `smtp`,
//! `auth`, `queue`, `logs`, `bounce`) and
//! the rules of `diagnosis` know nothing of the terminal; `check` runs every engine for one domain
//! and hands the findings to the rules; `tui` and `cli` are two front ends over them and one
//! [`session::Session`].

pub mod auth;
pub mod bounce;
pub mod check;
pub mod cli;
pub mod config;
pub mod context;
pub mod demo;
pub mod diagnosis;
pub mod dns;
pub mod format_registry;
pub mod helo;
pub mod input_file;
#[cfg(test)]
mod layers;
pub mod logs;
pub mod mta_command;
pub mod process_group;
pub mod queue;
pub mod session;
pub mod smtp;
pub mod tui;
pub mod wizard;
