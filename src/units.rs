//! Human-friendly value types for the command line and scenario files.
//!
//! Every type here parses from the short notation people actually type and
//! prints back in a canonical form that parses to the same value again:
//!
//! | type            | examples                                   |
//! |-----------------|--------------------------------------------|
//! | [`Span`]        | `90s`, `3m`, `1h30m`, `250ms`, `1.5s`, `0` |
//! | [`Rate`]        | `50/s`, `3000/m`, `300/h`, `2.5/sec`       |
//! | [`Speed`]       | `1`, `60`, `60x`, `0.5`, `max`             |
//! | [`Probability`] | `0.95`, `95%`                              |
//!
//! All of them implement [`FromStr`] (so they plug straight into clap's
//! `value_parser!`) and hand-written serde impls, so a bad value in a
//! scenario file reports the same teaching message as on the command line,
//! e.g. `expected a duration like 90s, 3m, 1h30m or 250ms, got "5 minutes"`.
//!
//! Decimal input is converted without floating-point detours where the
//! result is an integer (`"0.1s"` is exactly 100 000 µs) and with a single
//! correctly rounded conversion where the result is an `f64`
//! (`"12.3%"` is exactly the `f64` nearest to 0.123).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// Error returned when a unit value cannot be parsed or is out of range.
///
/// The message is short, lowercase, and says what was expected and what was
/// given, so it can be shown to the user as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UnitError(String);

impl UnitError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

// ---------------------------------------------------------------------------
// Decimal helpers
// ---------------------------------------------------------------------------

/// Splits a plain unsigned decimal (`12`, `1.5`, `.5`, `5.`) into its integer
/// and fractional digit strings. Signs, exponents, `inf` and `NaN` are
/// rejected, as is a lone `.`.
fn split_decimal(s: &str) -> Option<(&str, &str)> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return None;
    }
    Some((int, frac))
}

/// Parses a plain unsigned decimal into a finite `f64` with one correctly
/// rounded conversion.
fn parse_plain_f64(s: &str) -> Option<f64> {
    let (int, frac) = split_decimal(s)?;
    let int = if int.is_empty() { "0" } else { int };
    let frac = if frac.is_empty() { "0" } else { frac };
    let value: f64 = format!("{int}.{frac}").parse().ok()?;
    value.is_finite().then_some(value)
}

/// Parses a plain unsigned decimal percentage (`95`, `12.5`) as a fraction
/// (`0.95`, `0.125`) by moving the decimal point, so that `"12.3%"` gives
/// exactly the same `f64` as `"0.123"`.
fn parse_percent_f64(s: &str) -> Option<f64> {
    let (int, frac) = split_decimal(s)?;
    let padded = format!("{int:0>2}");
    let (whole, moved) = padded.split_at(padded.len() - 2);
    let whole = if whole.is_empty() { "0" } else { whole };
    let value: f64 = format!("{whole}.{moved}{frac}").parse().ok()?;
    value.is_finite().then_some(value)
}

// ---------------------------------------------------------------------------
// Span
// ---------------------------------------------------------------------------

const MICROS_PER_MS: u64 = 1_000;
const MICROS_PER_S: u64 = 1_000_000;
const MICROS_PER_M: u64 = 60 * MICROS_PER_S;
const MICROS_PER_H: u64 = 60 * MICROS_PER_M;
const MICROS_PER_D: u64 = 24 * MICROS_PER_H;

const SPAN_EXPECTED: &str = "expected a duration like 90s, 3m, 1h30m or 250ms";

/// A non-negative span of (simulated) time, stored in microseconds.
///
/// Parses from one or more `<number><unit>` groups with units `us`, `ms`,
/// `s`, `m`, `h` and `d` (`90s`, `1.5s`, `1h30m`, `1h5m10s500ms`), or a bare
/// `0`. Displays in a canonical compact form (`1m30s`, `1.5s`, `250ms`)
/// that parses back to the same value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span(u64);

impl Span {
    /// The empty span.
    pub const ZERO: Span = Span(0);
    /// The longest representable span (about 584 942 years).
    pub const MAX: Span = Span(u64::MAX);

    /// A span of `micros` microseconds.
    pub const fn from_micros(micros: u64) -> Self {
        Span(micros)
    }

    /// A span of `millis` milliseconds, saturating at [`Span::MAX`].
    pub const fn from_millis(millis: u64) -> Self {
        Span(millis.saturating_mul(MICROS_PER_MS))
    }

    /// A span of `secs` seconds, rounded to the nearest microsecond.
    ///
    /// Saturating: negative values and NaN give [`Span::ZERO`], values too
    /// large (including infinity) give [`Span::MAX`].
    pub fn from_secs_f64(secs: f64) -> Self {
        if secs.is_nan() || secs <= 0.0 {
            return Span::ZERO;
        }
        let micros = (secs * 1e6).round();
        // u64::MAX as f64 rounds up to 2^64, which is itself out of range.
        if micros >= u64::MAX as f64 {
            Span::MAX
        } else {
            // In range and integral, so the conversion is exact.
            Span(micros as u64)
        }
    }

    /// The span in whole microseconds.
    pub const fn as_micros(self) -> u64 {
        self.0
    }

    /// The span in seconds.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }

    /// The span as a [`std::time::Duration`].
    pub const fn as_std(self) -> Duration {
        Duration::from_micros(self.0)
    }
}

fn span_unit(unit: &str) -> Option<u64> {
    match unit {
        // The micro sign (U+00B5) and the Greek mu (U+03BC) both appear in the wild.
        "us" | "\u{b5}s" | "\u{3bc}s" => Some(1),
        "ms" => Some(MICROS_PER_MS),
        "s" => Some(MICROS_PER_S),
        "m" => Some(MICROS_PER_M),
        "h" => Some(MICROS_PER_H),
        "d" => Some(MICROS_PER_D),
        _ => None,
    }
}

/// `int.frac` times `unit` microseconds, with the fraction rounded half up
/// to a whole microsecond using integer arithmetic only. `None` on overflow.
fn scale_decimal(int: &str, frac: &str, unit: u64) -> Option<u64> {
    let int = int.bytes().try_fold(0u64, |acc, b| {
        acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
    })?;
    // Evaluate 0.d1 d2 ... dn * unit from the last digit backwards:
    // y_k = (d_k * unit + y_{k+1}) / 10. Only floor(y) needs carrying, since
    // floor((n + f) / 10) == n / 10 for an integer n and 0 <= f < 1; and the
    // fraction of y_1 is at least one half exactly when the last n % 10 >= 5.
    // Every intermediate n stays below 10 * unit, so nothing can overflow.
    let (mut carry, mut last) = (0u64, 0u64);
    for b in frac.bytes().rev() {
        let n = u64::from(b - b'0') * unit + carry;
        carry = n / 10;
        last = n % 10;
    }
    let frac = carry + u64::from(last >= 5);
    int.checked_mul(unit)?.checked_add(frac)
}

