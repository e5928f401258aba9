//! Which event families a run sends (`--events conversation,agent,queue` or `all`): the
//! conversation events always exist; agent and queue events are sent when asked for.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One family of webhook events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventFamily {
    /// `callcenter.conversation.*`.
    Conversation,
    /// `callcenter.agent.*`.
    Agent,
    /// `callcenter.queue.*`.
    Queue,
}

impl EventFamily {
    /// Every family, in a fixed order.
    pub const ALL: [EventFamily; 3] = [
        EventFamily::Conversation,
        EventFamily::Agent,
        EventFamily::Queue,
    ];

    /// The name on the command line and in scenario files.
    pub fn as_str(self) -> &'static str {
        match self {
            EventFamily::Conversation => "conversation",
            EventFamily::Agent => "agent",
            EventFamily::Queue => "queue",
        }
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A set of event families; the default is the conversation family alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventFamilies(u8);

impl Default for EventFamilies {
    fn default() -> Self {
        Self::only(EventFamily::Conversation)
    }
}

impl EventFamilies {
    /// No family.
    pub const NONE: EventFamilies = EventFamilies(0);

    /// Every family.
    pub fn all() -> Self {
        EventFamily::ALL.into_iter().collect()
    }

    /// One family.
    pub fn only(family: EventFamily) -> Self {
        Self(family.bit())
    }

    /// Whether `family` is in the set.
    pub fn has(self, family: EventFamily) -> bool {
        self.0 & family.bit() != 0
    }

    /// The set with `family` added.
    pub fn with(self, family: EventFamily) -> Self {
        Self(self.0 | family.bit())
    }

    /// The families in the set, in [`EventFamily::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = EventFamily> {
        EventFamily::ALL.into_iter().filter(move |f| self.has(*f))
    }

    /// Parses one name (`conversation`, `agent`, `queue` or `all`).
    pub fn parse_one(name: &str) -> Result<Self, UnknownFamily> {
        if name == "all" {
            return Ok(Self::all());
        }
        EventFamily::ALL
            .into_iter()
            .find(|f| f.as_str() == name)
            .map(Self::only)
            .ok_or_else(|| UnknownFamily(name.to_owned()))
    }

    /// The union of `names` (each as [`EventFamilies::parse_one`] reads it); none at all is
    /// an error.
    pub fn parse_list<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, UnknownFamily> {
        let mut set = Self::NONE;
        for name in names {
            set = set | Self::parse_one(name)?;
        }
        if set == Self::NONE {
            return Err(UnknownFamily(String::new()));
        }
        Ok(set)
    }
}

impl std::ops::BitOr for EventFamilies {
    type Output = Self;

    fn bitor(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
}

impl FromIterator<EventFamily> for EventFamilies {
    fn from_iter<I: IntoIterator<Item = EventFamily>>(iter: I) -> Self {
        iter.into_iter().fold(Self::NONE, Self::with)
    }
}

impl fmt::Display for EventFamilies {
    /// `conversation,agent`; every family is written `all`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Self::all() {
            return f.write_str("all");
        }
        for (i, family) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(family.as_str())?;
        }
        Ok(())
    }
}

impl FromStr for EventFamilies {
    type Err = UnknownFamily;

    /// A comma-separated list of names (spaces around a name are allowed).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_list(s.split(',').map(str::trim))
    }
}

impl Serialize for EventFamilies {
    /// The families' names, as a list.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter().map(EventFamily::as_str))
    }
}

impl<'de> Deserialize<'de> for EventFamilies {
    /// A list of names, as [`Serialize`] writes it (an empty list is no family).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let names = Vec::<String>::deserialize(d)?;
        names.iter().try_fold(Self::NONE, |set, name| {
            Self::parse_one(name)
                .map(|one| set | one)
                .map_err(serde::de::Error::custom)
        })
    }
}

/// A name that names no family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFamily(pub String);

impl fmt::Display for UnknownFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "expected \"conversation\", \"agent\", \"queue\" or \"all\" (a comma list), got {:?}",
            self.0
        )
    }
}

impl std::error::Error for UnknownFamily {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_to_their_union_and_print_back() {
        let set: EventFamilies = "conversation, agent".parse().expect("parse");
        assert!(set.has(EventFamily::Agent) && !set.has(EventFamily::Queue));
        assert_eq!(set.to_string(), "conversation,agent");
        assert_eq!(
            "queue".parse::<EventFamilies>().map(|s| s.to_string()),
            Ok("queue".into())
        );
        assert_eq!("all".parse::<EventFamilies>(), Ok(EventFamilies::all()));
        assert_eq!(
            "conversation,agent,queue"
                .parse::<EventFamilies>()
                .map(|s| s.to_string()),
            Ok("all".into())
        );
        assert_eq!(EventFamilies::default().to_string(), "conversation");
        assert_eq!(
            serde_json::to_string(&EventFamilies::all()).expect("json"),
            r#"["conversation","agent","queue"]"#
        );
        for set in ["conversation", "agent,queue", "all"] {
            let set: EventFamilies = set.parse().expect("parse");
            let json = serde_json::to_string(&set).expect("json");
            assert_eq!(serde_json::from_str::<EventFamilies>(&json).ok(), Some(set));
        }
        assert!(serde_json::from_str::<EventFamilies>(r#"["agents"]"#).is_err());
    }

    #[test]
    fn unknown_or_empty_names_are_refused_with_the_choices() {
        let err = "conversation,agents"
            .parse::<EventFamilies>()
            .expect_err("refused");
        assert_eq!(
            err.to_string(),
            "expected \"conversation\", \"agent\", \"queue\" or \"all\" (a comma list), got \"agents\""
        );
        assert!("".parse::<EventFamilies>().is_err());
    }
}
