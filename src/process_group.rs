//! Child commands in their own process group, killed as a group: a `--via 'sh -c "…"'` leaves
//! no grandchild running when its connection is dropped (deadline, Esc) or mailwiz ends.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

/// Process groups started and not yet killed.
static LIVE: Mutex<Option<HashSet<u32>>> = Mutex::new(None);

/// Starts `command`'s child in a new process group of its own (Unix; elsewhere nothing).
pub fn isolate(command: &mut tokio::process::Command) {
    #[cfg(unix)]
    command.process_group(0);
    #[cfg(not(unix))]
    let _ = command;
}

/// Kills the process group led by `pid` when dropped.
#[derive(Debug)]
pub struct Group {
    pid: Option<u32>,
}

impl Group {
    /// Watches the group of the child `pid` (started with [`isolate`]).
    pub fn new(pid: Option<u32>) -> Group {
        if let Some(pid) = pid {
            LIVE.lock().unwrap_or_else(PoisonError::into_inner).get_or_insert_with(HashSet::new).insert(pid);
        }
        Group { pid }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if let Some(pid) = self.pid.take() {
            if let Some(live) = LIVE.lock().unwrap_or_else(PoisonError::into_inner).as_mut() {
                live.remove(&pid);
            }
            kill(pid);
        }
    }
}

/// Kills every group still running (at exit: tasks left behind are never dropped).
pub fn kill_all() {
    let live = LIVE.lock().unwrap_or_else(PoisonError::into_inner).take().unwrap_or_default();
    for pid in live {
        kill(pid);
    }
}

#[cfg(unix)]
fn kill(pid: u32) {
    use rustix::process::{Pid, Signal, kill_process_group};
    // Pid 1 would mean "every process we may signal": never a child's group.
    if let Some(pid) = i32::try_from(pid).ok().filter(|&p| p > 1).and_then(Pid::from_raw) {
        let _ = kill_process_group(pid, Signal::KILL);
    }
}

#[cfg(not(unix))]
fn kill(_pid: u32) {}
