//! Human-friendly value types for the command line and scenario files, one file per type.
//! Used by the command-line flags (`cmd/`, through `FromStr`),
//! by the scenario model (`scenario/model.rs`, through serde) and everywhere a duration,
//! rate, speed or probability is passed around.
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
//! All of them implement [`FromStr`](std::str::FromStr) (so the command line parses
//! them as it is), and their serde `Deserialize` reads a string through that same
//! `FromStr` (`text.rs`), so a bad value in a scenario file reports the same teaching
//! message as on the command line, e.g.
//! `expected a duration like 90s, 3m, 1h30m or 250ms, got "5 minutes"`.
//!
//! Decimal input is converted without floating-point detours where the
//! result is an integer (`"0.1s"` is exactly 100 000 µs) and with a single
//! correctly rounded conversion where the result is an `f64`
//! (`"12.3%"` is exactly the `f64` nearest to 0.123); see `decimal.rs`.

mod count;
mod decimal;
mod error;
mod probability;
mod rate;
mod span;
mod speed;
mod text;

pub use count::Count;
pub use error::UnitError;
pub use probability::Probability;
pub use rate::Rate;
pub use span::Span;
pub use speed::Speed;
