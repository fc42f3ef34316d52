//! The whole diagnosis: the demo world, `mailwiz check` and its scenarios, and `mailwiz report`.

#[path = "../common/mod.rs"]
mod common;

mod cli;
mod demo_world;
mod dual_stack;
mod exit_codes;
mod report_cli;
mod scenarios;
