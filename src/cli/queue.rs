//! `mailwiz queue`.

use super::CliResult;
use super::args::QueueArgs;
use crate::context::Context;

/// Runs `mailwiz queue`.
pub async fn run(_args: QueueArgs, _ctx: &Context, _json: bool) -> CliResult {
    super::not_built("queue")
}
