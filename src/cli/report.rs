//! `mailwiz report JOURNAL`: render a saved session.

use super::CliResult;
use super::args::ReportArgs;

/// Runs `mailwiz report`.
pub fn run(_args: &ReportArgs) -> CliResult {
    super::not_built("report")
}
