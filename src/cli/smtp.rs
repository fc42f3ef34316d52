//! `mailwiz smtp`.

use super::CliResult;
use super::args::SmtpArgs;
use crate::context::Context;

/// Runs `mailwiz smtp`.
pub async fn run(_args: SmtpArgs, _ctx: &Context, _json: bool) -> CliResult {
    super::not_built("smtp")
}
