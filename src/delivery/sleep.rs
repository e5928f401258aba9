//! The dispatcher's timed waits: until the next release, jitter or checkpoint with
//! sub-millisecond accuracy ([`sleep_precise`]), and until the end of the grace period
//! ([`sleep_until_or_forever`]). Both wait forever without a deadline, so they can sit in a
//! `select!` unconditionally.

use std::time::Duration;

use tokio::time::Instant;

/// How long before a deadline the dispatcher stops sleeping and starts yielding.
const SPIN_WINDOW: Duration = Duration::from_micros(1_500);

/// Waits until `deadline` with sub-millisecond accuracy: tokio's timer wheel has 1 ms
/// resolution, so sleep until just before the deadline, then yield to the runtime until it
/// is due. If the clock does not move (paused time in tests), fall back to a plain sleep.
pub(super) async fn sleep_precise(deadline: Option<Instant>) {
    let Some(deadline) = deadline else {
        return std::future::pending().await;
    };
    if let Some(coarse) = deadline.checked_sub(SPIN_WINDOW)
        && coarse > Instant::now()
    {
        tokio::time::sleep_until(coarse).await;
    }
    let spin_start = std::time::Instant::now();
    while Instant::now() < deadline {
        if spin_start.elapsed() > 2 * SPIN_WINDOW {
            tokio::time::sleep_until(deadline).await;
            return;
        }
        tokio::task::yield_now().await;
    }
}

/// Waits until `deadline`, or forever without one.
pub(super) async fn sleep_until_or_forever(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
