//! [`Probability`]: a number in `[0, 1]`, written `0.95` or `95%`; the answer and hang-up
//! shares of scenario files and the robustness flags.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::UnitError;
use super::decimal::{parse_percent_f64, parse_plain_f64};
use super::text::{Number, deserialize_from_str_or_number};

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

/// A bare number in a file: in `[0, 1]`, shown as written when it is not.
fn probability_from_number(n: Number) -> Result<Probability, UnitError> {
    Probability::new(n.as_f64()).map_err(|_| probability_error(n))
}

impl<'de> Deserialize<'de> for Probability {
    /// A string through [`FromStr`] (`"95%"`) or a bare number (`0.95`, `1`).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_from_str_or_number(
            deserializer,
            "a probability like 0.95 or \"95%\"",
            probability_from_number,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    fn prob(s: &str) -> f64 {
        s.parse::<Probability>().expect("valid probability").get()
    }

    fn prob_err(s: &str) -> String {
        s.parse::<Probability>()
            .expect_err("invalid probability")
            .to_string()
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
            Ok("0".to_owned())
        );
        assert_eq!(
            Probability::new(1.5).map_err(|e| e.to_string()),
            Err("expected a probability between 0 and 1 (or 0%..100%), got 1.5".to_owned())
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
}
