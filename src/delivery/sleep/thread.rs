//! The precise timer where there is no `timerfd` (systems other than Linux): a thread that
//! sleeps until shortly before the deadline and wakes the dispatcher, which yields to the
//! runtime for the last few microseconds.

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// How long before a deadline the dispatcher stops sleeping on the runtime's timer (1 ms
/// resolution) and hands the wait to the precise timer thread.
const COARSE_MARGIN: Duration = Duration::from_micros(1_500);

/// How long before a deadline the timer thread wakes the dispatcher, which then yields to
/// the runtime until the deadline: the thread's wake comes up to the kernel's timer slack
/// late (50 µs by default on Linux), so this keeps releases on time at the cost of a few
/// tens of microseconds of yielding per wait.
const SPIN_TAIL: Duration = Duration::from_micros(60);

/// A thread that wakes the dispatcher at an instant, to within tens of microseconds (the
/// kernel's timer slack, 50 µs by default on Linux): the
/// runtime's timer wheel has 1 ms resolution, and yielding in a loop until a deadline (as
/// the dispatcher once did) kept a core busy at real-time speeds. One deadline at a time:
/// the dispatcher waits for one thing at a time.
#[derive(Debug)]
pub(in crate::delivery) struct PreciseTimer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Debug, Default)]
struct Shared {
    slot: Mutex<Slot>,
    changed: Condvar,
    due: Notify,
}

#[derive(Debug, Default)]
struct Slot {
    deadline: Option<std::time::Instant>,
    stop: bool,
}

impl PreciseTimer {
    /// Starts the thread; `None` (waits fall back to the runtime's timer) if it cannot be
    /// started.
    pub(in crate::delivery) fn start() -> Option<Self> {
        let shared = Arc::new(Shared::default());
        let theirs = shared.clone();
        let thread = std::thread::Builder::new()
            .name("ccsim-timer".into())
            .spawn(move || theirs.run())
            .ok()?;
        Some(Self {
            shared,
            thread: Some(thread),
        })
    }

    /// Wakes the waiter of [`PreciseTimer::due`] at `deadline` (replacing any earlier
    /// request).
    fn wake_at(&self, deadline: std::time::Instant) {
        let mut slot = self
            .shared
            .slot
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if slot.deadline != Some(deadline) {
            slot.deadline = Some(deadline);
            self.shared.changed.notify_one();
        }
    }
}

impl Drop for PreciseTimer {
    fn drop(&mut self) {
        {
            let mut slot = self
                .shared
                .slot
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            slot.stop = true;
            self.shared.changed.notify_one();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Shared {
    /// The thread: sleeps until the deadline asked for, then tells the waiter.
    fn run(&self) {
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if slot.stop {
                return;
            }
            slot = match slot.deadline {
                None => self
                    .changed
                    .wait(slot)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let now = std::time::Instant::now();
                    if now >= deadline {
                        slot.deadline = None;
                        self.due.notify_one();
                        continue;
                    }
                    self.changed
                        .wait_timeout(slot, deadline - now)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
    }
}

impl PreciseTimer {
    /// Waits until `deadline`: on the runtime's timer until shortly before it, then woken by
    /// the thread, then yielding for the last few microseconds; or by the runtime's timer
    /// if that comes first (as it does with paused time in tests).
    pub(in crate::delivery) async fn until(&self, deadline: Instant) {
        if let Some(coarse) = deadline.checked_sub(COARSE_MARGIN)
            && coarse > Instant::now()
        {
            tokio::time::sleep_until(coarse).await;
        }
        // A wake left over from a wait the dispatcher gave up is told apart by the clock.
        let woken = deadline.checked_sub(SPIN_TAIL).unwrap_or(deadline);
        while Instant::now() < woken {
            let due = self.shared.due.notified();
            self.wake_at(woken.into_std());
            tokio::select! {
                () = due => {}
                () = tokio::time::sleep_until(deadline) => return,
            }
        }
        let spin_start = std::time::Instant::now();
        while Instant::now() < deadline {
            if spin_start.elapsed() > 4 * SPIN_TAIL {
                // The clock does not move (paused time in tests): the runtime's timer decides.
                return tokio::time::sleep_until(deadline).await;
            }
            tokio::task::yield_now().await;
        }
    }
}
