//! The command line's names for the domain's closed choices. Each is a clap `ValueEnum`
//! whose doc comments are the help of its values, mapped onto the domain enum it stands
//! for, so that no domain module derives a clap trait.

use clap::ValueEnum;

use crate::delivery::options::OrderingMode;
use crate::delivery::retry::SuccessRule;
use crate::event::profile::ProfileName;

/// `--ordering`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Ordering {
    /// A conversation's next event waits until the previous one is delivered or given up.
    PerConversation,
    /// Every event is sent on its own, concurrently, like the platform: retries reorder.
    None,
}

impl From<Ordering> for OrderingMode {
    fn from(choice: Ordering) -> Self {
        match choice {
            Ordering::PerConversation => OrderingMode::PerConversation,
            Ordering::None => OrderingMode::None,
        }
    }
}

/// `--success`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Success {
    /// Only HTTP 200, like the platform.
    #[value(name = "200")]
    Only200,
    /// Any 2xx status.
    #[value(name = "2xx")]
    Any2xx,
}

impl From<Success> for SuccessRule {
    fn from(choice: Success) -> Self {
        match choice {
            Success::Only200 => SuccessRule::Only200,
            Success::Any2xx => SuccessRule::Any2xx,
        }
    }
}

/// `--profile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Profile {
    /// What the published docs describe (the default).
    Documented,
    /// What the platform's code does where it differs from its docs (docs/profiles.md).
    Platform,
}

impl From<Profile> for ProfileName {
    fn from(choice: Profile) -> Self {
        match choice {
            Profile::Documented => ProfileName::Documented,
            Profile::Platform => ProfileName::Platform,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_choice_is_named_as_the_domain_names_it() {
        for choice in Ordering::value_variants() {
            let name = choice.to_possible_value().map(|v| v.get_name().to_owned());
            assert_eq!(name.as_deref(), Some(OrderingMode::from(*choice).as_str()));
        }
        for choice in Success::value_variants() {
            let json = serde_json::to_value(SuccessRule::from(*choice)).unwrap_or_default();
            let name = choice.to_possible_value().map(|v| v.get_name().to_owned());
            match name.as_deref() {
                Some("200") => assert_eq!(json, "only200"),
                Some("2xx") => assert_eq!(json, "any2xx"),
                other => panic!("unexpected value {other:?}"),
            }
        }
        for choice in Profile::value_variants() {
            let json = serde_json::to_value(ProfileName::from(*choice)).unwrap_or_default();
            let name = choice.to_possible_value().map(|v| v.get_name().to_owned());
            assert_eq!(json.as_str(), name.as_deref());
        }
    }
}
