//! A lock every write of an output file holds (a batch of log lines, a report replaced),
//! so a second interrupt can exit between writes, never in the middle of one: a kill that
//! lands inside a `write` can leave part of it, a line cut in half. Writes share the lock
//! (the log's and the snapshots' threads write at once); stopping takes it whole.

use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard, TryLockError};
use std::time::{Duration, Instant};

static WRITING: RwLock<()> = RwLock::new(());

/// Held while one write to an output file is under way.
pub fn writing() -> RwLockReadGuard<'static, ()> {
    WRITING.read().unwrap_or_else(PoisonError::into_inner)
}

/// Waits up to `wait` for the writes under way to end and keeps any other from starting
/// while the guard lives; `None` if a write is still stuck (a hung disk) after `wait`.
pub fn stop_writes(wait: Duration) -> Option<RwLockWriteGuard<'static, ()>> {
    let deadline = Instant::now() + wait;
    loop {
        match WRITING.try_write() {
            Ok(guard) => return Some(guard),
            Err(TryLockError::Poisoned(p)) => return Some(p.into_inner()),
            Err(TryLockError::WouldBlock) if Instant::now() >= deadline => return None,
            Err(TryLockError::WouldBlock) => std::thread::sleep(Duration::from_millis(2)),
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
        let also = writing();
        assert!(stop_writes(Duration::from_millis(10)).is_none());
        drop((held, also));
    }
}
