//! The precise timer on Linux: a `timerfd` registered with the runtime's own poller, so the
//! kernel wakes the dispatcher's thread at the deadline (a timerfd's timer has no slack)
//! from the same `epoll_wait` that waits for the sockets. No second thread, no hand-off
//! between threads, no yielding while the deadline nears: it replaced a timer thread whose
//! wake-ups cost a sixth of ccsim's CPU at 10,000 events/s in real time, and whose
//! ping-pong with the dispatcher's thread stretched the lateness tail on a 2-core machine.

use std::os::fd::OwnedFd;
use std::sync::{Mutex, PoisonError};

use rustix::time::{
    Itimerspec, TimerfdClockId, TimerfdFlags, TimerfdTimerFlags, Timespec, timerfd_create,
    timerfd_settime,
};
use tokio::io::unix::AsyncFd;
use tokio::time::Instant;

/// A one-shot kernel timer the runtime polls.
#[derive(Debug)]
pub(in crate::delivery) struct PreciseTimer {
    fd: AsyncFd<OwnedFd>,
    /// The deadline the timer is armed for, until its expiry is read: a wait for the same
    /// deadline (the dispatcher's `select!` is re-entered often) does not re-arm it.
    armed: Mutex<Option<Instant>>,
}

impl PreciseTimer {
    /// A timer on the current runtime; `None` (waits fall back to the runtime's timer) if
    /// the kernel or the runtime refuses one.
    pub(in crate::delivery) fn start() -> Option<Self> {
        let fd = timerfd_create(
            TimerfdClockId::Monotonic,
            TimerfdFlags::NONBLOCK | TimerfdFlags::CLOEXEC,
        )
        .ok()?;
        // `AsyncFd::new` is deprecated because it cannot tell whether its value owns the
        // descriptor it registers; an `OwnedFd` does, and is closed only when the `AsyncFd`
        // has deregistered it (on drop), which is what `register`'s contract asks. (The
        // crate forbids `unsafe`, so the checked constructor is not an option.)
        #[allow(deprecated)]
        let fd = AsyncFd::new(fd).ok()?;
        Some(Self {
            fd,
            armed: Mutex::new(None),
        })
    }

    /// Waits until `deadline`: woken by the kernel timer, or by the runtime's timer if that
    /// comes first (as it does with paused time in tests, or if the kernel timer fails).
    pub(in crate::delivery) async fn until(&self, deadline: Instant) {
        tokio::select! {
            biased;
            () = self.expiry(deadline) => {}
            () = tokio::time::sleep_until(deadline) => {}
        }
    }

    /// Returns once `deadline` has passed, woken by the kernel timer; never, if the timer
    /// cannot be armed or polled.
    async fn expiry(&self, deadline: Instant) {
        loop {
            match self.arm(deadline) {
                Armed::Passed => return,
                Armed::Failed => return std::future::pending().await,
                Armed::Yes => {}
            }
            let Ok(mut ready) = self.fd.readable().await else {
                return std::future::pending().await;
            };
            // Reads the expiry; a readiness left over from an earlier arming reads nothing
            // and is cleared, and the loop waits again.
            let mut count = [0u8; 8];
            if let Ok(Ok(_)) = ready.try_io(|fd| Ok(rustix::io::read(fd, &mut count)?)) {
                *self.armed() = None;
            }
        }
    }

    /// Arms the timer for `deadline` unless it is armed for it already.
    fn arm(&self, deadline: Instant) -> Armed {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Armed::Passed;
        }
        let mut armed = self.armed();
        if *armed == Some(deadline) {
            return Armed::Yes;
        }
        let zero = Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        let spec = Itimerspec {
            it_interval: zero,
            it_value: Timespec {
                tv_sec: i64::try_from(left.as_secs()).unwrap_or(i64::MAX),
                tv_nsec: i64::from(left.subsec_nanos()),
            },
        };
        // Arming anew also forgets an expiry not yet read.
        if timerfd_settime(&self.fd, TimerfdTimerFlags::empty(), &spec).is_err() {
            *armed = None;
            return Armed::Failed;
        }
        *armed = Some(deadline);
        Armed::Yes
    }

    fn armed(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.armed.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What arming the timer came to.
enum Armed {
    Yes,
    /// The deadline is already past: nothing to wait for.
    Passed,
    Failed,
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Without the runtime's timer beside it: only the kernel timer can end these waits
    /// (the outer timeout only keeps a broken timer from hanging the test).
    async fn kernel_timer_alone(timer: &PreciseTimer, deadline: Instant) {
        tokio::time::timeout(Duration::from_secs(10), timer.expiry(deadline))
            .await
            .expect("the kernel timer woke the wait");
        assert!(Instant::now() >= deadline, "woken before the deadline");
    }

    #[tokio::test]
    async fn the_kernel_timer_alone_wakes_waits_for_new_deadlines_and_repeated_ones() {
        let timer = PreciseTimer::start().expect("a timerfd on Linux");
        let first = Instant::now() + Duration::from_micros(700);
        kernel_timer_alone(&timer, first).await;
        // Once passed, the same deadline ends a wait at once.
        kernel_timer_alone(&timer, first).await;
        for micros in [1u64, 250, 1_500, 20_000] {
            kernel_timer_alone(&timer, Instant::now() + Duration::from_micros(micros)).await;
        }
    }

    #[tokio::test]
    async fn an_abandoned_wait_leaves_nothing_that_ends_the_next_early_or_never() {
        let timer = PreciseTimer::start().expect("a timerfd on Linux");
        // Abandoned before its deadline, then its expiry comes unread.
        let soon = Instant::now() + Duration::from_micros(200);
        let _ = tokio::time::timeout(Duration::from_micros(1), timer.expiry(soon)).await;
        std::thread::sleep(Duration::from_millis(2));
        kernel_timer_alone(&timer, Instant::now() + Duration::from_millis(3)).await;
        // Abandoned far from its deadline: the next, nearer one re-arms the timer.
        let far = Instant::now() + Duration::from_secs(3_600);
        let _ = tokio::time::timeout(Duration::from_millis(1), timer.expiry(far)).await;
        kernel_timer_alone(&timer, Instant::now() + Duration::from_millis(1)).await;
    }
}
