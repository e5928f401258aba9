//! Simulated time: an instant on the simulated clock, in microseconds since the Unix epoch.
//!
//! The engine works only in simulated time; `delivery::clock` maps it to wall-clock deadlines.

use std::ops::{Add, Sub};

use crate::units::Span;

/// An instant of simulated time (microseconds since 1970-01-01T00:00:00Z).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimTime(i64);

/// Why a start time cannot be used.
const START_RANGE: &str = "expected a start time from 2000-01-01T00:00:00Z to 2100-01-01T00:00:00Z";

impl SimTime {
    /// The earliest start time an input may give: 2000-01-01T00:00:00Z.
    pub const EARLIEST_START: SimTime = SimTime(946_684_800_000_000);
    /// The latest start time an input may give: 2100-01-01T00:00:00Z. With every
    /// duration at most a year ([`Span::LIMIT`]), every time of a run then stays within
    /// the years a timestamp is written in (and far from saturating).
    pub const LATEST_START: SimTime = SimTime(4_102_444_800_000_000);

    /// A start time in epoch milliseconds, if within
    /// [`EARLIEST_START`](Self::EARLIEST_START)..=[`LATEST_START`](Self::LATEST_START);
    /// else the message that says so (naming `got` as written).
    pub fn start_from_millis(ms: i64, got: &str) -> Result<SimTime, String> {
        let t = SimTime::from_millis(ms);
        if (Self::EARLIEST_START..=Self::LATEST_START).contains(&t) {
            Ok(t)
        } else {
            Err(format!("start time out of range: {START_RANGE}, got {got}"))
        }
    }

    /// A start time written as RFC 3339 (`2026-01-01T09:00:00+08:00`) or epoch
    /// milliseconds, within the start range.
    pub fn parse_start(text: &str) -> Result<SimTime, String> {
        let text = text.trim();
        let ms = match text.parse::<i64>() {
            Ok(ms) => ms,
            Err(_) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
                i64::MAX // too many digits for an i64: far out of range
            }
            Err(_) => chrono::DateTime::parse_from_rfc3339(text)
                .map(|t| t.timestamp_millis())
                .map_err(|_| {
                    format!(
                        "expected RFC 3339 (2026-01-01T09:00:00+08:00) or epoch milliseconds, \
                         got {text:?}"
                    )
                })?,
        };
        Self::start_from_millis(ms, &format!("{text:?}"))
    }

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
    fn start_times_are_read_as_rfc3339_or_epoch_ms_within_their_range() {
        let ms = |t: SimTime| t.epoch_ms();
        assert_eq!(
            SimTime::parse_start("1700000000000").map(ms),
            Ok(1_700_000_000_000)
        );
        assert_eq!(
            SimTime::parse_start("2023-11-14T22:13:20Z").map(ms),
            Ok(1_700_000_000_000)
        );
        assert_eq!(
            SimTime::parse_start("2000-01-01T00:00:00Z"),
            Ok(SimTime::EARLIEST_START)
        );
        assert_eq!(
            SimTime::parse_start("2100-01-01T08:00:00+08:00"),
            Ok(SimTime::LATEST_START)
        );
        for bad in [
            "9223372036854775",
            "99999999999999999999999",
            "0",
            "-1",
            "1999-12-31T23:59:59Z",
            "2100-01-01T00:00:00.001Z",
            "9999-12-31T00:00:00Z",
        ] {
            assert_eq!(
                SimTime::parse_start(bad),
                Err(format!(
                    "start time out of range: expected a start time from 2000-01-01T00:00:00Z \
                     to 2100-01-01T00:00:00Z, got {bad:?}"
                )),
            );
        }
        assert!(
            SimTime::parse_start("yesterday")
                .unwrap_err()
                .starts_with("expected RFC 3339")
        );
    }

    #[test]
    fn the_latest_start_plus_the_longest_span_is_still_a_writable_time() {
        let end = SimTime::LATEST_START + Span::LIMIT + Span::LIMIT;
        let written = chrono::DateTime::from_timestamp_millis(end.epoch_ms())
            .expect("in chrono's range")
            .to_rfc3339();
        assert_eq!(written, "2102-01-01T00:00:00+00:00");
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
