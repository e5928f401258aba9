//! The dispatcher's timed waits: until the next release, jitter or checkpoint with
//! sub-millisecond accuracy ([`sleep_precise`], woken by a [`PreciseTimer`]: the runtime's
//! own timer has 1 ms resolution), and until the end of the grace period
//! ([`sleep_until_or_forever`]). Both wait forever without a deadline, so they can sit in a
//! `select!` unconditionally.

#[cfg(not(target_os = "linux"))]
mod thread;
#[cfg(target_os = "linux")]
mod timerfd;

#[cfg(not(target_os = "linux"))]
pub(super) use thread::PreciseTimer;
#[cfg(target_os = "linux")]
pub(super) use timerfd::PreciseTimer;

use tokio::time::Instant;

/// Waits until `deadline` with sub-millisecond accuracy, woken by `timer` (or by the
/// runtime's timer, to the millisecond, without one).
pub(super) async fn sleep_precise(deadline: Option<Instant>, timer: Option<&PreciseTimer>) {
    match (deadline, timer) {
        (None, _) => std::future::pending().await,
        (Some(deadline), None) => tokio::time::sleep_until(deadline).await,
        (Some(deadline), Some(timer)) => timer.until(deadline).await,
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
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn the_precise_timer_wakes_a_wait_at_its_deadline_and_not_before() {
        let Some(timer) = PreciseTimer::start() else {
            panic!("the precise timer starts");
        };
        for micros in [0u64, 300, 2_500] {
            let deadline = Instant::now() + Duration::from_micros(micros);
            sleep_precise(Some(deadline), Some(&timer)).await;
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
        let _ = tokio::time::timeout(
            Duration::from_micros(1),
            sleep_precise(Some(soon), Some(&timer)),
        )
        .await;
        std::thread::sleep(Duration::from_millis(2));
        let later = Instant::now() + Duration::from_millis(3);
        sleep_precise(Some(later), Some(&timer)).await;
        assert!(Instant::now() >= later);
    }

    #[tokio::test(start_paused = true)]
    async fn with_paused_time_the_runtimes_timer_ends_the_wait() {
        let timer = PreciseTimer::start();
        let deadline = Instant::now() + Duration::from_secs(3_600);
        sleep_precise(Some(deadline), timer.as_ref()).await;
        assert!(Instant::now() >= deadline);
    }
}
