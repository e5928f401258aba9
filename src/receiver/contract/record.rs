//! The contract between the events and the conversation record: a record read while an
//! event is handled shows no change that the events received so far did not announce.

use serde_json::Value;

use super::conversation::ConvTrack;
use super::profile::ProfileRules;

/// The problems of the record of conversation `id`, read while handling its event named
/// `event`, given what the conversation's events said so far (`track`). A `begin_time`
/// needs `begin`; an `end_reason`, and the `end_time` of a conversation that began, need
/// `end`; every member who joined, and (in a profile that announces leaves) every one
/// who left before the end, needs a `parts_changed`. In a profile whose record shows the
/// creation time as `begin_time`, it needs nothing.
pub(super) fn problems(
    p: &ProfileRules,
    event: &str,
    id: &str,
    track: &ConvTrack,
    record: &Value,
) -> Vec<String> {
    let data = &record["data"];
    if !data.is_object() {
        return Vec::new(); // not held (forgotten by retention): nothing to compare
    }
    let ahead = |field: &str, why: &str| {
        format!("{event} {id}: the record shows {field} before {why} was received")
    };
    let mut problems = Vec::new();
    if !data["begin_time"].is_null() && track.begins == 0 && !p.record_begin_time_at_creation {
        problems.push(ahead("begin_time", "begin"));
    }
    if !data["end_reason"].is_null() && track.ends == 0 {
        problems.push(ahead("end_reason", "end"));
    }
    if !data["end_time"].is_null() && track.ends == 0 && track.begins > 0 {
        problems.push(ahead("end_time", "end"));
    }
    let empty = Vec::new();
    let members = data["members"].as_array().unwrap_or(&empty);
    let joined = members.len() as u64;
    let left = if data["end_time"].is_null() && p.parts_changed_on_leave {
        members.iter().filter(|m| !m["end_time"].is_null()).count() as u64
    } else {
        0 // the end sets every member's end_time at once; or leaves are not announced
    };
    if joined + left > u64::from(track.parts) {
        problems.push(format!(
            "{event} {id}: the record shows {joined} members joined and {left} left, but only {} parts_changed were received",
            track.parts
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::ContractChecker;
    use super::super::testing::{ID, Q, checker};
    use crate::event::profile::ProfileName::{Documented, Platform};

    fn begin() -> Value {
        json!({"action":"event_notify","event":"callcenter.conversation.begin","id":ID,"type":"queue","queue_id":Q})
    }
    fn parts() -> Value {
        json!({"action":"event_notify","event":"callcenter.conversation.parts_changed","id":ID})
    }
    fn end() -> Value {
        json!({"action":"event_notify","event":"callcenter.conversation.end","id":ID,"type":"queue",
               "queue_id":Q,"begin_time":1_700_000_000_000i64,"end_time":1_700_000_060_000i64,
               "record_file":Q,"end_reason":"customer_hangup"})
    }

    /// A record envelope with `members` (each `(begin, end)`) and the conversation's
    /// `begin_time`, `end_time` and `end_reason`.
    fn record(members: &[(&str, Option<&str>)], begin: bool, end: bool, reason: bool) -> Value {
        let members: Vec<Value> = members
            .iter()
            .map(|(b, e)| json!({"begin_time": b, "end_time": e}))
            .collect();
        json!({"code":"000000","data":{
            "id": ID, "members": members,
            "begin_time": begin.then_some(1_700_000_000_000i64),
            "end_time": end.then_some(1_700_000_060_000i64),
            "end_reason": reason.then_some("customer_hangup"),
        }})
    }

    /// Feeds `event`, then checks `record` read while handling it; the violations.
    fn read_on(c: &mut ContractChecker, event: Value, record: Value) -> Vec<String> {
        let body = event.to_string();
        c.check(body.as_bytes());
        let before = c.summary(false).examples.len();
        let (name, id) = (event["event"].as_str(), event["id"].as_str());
        c.check_record(name.unwrap_or_default(), id.unwrap_or_default(), &record);
        c.summary(false).examples[before..].to_vec()
    }

    #[test]
    fn a_record_that_shows_only_what_was_announced_holds_the_contract() {
        let mut c = checker(Documented, true);
        let a = ("t1", None);
        assert!(read_on(&mut c, parts(), record(&[a], false, false, false)).is_empty());
        let b = ("t2", None);
        assert!(read_on(&mut c, parts(), record(&[a, b], false, false, false)).is_empty());
        assert!(read_on(&mut c, begin(), record(&[a, b], true, false, false)).is_empty());
        let (a_left, b_left) = (("t1", Some("t9")), ("t2", Some("t9")));
        assert!(read_on(&mut c, end(), record(&[a_left, b_left], true, true, true)).is_empty());
        assert_eq!(c.summary(true).violations, 0);
    }

    #[test]
    fn a_record_ahead_of_the_events_is_a_violation_naming_the_event_and_the_field() {
        let mut c = checker(Documented, true);
        let a = ("t1", None);
        let problems = read_on(
            &mut c,
            parts(),
            record(&[a, ("t2", None)], false, false, false),
        );
        assert_eq!(
            problems,
            [format!(
                "callcenter.conversation.parts_changed {ID}: the record shows 2 members joined and 0 left, but only 1 parts_changed were received"
            )]
        );
        let problems = read_on(&mut c, parts(), record(&[a, a], true, true, true));
        assert_eq!(
            problems,
            [
                format!(
                    "callcenter.conversation.parts_changed {ID}: the record shows begin_time before begin was received"
                ),
                format!(
                    "callcenter.conversation.parts_changed {ID}: the record shows end_reason before end was received"
                ),
            ]
        );
        let problems = read_on(&mut c, begin(), record(&[a, a], true, true, false));
        assert_eq!(
            problems,
            [format!(
                "callcenter.conversation.begin {ID}: the record shows end_time before end was received"
            )]
        );
    }

    #[test]
    fn a_conversation_that_never_began_may_show_its_silent_end() {
        let mut c = checker(Documented, true);
        let (a, b) = (("t1", Some("t5")), ("t2", Some("t5")));
        assert!(
            read_on(
                &mut c,
                parts(),
                record(&[("t1", None)], false, false, false)
            )
            .is_empty()
        );
        assert!(read_on(&mut c, parts(), record(&[a, b], false, true, false)).is_empty());
    }

    #[test]
    fn records_are_not_checked_when_events_may_arrive_out_of_order() {
        let mut c = checker(Documented, false);
        let ahead = record(&[("t1", None), ("t2", None)], true, true, true);
        assert!(read_on(&mut c, parts(), ahead).is_empty());
    }

    #[test]
    fn the_platforms_record_shows_its_creation_time_and_unannounced_leaves() {
        let mut c = checker(Platform, true);
        let a = ("t1", None);
        // `begin_time` is the creation time: there before `begin`.
        assert!(read_on(&mut c, parts(), record(&[a], true, false, false)).is_empty());
        let b = ("t2", None);
        assert!(read_on(&mut c, parts(), record(&[a, b], true, false, false)).is_empty());
        // A member left: no `parts_changed` announces it.
        let b_left = ("t2", Some("t5"));
        let mut begin = begin();
        begin["agent_call_id"] = json!(Q);
        assert!(read_on(&mut c, begin, record(&[a, b_left], true, false, false)).is_empty());
        assert_eq!(
            c.summary(false).violations,
            0,
            "{:?}",
            c.summary(false).examples
        );
        // The same record, read in the documented profile, is ahead of the events.
        let mut c = checker(Documented, true);
        assert_eq!(
            read_on(&mut c, parts(), record(&[a], true, false, false)).len(),
            1
        );
    }
}
