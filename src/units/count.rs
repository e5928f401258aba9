//! [`Count`]: a number with its noun, singular or plural as English wants it ("1
//! conversation", "2 conversations"), for every line a person reads.

use std::fmt;

/// `n` things: prints `1 member`, `0 members`, `2 members`.
#[derive(Debug, Clone, Copy)]
pub struct Count<'a> {
    n: u64,
    singular: &'a str,
    plural: Option<&'a str>,
}

impl<'a> Count<'a> {
    /// `n` of a noun whose plural adds `s`.
    pub fn of(n: u64, singular: &'a str) -> Self {
        Self {
            n,
            singular,
            plural: None,
        }
    }

    /// `n` of a noun with an irregular plural (`retry`/`retries`).
    pub fn irregular(n: u64, singular: &'a str, plural: &'a str) -> Self {
        Self {
            n,
            singular,
            plural: Some(plural),
        }
    }
}

impl fmt::Display for Count<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.n, self.plural) {
            (1, _) => write!(f, "1 {}", self.singular),
            (n, Some(plural)) => write!(f, "{n} {plural}"),
            (n, None) => write!(f, "{n} {}s", self.singular),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_every_other_number_plural() {
        assert_eq!(Count::of(1, "conversation").to_string(), "1 conversation");
        assert_eq!(Count::of(0, "conversation").to_string(), "0 conversations");
        assert_eq!(Count::of(2, "member").to_string(), "2 members");
        assert_eq!(
            Count::irregular(1, "retry", "retries").to_string(),
            "1 retry"
        );
        assert_eq!(
            Count::irregular(3, "retry", "retries").to_string(),
            "3 retries"
        );
    }
}
