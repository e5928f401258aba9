//! One lock held across every write of an output file (a batch of log lines, a report
//! replaced), so a second interrupt can exit between two writes, never in the middle of
//! one: a kill that lands inside a `write` can leave part of it, and a line cut in half.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

static WRITING: Mutex<()> = Mutex::new(());

/// Held while one write to an output file is under way.
pub fn writing() -> MutexGuard<'static, ()> {
    WRITING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Waits up to `wait` for the write under way to end and keeps any other from starting
/// while the guard lives; `None` if a write is still stuck (a hung disk) after `wait`.
pub fn stop_writes(wait: Duration) -> Option<MutexGuard<'static, ()>> {
    let deadline = Instant::now() + wait;
    loop {
        match WRITING.try_lock() {
            Ok(guard) => return Some(guard),
            Err(std::sync::TryLockError::Poisoned(p)) => return Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) if Instant::now() >= deadline => {
                return None;
            }
            Err(std::sync::TryLockError::WouldBlock) => {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_write_starts_while_writes_are_stopped_and_a_stuck_one_is_waited_for_boundedly() {
        let stopped = stop_writes(Duration::from_secs(5)).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let writer = std::thread::spawn(move || {
            let _w = writing();
            tx.send(()).unwrap();
        });
        assert!(
            rx.recv_timeout(Duration::from_millis(50)).is_err(),
            "the write waits"
        );
        drop(stopped);
        writer.join().unwrap();
        let held = writing();
        assert!(stop_writes(Duration::from_millis(10)).is_none());
        drop(held);
    }
}
