//! The local MTA's own programs (`postqueue`, `postconf`, `postsuper`, `exim`, `mailq` …): found
//! by one rule, run as an argv without a shell, stdin closed, under a deadline, with their output
//! capped. The queue listing, the queue actions and the readers of our HELO name and TLS policy
//! all run them through here.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

/// Most bytes kept of a setting a program prints ([`stdout_of`]); more is not an answer.
const SETTING_CAP: usize = 64 * 1024;

/// Where MTAs install their programs, which a normal user's `PATH` often lacks.
const EXTRA_DIRS: [&str; 5] = ["/usr/sbin", "/usr/local/sbin", "/sbin", "/usr/bin", "/usr/lib/sendmail"];

/// Finds `name` in `PATH`, then in the directories MTAs install to.
pub fn find(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(EXTRA_DIRS.iter().map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// `program args` ready to spawn: no shell, stdin closed, stdout and stderr piped, killed when
/// dropped (so a deadline that drops it stops it).
pub fn command(program: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(program);
    command.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    command
}

/// What a program did: how it ended and the first bytes of what it wrote.
#[derive(Debug)]
pub struct Ran {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Why a program gave no result.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Start(#[from] std::io::Error),
    #[error("it did not finish in time")]
    TimedOut,
}

/// Runs `program args` for at most `timeout`, keeping the first `cap` bytes of stdout and of
/// stderr; the rest is read and dropped, so a talkative program is never stopped by a full pipe.
pub async fn run(program: &Path, args: &[&str], timeout: Duration, cap: usize) -> Result<Ran, RunError> {
    let mut child = command(program, args).spawn()?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    let work = async {
        let (stdout, stderr) = tokio::join!(read_capped(stdout, cap), read_capped(stderr, cap));
        let status = child.wait().await?;
        Ok::<_, RunError>(Ran { status, stdout, stderr })
    };
    tokio::time::timeout(timeout, work).await.map_err(|_| RunError::TimedOut)?
}

/// What the program `name` printed when it ran and succeeded within `timeout` (a setting it was
/// asked for); `None` when it is missing, fails or takes too long.
pub async fn stdout_of(name: &str, args: &[&str], timeout: Duration) -> Option<String> {
    let ran = run(&find(name)?, args, timeout, SETTING_CAP).await.ok()?;
    ran.status.success().then(|| String::from_utf8_lossy(&ran.stdout).into_owned())
}

async fn read_capped(mut reader: impl AsyncRead + Unpin, cap: usize) -> Vec<u8> {
    let mut kept = Vec::new();
    let limit = u64::try_from(cap).unwrap_or(u64::MAX);
    let _ = (&mut reader).take(limit).read_to_end(&mut kept).await;
    let _ = tokio::io::copy(&mut reader, &mut tokio::io::sink()).await;
    kept
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[tokio::test]
    async fn output_is_capped_and_the_rest_drained() {
        let sh = find("sh").expect("a shell for the test");
        let ran = run(&sh, &["-c", "head -c 100000 /dev/zero; echo oops >&2; exit 3"], Duration::from_secs(10), 1000)
            .await
            .expect("it runs");
        assert_eq!(ran.stdout.len(), 1000);
        assert_eq!(ran.stderr, b"oops\n");
        assert_eq!(ran.status.code(), Some(3), "it ran to its end, not stopped by a full pipe");
    }

    #[tokio::test]
    async fn a_program_past_its_deadline_is_timed_out() {
        let sleep = find("sleep").expect("sleep");
        let started = std::time::Instant::now();
        let ran = run(&sleep, &["30"], Duration::from_millis(200), 100).await;
        assert!(matches!(ran, Err(RunError::TimedOut)), "{ran:?}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[tokio::test]
    async fn a_missing_or_failing_program_prints_no_setting() {
        assert_eq!(stdout_of("mailwiz-no-such-program", &[], Duration::from_secs(1)).await, None);
        assert_eq!(stdout_of("false", &[], Duration::from_secs(5)).await, None);
        assert_eq!(stdout_of("echo", &["postfix"], Duration::from_secs(5)).await.as_deref(), Some("postfix\n"));
    }
}
