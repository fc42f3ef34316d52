//! Bounces: real ones read into recipients, replies, stages and classes; the parser under
//! hostile input; `mailwiz bounce` from the command line; `--bounce` seeding the wizard.

#[path = "../common/mod.rs"]
mod common;

mod cli;
mod properties;
mod real;
mod wizard;
