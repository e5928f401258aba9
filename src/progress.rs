//! The live progress line: on a terminal, one line on stderr redrawn four times a second;
//! otherwise a plain line every ten seconds.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::delivery::LiveCounters;
use crate::time::SimTime;

/// A running progress task.
pub(crate) struct ProgressTask {
    stop: CancellationToken,
    handle: JoinHandle<()>,
}

impl ProgressTask {
    /// Stops the task and clears the line.
    pub(crate) async fn stop(self) {
        self.stop.cancel();
        let _ = self.handle.await;
    }
}

/// What the progress line shows, read from the shared counters.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Snapshot {
    /// Events emitted.
    pub emitted: u64,
    /// Events delivered.
    pub delivered: u64,
    /// Events failed after retries.
    pub failed: u64,
    /// Attempts in flight.
    pub in_flight: u64,
    /// Sends waiting or in flight.
    pub backlog: u64,
    /// p99 latency so far, µs.
    pub p99_us: u64,
    /// Share of the simulated window covered, 0 to 1.
    pub done: f64,
}

impl Snapshot {
    fn read(p: &LiveCounters, horizon: (SimTime, SimTime)) -> Self {
        let (start, end) = (horizon.0.as_micros(), horizon.1.as_micros());
        let now = p.sim_now_us.load(Ordering::Relaxed);
        let done = if end > start && now > 0 {
            ((now - start) as f64 / (end - start) as f64).clamp(0.0, 1.0)
        } else {
            0.0
        };
        Self {
            emitted: p.emitted.load(Ordering::Relaxed),
            delivered: p.delivered.load(Ordering::Relaxed),
            failed: p.failed.load(Ordering::Relaxed),
            in_flight: p.in_flight.load(Ordering::Relaxed),
            backlog: p.backlog.load(Ordering::Relaxed),
            p99_us: p.p99_us.load(Ordering::Relaxed),
            done,
        }
    }
}

/// The progress line: counts, rate, p99 so far, share of the simulated window done and
/// the estimated time left.
pub(crate) fn line(s: &Snapshot, elapsed: Duration, rate: f64) -> String {
    let eta = if s.done > 0.0 && s.done < 1.0 {
        let left = elapsed.as_secs_f64() * (1.0 - s.done) / s.done;
        format!("  ETA {left:.0}s")
    } else {
        String::new()
    };
    format!(
        "[{:>6.1}s] {:>3.0}%  emitted {}  delivered {}  failed {}  in flight {}  backlog {}  {rate:.0} events/s  p99 {:.1} ms{eta}",
        elapsed.as_secs_f64(),
        100.0 * s.done,
        s.emitted,
        s.delivered,
        s.failed,
        s.in_flight,
        s.backlog,
        s.p99_us as f64 / 1000.0,
    )
}

/// Starts printing progress until stopped (or `parent` is cancelled).
pub(crate) fn spawn(
    progress: Arc<LiveCounters>,
    terminal: bool,
    horizon: (SimTime, SimTime),
    parent: CancellationToken,
) -> ProgressTask {
    let stop = parent.child_token();
    let token = stop.clone();
    let handle = tokio::spawn(async move {
        let start = Instant::now();
        let period = if terminal {
            Duration::from_millis(250)
        } else {
            Duration::from_secs(10)
        };
        let mut tick = tokio::time::interval_at(start + period, period);
        let mut last_emitted = 0u64;
        loop {
            tokio::select! {
                _ = token.cancelled() => break,
                _ = tick.tick() => {}
            }
            let snap = Snapshot::read(&progress, horizon);
            let rate = (snap.emitted - last_emitted) as f64 / period.as_secs_f64();
            last_emitted = snap.emitted;
            let line = line(&snap, start.elapsed(), rate);
            let mut err = std::io::stderr().lock();
            let _ = if terminal {
                write!(err, "\r\x1b[2K{line}")
            } else {
                writeln!(err, "{line}")
            };
            let _ = err.flush();
        }
        if terminal {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    });
    ProgressTask { stop, handle }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_shows_rate_p99_share_done_and_time_left() {
        let s = Snapshot {
            emitted: 100,
            delivered: 95,
            failed: 1,
            in_flight: 4,
            backlog: 4,
            p99_us: 12_345,
            done: 0.25,
        };
        let l = line(&s, Duration::from_secs(10), 50.0);
        assert_eq!(
            l,
            "[  10.0s]  25%  emitted 100  delivered 95  failed 1  in flight 4  backlog 4  50 events/s  p99 12.3 ms  ETA 30s"
        );
        let finished = Snapshot { done: 1.0, ..s };
        assert!(!line(&finished, Duration::from_secs(40), 0.0).contains("ETA"));
    }

    #[test]
    fn the_share_done_follows_simulated_time_through_the_window() {
        let p = LiveCounters::default();
        let horizon = (SimTime::from_millis(1_000), SimTime::from_millis(3_000));
        assert_eq!(
            Snapshot::read(&p, horizon).done,
            0.0,
            "nothing released yet"
        );
        p.sim_now_us
            .store(SimTime::from_millis(1_500).as_micros(), Ordering::Relaxed);
        assert!((Snapshot::read(&p, horizon).done - 0.25).abs() < 1e-12);
        p.sim_now_us
            .store(SimTime::from_millis(9_000).as_micros(), Ordering::Relaxed);
        assert_eq!(
            Snapshot::read(&p, horizon).done,
            1.0,
            "the tail after the window"
        );
    }
}
