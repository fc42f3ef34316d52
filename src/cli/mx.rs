//! `mailwiz mx`.

use super::CliResult;
use super::args::MxArgs;
use crate::context::Context;

/// Runs `mailwiz mx`.
pub async fn run(_args: MxArgs, _ctx: &Context, _json: bool) -> CliResult {
    super::not_built("mx")
}
