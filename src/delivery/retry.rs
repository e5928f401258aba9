//! Retry policy as data plus pure functions: how many retries, how long to wait before each,
//! and which responses count as success.

use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// When a response counts as delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SuccessRule {
    /// Only HTTP 200, like the platform.
    #[default]
    #[value(name = "200")]
    Only200,
    /// Any 2xx status.
    #[value(name = "2xx")]
    Any2xx,
}

impl SuccessRule {
    /// Whether `status` counts as delivered.
    pub fn accepts(self, status: u16) -> bool {
        match self {
            SuccessRule::Only200 => status == 200,
            SuccessRule::Any2xx => (200..300).contains(&status),
        }
    }
}

/// How long to wait before a retry.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Backoff {
    /// Retry at once, like the platform.
    Immediate,
    /// Exponential with full jitter: a uniform wait in [0, min(cap, base·2^(n-1))].
    Exponential {
        /// Wait ceiling of the first retry.
        base: Duration,
        /// Largest wait.
        cap: Duration,
    },
}

/// Retries and their spacing.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RetryPolicy {
    /// Retries after the first attempt (the platform makes 3, so 4 attempts in all).
    pub retries: u32,
    /// Spacing of retries.
    pub backoff: Backoff,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            retries: 3,
            backoff: Backoff::Immediate,
        }
    }
}

impl RetryPolicy {
    /// Total attempts allowed.
    pub fn max_attempts(&self) -> u32 {
        self.retries.saturating_add(1)
    }

    /// The wait before retry number `retry` (1-based) of the event with sequence `seq`.
    /// Deterministic: the jitter comes from (seq, retry).
    pub fn delay(&self, seq: u64, retry: u32) -> Duration {
        match self.backoff {
            Backoff::Immediate => Duration::ZERO,
            Backoff::Exponential { base, cap } => {
                let exp = retry.saturating_sub(1).min(30);
                let ceiling = base.saturating_mul(1u32 << exp).min(cap);
                let mut rng = ChaCha8Rng::seed_from_u64(seq.rotate_left(17) ^ u64::from(retry));
                let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
                Duration::from_nanos(rng.random_range(0..=nanos))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_platform_default_is_three_immediate_retries() {
        let p = RetryPolicy::default();
        assert_eq!(p.max_attempts(), 4);
        assert!((1..=3).all(|r| p.delay(1, r) == Duration::ZERO));
    }

    #[test]
    fn exponential_backoff_stays_under_its_doubling_ceiling_and_cap() {
        let p = RetryPolicy {
            retries: 8,
            backoff: Backoff::Exponential {
                base: Duration::from_millis(100),
                cap: Duration::from_secs(1),
            },
        };
        for seq in 0..200 {
            for retry in 1..=8u32 {
                let ceiling =
                    Duration::from_millis(100 * (1 << (retry - 1))).min(Duration::from_secs(1));
                assert!(p.delay(seq, retry) <= ceiling);
            }
        }
        assert_eq!(p.delay(5, 2), p.delay(5, 2), "deterministic jitter");
    }

    #[test]
    fn success_is_200_only_unless_any_2xx_is_asked_for() {
        assert!(SuccessRule::Only200.accepts(200));
        assert!(!SuccessRule::Only200.accepts(204));
        assert!(SuccessRule::Any2xx.accepts(204));
        assert!(!SuccessRule::Any2xx.accepts(302));
    }
}
