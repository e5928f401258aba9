//! The query parameters of `/__ccsim/journal` and `/__ccsim/wait`, read strictly: an
//! unknown, repeated or empty parameter, or a value out of range, is an error naming the
//! parameter, never ignored.

use std::time::Duration;

use super::journal::Filter;
use crate::event::EventKind;
use crate::units::Span;

/// Events in a journal page by default.
pub const DEFAULT_LIMIT: usize = 100;
/// Most events in a journal page.
pub const MAX_LIMIT: usize = 1000;
/// How long a wait lasts by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest a wait may last.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(60);

/// A query parameter that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadParameter {
    /// The parameter's name, as given.
    pub parameter: String,
    /// What is wrong with it.
    pub message: String,
}

impl BadParameter {
    fn new(parameter: &str, message: impl Into<String>) -> Self {
        Self {
            parameter: parameter.to_owned(),
            message: message.into(),
        }
    }
}

/// `GET /__ccsim/journal`'s parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalQuery {
    /// Which events.
    pub filter: Filter,
    /// Only events after this journal seq.
    pub after: u64,
    /// At most this many.
    pub limit: usize,
}

/// `GET /__ccsim/wait`'s parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitQuery {
    /// Which event.
    pub filter: Filter,
    /// The first after this journal seq.
    pub after: u64,
    /// How long to wait at most.
    pub timeout: Duration,
}

const FILTERS: [&str; 4] = ["conversation", "agent", "event", "after"];

impl JournalQuery {
    /// Reads `pairs`.
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, BadParameter> {
        let mut known = FILTERS.to_vec();
        known.push("limit");
        let values = distinct(pairs, &known, "/__ccsim/journal")?;
        let (filter, after) = filter(&values)?;
        let limit = match values.get("limit") {
            None => DEFAULT_LIMIT,
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| {
                    BadParameter::new(
                        "limit",
                        format!(
                            "limit: expected a whole number from 1 to {MAX_LIMIT}, got {text:?}"
                        ),
                    )
                })?,
        };
        Ok(Self {
            filter,
            after,
            limit,
        })
    }
}

impl WaitQuery {
    /// Reads `pairs`.
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, BadParameter> {
        let mut known = FILTERS.to_vec();
        known.push("timeout");
        let values = distinct(pairs, &known, "/__ccsim/wait")?;
        let (filter, after) = filter(&values)?;
        let timeout = match values.get("timeout") {
            None => DEFAULT_TIMEOUT,
            Some(text) => {
                let span: Span = text.parse().map_err(|e: crate::units::UnitError| {
                    BadParameter::new("timeout", format!("timeout: {e}"))
                })?;
                let timeout = span.as_std();
                if timeout > MAX_TIMEOUT {
                    return Err(BadParameter::new(
                        "timeout",
                        format!("timeout: at most 60s, got {text}"),
                    ));
                }
                timeout
            }
        };
        Ok(Self {
            filter,
            after,
            timeout,
        })
    }
}

/// The parameters as a map, each known and given once, with a value.
fn distinct<'a>(
    pairs: &'a [(String, String)],
    known: &[&str],
    path: &str,
) -> Result<std::collections::BTreeMap<&'a str, &'a str>, BadParameter> {
    let mut values = std::collections::BTreeMap::new();
    for (key, value) in pairs {
        if !known.contains(&key.as_str()) {
            return Err(BadParameter::new(
                key,
                format!(
                    "unknown parameter {key:?}: {path} takes {}",
                    known.join(", ")
                ),
            ));
        }
        if value.trim().is_empty() {
            return Err(BadParameter::new(key, format!("{key}: empty value")));
        }
        if values.insert(key.as_str(), value.as_str()).is_some() {
            return Err(BadParameter::new(
                key,
                format!("{key}: given more than once (list event names with commas)"),
            ));
        }
    }
    Ok(values)
}

