//! Retry policy as data plus pure functions: how many retries, how long to wait before each
//! (backoff with full jitter, or the receiver's `Retry-After` on 429/503, clamped), and
//! which responses count as success. The delivery workers call these between attempts;
//! nothing here sleeps or touches the network.

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
    /// Longest wait a `Retry-After` header may impose (longer ones are clamped to it).
    pub max_retry_after: Duration,
}

/// Default ceiling of an honoured `Retry-After`.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            retries: 3,
            backoff: Backoff::Immediate,
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
        }
    }
}

/// A `Retry-After` header value, as HTTP defines it (RFC 9110): a number of seconds or an
/// HTTP date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// `Retry-After: 120`.
    Seconds(u64),
    /// `Retry-After: Wed, 21 Oct 2015 07:28:00 GMT`, as epoch milliseconds.
    Date(i64),
}

impl RetryAfter {
    /// Parses a header value; `None` when it is neither form.
    pub fn parse(value: &str) -> Option<Self> {
        let v = value.trim();
        if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
            // Absurdly many digits saturate rather than fail: the wait is clamped anyway.
            return Some(RetryAfter::Seconds(v.parse().unwrap_or(u64::MAX)));
        }
        chrono::DateTime::parse_from_rfc2822(v)
            .ok()
            .map(|t| RetryAfter::Date(t.timestamp_millis()))
    }

    /// How long to wait from `now_ms` (epoch milliseconds); a date in the past is zero.
    pub fn wait_from(self, now_ms: i64) -> Duration {
        match self {
            RetryAfter::Seconds(s) => Duration::from_secs(s),
            RetryAfter::Date(at) => {
                Duration::from_millis(u64::try_from(at.saturating_sub(now_ms)).unwrap_or(0))
            }
        }
    }
}

/// Whether a status asks the client to come back later, so `Retry-After` is honoured.
pub fn honours_retry_after(status: u16) -> bool {
    matches!(status, 429 | 503)
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

    /// The wait before retry `retry` after a response with `status` (None: no response)
    /// that may carry `retry_after`: the receiver's wish on 429/503, clamped to
    /// `max_retry_after`, otherwise the backoff. `now_ms` resolves HTTP dates.
    pub fn wait(
        &self,
        seq: u64,
        retry: u32,
        status: Option<u16>,
        retry_after: Option<RetryAfter>,
        now_ms: i64,
    ) -> Duration {
        match (status, retry_after) {
            (Some(s), Some(ra)) if honours_retry_after(s) => {
                ra.wait_from(now_ms).min(self.max_retry_after)
            }
            _ => self.delay(seq, retry),
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
    fn retry_after_parses_seconds_and_http_dates_and_nothing_else() {
        assert_eq!(RetryAfter::parse(" 120 "), Some(RetryAfter::Seconds(120)));
        assert_eq!(
            RetryAfter::parse("99999999999999999999999"),
            Some(RetryAfter::Seconds(u64::MAX))
        );
        assert_eq!(
            RetryAfter::parse("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(RetryAfter::Date(1_445_412_480_000))
        );
        for bad in ["", "-1", "1.5", "soon", "2015-10-21T07:28:00Z"] {
            assert_eq!(RetryAfter::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn an_http_date_waits_until_then_and_a_past_date_not_at_all() {
        let at = RetryAfter::Date(10_000);
        assert_eq!(at.wait_from(7_500), Duration::from_millis(2_500));
        assert_eq!(at.wait_from(20_000), Duration::ZERO);
        assert_eq!(RetryAfter::Seconds(3).wait_from(0), Duration::from_secs(3));
    }

    #[test]
    fn retry_after_is_honoured_only_on_429_and_503_and_clamped() {
        let p = RetryPolicy {
            max_retry_after: Duration::from_secs(10),
            ..RetryPolicy::default()
        };
        let ra = Some(RetryAfter::Seconds(4));
        assert_eq!(p.wait(1, 1, Some(429), ra, 0), Duration::from_secs(4));
        assert_eq!(p.wait(1, 1, Some(503), ra, 0), Duration::from_secs(4));
        assert_eq!(p.wait(1, 1, Some(500), ra, 0), Duration::ZERO);
        assert_eq!(p.wait(1, 1, None, ra, 0), Duration::ZERO);
        assert_eq!(p.wait(1, 1, Some(429), None, 0), Duration::ZERO);
        let huge = Some(RetryAfter::Seconds(u64::MAX));
        assert_eq!(p.wait(1, 1, Some(503), huge, 0), Duration::from_secs(10));
    }

    #[test]
    fn exponential_backoff_stays_under_its_doubling_ceiling_and_cap() {
        let p = RetryPolicy {
            retries: 8,
            backoff: Backoff::Exponential {
                base: Duration::from_millis(100),
                cap: Duration::from_secs(1),
            },
            ..RetryPolicy::default()
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
