//! SMTP: the probe, the raw console, hostile and real (Postfix) servers, reply explanations and
//! step 4.

#[path = "../common/mod.rs"]
mod common;
#[path = "../smtp_support/mod.rs"]
mod smtp_support;

mod console;
mod explain_corpus;
mod hostile;
mod outcomes;
mod postfix;
mod probe;
mod step_snapshot;
