//! [`UnitError`], the one error of every unit type's parsing: its message is what the
//! command line and the scenario checks show.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_error_displays_its_message_and_is_a_std_error() {
        let err = UnitError::new("expected x, got \"y\"");
        assert_eq!(err.to_string(), "expected x, got \"y\"");
        let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(err.clone());
        assert_eq!(boxed.to_string(), err.to_string());
    }
}
