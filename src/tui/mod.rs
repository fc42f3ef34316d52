//! The terminal front end: app (model + update), runtime, ui, keys and theme.

use crate::context::Context;
use crate::session::Target;

/// Runs the wizard in the terminal until the user quits.
pub async fn run(_ctx: Context, _target: Option<Target>) -> anyhow::Result<()> {
    anyhow::bail!("the terminal wizard is not built yet")
}
