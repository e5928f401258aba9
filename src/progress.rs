//! The live progress line: on a terminal, one line on stderr redrawn four times a second;
//! otherwise a plain line every ten seconds.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::delivery::Progress;

/// A running progress task.
pub struct ProgressTask {
    stop: CancellationToken,
    handle: JoinHandle<()>,
}

impl ProgressTask {
    /// Stops the task and clears the line.
    pub async fn stop(self) {
        self.stop.cancel();
        let _ = self.handle.await;
    }
}

/// Starts printing progress until stopped (or `parent` is cancelled).
pub fn spawn(progress: Arc<Progress>, terminal: bool, parent: CancellationToken) -> ProgressTask {
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
            let emitted = progress.emitted.load(Ordering::Relaxed);
            let rate = (emitted - last_emitted) as f64 / period.as_secs_f64();
            last_emitted = emitted;
            let line = format!(
                "[{:>6.1}s] emitted {emitted}  delivered {}  failed {}  in flight {}  backlog {}  {rate:.0} events/s",
                start.elapsed().as_secs_f64(),
                progress.delivered.load(Ordering::Relaxed),
                progress.failed.load(Ordering::Relaxed),
                progress.in_flight.load(Ordering::Relaxed),
                progress.backlog.load(Ordering::Relaxed),
            );
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
