//! The contract of the queue events (`callcenter.queue.*`): the fields each carries in the
//! profile (`type` and `cause` values, `origin_call_id`, `condition_id`, the agent fields
//! all or none), and each queue task's sequence: `select` at most once, then exactly one of
//! `success` or `fail`; `success` (and a `fail` of cause `call_fail`) only after `select`;
//! nothing after the task ended (the order rules only when the sender keeps order).

use std::collections::HashMap;

use super::Event;
use super::fields::{Fields, Need};
use super::profile::ProfileRules;
use crate::event::EventKind;

/// What the events of one queue task said so far.
#[derive(Debug, Default)]
struct TaskTrack {
    /// The `type` of its first event.
    kind: Option<String>,
    /// The `agent_call_id` of its first event that carried one.
    agent_call: Option<String>,
    selects: u32,
    /// `success` and `fail` events received.
    ends: u32,
    /// The first of them (`success` or `fail`).
    ended_by: Option<&'static str>,
    /// A `success`, or a `fail` of cause `call_fail`, came: a `select` must have been sent.
    needs_select: bool,
}

/// Every queue task seen, by id.
#[derive(Debug, Default)]
pub(super) struct Tasks {
    tracks: HashMap<String, TaskTrack>,
}

impl Tasks {
    /// Queue tasks seen.
    pub(super) fn len(&self) -> u64 {
        self.tracks.len() as u64
    }

    /// The tasks that did not finish, each described: selected and never ended, or (under
    /// order-free rules, which do not report it on arrival) ended in a way that needs a
    /// `select` that never came. Sorted.
    pub(super) fn unfinished(&self, ordered: bool) -> Vec<String> {
        let mut out: Vec<String> = self
            .tracks
            .iter()
            .filter_map(|(id, t)| {
                if t.selects > 0 && t.ends == 0 {
                    Some(format!("queue task {id} was selected and never ended"))
                } else if !ordered && t.needs_select && t.selects == 0 {
                    Some(format!(
                        "queue task {id} ended with {} but was never selected",
                        t.ended_by.unwrap_or("success")
                    ))
                } else {
                    None
                }
            })
            .collect();
        out.sort();
        out
    }

    /// Checks one queue event; its problems, each naming the event and the task.
    pub(super) fn check(&mut self, ev: &Event<'_>) -> Vec<String> {
        let event = ev.kind.name();
        let id = match ev.hex_id() {
            Ok(id) => id,
            Err(problem) => return vec![problem],
        };
        let mut f = Fields::new(ev.obj);
        let cause = check_fields(ev.kind, ev.profile, &mut f);
        let track = self.tracks.entry(id.to_owned()).or_default();
        sequence(track, ev, cause, &mut f);
        f.out
            .into_iter()
            .map(|m| format!("{event} {id}: {m}"))
            .collect()
    }
}

/// The sequence rules: moves `track` on by one event.
fn sequence(track: &mut TaskTrack, ev: &Event<'_>, cause: Option<&str>, f: &mut Fields<'_>) {
    let ordered = ev.rules.ordered;
    if let Some(kind) = f.text("type") {
        match &track.kind {
            Some(first) if first != kind => f.problem(format!(
                "type {kind} differs from the task's earlier type {first}"
            )),
            Some(_) => {}
            None => track.kind = Some(kind.to_owned()),
        }
    }
    if let Some(call) = f.text("agent_call_id") {
        match &track.agent_call {
            Some(first) if first != call => f.problem(format!(
                "agent_call_id {call} differs from the task's earlier {first}"
            )),
            Some(_) => {}
            None => track.agent_call = Some(call.to_owned()),
        }
    }
    let this = match ev.kind {
        EventKind::QueueSelect => {
            if track.selects > 0 {
                f.problem("second select".to_owned());
            }
            if let (true, Some(ended)) = (ordered, track.ended_by) {
                f.problem(format!("select after {ended}"));
            }
            track.selects += 1;
            return;
        }
        EventKind::QueueSuccess => "success",
        _ => "fail",
    };
    if let Some(ended) = track.ended_by {
        f.problem(format!("{this} after {ended}: a task ends once"));
    }
    let needs_select = this == "success" || cause == Some("call_fail");
    if ordered && needs_select && track.selects == 0 {
        let what = match cause {
            Some(c) => format!("fail with cause {c}"),
            None => "success".to_owned(),
        };
        f.problem(format!("{what} without a select"));
    }
    track.needs_select |= needs_select;
    track.ends += 1;
    track.ended_by.get_or_insert(this);
}

const AGENT_FIELDS: [&str; 3] = ["agent_name", "agent_extension_id", "agent_call_id"];

