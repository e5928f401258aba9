//! [`Rate`]: arrivals or events per second, written `50/s`, `3000/m` or `300/h`; the
//! workload's arrival rates in scenario files and on the command line.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::decimal::parse_scientific_f64;
use super::text::deserialize_from_str;
use super::{Span, UnitError};

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
    /// The highest rate any input may give: a million a second. The engine's clock counts
    /// microseconds, so the mean gap between arrivals of a faster rate would be less than
    /// one tick; a load generator on one core serves far less anyway.
    pub const MAX_PER_SECOND: f64 = 1e6;

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
        let count = parse_scientific_f64(number).ok_or_else(general)?;
        if unit.is_empty() {
            return Err(general());
        }
        let seconds = rate_unit_seconds(unit).ok_or_else(|| {
            UnitError::new(format!(
                "unknown rate unit {unit:?} in {input:?}: use /s, /m, /h or /d"
            ))
        })?;
        let per_second = count / seconds;
        if per_second > Rate::MAX_PER_SECOND {
            return Err(UnitError::new(format!(
                "rate too high (the limit is 1000000/s, a million a second), got {input:?}"
            )));
        }
        Ok(Rate::from_per_second(per_second))
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
    /// A string through [`FromStr`]; a number is refused with a hint to write a string.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_from_str(deserializer, "a rate string like \"50/s\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    fn span(s: &str) -> Span {
        s.parse().expect("valid span")
    }

    fn rate(s: &str) -> Rate {
        s.parse().expect("valid rate")
    }

    fn rate_err(s: &str) -> String {
        s.parse::<Rate>().expect_err("invalid rate").to_string()
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
            "50", "", "/s", "50/", "-5/s", "NaN/s", "inf/s", "+5/s", "1e/s", "fast", "5 per s",
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
    fn rate_has_one_upper_limit_however_it_is_written() {
        assert_eq!(rate("1000000/s").per_second(), 1e6);
        assert_eq!(rate("1e6/s").per_second(), 1e6);
        assert_eq!(rate("6e7/m").per_second(), 1e6);
        assert_eq!(rate("1e3/s").per_second(), 1e3);
        assert_eq!(rate("2.5e-1/s").per_second(), 0.25);
        for input in [
            "1000001/s",
            "1e9/s",
            "99999999999999999999/s",
            "1e400/s",
            "60000001/m",
            "1e300/d",
        ] {
            assert_eq!(
                rate_err(input),
                format!(
                    "rate too high (the limit is 1000000/s, a million a second), got {input:?}"
                ),
            );
        }
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
            Rate::MAX_PER_SECOND,
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
}
