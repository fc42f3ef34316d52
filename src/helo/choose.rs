//! The name announced in EHLO when none is given: the one the local MTA announces, so the
//! receiver judges the probe as it judges our real mail; else this host's name when it is fully
//! qualified; `localhost` only when there is nothing better.

use super::from_mta::mta_helo;
use crate::context::Context;

/// The EHLO name: `chosen` (the command line, the session), else `helo` from the config, else
/// the local MTA's HELO name (when `[identity] ask_mta` allows asking), else the host name
/// when it has a dot, else `localhost`.
pub async fn ehlo_name(ctx: &Context, chosen: Option<&str>) -> String {
    if let Some(name) = chosen.or(ctx.config.helo.as_deref()) {
        return name.to_string();
    }
    if ctx.config.identity.ask_mta
        && let Some(mta) = mta_helo(ctx.config.timeout()).await
    {
        return mta.name;
    }
    host_name().unwrap_or_else(|| "localhost".into())
}

/// This host's name when it is fully qualified (receivers refuse a bare `web01` as they refuse
/// `localhost`).
fn host_name() -> Option<String> {
    let name = gethostname::gethostname().into_string().ok()?;
    let name = name.trim().trim_end_matches('.');
    (name.contains('.') && !name.starts_with('.')).then(|| name.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[tokio::test]
    async fn a_given_name_wins_then_the_config() {
        let mut config = Config::default();
        config.identity.ask_mta = false;
        config.helo = Some("mail.example.com".into());
        let ctx = Context::new(config);
        assert_eq!(ehlo_name(&ctx, Some("chosen.example")).await, "chosen.example");
        assert_eq!(ehlo_name(&ctx, None).await, "mail.example.com");
    }

    #[tokio::test]
    async fn without_a_name_the_host_name_or_localhost() {
        let mut config = Config::default();
        config.identity.ask_mta = false;
        let name = ehlo_name(&Context::new(config), None).await;
        match host_name() {
            Some(host) => assert_eq!(name, host),
            None => assert_eq!(name, "localhost"),
        }
        assert!(!name.is_empty() && !name.contains(char::is_whitespace), "{name:?}");
    }
}
