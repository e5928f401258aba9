//! Receiver-robustness options, which test whether a receiver copes with a hostile
//! network, as data plus pure decisions: which events are delivered twice
//! (`--duplicate-rate`), held back to swap with their conversation's next event
//! (`--reorder-rate`), and how long each waits before its first attempt (`--jitter`).
//! Every decision is a function of (seed, seq), so a run repeats exactly. Parsed by the
//! delivery flags; decided by the dispatcher (duplicates, jitter) and its lanes (swaps).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::units::Span;

/// A uniform random delay in `[min, max]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Jitter {
    /// Shortest delay.
    pub min: Duration,
    /// Longest delay.
    pub max: Duration,
}

impl FromStr for Jitter {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let span = |t: &str| {
            t.trim()
                .parse::<Span>()
                .map(Span::as_std)
                .map_err(|e| format!("expected MAX or MIN..MAX durations like 0..200ms: {e}"))
        };
        let (min, max) = match s.split_once("..") {
            Some((a, b)) => (span(a)?, span(b)?),
            None => (Duration::ZERO, span(s)?),
        };
        if min > max {
            return Err(format!(
                "expected MIN..MAX with MIN not above MAX, got {s:?}"
            ));
        }
        Ok(Jitter { min, max })
    }
}

impl fmt::Display for Jitter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}..{}",
            Span::from_micros(self.min.as_micros() as u64),
            Span::from_micros(self.max.as_micros() as u64)
        )
    }
}

/// The receiver-robustness options.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Robustness {
    /// Share of events sent twice.
    pub duplicate_rate: f64,
    /// Share of events swapped with the next of their conversation.
    pub reorder_rate: f64,
    /// Delay before each event's first attempt.
    pub jitter: Jitter,
}

/// Salts keeping the three decisions independent.
const SALT_DUPLICATE: u64 = 0x6475_706c;
const SALT_REORDER: u64 = 0x7265_6f72;
const SALT_JITTER: u64 = 0x6a69_7474;

fn rng(seed: u64, seq: u64, salt: u64) -> ChaCha8Rng {
    let mixed = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ seq.rotate_left(29) ^ salt;
    ChaCha8Rng::seed_from_u64(mixed)
}

impl Robustness {
    /// Whether any option is on.
    pub fn is_active(&self) -> bool {
        self.duplicate_rate > 0.0 || self.reorder_rate > 0.0 || !self.jitter.max.is_zero()
    }

    /// Whether event `seq` is delivered twice.
    pub fn duplicate(&self, seed: u64, seq: u64) -> bool {
        self.duplicate_rate > 0.0 && rng(seed, seq, SALT_DUPLICATE).random_bool(self.duplicate_rate)
    }

    /// Whether event `seq` is held back to swap with its conversation's next event.
    pub fn reorder(&self, seed: u64, seq: u64) -> bool {
        self.reorder_rate > 0.0 && rng(seed, seq, SALT_REORDER).random_bool(self.reorder_rate)
    }

    /// The delay before event `seq`'s first attempt.
    pub fn jitter(&self, seed: u64, seq: u64) -> Duration {
        let Jitter { min, max } = self.jitter;
        if max.is_zero() {
            return Duration::ZERO;
        }
        let lo = u64::try_from(min.as_micros()).unwrap_or(u64::MAX);
        let hi = u64::try_from(max.as_micros()).unwrap_or(u64::MAX).max(lo);
        Duration::from_micros(rng(seed, seq, SALT_JITTER).random_range(lo..=hi))
    }

    /// Whether a receiver may see a conversation's events out of order.
    pub fn reorders(&self) -> bool {
        self.reorder_rate > 0.0
    }

    /// Whether a receiver may see the same event twice.
    pub fn duplicates(&self) -> bool {
        self.duplicate_rate > 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_parses_a_maximum_or_a_range_and_rejects_inverted_ones() {
        assert_eq!(
            "200ms".parse::<Jitter>(),
            Ok(Jitter {
                min: Duration::ZERO,
                max: Duration::from_millis(200)
            })
        );
        assert_eq!(
            "50ms..200ms".parse::<Jitter>(),
            Ok(Jitter {
                min: Duration::from_millis(50),
                max: Duration::from_millis(200)
            })
        );
        assert_eq!("0".parse::<Jitter>(), Ok(Jitter::default()));
        let err = "200ms..50ms".parse::<Jitter>().unwrap_err();
        assert!(err.contains("MIN not above MAX"), "{err}");
        let err = "lots".parse::<Jitter>().unwrap_err();
        assert!(err.starts_with("expected MAX or MIN..MAX"), "{err}");
        assert_eq!(
            "0..200ms".parse::<Jitter>().unwrap().to_string(),
            "0s..200ms"
        );
    }

    #[test]
    fn decisions_are_deterministic_by_seed_and_follow_their_rates() {
        let r = Robustness {
            duplicate_rate: 0.25,
            reorder_rate: 0.5,
            jitter: "10ms..20ms".parse().unwrap(),
        };
        let dups = (0..4000).filter(|&s| r.duplicate(7, s)).count();
        let reorders = (0..4000).filter(|&s| r.reorder(7, s)).count();
        assert!((800..1200).contains(&dups), "{dups}");
        assert!((1800..2200).contains(&reorders), "{reorders}");
        for seq in 0..500 {
            let j = r.jitter(7, seq);
            assert!(j >= Duration::from_millis(10) && j <= Duration::from_millis(20));
            assert_eq!(j, r.jitter(7, seq));
            assert_eq!(r.duplicate(7, seq), r.duplicate(7, seq));
        }
        let other_seed = (0..200)
            .filter(|&s| r.duplicate(7, s) != r.duplicate(8, s))
            .count();
        assert!(other_seed > 0, "the seed changes the choices");
    }

    #[test]
    fn rates_of_zero_and_one_are_never_and_always() {
        let never = Robustness::default();
        let always = Robustness {
            duplicate_rate: 1.0,
            reorder_rate: 1.0,
            jitter: Jitter::default(),
        };
        assert!((0..100).all(|s| !never.duplicate(1, s) && !never.reorder(1, s)));
        assert!((0..100).all(|s| always.duplicate(1, s) && always.reorder(1, s)));
        assert_eq!(never.jitter(1, 1), Duration::ZERO);
        assert!(!never.is_active() && always.is_active());
    }
}
