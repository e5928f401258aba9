//! [`Speed`]: how fast simulated time runs, a factor of real time (`60`, `60x`, `0.5`) or
//! `max`; set by `speed` in scenario files and `--speed`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::UnitError;
use super::decimal::parse_scientific_f64;
use super::text::{Number, deserialize_from_str_or_number};

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

impl Speed {
    /// The slowest factor: a thousandth of real time (a simulated second every 17 minutes).
    pub const MIN_FACTOR: f64 = 0.001;
    /// The fastest factor: a million times real time; faster is `max`.
    pub const MAX_FACTOR: f64 = 1e6;
}

fn speed_error(got: impl fmt::Display) -> UnitError {
    UnitError::new(format!("expected a positive number or \"max\", got {got}"))
}

/// A positive factor within range, or the error naming the range (`got` as written).
fn factor_in_range(factor: f64, got: impl fmt::Display) -> Result<Speed, UnitError> {
    if factor.is_nan() || factor <= 0.0 {
        Err(speed_error(got))
    } else if (Speed::MIN_FACTOR..=Speed::MAX_FACTOR).contains(&factor) {
        Ok(Speed::Factor(factor))
    } else {
        Err(UnitError::new(format!(
            "speed out of range: expected a factor from 0.001 to 1000000, or \"max\", got {got}"
        )))
    }
}

/// A bare number in a file: a factor within range.
fn speed_from_number(n: Number) -> Result<Speed, UnitError> {
    factor_in_range(n.as_f64(), n)
}

impl FromStr for Speed {
    type Err = UnitError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let input = s.trim();
        if input.eq_ignore_ascii_case("max") {
            return Ok(Speed::Max);
        }
        let number = input.strip_suffix(['x', 'X']).unwrap_or(input).trim_end();
        match parse_scientific_f64(number) {
            Some(factor) => factor_in_range(factor, format_args!("{input:?}")),
            None => Err(speed_error(format_args!("{input:?}"))),
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
    /// A string through [`FromStr`] (`"60x"`, `"max"`) or a bare positive number (`60`).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_from_str_or_number(
            deserializer,
            "a positive number or \"max\"",
            speed_from_number,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    fn speed(s: &str) -> Speed {
        s.parse().expect("valid speed")
    }

    fn speed_err(s: &str) -> String {
        s.parse::<Speed>().expect_err("invalid speed").to_string()
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
            "fast", "0", "0x", "0.0", "-1", "", "x", "inf", "NaN", "1e", "max2", "60xx",
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
    }

    #[test]
    fn speed_has_one_range_however_it_is_written() {
        assert_eq!(speed("0.001"), Speed::Factor(0.001));
        assert_eq!(speed("1e-3"), Speed::Factor(0.001));
        assert_eq!(speed("1000000x"), Speed::Factor(1e6));
        assert_eq!(speed("1e6"), Speed::Factor(1e6));
        assert_eq!(speed("1e3"), Speed::Factor(1e3));
        let huge = "9".repeat(400);
        for input in [
            "0.0000001",
            "0.000999",
            "1000001",
            "99999999999999999999999",
            "1e308",
            "1e400",
            huge.as_str(),
        ] {
            assert_eq!(
                speed_err(input),
                format!(
                    "speed out of range: expected a factor from 0.001 to 1000000, or \"max\", got {input:?}"
                ),
            );
        }
        let err = serde_json::from_str::<SpeedDoc>(r#"{"speed":1e308}"#)
            .expect_err("out of range")
            .to_string();
        assert!(err.contains("speed out of range"), "{err}");
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
            Speed::Factor(0.001),
            Speed::Factor(1e6),
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
}
