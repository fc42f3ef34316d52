//! The mail queue: corpus and corrupt listings, the Postfix lab's queue and step 1.

#[path = "../common/mod.rs"]
mod common;

mod actions;
mod corpus;
mod corrupt;
mod postfix_lab;
mod step;
