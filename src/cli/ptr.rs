//! `mailwiz ptr`.

use super::CliResult;
use super::args::PtrArgs;
use crate::context::Context;

/// Runs `mailwiz ptr`.
pub async fn run(_args: PtrArgs, _ctx: &Context, _json: bool) -> CliResult {
    super::not_built("ptr")
}
