//! The journal: written, read back, exported and saved.

mod roundtrip;
mod save;
