//! DNS: the resolver, the nslookup console, MX analysis, block lists, and our identity (PTR,
//! HELO), through the engines, the binary and steps 2, 5 and 6.

mod console;
mod dnsbl;
mod identity_ptr;
mod identity_snapshots;
mod identity_steps;
mod matching;
mod mx;
mod resolver;
mod wizard;

/// `mailwiz ARGS` with no user config, no colour, and no identity from the environment.
async fn mailwiz(args: &[&str]) -> std::process::Output {
    let config_home = tempfile::tempdir().unwrap();
    tokio::process::Command::new(env!("CARGO_BIN_EXE_mailwiz"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("XDG_CONFIG_HOME", config_home.path())
        .env_remove("MAILWIZ_HELO")
        .env_remove("MAILWIZ_IP")
        .output()
        .await
        .unwrap()
}