impl FromStr for Span {
    type Err = UnitError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let input = s.trim();
        let general = || UnitError::new(format!("{SPAN_EXPECTED}, got {input:?}"));
        if let Some(rest) = input.strip_prefix('-') {
            if rest.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
                return Err(UnitError::new(format!(
                    "expected a non-negative duration, got {input:?}"
                )));
            }
            return Err(general());
        }
        if input.is_empty() {
            return Err(general());
        }

        let mut total = 0u64;
        let mut rest = input;
        let mut first = true;
        while !rest.is_empty() {
            let number_len = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(rest.len());
            let (number, after) = rest.split_at(number_len);
            let unit_len = after
                .find(|c: char| !c.is_alphabetic())
                .unwrap_or(after.len());
            let (unit, after) = after.split_at(unit_len);
            rest = after;

            let Some((int, frac)) = split_decimal(number) else {
                return Err(general());
            };
            if unit.is_empty() {
                if !(first && rest.is_empty()) {
                    return Err(general());
                }
                // The whole input is a bare number: only zero needs no unit.
                if int.bytes().chain(frac.bytes()).all(|b| b == b'0') {
                    return Ok(Span::ZERO);
                }
                return Err(UnitError::new(format!(
                    "missing unit in {input:?}: write {input}s, {input}ms, {input}m or {input}h"
                )));
            }
            let Some(micros_per_unit) = span_unit(unit) else {
                return Err(UnitError::new(format!(
                    "unknown unit {unit:?} in {input:?}: use us, ms, s, m, h or d"
                )));
            };
            total = scale_decimal(int, frac, micros_per_unit)
                .and_then(|group| total.checked_add(group))
                .ok_or_else(|| {
                    UnitError::new(format!(
                        "duration too large (the limit is about 213503982d), got {input:?}"
                    ))
                })?;
            first = false;
        }
        Ok(Span(total))
    }
}

/// Writes `whole` followed by the non-zero leading digits of `frac`, a
/// fraction with `width` decimal digits, then `unit`.
fn write_decimal(out: &mut String, whole: u64, frac: u64, width: usize, unit: &str) {
    use std::fmt::Write as _;
    if frac == 0 {
        let _ = write!(out, "{whole}{unit}");
    } else {
        let digits = format!("{frac:0width$}");
        let _ = write!(out, "{whole}.{}{unit}", digits.trim_end_matches('0'));
    }
}

impl fmt::Display for Span {
    /// Canonical compact form: `0s`, `250ms`, `1.5s`, `1m30s`, `1h30m`,
    /// `2d3h`, `1m500ms`, `1.5ms`, `7us`. It always parses back to the same
    /// span.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use std::fmt::Write as _;
        let mut out = String::new();
        let micros = self.0;
        let days = micros / MICROS_PER_D;
        let hours = micros % MICROS_PER_D / MICROS_PER_H;
        let minutes = micros % MICROS_PER_H / MICROS_PER_M;
        let sub_minute = micros % MICROS_PER_M;
        for (value, unit) in [(days, "d"), (hours, "h"), (minutes, "m")] {
            if value > 0 {
                let _ = write!(out, "{value}{unit}");
            }
        }
        if sub_minute >= MICROS_PER_S {
            write_decimal(
                &mut out,
                sub_minute / MICROS_PER_S,
                sub_minute % MICROS_PER_S,
                6,
                "s",
            );
        } else if sub_minute >= MICROS_PER_MS {
            write_decimal(
                &mut out,
                sub_minute / MICROS_PER_MS,
                sub_minute % MICROS_PER_MS,
                3,
                "ms",
            );
        } else if sub_minute > 0 {
            let _ = write!(out, "{sub_minute}us");
        } else if out.is_empty() {
            out.push_str("0s");
        }
        f.pad(&out)
    }
}

impl From<Span> for Duration {
    fn from(span: Span) -> Self {
        span.as_std()
    }
}

impl Serialize for Span {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SpanVisitor;

        impl Visitor<'_> for SpanVisitor {
            type Value = Span;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration string like \"90s\"")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Span, E> {
                v.parse().map_err(E::custom)
            }
        }

        deserializer.deserialize_str(SpanVisitor)
    }
}

// ---------------------------------------------------------------------------
// Rate
// ---------------------------------------------------------------------------

const RATE_EXPECTED: &str = "expected a rate like 50/s, 3000/m or 300/h";

/// Rate units, smallest first, with their length in seconds.
const RATE_UNITS: [(&str, f64); 4] = [("s", 1.0), ("m", 60.0), ("h", 3_600.0), ("d", 86_400.0)];

/// Events or arrivals per second.
///
/// Parses from `<number>/<unit>` with units `s`, `m`, `h`, `d` (also
/// `sec`, `min`, `hour`, `day` and their plurals): `50/s`, `3000/m`,
/// `2.5/s`. Always finite and non-negative.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Rate {
    per_second: f64,
}

impl Rate {
    /// Events per second.
    pub fn per_second(self) -> f64 {
        self.per_second
    }

    /// A rate of `per_second` events per second.
    ///
    /// Keeps the rate finite and non-negative: negative values and NaN give
    /// 0, positive infinity gives `f64::MAX`.
    pub fn from_per_second(per_second: f64) -> Self {
        let per_second = if per_second.is_nan() || per_second <= 0.0 {
            0.0
        } else {
            per_second.min(f64::MAX)
        };
        Rate { per_second }
    }

    /// Mean time between events, or `None` for a zero rate.
    ///
    /// Saturates like [`Span::from_secs_f64`].
    pub fn mean_interval(self) -> Option<Span> {
        (self.per_second > 0.0).then(|| Span::from_secs_f64(1.0 / self.per_second))
    }
}

fn rate_unit_seconds(unit: &str) -> Option<f64> {
    let seconds = match unit.to_ascii_lowercase().as_str() {
        "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3_600.0,
        "d" | "day" | "days" => 86_400.0,
        _ => return None,
    };
    Some(seconds)
}

