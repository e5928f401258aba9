//! The engine's timer queue: actions due at simulated instants, taken earliest first and,
//! at the same instant, in the order they were scheduled. A binary heap ordered by one
//! 128-bit key (time, then sequence), so each of its comparisons is a single one.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::time::SimTime;

/// Timed items, earliest first, first scheduled first among equals.
#[derive(Debug)]
pub(super) struct Timers<T> {
    heap: BinaryHeap<Entry<T>>,
    /// Entries scheduled so far: the tie-breaker.
    scheduled: u64,
}

#[derive(Debug)]
struct Entry<T> {
    at: SimTime,
    seq: u64,
    item: T,
}

impl<T> Entry<T> {
    /// (time, sequence) as one number, ordered as the pair is: one comparison, not two.
    fn key(&self) -> u128 {
        key(self.at, self.seq)
    }
}

fn key(at: SimTime, seq: u64) -> u128 {
    // Flipping the sign bit maps i64 order onto u64 order.
    let at = at.as_micros().cast_unsigned() ^ (1 << 63);
    (u128::from(at) << 64) | u128::from(seq)
}

impl<T> Default for Timers<T> {
    fn default() -> Self {
        Self::with_capacity(0)
    }
}

impl<T> PartialEq for Entry<T> {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl<T> Eq for Entry<T> {}
impl<T> PartialOrd for Entry<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Entry<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        // BinaryHeap is a max-heap: reversed, the earliest pops first.
        other.key().cmp(&self.key())
    }
}

impl<T> Timers<T> {
    /// Empty, with room for `room` items before the heap grows (growing copies it whole).
    pub(super) fn with_capacity(room: usize) -> Self {
        Self {
            heap: BinaryHeap::with_capacity(room),
            scheduled: 0,
        }
    }

    /// Schedules `item` at `at`.
    pub(super) fn push(&mut self, at: SimTime, item: T) {
        self.scheduled += 1;
        let seq = self.scheduled;
        self.heap.push(Entry { at, seq, item });
    }

    /// Takes the earliest item, with its instant.
    pub(super) fn pop(&mut self) -> Option<(SimTime, T)> {
        let top = self.heap.pop()?;
        Some((top.at, top.item))
    }

    /// The instant of the earliest item, without taking it.
    pub(super) fn next_at(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| e.at)
    }

    /// The earliest item, without taking it.
    pub(super) fn peek(&self) -> Option<&T> {
        self.heap.peek().map(|e| &e.item)
    }

    /// Keeps only the items `keep` says to, each at its instant and in its order.
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        self.heap.retain(|e| keep(&e.item));
    }

    /// How many items are scheduled.
    pub(super) fn len(&self) -> usize {
        self.heap.len()
    }

    /// How many items fit before the heap grows.
    #[cfg(test)]
    pub(super) fn capacity(&self) -> usize {
        self.heap.capacity()
    }
}

#[cfg(test)]
mod tests {
    use std::cmp::Reverse;

    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn keys_order_as_time_then_sequence() {
        let times = [i64::MIN, -1_000, -1, 0, 1, 1_000, i64::MAX].map(SimTime::from_micros);
        for (a, b) in times.iter().zip(&times[1..]) {
            assert!(key(*a, u64::MAX) < key(*b, 0), "{a:?} {b:?}");
            assert!(key(*a, 1) < key(*a, 2));
        }
    }

    #[test]
    fn items_come_earliest_first_and_in_scheduling_order_at_the_same_instant() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let mut timers = Timers::default();
        let mut reference = BinaryHeap::new();
        let mut now = 0;
        for n in 0..50_000u64 {
            if rng.random_bool(0.55) {
                // Few distinct instants, so ties are common.
                let at = now + rng.random_range(0..20);
                timers.push(SimTime::from_millis(at), n);
                reference.push(Reverse((at, n)));
            } else {
                let expected = reference.pop().map(|Reverse((at, n))| {
                    now = at;
                    (SimTime::from_millis(at), n)
                });
                assert_eq!(timers.pop(), expected);
            }
        }
        while let Some(Reverse((at, n))) = reference.pop() {
            assert_eq!(timers.pop(), Some((SimTime::from_millis(at), n)));
        }
        assert_eq!(timers.pop(), None);
    }

    #[test]
    fn retained_items_keep_their_order() {
        let mut timers = Timers::default();
        for n in 0..100u64 {
            timers.push(SimTime::from_millis((n % 7) as i64), n);
        }
        timers.retain(|n| n % 3 != 0);
        assert_eq!(timers.len(), 66);
        let mut last = (SimTime::from_millis(-1), 0);
        while let Some((at, n)) = timers.pop() {
            assert_ne!(n % 3, 0);
            assert!((at, n) > last, "{at:?} {n} after {last:?}");
            last = (at, n);
        }
    }

    #[test]
    fn an_item_earlier_than_every_held_one_comes_first() {
        let mut timers = Timers::default();
        for n in 0..50u64 {
            timers.push(SimTime::from_millis(100 + (n % 5) as i64), n);
        }
        assert_eq!(timers.pop(), Some((SimTime::from_millis(100), 0)));
        // Before the instant last taken: not on the engine's usual path, still in order.
        timers.push(SimTime::from_millis(7), 50);
        timers.push(SimTime::from_millis(100), 51);
        assert_eq!(timers.next_at(), Some(SimTime::from_millis(7)));
        assert_eq!(timers.pop(), Some((SimTime::from_millis(7), 50)));
        let rest: Vec<_> = std::iter::from_fn(|| timers.pop()).collect();
        assert_eq!(rest.len(), 50);
        assert!(rest.windows(2).all(|w| (w[0].0, w[0].1) < (w[1].0, w[1].1)));
        assert_eq!(rest.last(), Some(&(SimTime::from_millis(104), 49)));
    }

    #[test]
    fn random_schedules_pops_and_removals_match_a_reference_heap() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut timers = Timers::default();
        let mut reference = BinaryHeap::new();
        let mut now: i64 = -5_000;
        for n in 0..30_000u64 {
            match rng.random_range(0..100) {
                // Mostly ahead of the last instant taken, over many scales, sometimes at it.
                0..55 => {
                    let at = now + (rng.random_range(0..1i64 << 40) >> rng.random_range(0..40));
                    timers.push(SimTime::from_micros(at), n);
                    reference.push(Reverse((at, n)));
                }
                // Rarely before it.
                55..57 => {
                    let at = now - rng.random_range(1..1_000);
                    timers.push(SimTime::from_micros(at), n);
                    reference.push(Reverse((at, n)));
                }
                57..58 => {
                    let m = rng.random_range(2..5);
                    timers.retain(|x| x % m != 0);
                    reference.retain(|Reverse((_, x))| x % m != 0);
                }
                _ => {
                    let expected = reference.pop().map(|Reverse((at, n))| {
                        now = at;
                        (SimTime::from_micros(at), n)
                    });
                    assert_eq!(timers.pop(), expected);
                }
            }
            assert_eq!(timers.len(), reference.len());
            let next = reference
                .peek()
                .map(|Reverse((at, _))| SimTime::from_micros(*at));
            assert_eq!(timers.next_at(), next);
            assert_eq!(timers.peek(), reference.peek().map(|Reverse((_, x))| x));
        }
        while let Some(Reverse((at, n))) = reference.pop() {
            assert_eq!(timers.pop(), Some((SimTime::from_micros(at), n)));
        }
        assert_eq!(timers.pop(), None);
        assert_eq!(timers.len(), 0);
    }
}
