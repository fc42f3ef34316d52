//! The terminal front end: `update()`, `TestBackend` snapshots, the demo and tmux.

#[path = "../common/mod.rs"]
mod common;

mod bounce;
mod demo;
mod layouts;
mod manual;
mod shell;
mod tmux;
mod update;