impl FromStr for Rate {
    type Err = UnitError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let input = s.trim();
        let general = || UnitError::new(format!("{RATE_EXPECTED}, got {input:?}"));
        let (number, unit) = input.split_once('/').ok_or_else(general)?;
        let (number, unit) = (number.trim(), unit.trim());
        let count = parse_plain_f64(number).ok_or_else(general)?;
        if unit.is_empty() {
            return Err(general());
        }
        let seconds = rate_unit_seconds(unit).ok_or_else(|| {
            UnitError::new(format!(
                "unknown rate unit {unit:?} in {input:?}: use /s, /m, /h or /d"
            ))
        })?;
        Ok(Rate::from_per_second(count / seconds))
    }
}

impl fmt::Display for Rate {
    /// Uses the smallest of `/s`, `/m`, `/h`, `/d` that gives a whole count
    /// (`5/s`, `30/m`, `160/h`), otherwise a decimal per second (`2.5/s`).
    /// It always parses back to the same rate.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let per_second = self.per_second;
        for (unit, seconds) in RATE_UNITS {
            let count = (per_second * seconds).round();
            // Parsing computes `count / seconds`, so this check guarantees an
            // exact round trip.
            if count.is_finite() && count / seconds == per_second {
                return f.pad(&format!("{count}/{unit}"));
            }
        }
        f.pad(&format!("{per_second}/s"))
    }
}

impl Serialize for Rate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RateVisitor;

        impl Visitor<'_> for RateVisitor {
            type Value = Rate;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a rate string like \"50/s\"")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Rate, E> {
                v.parse().map_err(E::custom)
            }
        }

        deserializer.deserialize_str(RateVisitor)
    }
}

// ---------------------------------------------------------------------------
// Speed
// ---------------------------------------------------------------------------

/// Simulation speed: a factor of real time, or as fast as possible.
///
/// Parses from a positive number with an optional `x` (`1`, `60`, `60x`,
/// `0.5`) or `max`. In scenario files both `60` and `"60"` are accepted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// Simulated time runs this many times faster than real time; finite
    /// and greater than zero when parsed.
    Factor(f64),
    /// Run as fast as possible, without waiting.
    Max,
}

impl Default for Speed {
    /// Real time.
    fn default() -> Self {
        Speed::Factor(1.0)
    }
}

fn speed_error(got: impl fmt::Display) -> UnitError {
    UnitError::new(format!("expected a positive number or \"max\", got {got}"))
}

fn speed_from_f64(factor: f64) -> Result<Speed, UnitError> {
    if factor.is_finite() && factor > 0.0 {
        Ok(Speed::Factor(factor))
    } else {
        Err(speed_error(factor))
    }
}

impl FromStr for Speed {
    type Err = UnitError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let input = s.trim();
        if input.eq_ignore_ascii_case("max") {
            return Ok(Speed::Max);
        }
        let number = input.strip_suffix(['x', 'X']).unwrap_or(input).trim_end();
        match parse_plain_f64(number) {
            Some(factor) if factor > 0.0 => Ok(Speed::Factor(factor)),
            _ => Err(speed_error(format_args!("{input:?}"))),
        }
    }
}

impl fmt::Display for Speed {
    /// `max`, or the plain factor (`60`, `0.5`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Speed::Factor(factor) => f.pad(&factor.to_string()),
            Speed::Max => f.pad("max"),
        }
    }
}

impl Serialize for Speed {
    /// A number for [`Speed::Factor`], the string `"max"` for [`Speed::Max`].
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Speed::Factor(factor) => serializer.serialize_f64(*factor),
            Speed::Max => serializer.serialize_str("max"),
        }
    }
}

impl<'de> Deserialize<'de> for Speed {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SpeedVisitor;

        impl Visitor<'_> for SpeedVisitor {
            type Value = Speed;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a positive number or \"max\"")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Speed, E> {
                v.parse().map_err(E::custom)
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Speed, E> {
                speed_from_f64(v).map_err(E::custom)
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Speed, E> {
                if v == 0 {
                    return Err(E::custom(speed_error(v)));
                }
                speed_from_f64(v as f64).map_err(E::custom)
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Speed, E> {
                if v <= 0 {
                    return Err(E::custom(speed_error(v)));
                }
                speed_from_f64(v as f64).map_err(E::custom)
            }
        }

        deserializer.deserialize_any(SpeedVisitor)
    }
}

// ---------------------------------------------------------------------------
// Probability
// ---------------------------------------------------------------------------

/// A probability in `[0, 1]`.
///
/// Parses from a fraction (`0.95`) or a percentage (`95%`). In scenario
/// files it is a number (`0.95`, `1`) or a string (`"95%"`).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Probability(f64);

fn probability_error(got: impl fmt::Display) -> UnitError {
    UnitError::new(format!(
        "expected a probability between 0 and 1 (or 0%..100%), got {got}"
    ))
}

impl Probability {
    /// Checks that `p` lies in `[0, 1]` (NaN does not).
    pub fn new(p: f64) -> Result<Self, UnitError> {
        if (0.0..=1.0).contains(&p) {
            // Normalise -0.0 so that it prints as "0".
            Ok(Probability(p + 0.0))
        } else {
            Err(probability_error(p))
        }
    }

    /// The probability as a number in `[0, 1]`.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl FromStr for Probability {
    type Err = UnitError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let input = s.trim();
        let value = match input.strip_suffix('%') {
            Some(percent) => parse_percent_f64(percent.trim_end()),
            None => parse_plain_f64(input),
        };
        value
            .and_then(|p| Probability::new(p).ok())
            .ok_or_else(|| probability_error(format_args!("{input:?}")))
    }
}

impl fmt::Display for Probability {
    /// The plain number (`0.95`), which parses back to the same value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0.to_string())
    }
}

impl Serialize for Probability {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.0)
    }
}

impl<'de> Deserialize<'de> for Probability {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ProbabilityVisitor;

        impl Visitor<'_> for ProbabilityVisitor {
            type Value = Probability;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a probability like 0.95 or \"95%\"")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Probability, E> {
                v.parse().map_err(E::custom)
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Probability, E> {
                Probability::new(v).map_err(E::custom)
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Probability, E> {
                match v {
                    0 | 1 => Ok(Probability(v as f64)),
                    _ => Err(E::custom(probability_error(v))),
                }
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Probability, E> {
                match v {
                    0 | 1 => Ok(Probability(v as f64)),
                    _ => Err(E::custom(probability_error(v))),
                }
            }
        }

        deserializer.deserialize_any(ProbabilityVisitor)
    }
}

