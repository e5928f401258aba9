//! Simulated time: an instant on the simulated clock, in microseconds since the Unix epoch.
//!
//! The engine works only in simulated time; `delivery::clock` maps it to wall-clock deadlines.

use std::ops::{Add, Sub};

use crate::units::Span;

/// An instant of simulated time (microseconds since 1970-01-01T00:00:00Z).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimTime(i64);

impl SimTime {
    /// The instant `micros` microseconds after the Unix epoch.
    pub const fn from_micros(micros: i64) -> Self {
        Self(micros)
    }

    /// The instant `millis` milliseconds after the Unix epoch.
    pub const fn from_millis(millis: i64) -> Self {
        Self(millis.saturating_mul(1000))
    }

    /// The current wall-clock time, used as the default start of the simulated clock.
    pub fn now_wall() -> Self {
        Self(chrono::Utc::now().timestamp_micros())
    }

    /// Microseconds since the Unix epoch.
    pub const fn as_micros(self) -> i64 {
        self.0
    }

    /// Milliseconds since the Unix epoch: the unit of every payload and record time.
    pub const fn epoch_ms(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// The span from `earlier` to `self`, zero when `earlier` is later.
    pub fn since(self, earlier: SimTime) -> Span {
        Span::from_micros(u64::try_from(self.0 - earlier.0).unwrap_or(0))
    }
}

impl Add<Span> for SimTime {
    type Output = SimTime;
    fn add(self, span: Span) -> SimTime {
        let micros = i64::try_from(span.as_micros()).unwrap_or(i64::MAX);
        SimTime(self.0.saturating_add(micros))
    }
}

impl Sub<SimTime> for SimTime {
    type Output = Span;
    fn sub(self, earlier: SimTime) -> Span {
        self.since(earlier)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_ms_truncates_micros_towards_the_past() {
        assert_eq!(
            SimTime::from_micros(1_700_000_000_123_999).epoch_ms(),
            1_700_000_000_123
        );
        assert_eq!(SimTime::from_micros(-1).epoch_ms(), -1);
    }

    #[test]
    fn adding_a_span_moves_forward_and_since_measures_back() {
        let t = SimTime::from_millis(1_000);
        let later = t + Span::from_millis(1_500);
        assert_eq!(later.epoch_ms(), 2_500);
        assert_eq!(later.since(t), Span::from_millis(1_500));
        assert_eq!(t.since(later), Span::ZERO);
    }
}
