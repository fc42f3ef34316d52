//! `mailwiz blocklist`.

use super::CliResult;
use super::args::BlocklistArgs;
use crate::context::Context;

/// Runs `mailwiz blocklist`.
pub async fn run(_args: BlocklistArgs, _ctx: &Context, _json: bool) -> CliResult {
    super::not_built("blocklist")
}
