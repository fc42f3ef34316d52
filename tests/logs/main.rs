//! MTA logs: the corpus, awkward input, the Postfix lab's log and step 3.

#[path = "../common/mod.rs"]
mod common;

mod corpus;
mod families;
mod input;
mod postfix_lab;
mod snapshot;
mod step;
