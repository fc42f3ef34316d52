//! SMTP: the probe, the raw console, hostile and real (Postfix) servers, reply explanations and
//! step 4.

#[path = "../common/mod.rs"]
mod common;

mod console;
mod explain_corpus;
mod hostile;
mod injection;
mod not_smtp;
mod outcomes;
mod postfix;
mod probe;
mod registry;
mod reply_classes;
mod step_snapshot;
mod support;
mod via_group;
