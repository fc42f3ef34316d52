//! The bytes under an SMTP session before any TLS: a TCP connection from here, or the stdin and
//! stdout of a command that connects from somewhere else (`--via 'ssh -W %h:%p box2'`,
//! ProxyCommand semantics), so a second vantage point speaks the same SMTP, STARTTLS included.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::process::Stdio;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command};

/// How a via command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViaEnd {
    /// What it wrote on stderr, trimmed; `None` when nothing.
    pub said: Option<String>,
    /// It exited with a failure status.
    pub failed: bool,
}

/// At most this much of a via command's complaints is kept, to name why it failed.
const STDERR_CAP: usize = 4096;

/// A TCP stream, or a via command's pipes.
#[derive(Debug)]
pub enum Transport {
    Tcp(TcpStream),
    Via(Box<ViaStream>),
}

/// A running via command: what it prints is the server's side, what we write goes to the server.
/// It runs in its own process group, killed whole when the stream is dropped.
#[derive(Debug)]
pub struct ViaStream {
    /// Killed when the stream is dropped.
    child: Child,
    /// The command's process group, killed whole when the stream is dropped: what it started
    /// (`sh -c "ssh …"`) goes with it.
    _group: crate::process_group::Group,
    stdin: ChildStdin,
    stdout: ChildStdout,
    stderr: Option<ChildStderr>,
}

/// A via command that could not be run.
#[derive(Debug, thiserror::Error)]
pub enum ViaError {
    #[error("the via command is empty")]
    Empty,
    #[error("the via command {0:?} is not a valid command line (unbalanced quotes)")]
    Syntax(String),
    #[error("cannot run the via command {program}: {source}")]
    Spawn { program: String, source: io::Error },
}

/// The words of `template` with `%h` (the address, bracket-free), `%p` (the port) and `%%`
/// replaced, split as a POSIX shell would split them but run without a shell.
pub fn via_command(template: &str, addr: SocketAddr) -> Result<Vec<String>, ViaError> {
    let words = shlex::split(template).ok_or_else(|| ViaError::Syntax(template.to_string()))?;
    if words.is_empty() {
        return Err(ViaError::Empty);
    }
    let host = addr.ip().to_string();
    let port = addr.port().to_string();
    Ok(words
        .into_iter()
        .map(|word| {
            let mut out = String::with_capacity(word.len());
            let mut chars = word.chars().peekable();
            while let Some(c) = chars.next() {
                match (c, chars.peek()) {
                    ('%', Some('h')) => {
                        out.push_str(&host);
                        chars.next();
                    }
                    ('%', Some('p')) => {
                        out.push_str(&port);
                        chars.next();
                    }
                    ('%', Some('%')) => {
                        out.push('%');
                        chars.next();
                    }
                    _ => out.push(c),
                }
            }
            out
        })
        .collect())
}

impl ViaStream {
    /// Starts the via command for `addr`.
    pub fn spawn(template: &str, addr: SocketAddr) -> Result<ViaStream, ViaError> {
        let words = via_command(template, addr)?;
        let mut command = Command::new(&words[0]);
        command
            .args(&words[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        crate::process_group::isolate(&mut command);
        let mut child = command.spawn().map_err(|source| ViaError::Spawn { program: words[0].clone(), source })?;
        let group = crate::process_group::Group::new(child.id());
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(ViaError::Spawn { program: words[0].clone(), source: io::Error::other("no pipes") });
        };
        let stderr = child.stderr.take();
        Ok(ViaStream { child, _group: group, stdin, stdout, stderr })
    }

    /// How the command ended, once its stdout has: what it said on stderr (up to a few KiB;
    /// `ssh` and `socat` name the refusal or timeout of their own connection there) and whether
    /// it exited with a failure.
    pub async fn end(&mut self) -> ViaEnd {
        let mut buf = Vec::new();
        if let Some(stderr) = self.stderr.take() {
            let mut limited = stderr.take(STDERR_CAP as u64);
            let _ = tokio::time::timeout(std::time::Duration::from_millis(500), limited.read_to_end(&mut buf)).await;
        }
        let status = tokio::time::timeout(std::time::Duration::from_millis(200), self.child.wait()).await;
        let text = String::from_utf8_lossy(&buf).trim().to_string();
        ViaEnd {
            said: (!text.is_empty()).then_some(text),
            failed: matches!(status, Ok(Ok(status)) if !status.success()),
        }
    }
}

impl AsyncRead for Transport {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Transport::Via(v) => Pin::new(&mut v.stdout).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Transport {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Transport::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Transport::Via(v) => Pin::new(&mut v.stdin).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Tcp(s) => Pin::new(s).poll_flush(cx),
            Transport::Via(v) => Pin::new(&mut v.stdin).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Transport::Via(v) => Pin::new(&mut v.stdin).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_the_address_and_port() {
        let addr: SocketAddr = "[2001:db8::25]:2525".parse().unwrap();
        assert_eq!(via_command("ssh -W [%h]:%p box2", addr).unwrap(), ["ssh", "-W", "[2001:db8::25]:2525", "box2"]);
        let addr: SocketAddr = "192.0.2.10:25".parse().unwrap();
        assert_eq!(
            via_command("socat - 'TCP:%h:%p,bind=127.0.0.99' 100%%", addr).unwrap(),
            ["socat", "-", "TCP:192.0.2.10:25,bind=127.0.0.99", "100%"]
        );
        assert!(matches!(via_command("  ", addr), Err(ViaError::Empty)));
        assert!(matches!(via_command("ssh 'box2", addr), Err(ViaError::Syntax(_))));
    }
}
