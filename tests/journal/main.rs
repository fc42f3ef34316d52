//! The journal: written, read back, exported and saved.

#[path = "../common/mod.rs"]
mod common;

mod roundtrip;
mod save;
mod streaming;
