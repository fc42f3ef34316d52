//! `mailwiz logs`.

use super::CliResult;
use super::args::LogsArgs;
use crate::context::Context;

/// Runs `mailwiz logs`.
pub async fn run(_args: LogsArgs, _ctx: &Context, _json: bool) -> CliResult {
    super::not_built("logs")
}
