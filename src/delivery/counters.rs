//! [`LiveCounters`]: the delivery phase's running totals as atomics, written by the
//! dispatcher (and the p99 by the report collector) and read by the progress line
//! (`progress.rs`) from its own task.

use std::sync::atomic::{AtomicI64, AtomicU64};

/// Live counters for the progress line, shared with the progress task.
#[derive(Debug, Default)]
pub struct LiveCounters {
    /// Events emitted.
    pub emitted: AtomicU64,
    /// Events delivered.
    pub delivered: AtomicU64,
    /// Events failed after retries.
    pub failed: AtomicU64,
    /// Attempts in flight.
    pub in_flight: AtomicU64,
    /// Sends emitted but not finished (queued, held or in flight).
    pub backlog: AtomicU64,
    /// The largest `backlog` seen.
    pub peak_backlog: AtomicU64,
    /// Simulated time of the latest released happening, µs since the epoch.
    pub sim_now_us: AtomicI64,
    /// p99 latency so far, µs (refreshed by the collector every few hundred events).
    pub p99_us: AtomicU64,
}
