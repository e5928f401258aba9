//! The contract of the conversation events (`callcenter.conversation.*`): the fields each
//! carries in the profile, and each conversation's sequence: `begin` before every later
//! event, at most one `begin` and one `end`, `end` only after `begin` and last (the order
//! rules only when the sender keeps order).

use std::collections::HashMap;

use super::Event;
use super::fields::{Fields, Need};
use super::profile::ProfileRules;
use crate::conversation::ConvType;
use crate::event::EventKind;

/// Where a conversation is in its sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    BeforeBegin,
    Begun,
    Ended,
}

/// What the events of one conversation said so far.
#[derive(Debug)]
pub(super) struct ConvTrack {
    pub(super) phase: Phase,
    kind: Option<String>,
    pub(super) begins: u32,
    pub(super) ends: u32,
    /// `parts_changed` events received (each announces one join or one leave).
    pub(super) parts: u32,
}

/// Every conversation seen, by id.
#[derive(Debug, Default)]
pub(super) struct Conversations {
    tracks: HashMap<String, ConvTrack>,
}

impl Conversations {
    /// Conversations seen.
    pub(super) fn len(&self) -> u64 {
        self.tracks.len() as u64
    }

    /// Conversation `id`'s track, if it was seen.
    pub(super) fn get(&self, id: &str) -> Option<&ConvTrack> {
        self.tracks.get(id)
    }

    /// Conversations that began and never ended, and (under order-free rules, where an
    /// `end` may come first) those that ended without a `begin`.
    pub(super) fn unterminated(&self) -> u64 {
        self.tracks
            .values()
            .filter(|c| c.phase == Phase::Begun || (c.ends > 0 && c.begins == 0))
            .count() as u64
    }

    /// Checks one conversation event; its problems, each naming the event and the
    /// conversation.
    pub(super) fn check(&mut self, ev: &Event<'_>) -> Vec<String> {
        let event = ev.kind.name();
        let id = match ev.hex_id() {
            Ok(id) => id,
            Err(problem) => return vec![problem],
        };
        let mut fields = Fields::new(ev.obj);
        check_fields(ev.kind, ev.profile, &mut fields);
        let mut out = fields.out;
        let track = self.tracks.entry(id.to_owned()).or_insert(ConvTrack {
            phase: Phase::BeforeBegin,
            kind: None,
            begins: 0,
            ends: 0,
            parts: 0,
        });
        sequence(track, ev, &mut out);
        out.into_iter()
            .map(|m| format!("{event} {id}: {m}"))
            .collect()
    }
}

/// The sequence rules: moves `track` on by one event.
fn sequence(track: &mut ConvTrack, ev: &Event<'_>, out: &mut Vec<String>) {
    let ordered = ev.rules.ordered;
    if ordered && track.phase == Phase::Ended {
        out.push("event after end".to_owned());
    }
    let this_type = ev
        .obj
        .get("type")
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    match ev.kind {
        EventKind::ConversationBegin => {
            if track.begins > 0 || (ordered && track.phase != Phase::BeforeBegin) {
                out.push("second begin".to_owned());
            }
            if track.kind.is_some() && this_type != track.kind {
                out.push("begin type differs from end type".to_owned());
            }
            track.begins += 1;
            if track.phase == Phase::BeforeBegin {
                track.phase = Phase::Begun;
            }
            track.kind = this_type;
        }
        EventKind::ConversationEnd => {
            if ordered && track.phase == Phase::BeforeBegin {
                out.push("end without begin".to_owned());
            }
            if track.ends > 0 && !(ordered && track.phase == Phase::Ended) {
                out.push("second end".to_owned());
            }
            if track.kind.is_some() && this_type != track.kind {
                out.push("end type differs from begin type".to_owned());
            }
            track.ends += 1;
            track.phase = Phase::Ended;
            if track.kind.is_none() {
                track.kind = this_type;
            }
        }
        EventKind::ConversationPartsChanged => track.parts += 1,
        _ => {}
    }
}

/// The keys `end` may carry beyond the common ones, when the profile sends it full.
const END_FULL: [&str; 4] = ["record_file", "queue_id", "end_reason", "agent_call_id"];