impl std::ops::Add for Span {
    type Output = Span;
    /// Saturating addition.
    fn add(self, other: Span) -> Span {
        Span(self.0.saturating_add(other.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    fn span(s: &str) -> Span {
        s.parse().expect("valid span")
    }

    fn span_err(s: &str) -> String {
        s.parse::<Span>().expect_err("invalid span").to_string()
    }

    fn rate(s: &str) -> Rate {
        s.parse().expect("valid rate")
    }

    fn rate_err(s: &str) -> String {
        s.parse::<Rate>().expect_err("invalid rate").to_string()
    }

    fn speed(s: &str) -> Speed {
        s.parse().expect("valid speed")
    }

    fn speed_err(s: &str) -> String {
        s.parse::<Speed>().expect_err("invalid speed").to_string()
    }

    fn prob(s: &str) -> f64 {
        s.parse::<Probability>().expect("valid probability").get()
    }

    fn prob_err(s: &str) -> String {
        s.parse::<Probability>()
            .expect_err("invalid probability")
            .to_string()
    }

    const MS: u64 = 1_000;
    const S: u64 = 1_000_000;
    const M: u64 = 60 * S;
    const H: u64 = 60 * M;
    const D: u64 = 24 * H;

    // ----- Span: parsing -------------------------------------------------

    #[test]
    fn span_accepts_every_single_unit() {
        assert_eq!(span("7us").as_micros(), 7);
        assert_eq!(span("7\u{b5}s").as_micros(), 7);
        assert_eq!(span("7\u{3bc}s").as_micros(), 7);
        assert_eq!(span("250ms").as_micros(), 250 * MS);
        assert_eq!(span("90s").as_micros(), 90 * S);
        assert_eq!(span("3m").as_micros(), 3 * M);
        assert_eq!(span("2h").as_micros(), 2 * H);
        assert_eq!(span("1d").as_micros(), D);
    }

    #[test]
    fn span_accepts_concatenated_groups() {
        assert_eq!(span("1h30m").as_micros(), H + 30 * M);
        assert_eq!(span("2m30s").as_micros(), 2 * M + 30 * S);
        assert_eq!(
            span("1h5m10s500ms").as_micros(),
            H + 5 * M + 10 * S + 500 * MS
        );
        assert_eq!(
            span("1d2h3m4s5ms6us").as_micros(),
            D + 2 * H + 3 * M + 4 * S + 5 * MS + 6
        );
    }

    #[test]
    fn span_accepts_decimals_exactly() {
        assert_eq!(span("0.1s").as_micros(), 100_000);
        assert_eq!(span("1.5s").as_micros(), 1_500_000);
        assert_eq!(span("0.5h").as_micros(), 30 * M);
        assert_eq!(span("0.001s").as_micros(), 1_000);
        assert_eq!(span("0.3s").as_micros(), 300_000);
        assert_eq!(span("2.25m").as_micros(), 2 * M + 15 * S);
        assert_eq!(span(".5s").as_micros(), 500_000);
        assert_eq!(span("5.s").as_micros(), 5 * S);
        assert_eq!(span("1.000001s").as_micros(), 1_000_001);
        assert_eq!(span("1.5ms").as_micros(), 1_500);
    }

    #[test]
    fn span_rounds_sub_microsecond_fractions_to_the_nearest_microsecond() {
        assert_eq!(span("0.0000004s").as_micros(), 0);
        assert_eq!(span("0.0000005s").as_micros(), 1);
        assert_eq!(span("0.4999999999999999999999999us").as_micros(), 0);
        assert_eq!(span("0.5us").as_micros(), 1);
        assert_eq!(span("1.49us").as_micros(), 1);
        // 1/3 h has an infinite expansion; many digits still round exactly.
        assert_eq!(
            span("0.33333333333333333333333333h").as_micros(),
            1_200_000_000
        );
        assert_eq!(span("0.1234567890123456789d").as_micros(), 10_666_666_571);
    }

    #[test]
    fn span_accepts_a_bare_zero() {
        assert_eq!(span("0"), Span::ZERO);
        assert_eq!(span("0.0"), Span::ZERO);
        assert_eq!(span("000"), Span::ZERO);
        assert_eq!(span("0s"), Span::ZERO);
        assert_eq!(span("0ms0us"), Span::ZERO);
    }

    #[test]
    fn span_trims_surrounding_whitespace() {
        assert_eq!(span("  90s\n"), span("90s"));
        assert_eq!(span("\t0 "), Span::ZERO);
    }

    #[test]
    fn span_accepts_the_maximum_and_rejects_one_more() {
        assert_eq!(span("18446744073709551615us"), Span::MAX);
        assert_eq!(span(&Span::MAX.to_string()), Span::MAX);
        assert_eq!(
            span_err("18446744073709551616us"),
            "duration too large (the limit is about 213503982d), got \"18446744073709551616us\""
        );
    }

    #[test]
    fn span_rejects_a_bare_number_with_a_hint_about_units() {
        assert_eq!(
            span_err("90"),
            "missing unit in \"90\": write 90s, 90ms, 90m or 90h"
        );
        assert_eq!(
            span_err(" 1.5 "),
            "missing unit in \"1.5\": write 1.5s, 1.5ms, 1.5m or 1.5h"
        );
    }

    #[test]
    fn span_rejects_free_text_with_the_general_message() {
        for input in [
            "5 minutes",
            "",
            "   ",
            "s",
            "fast",
            "1h30",
            "1h 30m",
            "+5s",
            "1.2.3s",
            ".s",
            "5s,",
            "inf",
            "NaN",
        ] {
            assert_eq!(
                span_err(input),
                format!(
                    "expected a duration like 90s, 3m, 1h30m or 250ms, got {:?}",
                    input.trim()
                ),
                "input {input:?}"
            );
        }
        assert_eq!(
            span_err("5 minutes"),
            "expected a duration like 90s, 3m, 1h30m or 250ms, got \"5 minutes\""
        );
    }

    #[test]
    fn span_rejects_unknown_units_and_lists_the_known_ones() {
        assert_eq!(
            span_err("5x"),
            "unknown unit \"x\" in \"5x\": use us, ms, s, m, h or d"
        );
        assert_eq!(
            span_err("5minutes"),
            "unknown unit \"minutes\" in \"5minutes\": use us, ms, s, m, h or d"
        );
        assert_eq!(
            span_err("1h30M"),
            "unknown unit \"M\" in \"1h30M\": use us, ms, s, m, h or d"
        );
        assert_eq!(
            span_err("1e3s"),
            "unknown unit \"e\" in \"1e3s\": use us, ms, s, m, h or d"
        );
    }

    #[test]
    fn span_rejects_negative_values() {
        assert_eq!(
            span_err("-5s"),
            "expected a non-negative duration, got \"-5s\""
        );
        assert_eq!(
            span_err(" -0.5m"),
            "expected a non-negative duration, got \"-0.5m\""
        );
        assert_eq!(
            span_err("-fast"),
            "expected a duration like 90s, 3m, 1h30m or 250ms, got \"-fast\""
        );
    }

    #[test]
    fn span_rejects_overflow_in_any_part() {
        let message =
            |s: &str| format!("duration too large (the limit is about 213503982d), got {s:?}");
        for input in [
            "213503983d",
            "99999999999999999999999s",
            "18446744073709551615us1us",
            "213503982d1d",
            "5124095576030432h",
        ] {
            assert_eq!(span_err(input), message(input));
        }
    }

    // ----- Span: constructors and accessors ------------------------------

    #[test]
    fn span_constructors_and_accessors_agree() {
        assert_eq!(Span::from_micros(1_500).as_micros(), 1_500);
        assert_eq!(Span::from_millis(1_500).as_micros(), 1_500_000);
        assert_eq!(Span::from_millis(u64::MAX), Span::MAX);
        assert_eq!(Span::from_millis(1_500).as_secs_f64(), 1.5);
        assert_eq!(
            Span::from_millis(1_500).as_std(),
            Duration::from_millis(1_500)
        );
        assert_eq!(
            Duration::from(Span::from_micros(3)),
            Duration::from_micros(3)
        );
        assert_eq!(Span::default(), Span::ZERO);
        assert!(span("1m") < span("61s"));
    }

    #[test]
    fn span_from_secs_f64_rounds_and_saturates() {
        assert_eq!(Span::from_secs_f64(0.1).as_micros(), 100_000);
        assert_eq!(Span::from_secs_f64(1.5).as_micros(), 1_500_000);
        assert_eq!(Span::from_secs_f64(0.000_000_4).as_micros(), 0);
        assert_eq!(Span::from_secs_f64(0.000_000_6).as_micros(), 1);
        assert_eq!(Span::from_secs_f64(-1.0), Span::ZERO);
        assert_eq!(Span::from_secs_f64(-0.0), Span::ZERO);
        assert_eq!(Span::from_secs_f64(f64::NAN), Span::ZERO);
        assert_eq!(Span::from_secs_f64(f64::NEG_INFINITY), Span::ZERO);
        assert_eq!(Span::from_secs_f64(f64::INFINITY), Span::MAX);
        assert_eq!(Span::from_secs_f64(1e300), Span::MAX);
        assert_eq!(Span::from_secs_f64(2e13), Span::MAX);
        assert_eq!(
            Span::from_secs_f64(1e13).as_micros(),
            10_000_000_000_000_000_000
        );
    }

    // ----- Span: display -------------------------------------------------

    #[test]
    fn span_displays_in_canonical_compact_form() {
        let cases = [
            ("90s", "1m30s"),
            ("1500ms", "1.5s"),
            ("0", "0s"),
            ("250ms", "250ms"),
            ("1h30m", "1h30m"),
            ("90m", "1h30m"),
            ("25h", "1d1h"),
            ("60s", "1m"),
            ("3600s", "1h"),
            ("1m0.5s", "1m500ms"),
            ("1m30.25s", "1m30.25s"),
            ("1.5ms", "1.5ms"),
            ("1001us", "1.001ms"),
            ("7us", "7us"),
            ("1.000001s", "1.000001s"),
            ("1d1us", "1d1us"),
            ("2h0.5s", "2h500ms"),
        ];
        for (input, shown) in cases {
            assert_eq!(span(input).to_string(), shown, "input {input:?}");
        }
        assert_eq!(Span::MAX.to_string(), "213503982d8h1m49.551615s");
    }

    #[test]
    fn span_display_honours_width_and_alignment() {
        assert_eq!(format!("{:>6}|", span("90s")), " 1m30s|");
        assert_eq!(format!("{:<6}|", span("0")), "0s    |");
    }

    #[test]
    fn span_display_round_trips_for_many_millisecond_values() {
        let mut ms: u64 = 0;
        while ms < 200_000 {
            let s = Span::from_millis(ms);
            assert_eq!(s.to_string().parse::<Span>(), Ok(s), "{ms}ms");
            ms += 1;
        }
        // Larger values, with a stride that hits every component.
        let mut ms: u64 = 0;
        while ms < 10 * 24 * 3_600_000 {
            let s = Span::from_millis(ms);
            assert_eq!(s.to_string().parse::<Span>(), Ok(s), "{ms}ms");
            ms += 7_919;
        }
    }

    #[test]
    fn span_display_round_trips_at_microsecond_precision_and_extremes() {
        let mut value: u64 = 1;
        while value < u64::MAX / 3 {
            for micros in [value, value + 1, value * 3 - 1, value * 3] {
                let s = Span::from_micros(micros);
                assert_eq!(s.to_string().parse::<Span>(), Ok(s), "{micros}us");
            }
            value = value * 3 + 7;
        }
        for micros in [
            0,
            1,
            999,
            1_000,
            999_999,
            1_000_001,
            59_999_999,
            u64::MAX - 1,
            u64::MAX,
        ] {
            let s = Span::from_micros(micros);
            assert_eq!(s.to_string().parse::<Span>(), Ok(s), "{micros}us");
        }
    }

    // ----- Span: serde ---------------------------------------------------

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct SpanDoc {
        d: Span,
    }

    #[test]
    fn span_serde_round_trips_through_json_and_toml() {
        let doc = SpanDoc { d: span("90s") };
        let json = serde_json::to_string(&doc).expect("json");
        assert_eq!(json, r#"{"d":"1m30s"}"#);
        assert_eq!(serde_json::from_str::<SpanDoc>(&json).expect("json"), doc);

        let toml_text = toml::to_string(&doc).expect("toml");
        assert_eq!(toml_text.trim(), r#"d = "1m30s""#);
        assert_eq!(toml::from_str::<SpanDoc>(&toml_text).expect("toml"), doc);

        let parsed: SpanDoc = toml::from_str(r#"d = "1h5m10s500ms""#).expect("toml");
        assert_eq!(parsed.d.as_micros(), H + 5 * M + 10 * S + 500 * MS);
    }

    #[test]
    fn span_serde_rejects_numbers_with_a_string_hint() {
        let json = serde_json::from_str::<SpanDoc>(r#"{"d":90}"#)
            .expect_err("number")
            .to_string();
        assert!(
            json.contains(r#"expected a duration string like "90s""#),
            "{json}"
        );
        let toml_err = toml::from_str::<SpanDoc>("d = 90")
            .expect_err("number")
            .to_string();
        assert!(
            toml_err.contains(r#"expected a duration string like "90s""#),
            "{toml_err}"
        );
    }

    #[test]
    fn span_serde_errors_contain_our_messages() {
        let json = serde_json::from_str::<SpanDoc>(r#"{"d":"5 minutes"}"#)
            .expect_err("bad")
            .to_string();
        assert!(
            json.contains(r#"expected a duration like 90s, 3m, 1h30m or 250ms, got "5 minutes""#),
            "{json}"
        );
        let toml_err = toml::from_str::<SpanDoc>(r#"d = "90""#)
            .expect_err("bad")
            .to_string();
        assert!(
            toml_err.contains(r#"missing unit in "90": write 90s, 90ms, 90m or 90h"#),
            "{toml_err}"
        );
    }

    // ----- Rate ----------------------------------------------------------

    #[test]
    fn rate_accepts_every_unit_and_spelling() {
        assert_eq!(rate("50/s").per_second(), 50.0);
        assert_eq!(rate("3000/m").per_second(), 50.0);
        assert_eq!(rate("300/h").per_second(), 300.0 / 3600.0);
        assert_eq!(rate("2.5/s").per_second(), 2.5);
        assert_eq!(rate("1200/d").per_second(), 1200.0 / 86400.0);
        assert_eq!(rate("50/sec").per_second(), 50.0);
        assert_eq!(rate("60/min").per_second(), 1.0);
        assert_eq!(rate("3600/hour").per_second(), 1.0);
        assert_eq!(rate("86400/day").per_second(), 1.0);
        for spelling in ["s", "sec", "secs", "second", "seconds", "S", "Sec"] {
            assert_eq!(
                rate(&format!("5/{spelling}")).per_second(),
                5.0,
                "{spelling}"
            );
        }
        for spelling in ["m", "min", "mins", "minute", "minutes"] {
            assert_eq!(
                rate(&format!("60/{spelling}")).per_second(),
                1.0,
                "{spelling}"
            );
        }
        for spelling in ["h", "hr", "hrs", "hour", "hours"] {
            assert_eq!(
                rate(&format!("3600/{spelling}")).per_second(),
                1.0,
                "{spelling}"
            );
        }
        for spelling in ["d", "day", "days"] {
            assert_eq!(
                rate(&format!("86400/{spelling}")).per_second(),
                1.0,
                "{spelling}"
            );
        }
        assert_eq!(rate(" 50 / s ").per_second(), 50.0);
        assert_eq!(rate("0.1/s").per_second(), 0.1);
    }

    #[test]
    fn rate_accepts_zero() {
        assert_eq!(rate("0/s").per_second(), 0.0);
        assert_eq!(rate("0/h").mean_interval(), None);
    }

    #[test]
    fn rate_rejects_missing_units_and_bad_numbers_with_the_general_message() {
        for input in [
            "50", "", "/s", "50/", "-5/s", "NaN/s", "inf/s", "+5/s", "1e3/s", "fast", "5 per s",
            "1.2.3/s",
        ] {
            assert_eq!(
                rate_err(input),
                format!("expected a rate like 50/s, 3000/m or 300/h, got {input:?}"),
                "input {input:?}"
            );
        }
        assert_eq!(
            rate_err("50"),
            "expected a rate like 50/s, 3000/m or 300/h, got \"50\""
        );
    }

    #[test]
    fn rate_rejects_unknown_units_and_lists_the_known_ones() {
        assert_eq!(
            rate_err("50/x"),
            "unknown rate unit \"x\" in \"50/x\": use /s, /m, /h or /d"
        );
        assert_eq!(
            rate_err("5/week"),
            "unknown rate unit \"week\" in \"5/week\": use /s, /m, /h or /d"
        );
    }

    #[test]
    fn rate_from_per_second_keeps_rates_finite_and_non_negative() {
        assert_eq!(Rate::from_per_second(2.5).per_second(), 2.5);
        assert_eq!(Rate::from_per_second(-1.0).per_second(), 0.0);
        assert_eq!(Rate::from_per_second(f64::NAN).per_second(), 0.0);
        assert_eq!(Rate::from_per_second(-0.0).to_string(), "0/s");
        assert_eq!(Rate::from_per_second(f64::INFINITY).per_second(), f64::MAX);
    }

    #[test]
    fn rate_mean_interval_is_the_reciprocal_or_none_for_zero() {
        assert_eq!(rate("4/s").mean_interval(), Some(span("250ms")));
        assert_eq!(rate("3000/m").mean_interval(), Some(span("20ms")));
        assert_eq!(rate("1/h").mean_interval(), Some(span("1h")));
        assert_eq!(
            rate("3/s").mean_interval(),
            Some(Span::from_micros(333_333))
        );
        assert_eq!(rate("0/s").mean_interval(), None);
        assert_eq!(
            Rate::from_per_second(1e-300).mean_interval(),
            Some(Span::MAX)
        );
    }

    #[test]
    fn rate_displays_with_the_smallest_unit_giving_a_whole_number() {
        let cases = [
            ("5/s", "5/s"),
            ("3000/m", "50/s"),
            ("30/m", "30/m"),
            ("0.5/s", "30/m"),
            ("160/h", "160/h"),
            ("300/h", "5/m"),
            ("1200/d", "50/h"),
            ("7/d", "7/d"),
            ("1/m", "1/m"),
            ("2.5/s", "150/m"),
            ("0/s", "0/s"),
            ("0/d", "0/s"),
            ("0.3/d", "0.000003472222222222222/s"),
        ];
        for (input, shown) in cases {
            assert_eq!(rate(input).to_string(), shown, "input {input:?}");
        }
        assert_eq!(Rate::from_per_second(0.1).to_string(), "6/m");
        assert_eq!(format!("{:>6}|", rate("5/s")), "   5/s|");
    }

    #[test]
    fn rate_display_round_trips_exactly() {
        let mut values = vec![
            0.0,
            1e-300,
            0.1,
            1.0 / 3.0,
            2.5,
            1e15,
            1e300,
            f64::MAX,
            f64::MIN_POSITIVE,
        ];
        for n in 0..2_000u32 {
            let n = f64::from(n);
            values.extend([n, n / 60.0, n / 3600.0, n / 86400.0, n * 0.37, n / 7.0]);
        }
        for value in values {
            let r = Rate::from_per_second(value);
            let shown = r.to_string();
            let back: Rate = shown.parse().expect("round trip");
            assert_eq!(
                back.per_second().to_bits(),
                r.per_second().to_bits(),
                "{value} as {shown}"
            );
        }
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct RateDoc {
        r: Rate,
    }

    #[test]
    fn rate_serde_round_trips_through_json_and_toml() {
        let doc = RateDoc { r: rate("300/h") };
        let json = serde_json::to_string(&doc).expect("json");
        assert_eq!(json, r#"{"r":"5/m"}"#);
        assert_eq!(serde_json::from_str::<RateDoc>(&json).expect("json"), doc);
        let toml_text = toml::to_string(&doc).expect("toml");
        assert_eq!(toml_text.trim(), r#"r = "5/m""#);
        assert_eq!(toml::from_str::<RateDoc>(&toml_text).expect("toml"), doc);
    }

    #[test]
    fn rate_serde_errors_contain_our_messages() {
        let json = serde_json::from_str::<RateDoc>(r#"{"r":"50"}"#)
            .expect_err("bad")
            .to_string();
        assert!(
            json.contains(r#"expected a rate like 50/s, 3000/m or 300/h, got "50""#),
            "{json}"
        );
        let toml_err = toml::from_str::<RateDoc>("r = 50")
            .expect_err("bad")
            .to_string();
        assert!(
            toml_err.contains(r#"expected a rate string like "50/s""#),
            "{toml_err}"
        );
    }

    // ----- Speed ---------------------------------------------------------

    #[test]
    fn speed_accepts_numbers_factors_and_max() {
        assert_eq!(speed("max"), Speed::Max);
        assert_eq!(speed(" MAX "), Speed::Max);
        assert_eq!(speed("1"), Speed::Factor(1.0));
        assert_eq!(speed("60"), Speed::Factor(60.0));
        assert_eq!(speed("0.5"), Speed::Factor(0.5));
        assert_eq!(speed("60x"), Speed::Factor(60.0));
        assert_eq!(speed("2.5X"), Speed::Factor(2.5));
        assert_eq!(speed("0.1"), Speed::Factor(0.1));
        assert_eq!(Speed::default(), Speed::Factor(1.0));
    }

    #[test]
    fn speed_rejects_zero_negative_non_finite_and_words() {
        for input in [
            "fast", "0", "0x", "0.0", "-1", "", "x", "inf", "NaN", "1e3", "max2", "60xx",
        ] {
            assert_eq!(
                speed_err(input),
                format!("expected a positive number or \"max\", got {input:?}"),
                "input {input:?}"
            );
        }
        assert_eq!(
            speed_err("fast"),
            "expected a positive number or \"max\", got \"fast\""
        );
        let huge = "9".repeat(400);
        assert_eq!(
            speed_err(&huge),
            format!("expected a positive number or \"max\", got \"{huge}\"")
        );
    }

    #[test]
    fn speed_displays_as_plain_number_or_max_and_round_trips() {
        assert_eq!(Speed::Max.to_string(), "max");
        assert_eq!(Speed::Factor(60.0).to_string(), "60");
        assert_eq!(Speed::Factor(0.5).to_string(), "0.5");
        for value in [
            Speed::Max,
            Speed::Factor(1.0),
            Speed::Factor(0.1),
            Speed::Factor(1e-9),
            Speed::Factor(1e20),
        ] {
            assert_eq!(value.to_string().parse::<Speed>(), Ok(value));
        }
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct SpeedDoc {
        speed: Speed,
    }

    #[test]
    fn speed_serde_accepts_numbers_and_strings() {
        let from_json = |text: &str| serde_json::from_str::<SpeedDoc>(text).expect("json").speed;
        assert_eq!(from_json(r#"{"speed":60}"#), Speed::Factor(60.0));
        assert_eq!(from_json(r#"{"speed":0.5}"#), Speed::Factor(0.5));
        assert_eq!(from_json(r#"{"speed":"60"}"#), Speed::Factor(60.0));
        assert_eq!(from_json(r#"{"speed":"60x"}"#), Speed::Factor(60.0));
        assert_eq!(from_json(r#"{"speed":"max"}"#), Speed::Max);
        let from_toml = |text: &str| toml::from_str::<SpeedDoc>(text).expect("toml").speed;
        assert_eq!(from_toml("speed = 60"), Speed::Factor(60.0));
        assert_eq!(from_toml("speed = 2.5"), Speed::Factor(2.5));
        assert_eq!(from_toml(r#"speed = "60""#), Speed::Factor(60.0));
        assert_eq!(from_toml(r#"speed = "max""#), Speed::Max);
    }

    #[test]
    fn speed_serde_round_trips_through_json_and_toml() {
        for value in [Speed::Max, Speed::Factor(60.0), Speed::Factor(0.25)] {
            let doc = SpeedDoc { speed: value };
            let json = serde_json::to_string(&doc).expect("json");
            assert_eq!(serde_json::from_str::<SpeedDoc>(&json).expect("json"), doc);
            let toml_text = toml::to_string(&doc).expect("toml");
            assert_eq!(toml::from_str::<SpeedDoc>(&toml_text).expect("toml"), doc);
        }
        let json = serde_json::to_string(&SpeedDoc { speed: Speed::Max }).expect("json");
        assert_eq!(json, r#"{"speed":"max"}"#);
        let json = serde_json::to_string(&SpeedDoc {
            speed: Speed::Factor(60.0),
        })
        .expect("json");
        assert_eq!(json, r#"{"speed":60.0}"#);
    }

    #[test]
    fn speed_serde_errors_contain_our_messages() {
        let cases = [
            (
                r#"{"speed":"fast"}"#,
                r#"expected a positive number or "max", got "fast""#,
            ),
            (
                r#"{"speed":0}"#,
                r#"expected a positive number or "max", got 0"#,
            ),
            (
                r#"{"speed":-2}"#,
                r#"expected a positive number or "max", got -2"#,
            ),
            (
                r#"{"speed":-0.5}"#,
                r#"expected a positive number or "max", got -0.5"#,
            ),
            (
                r#"{"speed":true}"#,
                r#"expected a positive number or "max""#,
            ),
        ];
        for (text, message) in cases {
            let err = serde_json::from_str::<SpeedDoc>(text)
                .expect_err("bad")
                .to_string();
            assert!(err.contains(message), "{text}: {err}");
        }
        let err = toml::from_str::<SpeedDoc>("speed = 0.0")
            .expect_err("bad")
            .to_string();
        assert!(
            err.contains(r#"expected a positive number or "max", got 0"#),
            "{err}"
        );
        let err = toml::from_str::<SpeedDoc>("speed = nan")
            .expect_err("bad")
            .to_string();
        assert!(
            err.contains(r#"expected a positive number or "max", got NaN"#),
            "{err}"
        );
    }

    // ----- Probability ---------------------------------------------------

    #[test]
    fn probability_accepts_fractions_and_percentages() {
        assert_eq!(prob("0.95"), 0.95);
        assert_eq!(prob("95%"), 0.95);
        assert_eq!(prob(" 95 % "), 0.95);
        assert_eq!(prob("0"), 0.0);
        assert_eq!(prob("1"), 1.0);
        assert_eq!(prob("0%"), 0.0);
        assert_eq!(prob("100%"), 1.0);
        assert_eq!(prob("100.0%"), 1.0);
        assert_eq!(prob("5%"), 0.05);
        assert_eq!(prob(".5"), 0.5);
        assert_eq!(prob("0.5%"), 0.005);
        assert_eq!(prob(".5%"), 0.005);
    }

    #[test]
    fn probability_percentages_equal_the_written_fraction_exactly() {
        assert_eq!(prob("12.3%"), 0.123);
        assert_eq!(prob("7%"), 0.07);
        assert_eq!(prob("29%"), 0.29);
        assert_eq!(prob("57%"), 0.57);
        assert_eq!(prob("33.333%"), 0.33333);
        for n in 0..=1000u32 {
            let whole = n / 10;
            let tenth = n % 10;
            let percent = prob(&format!("{whole}.{tenth}%"));
            let fraction: f64 = format!("0.{whole:02}{tenth}").parse().expect("fraction");
            let expected = if n == 1000 { 1.0 } else { fraction };
            assert_eq!(percent.to_bits(), expected.to_bits(), "{whole}.{tenth}%");
        }
    }

    #[test]
    fn probability_rejects_values_outside_zero_to_one() {
        for input in [
            "1.5",
            "101%",
            "-0.1",
            "-5%",
            "",
            "%",
            "high",
            "NaN",
            "inf",
            "0.5%%",
            "1e-3",
            "1.0000001",
        ] {
            assert_eq!(
                prob_err(input),
                format!("expected a probability between 0 and 1 (or 0%..100%), got {input:?}"),
                "input {input:?}"
            );
        }
        assert_eq!(
            prob_err("1.5"),
            "expected a probability between 0 and 1 (or 0%..100%), got \"1.5\""
        );
    }

    #[test]
    fn probability_new_checks_the_range() {
        assert_eq!(Probability::new(0.25).map(Probability::get), Ok(0.25));
        assert_eq!(Probability::new(0.0).map(Probability::get), Ok(0.0));
        assert_eq!(Probability::new(1.0).map(Probability::get), Ok(1.0));
        assert_eq!(
            Probability::new(-0.0).map(|p| p.to_string()),
            Ok("0".to_string())
        );
        assert_eq!(
            Probability::new(1.5).map_err(|e| e.to_string()),
            Err("expected a probability between 0 and 1 (or 0%..100%), got 1.5".to_string())
        );
        assert!(Probability::new(f64::NAN).is_err());
        assert!(Probability::new(f64::INFINITY).is_err());
        assert!(Probability::new(-0.1).is_err());
        assert_eq!(Probability::default().get(), 0.0);
    }

    #[test]
    fn probability_display_round_trips() {
        assert_eq!(prob("95%").to_string(), "0.95");
        for n in 0..=1000u32 {
            let p = Probability::new(f64::from(n) / 1000.0).expect("in range");
            assert_eq!(p.to_string().parse::<Probability>(), Ok(p));
        }
        let third = Probability::new(1.0 / 3.0).expect("in range");
        assert_eq!(third.to_string().parse::<Probability>(), Ok(third));
        let tiny = Probability::new(f64::MIN_POSITIVE).expect("in range");
        assert_eq!(tiny.to_string().parse::<Probability>(), Ok(tiny));
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct ProbabilityDoc {
        p: Probability,
    }

    #[test]
    fn probability_serde_accepts_numbers_and_percent_strings() {
        let from_json = |text: &str| {
            serde_json::from_str::<ProbabilityDoc>(text)
                .expect("json")
                .p
                .get()
        };
        assert_eq!(from_json(r#"{"p":0.95}"#), 0.95);
        assert_eq!(from_json(r#"{"p":1}"#), 1.0);
        assert_eq!(from_json(r#"{"p":0}"#), 0.0);
        assert_eq!(from_json(r#"{"p":"95%"}"#), 0.95);
        assert_eq!(from_json(r#"{"p":"0.5"}"#), 0.5);
        let from_toml = |text: &str| {
            toml::from_str::<ProbabilityDoc>(text)
                .expect("toml")
                .p
                .get()
        };
        assert_eq!(from_toml("p = 0.95"), 0.95);
        assert_eq!(from_toml("p = 1"), 1.0);
        assert_eq!(from_toml(r#"p = "95%""#), 0.95);
    }

    #[test]
    fn probability_serde_round_trips_through_json_and_toml() {
        let doc = ProbabilityDoc {
            p: prob("95%").to_string().parse().expect("valid"),
        };
        let json = serde_json::to_string(&doc).expect("json");
        assert_eq!(json, r#"{"p":0.95}"#);
        assert_eq!(
            serde_json::from_str::<ProbabilityDoc>(&json).expect("json"),
            doc
        );
        let toml_text = toml::to_string(&doc).expect("toml");
        assert_eq!(toml_text.trim(), "p = 0.95");
        assert_eq!(
            toml::from_str::<ProbabilityDoc>(&toml_text).expect("toml"),
            doc
        );
    }

    #[test]
    fn probability_serde_errors_contain_our_messages() {
        let cases = [
            (
                r#"{"p":1.5}"#,
                "expected a probability between 0 and 1 (or 0%..100%), got 1.5",
            ),
            (
                r#"{"p":2}"#,
                "expected a probability between 0 and 1 (or 0%..100%), got 2",
            ),
            (
                r#"{"p":-1}"#,
                "expected a probability between 0 and 1 (or 0%..100%), got -1",
            ),
            (
                r#"{"p":"150%"}"#,
                r#"expected a probability between 0 and 1 (or 0%..100%), got "150%""#,
            ),
            (
                r#"{"p":null}"#,
                r#"expected a probability like 0.95 or "95%""#,
            ),
        ];
        for (text, message) in cases {
            let err = serde_json::from_str::<ProbabilityDoc>(text)
                .expect_err("bad")
                .to_string();
            assert!(err.contains(message), "{text}: {err}");
        }
        let err = toml::from_str::<ProbabilityDoc>("p = 1.5")
            .expect_err("bad")
            .to_string();
        assert!(
            err.contains("expected a probability between 0 and 1 (or 0%..100%), got 1.5"),
            "{err}"
        );
    }

    // ----- UnitError -----------------------------------------------------

    #[test]
    fn unit_error_displays_its_message_and_is_a_std_error() {
        let err = UnitError::new("expected x, got \"y\"");
        assert_eq!(err.to_string(), "expected x, got \"y\"");
        let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(err.clone());
        assert_eq!(boxed.to_string(), err.to_string());
    }
}
