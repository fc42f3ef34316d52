//! The HELO name the local MTA announces, read from its own configuration: Postfix
//! `smtp_helo_name` (which defaults to `myhostname`), Exim `primary_hostname`.

use std::time::Duration;

/// A HELO name and where it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MtaHelo {
    pub name: String,
    /// `postconf smtp_helo_name`, `exim primary_hostname`.
    pub source: String,
}

/// Asks the installed MTA for its HELO name; `None` when no MTA answers within `timeout`.
/// Runs the programs directly (no shell) and never waits longer than `timeout` for each.
#[cfg(unix)]
pub async fn mta_helo(timeout: Duration) -> Option<MtaHelo> {
    // `-x` expands `$myhostname`; without it Postfix prints the parameter unexpanded.
    let candidates: [(&str, &[&str], &str); 4] = [
        ("postconf", &["-xh", "smtp_helo_name"], "postconf smtp_helo_name"),
        ("postconf", &["-h", "myhostname"], "postconf myhostname"),
        ("exim", &["-bP", "-n", "primary_hostname"], "exim primary_hostname"),
        ("exim4", &["-bP", "-n", "primary_hostname"], "exim primary_hostname"),
    ];
    for (program, args, source) in candidates {
        if let Some(name) = run_for_line(program, args, timeout).await {
            return Some(MtaHelo { name, source: source.to_string() });
        }
    }
    None
}

/// Windows MTAs (Exchange) keep the name in the send connector; it must be given with --helo.
#[cfg(not(unix))]
pub async fn mta_helo(_timeout: Duration) -> Option<MtaHelo> {
    None
}

#[cfg(unix)]
async fn run_for_line(program: &str, args: &[&str], timeout: Duration) -> Option<String> {
    let text = crate::mta_command::stdout_of(program, args, timeout).await?;
    let line = text.lines().next()?.trim();
    // An unexpanded `$myhostname` (old Postfix without -x) is not a name.
    let usable = !line.is_empty() && !line.contains('$') && !line.contains(char::is_whitespace);
    usable.then(|| line.to_string())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_postfix_when_installed() {
        let expected = ["/usr/sbin/postconf", "/usr/local/sbin/postconf", "postconf"]
            .into_iter()
            .find_map(|program| std::process::Command::new(program).args(["-xh", "smtp_helo_name"]).output().ok());
        let Some(expected) = expected else {
            // No Postfix on this machine: nothing must be invented.
            let found = mta_helo(Duration::from_secs(5)).await;
            assert!(found.is_none() || found.unwrap().source.starts_with("exim"));
            return;
        };
        let expected = String::from_utf8_lossy(&expected.stdout).trim().to_string();
        let found = mta_helo(Duration::from_secs(5)).await.expect("postconf answers");
        assert_eq!(found, MtaHelo { name: expected, source: "postconf smtp_helo_name".into() });
    }

    #[tokio::test]
    async fn a_missing_program_is_none() {
        assert_eq!(run_for_line("mailwiz-no-such-program", &[], Duration::from_secs(1)).await, None);
    }
}