/// Field rules of the profile: the fields each event may carry, those its conversation
/// type requires or forbids, and no empty ones.
fn check_fields(kind: EventKind, p: &ProfileRules, f: &mut Fields<'_>) {
    let mut allowed = vec!["action", "event", "id", "user_data"];
    match kind {
        EventKind::ConversationBegin => {
            allowed.extend(["subaccount_id", "type", "queue_id", "agent_call_id"]);
        }
        EventKind::ConversationPartsChanged if p.parts_changed_subaccount => {
            allowed.push("subaccount_id");
        }
        EventKind::ConversationEnd => {
            allowed.extend(["subaccount_id", "type", "begin_time", "end_time"]);
            if p.end_full {
                allowed.extend(END_FULL);
            }
        }
        _ => {}
    }
    f.allow_only(&allowed);
    if kind == EventKind::ConversationPartsChanged {
        return;
    }
    let Some(conv_type) = f.text("type").and_then(ConvType::parse) else {
        f.problem("type missing or not queue/call_out/call_agent".to_owned());
        return;
    };
    let for_type = match conv_type {
        ConvType::Queue => "for type queue",
        ConvType::CallOut => "for type call_out",
        ConvType::CallAgent => "for type call_agent",
    };
    let need = |yes: bool| Need::required_or_forbidden(yes, for_type);
    match kind {
        EventKind::ConversationBegin => {
            let queue_id = match conv_type {
                ConvType::Queue => true,
                ConvType::CallAgent => p.begin_queue_id_for_call_agent,
                ConvType::CallOut => false,
            };
            f.hex("queue_id", need(queue_id));
            let agent_call = conv_type != ConvType::Queue || p.begin_agent_call_for_queue;
            f.hex("agent_call_id", need(agent_call));
        }
        EventKind::ConversationEnd => {
            if p.end_full {
                f.hex("queue_id", need(conv_type == ConvType::Queue));
                f.hex("agent_call_id", need(conv_type == ConvType::CallOut));
                f.hex("record_file", Need::Required);
                f.string("end_reason", Need::Required);
            }
            // Without `end_full`, `allow_only` already refused the four.
            let begin = f.epoch_ms("begin_time");
            let end = f.epoch_ms("end_time");
            if let (Some(b), Some(e)) = (begin, end)
                && e < b
            {
                f.problem("end_time before begin_time".to_owned());
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::testing::{ID, Q, checker, feed, field_problems, problems};
    use crate::event::profile::ProfileName::{Documented, Platform};

    const AGENT_CALL: &str = "00000000000000000000000000000aac";

    fn begin(t: &str) -> Value {
        let mut b = json!({"action":"event_notify","event":"callcenter.conversation.begin","id":ID,"type":t});
        match t {
            "queue" => b["queue_id"] = json!(Q),
            _ => b["agent_call_id"] = json!(AGENT_CALL),
        }
        b
    }
    fn parts() -> Value {
        json!({"action":"event_notify","event":"callcenter.conversation.parts_changed","id":ID})
    }
    fn end() -> Value {
        json!({"action":"event_notify","event":"callcenter.conversation.end","id":ID,"type":"queue",
               "queue_id":Q,"begin_time":1_700_000_000_000i64,"end_time":1_700_000_060_000i64,
               "record_file":Q,"end_reason":"customer_hangup"})
    }
    /// `end` as the platform sends it: no `record_file`, `end_reason`, `queue_id` or
    /// `agent_call_id`; `begin_time` is the creation time.
    fn platform_end(t: &str) -> Value {
        json!({"action":"event_notify","event":"callcenter.conversation.end","id":ID,"type":t,
               "begin_time":1_700_000_000_000i64,"end_time":1_700_000_060_000i64})
    }
    fn platform_begin(t: &str) -> Value {
        let mut b = begin(t);
        b["agent_call_id"] = json!(AGENT_CALL);
        if t != "call_out" {
            b["queue_id"] = json!(Q);
        }
        b
    }

    #[test]
    fn a_well_formed_conversation_holds_the_contract_in_each_profile() {
        let mut c = checker(Documented, true);
        for v in [parts(), parts(), begin("queue"), parts(), end()] {
            feed(&mut c, v);
        }
        let s = c.summary(true);
        assert!(s.held(), "{:?}", s.examples);
        assert_eq!((s.events, s.conversations), (5, 1));
        assert_eq!(s.families.conversation.events, 5);
        for t in ["queue", "call_out", "call_agent"] {
            let mut c = checker(Platform, true);
            let mut p = parts();
            p["subaccount_id"] = json!("sub1");
            for v in [p, parts(), platform_begin(t), platform_end(t)] {
                feed(&mut c, v);
            }
            let s = c.summary(true);
            assert!(s.held(), "{t}: {:?}", s.examples);
        }
    }

    #[test]
    fn out_of_order_events_are_violations() {
        let mut c = checker(Documented, true);
        feed(&mut c, end());
        feed(&mut c, begin("queue"));
        let text = c.summary(false).examples.join("\n");
        assert!(text.contains("end without begin"), "{text}");
        assert!(text.contains("event after end"), "{text}");
    }

    #[test]
    fn a_begin_without_end_is_unterminated_only_for_a_complete_run() {
        let mut c = checker(Documented, true);
        feed(&mut c, begin("queue"));
        assert!(c.summary(false).held());
        assert_eq!(c.summary(true).unterminated, 1);
    }

    #[test]
    fn documented_field_rules_catch_missing_extra_and_empty_fields() {
        let mut b = begin("queue");
        b["agent_call_id"] = json!(Q);
        b["user_data"] = json!("");
        b["extra"] = json!(1);
        let mut e = end();
        e.as_object_mut().expect("object").remove("record_file");
        let text = problems(Documented, &[b, e]).join("\n");
        for want in [
            "agent_call_id present for type queue",
            "empty field \"user_data\"",
            "unexpected field \"extra\"",
            "record_file missing",
        ] {
            assert!(text.contains(want), "missing {want:?} in:\n{text}");
        }
    }

    #[test]
    fn documented_end_needs_its_reason_and_ids_and_times_in_order() {
        type Breaks = fn(&mut Value);
        let cases: [(Breaks, &str); 5] = [
            (
                |e| drop(e.as_object_mut().map(|o| o.remove("end_reason"))),
                "end_reason missing",
            ),
            (
                |e| drop(e.as_object_mut().map(|o| o.remove("queue_id"))),
                "queue_id missing",
            ),
            (
                |e| e["agent_call_id"] = json!(AGENT_CALL),
                "agent_call_id present for type queue",
            ),
            (
                |e| e["end_time"] = json!(1_600_000_000_000i64),
                "end_time before begin_time",
            ),
            (
                |e| e["begin_time"] = json!(1_700_000_000),
                "begin_time is not an integer of epoch milliseconds",
            ),
        ];
        assert!(field_problems(Documented, &[end()]).is_empty());
        for (breaks, want) in cases {
            let mut e = end();
            breaks(&mut e);
            let got = field_problems(Documented, &[e]);
            assert_eq!(got, [format!("callcenter.conversation.end {ID}: {want}")]);
        }
    }

    #[test]
    fn documented_begin_names_a_queue_only_for_queue_and_an_agent_call_only_for_the_others() {
        assert!(problems(Documented, &[begin("call_out")]).is_empty());
        assert!(problems(Documented, &[begin("call_agent")]).is_empty());
        assert_eq!(
            problems(Documented, &[platform_begin("call_agent")]),
            [format!(
                "callcenter.conversation.begin {ID}: queue_id present for type call_agent"
            )]
        );
        assert_eq!(
            problems(Documented, &[platform_begin("queue")]),
            [format!(
                "callcenter.conversation.begin {ID}: agent_call_id present for type queue"
            )]
        );
        let mut p = parts();
        p["subaccount_id"] = json!("sub1");
        assert_eq!(
            problems(Documented, &[p]),
            [format!(
                "callcenter.conversation.parts_changed {ID}: unexpected field \"subaccount_id\""
            )]
        );
    }

    #[test]
    fn the_platform_profile_refuses_what_only_the_docs_add() {
        // Every field the documented `end` adds is a violation under the platform profile.
        for field in ["end_reason", "record_file", "queue_id", "agent_call_id"] {
            let mut e = platform_end("queue");
            e[field] = end().get(field).cloned().unwrap_or(json!(AGENT_CALL));
            assert_eq!(
                field_problems(Platform, &[e]),
                [format!(
                    "callcenter.conversation.end {ID}: unexpected field {field:?}"
                )]
            );
        }
        // The documented begin of a queue conversation lacks the answering agent's call;
        // of a call_agent one, its queue task.
        assert_eq!(
            problems(Platform, &[begin("queue")]),
            [format!(
                "callcenter.conversation.begin {ID}: agent_call_id missing"
            )]
        );
        assert_eq!(
            problems(Platform, &[begin("call_agent")]),
            [format!(
                "callcenter.conversation.begin {ID}: queue_id missing"
            )]
        );
        let mut b = platform_begin("call_out");
        b["queue_id"] = json!(Q);
        assert_eq!(
            problems(Platform, &[b]),
            [format!(
                "callcenter.conversation.begin {ID}: queue_id present for type call_out"
            )]
        );
    }

    #[test]
    fn order_free_rules_accept_reordered_events_but_not_a_second_begin_or_end() {
        let mut c = checker(Documented, false);
        for v in [end(), parts(), begin("queue")] {
            feed(&mut c, v);
        }
        let s = c.summary(true);
        assert!(s.held(), "{:?}", s.examples);
        feed(&mut c, begin("queue"));
        feed(&mut c, end());
        let s = c.summary(true);
        assert_eq!(s.violations, 2, "{:?}", s.examples);
        let mut c = checker(Documented, false);
        feed(&mut c, end());
        assert_eq!(c.summary(true).unterminated, 1, "an end without begin");
    }
}
