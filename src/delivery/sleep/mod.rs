//! The dispatcher's timed waits: until the next release, jitter or checkpoint with
//! sub-millisecond accuracy ([`PreciseWaits`]: a [`PreciseTimer`] wakes them, the runtime's
//! own timer having 1 ms resolution, or with `--busy-wait` the thread spins through the
//! last milliseconds), and until the end of the grace period ([`sleep_until_or_forever`]).
//! Both wait forever without a deadline, so they can sit in a `select!` unconditionally.

#[cfg(not(target_os = "linux"))]
mod thread;
#[cfg(target_os = "linux")]
mod timerfd;

#[cfg(not(target_os = "linux"))]
use thread::PreciseTimer;
#[cfg(target_os = "linux")]
use timerfd::PreciseTimer;

use std::time::Duration;

use tokio::time::Instant;

/// With `--busy-wait`, how long before a deadline the wait stops sleeping and spins: longer
/// than the kernel's late wake-ups of an idle core on a virtual machine (up to 5 ms
/// measured, `docs/performance.md`), so a sleep that ends late still ends before the
/// deadline.
const SPIN_AHEAD: Duration = Duration::from_millis(5);

/// How the dispatcher waits for its deadlines.
#[derive(Debug)]
pub(super) struct PreciseWaits {
    /// Wakes a sleep to within tens of microseconds (`None`: it could not start; the
    /// runtime's timer serves, to the millisecond).
    timer: Option<PreciseTimer>,
    /// `--busy-wait`: the last [`SPIN_AHEAD`] of each wait spins instead of sleeping.
    busy: bool,
}

impl PreciseWaits {
    /// Waits that sleep, or with `busy` spin through their last milliseconds.
    pub(super) fn start(busy: bool) -> Self {
        Self {
            timer: PreciseTimer::start(),
            busy,
        }
    }

    /// Waits until `deadline`, or forever without one. A busy wait yields to the
    /// runtime's other tasks (the workers) at every turn, and the runtime polls the
    /// network between turns, so spinning delays nothing else; it only keeps the core
    /// awake, which is what makes its wake-up exact.
    pub(super) async fn until(&self, deadline: Option<Instant>) {
        let Some(deadline) = deadline else {
            return std::future::pending().await;
        };
        if !self.busy {
            return sleep_precise(deadline, self.timer.as_ref()).await;
        }
        if let Some(spin_from) = deadline.checked_sub(SPIN_AHEAD)
            && spin_from > Instant::now()
        {
            sleep_precise(spin_from, self.timer.as_ref()).await;
        }
        while Instant::now() < deadline {
            tokio::task::yield_now().await;
        }
    }
}

/// Sleeps until `deadline` with sub-millisecond accuracy, woken by `timer` (or by the
/// runtime's timer, to the millisecond, without one).
async fn sleep_precise(deadline: Instant, timer: Option<&PreciseTimer>) {
    match timer {
        None => tokio::time::sleep_until(deadline).await,
        Some(timer) => timer.until(deadline).await,
    }
}

/// Waits until `deadline`, or forever without one.
pub(super) async fn sleep_until_or_forever(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    #[tokio::test]
    async fn the_precise_timer_wakes_a_wait_at_its_deadline_and_not_before() {
        let Some(timer) = PreciseTimer::start() else {
            panic!("the precise timer starts");
        };
        for micros in [0u64, 300, 2_500] {
            let deadline = Instant::now() + Duration::from_micros(micros);
            sleep_precise(deadline, Some(&timer)).await;
            assert!(Instant::now() >= deadline, "woken before {micros} µs");
        }
    }

    #[tokio::test]
    async fn a_wake_left_over_from_an_abandoned_wait_does_not_end_the_next_early() {
        let Some(timer) = PreciseTimer::start() else {
            panic!("the precise timer starts");
        };
        // Abandoned at once: its wake stays stored in the notifier.
        let soon = Instant::now() + Duration::from_micros(200);
        let _ =
            tokio::time::timeout(Duration::from_micros(1), sleep_precise(soon, Some(&timer))).await;
        std::thread::sleep(Duration::from_millis(2));
        let later = Instant::now() + Duration::from_millis(3);
        sleep_precise(later, Some(&timer)).await;
        assert!(Instant::now() >= later);
    }

    #[tokio::test(start_paused = true)]
    async fn with_paused_time_the_runtimes_timer_ends_the_wait() {
        let timer = PreciseTimer::start();
        let deadline = Instant::now() + Duration::from_secs(3_600);
        sleep_precise(deadline, timer.as_ref()).await;
        assert!(Instant::now() >= deadline);
    }

    #[tokio::test]
    async fn a_busy_wait_ends_at_its_deadline_and_lets_other_tasks_run_meanwhile() {
        let waits = PreciseWaits::start(true);
        for micros in [0u64, 300, 2_500, 8_000] {
            let deadline = Instant::now() + Duration::from_micros(micros);
            waits.until(Some(deadline)).await;
            assert!(Instant::now() >= deadline, "woken before {micros} µs");
        }
        // One thread: the spinning wait must give the thread up for the task to run (a
        // deadline closer than SPIN_AHEAD: the whole wait spins).
        let ran = Arc::new(AtomicBool::new(false));
        let deadline = Instant::now() + SPIN_AHEAD / 2;
        let task = tokio::spawn({
            let ran = ran.clone();
            async move { ran.store(Instant::now() < deadline, Ordering::SeqCst) }
        });
        waits.until(Some(deadline)).await;
        task.await.expect("the task ran");
        assert!(
            ran.load(Ordering::SeqCst),
            "the task ran during the busy wait"
        );
    }
}