/// The filter and `after` of either endpoint.
fn filter(values: &std::collections::BTreeMap<&str, &str>) -> Result<(Filter, u64), BadParameter> {
    let conversation = values.get("conversation").map(|id| (*id).to_owned());
    if let Some(id) = &conversation
        && !(id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(BadParameter::new(
            "conversation",
            format!("conversation: expected a conversation id (32 hexadecimal digits), got {id:?}"),
        ));
    }
    let mut events = Vec::new();
    if let Some(names) = values.get("event") {
        for name in names.split(',').map(str::trim) {
            let kind = EventKind::parse(name).ok_or_else(|| {
                let all: Vec<&str> = EventKind::ALL.iter().map(|k| k.name()).collect();
                BadParameter::new(
                    "event",
                    format!(
                        "event: unknown event name {name:?}; the names are {}",
                        all.join(", ")
                    ),
                )
            })?;
            if !events.contains(&kind) {
                events.push(kind);
            }
        }
    }
    let after = match values.get("after") {
        None => 0,
        Some(text) => text.parse::<u64>().map_err(|_| {
            BadParameter::new(
                "after",
                format!(
                    "after: expected a journal seq (a whole number, 0 for the start), got {text:?}"
                ),
            )
        })?,
    };
    Ok((
        Filter {
            conversation: conversation.map(|id| id.to_ascii_lowercase()),
            agent: values.get("agent").map(|name| (*name).to_owned()),
            events,
        },
        after,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(query: &[(&str, &str)]) -> Vec<(String, String)> {
        query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_and_every_parameter() {
        let q = JournalQuery::parse(&[]).unwrap();
        assert_eq!((q.after, q.limit), (0, DEFAULT_LIMIT));
        assert_eq!(q.filter, Filter::default());
        let id = "AB".repeat(16);
        let q = JournalQuery::parse(&pairs(&[
            ("conversation", &id),
            ("agent", "1001"),
            (
                "event",
                "callcenter.conversation.begin, callcenter.queue.fail,callcenter.conversation.begin",
            ),
            ("after", "7"),
            ("limit", "1000"),
        ]))
        .unwrap();
        assert_eq!(q.filter.conversation, Some("ab".repeat(16)));
        assert_eq!(q.filter.agent.as_deref(), Some("1001"));
        assert_eq!(
            q.filter.events,
            [EventKind::ConversationBegin, EventKind::QueueFail]
        );
        assert_eq!((q.after, q.limit), (7, 1000));
        let w = WaitQuery::parse(&pairs(&[("timeout", "250ms"), ("after", "3")])).unwrap();
        assert_eq!((w.after, w.timeout), (3, Duration::from_millis(250)));
        assert_eq!(WaitQuery::parse(&[]).unwrap().timeout, DEFAULT_TIMEOUT);
        assert_eq!(
            WaitQuery::parse(&pairs(&[("timeout", "60s")]))
                .unwrap()
                .timeout,
            MAX_TIMEOUT
        );
    }

    #[test]
    fn bad_values_name_their_parameter() {
        let journal = |q: &[(&str, &str)]| JournalQuery::parse(&pairs(q)).unwrap_err();
        let wait = |q: &[(&str, &str)]| WaitQuery::parse(&pairs(q)).unwrap_err();
        for (q, parameter, says) in [
            (&[("limit", "0")][..], "limit", "from 1 to 1000"),
            (&[("limit", "1001")], "limit", "from 1 to 1000"),
            (&[("limit", "ten")], "limit", "\"ten\""),
            (&[("after", "-1")], "after", "journal seq"),
            (
                &[("event", "begin")],
                "event",
                "callcenter.conversation.begin",
            ),
            (&[("conversation", "abc")], "conversation", "32 hexadecimal"),
            (&[("agent", " ")], "agent", "empty"),
            (
                &[("conversationId", "x")],
                "conversationId",
                "takes conversation",
            ),
            (&[("timeout", "5s")], "timeout", "unknown parameter"),
            (&[("after", "1"), ("after", "2")], "after", "more than once"),
        ] {
            let e = journal(q);
            assert_eq!(e.parameter, parameter, "{q:?}");
            assert!(e.message.contains(says), "{q:?}: {}", e.message);
        }
        for (q, says) in [
            (&[("timeout", "61s")][..], "at most 60s"),
            (&[("timeout", "soon")], "expected a duration"),
            (&[("timeout", "-1s")], "non-negative"),
        ] {
            let e = wait(q);
            assert_eq!(e.parameter, "timeout", "{q:?}");
            assert!(e.message.contains(says), "{q:?}: {}", e.message);
        }
        assert_eq!(wait(&[("limit", "1")]).parameter, "limit");
    }
}
