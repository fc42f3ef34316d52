//! `mailwiz check`: every step headless, then the diagnosis.

use super::CliResult;
use super::args::CheckArgs;
use crate::context::Context;

/// Runs `mailwiz check`.
pub async fn run(_args: CheckArgs, _ctx: &Context, _json: bool) -> CliResult {
    super::not_built("check")
}
