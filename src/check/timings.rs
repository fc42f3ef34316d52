//! How long each part of a check took.

use std::future::Future;
use std::time::{Duration, Instant};

use serde::Serialize;

/// How long each part took, in milliseconds, and the whole.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    pub mx_ms: u64,
    pub smtp_ms: u64,
    pub identity_ms: u64,
    pub blocklists_ms: u64,
    pub queue_ms: u64,
    pub logs_ms: u64,
    /// Wall time of the whole check.
    pub wall_ms: u64,
}

impl Timings {
    /// The sum of the parts: what the check would take one step after the other.
    pub fn sequential_ms(&self) -> u64 {
        self.mx_ms + self.smtp_ms + self.identity_ms + self.blocklists_ms + self.queue_ms + self.logs_ms
    }
}

pub(super) async fn timed<T>(work: impl Future<Output = T>) -> (T, u64) {
    let started = Instant::now();
    let value = work.await;
    (value, millis(started.elapsed()))
}

pub(super) fn millis(elapsed: Duration) -> u64 {
    u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
}