/// Field rules of the profile; the `cause` of a `fail`, when it is a known one.
fn check_fields(kind: EventKind, p: &ProfileRules, f: &mut Fields<'_>) -> Option<&'static str> {
    let mut allowed = vec![
        "action",
        "event",
        "id",
        "subaccount_id",
        "type",
        "condition_id",
        "agent_name",
        "origin_call_id",
        "agent_extension_id",
        "agent_call_id",
        "user_data",
    ];
    if kind == EventKind::QueueFail {
        allowed.push("cause");
    }
    f.allow_only(&allowed);
    let cause = if kind == EventKind::QueueFail {
        let why = p.why();
        let cause = f.one_of("cause", p.causes, Need::Required);
        if cause.is_none() && f.text("cause").is_some() {
            f.problem(format!("(those are the causes {why})"));
        }
        cause
    } else {
        None
    };
    let queue_type = f.one_of("type", p.queue_types, Need::Required);
    if queue_type.is_none() && f.text("type").is_some() {
        f.problem(format!("(those are the types {})", p.why()));
    }
    match queue_type {
        Some("ivr") => f.hex("origin_call_id", Need::Required),
        Some(t) => {
            let why = if p.api_queue_origin_call {
                ""
            } else {
                "for an API queue (the documented profile leaves it empty)"
            };
            f.hex(
                "origin_call_id",
                Need::required_or_forbidden(p.api_queue_origin_call, why),
            );
            if t == "call_agent" && !p.call_agent_condition {
                f.presence(
                    "condition_id",
                    Need::Forbidden("for type call_agent in the platform profile"),
                );
            }
        }
        None => {}
    }
    f.string("condition_id", Need::Optional);
    agent_fields(kind, cause, p, f);
    cause
}

/// The agent fields: well formed, and together as the event, its cause and the profile
/// want them.
fn agent_fields(kind: EventKind, cause: Option<&str>, p: &ProfileRules, f: &mut Fields<'_>) {
    f.string("agent_name", Need::Optional);
    f.hex("agent_extension_id", Need::Optional);
    f.hex("agent_call_id", Need::Optional);
    let none_for = match (kind, cause) {
        (EventKind::QueueFail, Some("timeout")) => {
            Some("for cause timeout (no agent was selected)")
        }
        (EventKind::QueueFail, Some("hangup")) if p.hangup_without_agent => {
            Some("for cause hangup in the platform profile")
        }
        _ => None,
    };
    if let Some(why) = none_for {
        for name in AGENT_FIELDS {
            f.presence(name, Need::Forbidden(why));
        }
        return;
    }
    let all = match (kind, cause) {
        (EventKind::QueueSelect | EventKind::QueueSuccess, _) => true,
        (_, cause) => cause == Some("call_fail"),
    };
    if all {
        f.presence("agent_call_id", Need::Required);
    }
    let (name, ext, call) = (
        f.has("agent_name"),
        f.has("agent_extension_id"),
        f.has("agent_call_id"),
    );
    if (name || ext) && !call {
        f.problem("agent_name or agent_extension_id without agent_call_id".to_owned());
    }
    if name != ext {
        f.problem("agent_name and agent_extension_id go together".to_owned());
    }
    if call && !name && !ext && !p.agent_call_alone {
        f.problem(format!(
            "agent_call_id without agent_name and agent_extension_id {}",
            p.why()
        ));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::testing::{ID, Q, checker, feed, field_problems, problems};
    use crate::event::profile::ProfileName::{Documented, Platform};

    const ORIGIN: &str = "0000000000000000000000000000000c";
    const EXT: &str = "0000000000000000000000000000000e";
    const CALL: &str = "0000000000000000000000000000000a";

    /// A queue event of task `ID`, of type `t`, with the agent fields when `agent`.
    fn queue(step: &str, t: &str, agent: bool) -> Value {
        let mut v = json!({"action":"event_notify","event":format!("callcenter.queue.{step}"),
                           "id":ID,"type":t,"origin_call_id":ORIGIN});
        if agent {
            v["agent_name"] = json!("1001");
            v["agent_extension_id"] = json!(EXT);
            v["agent_call_id"] = json!(CALL);
        }
        v
    }
    fn fail(t: &str, cause: &str, agent: bool) -> Value {
        let mut v = queue("fail", t, agent);
        v["cause"] = json!(cause);
        v
    }
    fn without(mut v: Value, field: &str) -> Value {
        v.as_object_mut().map(|o| o.remove(field));
        v
    }
    fn with(mut v: Value, field: &str, value: &str) -> Value {
        v[field] = json!(value);
        v
    }
    fn one(step: &str, msg: &str) -> Vec<String> {
        vec![format!("callcenter.queue.{step} {ID}: {msg}")]
    }

    #[test]
    fn each_way_a_task_ends_holds_the_contract() {
        let happy = [queue("select", "ivr", true), queue("success", "ivr", true)];
        let no_answer = [queue("select", "ivr", true), fail("ivr", "call_fail", true)];
        let timeout = [fail("ivr", "timeout", false)];
        let hangup = [queue("select", "ivr", true), fail("ivr", "hangup", false)];
        let error = [fail("ivr", "error", false)];
        for events in [&happy[..], &no_answer, &timeout, &hangup, &error] {
            for profile in [Documented, Platform] {
                let mut c = checker(profile, true);
                for v in events {
                    feed(&mut c, v.clone());
                }
                let s = c.summary(true);
                assert!(s.held(), "{profile:?} {events:?}: {:?}", s.examples);
                assert_eq!(s.queue_tasks, 1);
                assert_eq!(s.families.queue.events, events.len() as u64);
            }
        }
    }

    #[test]
    fn a_task_is_selected_at_most_once_and_ends_exactly_once() {
        assert_eq!(
            problems(
                Documented,
                &[queue("select", "ivr", true), queue("select", "ivr", true)]
            ),
            one("select", "second select")
        );
        assert_eq!(
            problems(
                Documented,
                &[fail("ivr", "timeout", false), fail("ivr", "error", false)]
            ),
            one("fail", "fail after fail: a task ends once")
        );
        let mut got = problems(
            Documented,
            &[
                queue("select", "ivr", true),
                queue("success", "ivr", true),
                fail("ivr", "call_fail", true),
                queue("select", "ivr", true),
            ],
        );
        got.sort();
        assert_eq!(
            got,
            [
                format!("callcenter.queue.fail {ID}: fail after success: a task ends once"),
                format!("callcenter.queue.select {ID}: second select"),
                format!("callcenter.queue.select {ID}: select after success"),
            ]
        );
    }

    #[test]
    fn success_and_call_fail_need_a_select_first() {
        assert_eq!(
            problems(Platform, &[queue("success", "ivr", true)]),
            one("success", "success without a select")
        );
        assert_eq!(
            problems(Platform, &[fail("ivr", "call_fail", true)]),
            one("fail", "fail with cause call_fail without a select")
        );
    }

    #[test]
    fn a_task_selected_and_never_ended_is_reported_at_the_end_of_a_complete_run() {
        let mut c = checker(Documented, true);
        feed(&mut c, queue("select", "ivr", true));
        assert!(c.summary(false).held());
        let s = c.summary(true);
        assert_eq!(s.unfinished_tasks, 1);
        assert_eq!(
            s.examples,
            [format!("queue task {ID} was selected and never ended")]
        );
    }

    #[test]
    fn order_free_rules_count_but_accept_the_end_before_the_select() {
        let mut c = checker(Platform, false);
        feed(&mut c, queue("success", "ivr", true));
        let s = c.summary(true);
        assert_eq!(
            (s.violations, s.unfinished_tasks),
            (0, 1),
            "{:?}",
            s.examples
        );
        feed(&mut c, queue("select", "ivr", true));
        assert!(c.summary(true).held());
        feed(&mut c, queue("success", "ivr", true));
        feed(&mut c, queue("select", "ivr", true));
        assert_eq!(
            c.summary(true).violations,
            2,
            "exactly-once counts still hold"
        );
    }

    #[test]
    fn the_documented_profile_accepts_every_documented_cause_and_type() {
        for cause in ["cancel", "forward"] {
            assert!(problems(Documented, &[fail("ivr", cause, false)]).is_empty());
            assert_eq!(
                problems(Platform, &[fail("ivr", cause, false)]),
                [
                    format!(
                        "callcenter.queue.fail {ID}: cause \"{cause}\" is not one of timeout|hangup|call_fail|error"
                    ),
                    format!(
                        "callcenter.queue.fail {ID}: (those are the causes in the platform profile)"
                    ),
                ]
            );
        }
        for t in ["fwd_agent", "xfer_agent"] {
            assert!(
                problems(
                    Documented,
                    &[without(fail(t, "error", false), "origin_call_id")]
                )
                .is_empty()
            );
            assert_eq!(problems(Platform, &[fail(t, "error", false)]).len(), 2);
        }
        assert_eq!(
            problems(
                Documented,
                &[without(fail("ivr", "timeout", false), "cause")]
            ),
            one("fail", "cause missing")
        );
        assert_eq!(
            problems(
                Documented,
                &[with(queue("select", "ivr", true), "cause", "timeout")]
            ),
            one("select", "unexpected field \"cause\"")
        );
    }

    #[test]
    fn origin_call_id_is_the_ivr_calls_and_for_api_queues_only_on_the_platform() {
        for t in ["call_agent", "invite_agent"] {
            let api = queue("select", t, true);
            assert!(problems(Platform, std::slice::from_ref(&api)).is_empty());
            assert_eq!(
                problems(Documented, &[api]),
                one(
                    "select",
                    "origin_call_id present for an API queue (the documented profile leaves it empty)"
                )
            );
            let bare = without(queue("select", t, true), "origin_call_id");
            assert!(problems(Documented, std::slice::from_ref(&bare)).is_empty());
            assert_eq!(
                problems(Platform, &[bare]),
                one("select", "origin_call_id missing")
            );
        }
        for p in [Documented, Platform] {
            assert_eq!(
                problems(
                    p,
                    &[without(queue("select", "ivr", true), "origin_call_id")]
                ),
                one("select", "origin_call_id missing")
            );
        }
    }

    #[test]
    fn call_agent_tasks_carry_no_condition_on_the_platform() {
        let with_condition = with(queue("select", "call_agent", true), "condition_id", "c1");
        assert_eq!(
            problems(Platform, &[with_condition]),
            one(
                "select",
                "condition_id present for type call_agent in the platform profile"
            )
        );
        let documented = without(
            with(queue("select", "call_agent", true), "condition_id", "c1"),
            "origin_call_id",
        );
        assert!(problems(Documented, &[documented]).is_empty());
        assert!(
            problems(
                Platform,
                &[with(queue("select", "ivr", true), "condition_id", "c1")]
            )
            .is_empty()
        );
        assert!(
            problems(
                Platform,
                &[with(
                    queue("select", "invite_agent", true),
                    "condition_id",
                    "c1"
                )]
            )
            .is_empty()
        );
    }

    #[test]
    fn agent_fields_come_all_or_none_as_the_step_and_cause_want() {
        // Select and success name the agent; call_fail its call.
        assert_eq!(
            problems(Documented, &[queue("select", "ivr", false)]),
            one("select", "agent_call_id missing")
        );
        assert_eq!(
            field_problems(Documented, &[fail("ivr", "call_fail", false)]),
            one("fail", "agent_call_id missing")
        );
        // A timeout selected nobody.
        assert_eq!(
            problems(Platform, &[fail("ivr", "timeout", true)]),
            [
                format!(
                    "callcenter.queue.fail {ID}: agent_name present for cause timeout (no agent was selected)"
                ),
                format!(
                    "callcenter.queue.fail {ID}: agent_extension_id present for cause timeout (no agent was selected)"
                ),
                format!(
                    "callcenter.queue.fail {ID}: agent_call_id present for cause timeout (no agent was selected)"
                ),
            ]
        );
        // The platform's hangup drops the agent; the docs allow it.
        let hangup = [queue("select", "ivr", true), fail("ivr", "hangup", true)];
        assert!(problems(Documented, &hangup).is_empty());
        assert_eq!(problems(Platform, &hangup).len(), 3);
        // Half an agent.
        assert_eq!(
            problems(
                Documented,
                &[without(fail("ivr", "error", true), "agent_call_id")]
            ),
            one(
                "fail",
                "agent_name or agent_extension_id without agent_call_id"
            )
        );
        assert_eq!(
            problems(
                Documented,
                &[without(fail("ivr", "error", true), "agent_name")]
            ),
            one("fail", "agent_name and agent_extension_id go together")
        );
        // The call alone: the agent call's state was gone (platform only).
        let alone = without(
            without(fail("ivr", "error", true), "agent_name"),
            "agent_extension_id",
        );
        assert!(problems(Platform, std::slice::from_ref(&alone)).is_empty());
        assert_eq!(
            problems(Documented, &[alone]),
            one(
                "fail",
                "agent_call_id without agent_name and agent_extension_id in the documented profile"
            )
        );
        assert_eq!(
            problems(
                Documented,
                &[with(
                    queue("select", "ivr", true),
                    "agent_extension_id",
                    "1001"
                )]
            ),
            one("select", "agent_extension_id is not 32 lowercase hex")
        );
    }

    #[test]
    fn a_tasks_events_agree_on_its_type_and_agent_call() {
        let other = with(queue("success", "call_agent", true), "agent_call_id", Q);
        let mut got = problems(Platform, &[queue("select", "ivr", true), other]);
        got.sort();
        assert_eq!(
            got,
            [
                format!(
                    "callcenter.queue.success {ID}: agent_call_id {Q} differs from the task's earlier {CALL}"
                ),
                format!(
                    "callcenter.queue.success {ID}: type call_agent differs from the task's earlier type ivr"
                ),
            ]
        );
        assert_eq!(
            problems(Platform, &[with(queue("select", "ivr", true), "id", "x")]),
            ["callcenter.queue.select: id missing or not 32 lowercase hex"]
        );
    }
}
