//! The manual clock (`--clock manual`): simulated time moves only when a suite advances it
//! (`POST /__ccsim/clock/advance`). The delivery releases what falls due up to the clock's
//! target, one event's sends finished before the next is released, and says when it has
//! settled there; the advance answers then, so a suite steps through a conversation with no
//! sleeps and the same outcome every time.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, watch};

use crate::time::SimTime;
use crate::units::Span;

/// The manual clock shared by the delivery, the engine's operations and the control API.
#[derive(Debug)]
pub struct ManualClock {
    /// Where the clock starts.
    start: SimTime,
    /// How far the suite has moved it (µs since the epoch).
    target: AtomicI64,
    /// The instant operations happen at: the latest release while the delivery catches
    /// up, the target once it has settled (µs since the epoch).
    now: AtomicI64,
    /// The latest target the delivery settled at.
    settled: watch::Sender<SimTime>,
    /// Wakes the delivery when the target moves.
    moved: Notify,
    /// The delivery is over: nothing more will be released.
    over: AtomicBool,
}

/// Why an advance did not settle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AdvanceError {
    /// The delivery did not settle within the time given (a receiver slow to answer, a
    /// backlog of retries).
    #[error("the delivery did not reach the new time within {0:?}")]
    TimedOut(Duration),
    /// The delivery stopped (the run ended or was interrupted).
    #[error("the delivery has stopped")]
    Stopped,
}

impl ManualClock {
    /// A clock standing at `start`, settled there.
    pub fn new(start: SimTime) -> Self {
        Self {
            start,
            target: AtomicI64::new(start.as_micros()),
            now: AtomicI64::new(start.as_micros()),
            settled: watch::Sender::new(start),
            moved: Notify::new(),
            over: AtomicBool::new(false),
        }
    }

    /// Where the clock started.
    pub fn start(&self) -> SimTime {
        self.start
    }

    /// How far the suite has moved the clock: the delivery releases nothing due later.
    pub fn target(&self) -> SimTime {
        SimTime::from_micros(self.target.load(Ordering::Acquire))
    }

    /// The instant an operation happens at now.
    pub fn now(&self) -> SimTime {
        SimTime::from_micros(self.now.load(Ordering::Acquire))
    }

    /// Moves the target `by` further; returns the new target.
    pub fn advance(&self, by: Span) -> SimTime {
        let micros = by.as_micros();
        let before = self
            .target
            .fetch_add(micros.cast_signed(), Ordering::AcqRel);
        self.moved.notify_one();
        SimTime::from_micros(before + micros.cast_signed())
    }

    /// Moves the clock back to its start (a reset), settled there.
    pub fn rewind(&self) {
        self.target.store(self.start.as_micros(), Ordering::Release);
        self.now.store(self.start.as_micros(), Ordering::Release);
        self.settled.send_replace(self.start);
        self.moved.notify_one();
    }

    /// Told by the delivery as it releases what was due at `at`.
    pub fn released(&self, at: SimTime) {
        self.now.fetch_max(at.as_micros(), Ordering::AcqRel);
    }

    /// Told by the delivery when everything due by `target` has been delivered.
    pub fn settle(&self, target: SimTime) {
        self.now.fetch_max(target.as_micros(), Ordering::AcqRel);
        self.settled.send_if_modified(|at| {
            let later = target > *at;
            if later {
                *at = target;
            }
            later
        });
    }

    /// Told when the delivery is over (a run that simulated everything, or ctrl-c):
    /// advances in progress end at once.
    pub fn finish(&self) {
        self.over.store(true, Ordering::Release);
        self.settled.send_replace(SimTime::from_micros(i64::MAX));
    }

    /// Whether the delivery is over.
    pub fn is_over(&self) -> bool {
        self.over.load(Ordering::Acquire)
    }

    /// Wakes when the target moves (for the delivery's loop).
    pub async fn moved(&self) {
        self.moved.notified().await;
    }

    /// Waits until the delivery has settled at `target` or later, at most `timeout`.
    pub async fn settled_at(&self, target: SimTime, timeout: Duration) -> Result<(), AdvanceError> {
        let mut settled = self.settled.subscribe();
        let reached = settled.wait_for(|at| *at >= target);
        match tokio::time::timeout(timeout, reached).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(_)) => Err(AdvanceError::Stopped),
            Err(_) => Err(AdvanceError::TimedOut(timeout)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> SimTime {
        SimTime::from_millis(1_764_000_000_000 + ms)
    }

    #[test]
    fn an_advance_moves_the_target_and_operations_follow_the_releases() {
        let clock = ManualClock::new(at(0));
        assert_eq!(clock.advance(Span::from_millis(10_000)), at(10_000));
        assert_eq!(clock.target(), at(10_000));
        assert_eq!(clock.now(), at(0), "nothing released yet");
        clock.released(at(3_000));
        assert_eq!(clock.now(), at(3_000));
        clock.settle(at(10_000));
        assert_eq!(clock.now(), at(10_000));
        clock.rewind();
        assert_eq!((clock.now(), clock.target()), (at(0), at(0)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_for_the_settlement_ends_when_the_delivery_gets_there_or_times_out() {
        let clock = std::sync::Arc::new(ManualClock::new(at(0)));
        let target = clock.advance(Span::from_millis(5_000));
        let waiting = {
            let clock = clock.clone();
            tokio::spawn(async move { clock.settled_at(target, Duration::from_secs(60)).await })
        };
        tokio::task::yield_now().await;
        clock.settle(at(4_000));
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "not there yet");
        clock.settle(target);
        assert_eq!(waiting.await.ok(), Some(Ok(())));
        assert_eq!(
            clock.settled_at(at(6_000), Duration::from_secs(1)).await,
            Err(AdvanceError::TimedOut(Duration::from_secs(1)))
        );
    }
}
