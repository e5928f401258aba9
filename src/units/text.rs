//! Reading a unit value with serde the way it is read on the command line: a string goes
//! through the type's `FromStr`, so a scenario file shows the same message as a flag. Types
//! that also take a bare number ([`Speed`](super::Speed), [`Probability`](super::Probability))
//! pass a conversion for it. Called by the `Deserialize` impls beside this file.
//!
//! One visitor serves every type: a value of the wrong kind (a table, a boolean, a number
//! where only strings are taken) gets serde's `invalid type: …, expected …` message with the
//! type's own `expecting` text.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use serde::Deserializer;
use serde::de::{self, Unexpected, Visitor};

use super::UnitError;

/// A number written without quotes, as the format reported it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Number {
    /// A non-negative integer.
    Unsigned(u64),
    /// A negative (or signed) integer.
    Signed(i64),
    /// A floating-point number.
    Float(f64),
}

impl Number {
    /// The number as an `f64` (large integers round).
    pub(super) fn as_f64(self) -> f64 {
        match self {
            Number::Unsigned(v) => v as f64,
            Number::Signed(v) => v as f64,
            Number::Float(v) => v,
        }
    }
}

impl fmt::Display for Number {
    /// As written: `2`, `-2`, `0.5` (an `f64` as Rust prints it, e.g. `NaN`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Unsigned(v) => v.fmt(f),
            Number::Signed(v) => v.fmt(f),
            // Very large and very small magnitudes in scientific notation, not 300 digits.
            Number::Float(v) if v.is_finite() && *v != 0.0 && !(1e-6..1e16).contains(&v.abs()) => {
                write!(f, "{v:e}")
            }
            Number::Float(v) => v.fmt(f),
        }
    }
}

/// Reads a `T` from a string only; `expecting` completes serde's message for anything else
/// (`invalid type: integer `90`, expected a duration string like "90s"`).
pub(super) fn deserialize_from_str<'de, D, T>(
    deserializer: D,
    expecting: &'static str,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr<Err = UnitError>,
{
    deserializer.deserialize_str(TextVisitor {
        expecting,
        number: None,
        value: PhantomData,
    })
}

/// Reads a `T` from a string (through `FromStr`) or a bare number (through `number`);
/// `expecting` completes serde's message for anything else.
pub(super) fn deserialize_from_str_or_number<'de, D, T>(
    deserializer: D,
    expecting: &'static str,
    number: fn(Number) -> Result<T, UnitError>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr<Err = UnitError>,
{
    deserializer.deserialize_any(TextVisitor {
        expecting,
        number: Some(number),
        value: PhantomData,
    })
}

struct TextVisitor<T> {
    expecting: &'static str,
    number: Option<fn(Number) -> Result<T, UnitError>>,
    value: PhantomData<T>,
}

impl<T: FromStr<Err = UnitError>> TextVisitor<T> {
    fn number<E: de::Error>(self, n: Number, unexpected: Unexpected<'_>) -> Result<T, E> {
        match self.number {
            Some(convert) => convert(n).map_err(E::custom),
            None => Err(E::invalid_type(unexpected, &self)),
        }
    }
}

impl<T: FromStr<Err = UnitError>> Visitor<'_> for TextVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        v.parse().map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        self.number(Number::Unsigned(v), Unexpected::Unsigned(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        self.number(Number::Signed(v), Unexpected::Signed(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        self.number(Number::Float(v), Unexpected::Float(v))
    }
}
