//! `mailwiz dns`.

use super::CliResult;
use super::args::DnsArgs;
use crate::context::Context;

/// Runs `mailwiz dns`.
pub async fn run(_args: DnsArgs, _ctx: &Context, _json: bool) -> CliResult {
    super::not_built("dns")
}
