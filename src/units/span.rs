//! [`Span`]: a non-negative duration (`90s`, `1h30m`, `250ms`), in microseconds, used for
//! every duration of the simulation, the scenario files and the flags.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::UnitError;
use super::decimal::{scale_decimal, split_decimal};
use super::text::deserialize_from_str;

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
    /// The longest representable span (about 584 942 years): where arithmetic saturates.
    pub const MAX: Span = Span(u64::MAX);
    /// The longest span any input may give (365 days): every time the engine computes
    /// from inputs (a start time plus durations, delays and steps) then stays far from
    /// saturating and within the years a timestamp can be written in. Fields with a
    /// narrower sense have narrower ranges of their own ([`Span::check_at_most`]).
    pub const LIMIT: Span = Span(365 * MICROS_PER_D);

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

    /// `self` if it is at most `limit`, else the error that says so (`what` names the
    /// value, e.g. `--jitter`).
    pub fn check_at_most(self, limit: Span, what: &str) -> Result<Span, UnitError> {
        if self <= limit {
            Ok(self)
        } else {
            Err(UnitError::new(format!(
                "{what}: at most {limit}, got {self}"
            )))
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
            let too_large = || {
                UnitError::new(format!(
                    "duration too large (the limit is {}), got {input:?}",
                    Span::LIMIT
                ))
            };
            total = scale_decimal(int, frac, micros_per_unit)
                .and_then(|group| total.checked_add(group))
                .filter(|&t| t <= Span::LIMIT.0)
                .ok_or_else(too_large)?;
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

impl std::ops::Add for Span {
    type Output = Span;
    /// Saturating addition.
    fn add(self, other: Span) -> Span {
        Span(self.0.saturating_add(other.0))
    }
}

impl<'de> Deserialize<'de> for Span {
    /// A string through [`FromStr`]; a number is refused with a hint to write a string.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_from_str(deserializer, "a duration string like \"90s\"")
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
    fn span_accepts_the_limit_and_rejects_one_microsecond_more() {
        assert_eq!(span("365d"), Span::LIMIT);
        assert_eq!(span(&Span::LIMIT.to_string()), Span::LIMIT);
        assert_eq!(span("31536000000000us"), Span::LIMIT);
        for input in [
            "31536000000001us",
            "365d1us",
            "366d",
            "213503981d",
            "18446744073709551615us",
            "18446744073709551616us",
            "99999999999999999999999999h",
        ] {
            assert_eq!(
                span_err(input),
                format!("duration too large (the limit is 365d), got {input:?}"),
            );
        }
    }

    #[test]
    fn check_at_most_names_the_value_and_its_limit() {
        assert_eq!(
            span("1h").check_at_most(span("1h"), "--jitter"),
            Ok(span("1h"))
        );
        assert_eq!(
            span("2h")
                .check_at_most(span("1h"), "--jitter")
                .map_err(|e| e.to_string()),
            Err("--jitter: at most 1h, got 2h".to_owned())
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
        let message = |s: &str| format!("duration too large (the limit is 365d), got {s:?}");
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
        while value < Span::LIMIT.as_micros() / 3 {
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
            Span::LIMIT.as_micros() - 1,
            Span::LIMIT.as_micros(),
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
}
