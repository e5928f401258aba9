//! The event contract checker: validates each webhook body against the field rules of the
//! default (`documented`) profile (which fields each event may carry, which its type
//! requires or forbids, no empty fields) and each conversation's sequence: `begin` before
//! every later event, at most one `begin` and one `end`, `end` only after `begin` and
//! last. Pure logic, fed by the built-in receiver.
//!
//! The sequence rules are switchable ([`ContractRules`]): when the sender reorders on
//! purpose (`--ordering none`, `--reorder-rate`) only order-free rules apply (at most one
//! `begin` and one `end`, matching types, both present at the end of a complete run), and
//! when it duplicates on purpose (`--duplicate-rate`) a byte-identical repeat of an event
//! already seen is counted as a duplicate rather than checked again.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::escape::for_terminal;
use crate::conversation::ConvType;
use crate::event::EventKind;

/// How many violation messages are kept verbatim (the count is always exact).
const MAX_EXAMPLES: usize = 20;

/// Where a conversation is in its sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    BeforeBegin,
    Begun,
    Ended,
}

#[derive(Debug)]
struct ConvTrack {
    phase: Phase,
    kind: Option<String>,
    begins: u32,
    ends: u32,
    /// `parts_changed` events received (each announces one join or one leave).
    parts: u32,
    /// Hashes of the bodies seen (only kept when duplicates are allowed).
    seen: Vec<u64>,
}

/// Which rules apply: what the sender promised about order and duplicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContractRules {
    /// A conversation's events arrive in order (`begin` first, `end` last).
    pub ordered: bool,
    /// An identical repeat of an event is expected and not a violation.
    pub allow_duplicates: bool,
}

impl ContractRules {
    /// The rules a receiver may expect from these delivery options: order only with
    /// per-conversation ordering and no reordering; duplicates when they are asked for.
    pub fn for_delivery(options: &crate::delivery::options::DeliveryOptions) -> Self {
        Self {
            ordered: options.ordering == crate::delivery::options::OrderingMode::PerConversation
                && !options.robustness.reorders(),
            allow_duplicates: options.robustness.duplicates(),
        }
    }
}

impl Default for ContractRules {
    fn default() -> Self {
        Self {
            ordered: true,
            allow_duplicates: false,
        }
    }
}

/// The contract checker's result.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ContractSummary {
    /// Events checked.
    pub events: u64,
    /// Conversations seen.
    pub conversations: u64,
    /// Violations found.
    pub violations: u64,
    /// Conversations that began but never ended (counted at the end of a complete run);
    /// with order-free rules, also those that ended without a `begin`.
    pub unterminated: u64,
    /// Identical repeats of an event, when duplicates are allowed.
    pub duplicates: u64,
    /// Requests whose Standard Webhooks signature did not verify (receiver with secrets).
    pub bad_signatures: u64,
    /// The first violations, verbatim.
    pub examples: Vec<String>,
}

impl ContractSummary {
    /// Whether the contract held.
    pub fn held(&self) -> bool {
        self.violations == 0 && self.unterminated == 0 && self.bad_signatures == 0
    }
}

/// Checks events one by one.
#[derive(Debug, Default)]
pub struct ContractChecker {
    convs: HashMap<String, ConvTrack>,
    summary: ContractSummary,
    rules: ContractRules,
}

fn is_hex32(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl ContractChecker {
    /// A fresh checker with the strict rules (ordered, no duplicates).
    pub fn new() -> Self {
        Self::default()
    }

    /// A fresh checker with these rules.
    pub fn with_rules(rules: ContractRules) -> Self {
        Self {
            rules,
            ..Self::default()
        }
    }

    /// Checks one webhook body.
    pub fn check(&mut self, body: &[u8]) {
        self.check_event(body, None);
    }

    /// Checks one webhook body that came with this `webhook-id` (signed requests): when
    /// duplicates are allowed, a repeat of an id is the duplicate; without an id, a
    /// byte-identical `begin` or `end` is (`parts_changed` bodies repeat legitimately).
    pub fn check_event(&mut self, body: &[u8], webhook_id: Option<&str>) {
        self.summary.events += 1;
        let problems = self.problems(body, webhook_id);
        for p in problems {
            self.violation(p);
        }
    }

    /// An event this receiver refused on purpose (`listen --fail-rate`): the sender may
    /// retry it or give up on it, so it counts as seen (its conversation moves on, and a
    /// retry of it is a repeat, not a second event) but not as received.
    pub fn refused(&mut self, body: &[u8], webhook_id: Option<&str>) {
        self.rules.allow_duplicates = true;
        let problems = self.problems(body, webhook_id);
        for p in problems {
            self.violation(p);
        }
    }

    /// Checks the record of conversation `id`, read while handling its event named `event`
    /// (whose body was already given to [`ContractChecker::check_event`]): it may show no change that the events
    /// received so far did not announce. A `begin_time` needs `begin`; an `end_reason`,
    /// and the `end_time` of a conversation that began, need `end`; every member who
    /// joined, and every one who left before the end, needs a `parts_changed`. Only
    /// checked when events arrive in order (with `--ordering none`, a later event may be
    /// in flight and its change already visible).
    pub fn check_record(&mut self, event: &str, id: &str, record: &Value) {
        if !self.rules.ordered {
            return;
        }
        let Some(track) = self.convs.get(id) else {
            return;
        };
        let data = &record["data"];
        if !data.is_object() {
            return; // not held (forgotten by retention): nothing to compare
        }
        let ahead = |field: &str, why: &str| {
            format!("{event} {id}: the record shows {field} before {why} was received")
        };
        let mut problems = Vec::new();
        if !data["begin_time"].is_null() && track.begins == 0 {
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
        let left = if data["end_time"].is_null() {
            members.iter().filter(|m| !m["end_time"].is_null()).count() as u64
        } else {
            0 // the end sets every member's end_time at once
        };
        if joined + left > u64::from(track.parts) {
            problems.push(format!(
                "{event} {id}: the record shows {joined} members joined and {left} left, but only {} parts_changed were received",
                track.parts
            ));
        }
        for p in problems {
            self.violation(p);
        }
    }

    /// Records that the record of conversation `id` could not be read (`why`).
    pub fn lookup_failed(&mut self, id: &str, why: &str) {
        self.violation(format!("{id}: cannot read the record: {why}"));
    }

    /// Records a request whose signature did not verify.
    pub fn bad_signature(&mut self, why: String) {
        self.summary.bad_signatures += 1;
        self.example(why);
    }

    fn violation(&mut self, p: String) {
        self.summary.violations += 1;
        self.example(p);
    }

    /// Keeps `p` as an example, escaped for printing: it may quote the sender's text.
    fn example(&mut self, p: String) {
        if self.summary.examples.len() < MAX_EXAMPLES {
            self.summary.examples.push(for_terminal(&p).into_owned());
        }
    }

    /// The summary so far; `complete` says the run finished normally, so conversations
    /// that began without ending count as violations.
    pub fn summary(&self, complete: bool) -> ContractSummary {
        let mut s = self.summary.clone();
        s.conversations = self.convs.len() as u64;
        if complete {
            s.unterminated = self
                .convs
                .values()
                .filter(|c| c.phase == Phase::Begun || (c.ends > 0 && c.begins == 0))
                .count() as u64;
        }
        s
    }

    fn problems(&mut self, body: &[u8], webhook_id: Option<&str>) -> Vec<String> {
        let value: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => return vec![format!("body is not JSON: {e}")],
        };
        let Some(obj) = value.as_object() else {
            return vec!["body is not a JSON object".to_owned()];
        };
        let mut out = Vec::new();
        if obj.get("action").and_then(Value::as_str) != Some("event_notify") {
            out.push("action is not \"event_notify\"".to_owned());
        }
        let Some(event) = obj.get("event").and_then(Value::as_str) else {
            out.push("event field missing".to_owned());
            return out;
        };
        let Some(kind) = EventKind::parse(event) else {
            out.push(format!("unknown event {event:?}"));
            return out;
        };
        if kind.family() != crate::families::EventFamily::Conversation {
            // Agent and queue events: checked by their own rules (not yet).
            return out;
        }
        let Some(id) = obj
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| is_hex32(s))
        else {
            out.push(format!("{event}: id missing or not 32 lowercase hex"));
            return out;
        };
        let id = id.to_owned();
        let rules = self.rules;
        let track = self.convs.entry(id.clone()).or_insert(ConvTrack {
            phase: Phase::BeforeBegin,
            kind: None,
            begins: 0,
            ends: 0,
            parts: 0,
            seen: Vec::new(),
        });
        let dedup_key = match webhook_id {
            Some(id) => Some(id.as_bytes()),
            None if kind == EventKind::ConversationPartsChanged => None,
            None => Some(body),
        };
        if rules.allow_duplicates
            && let Some(key) = dedup_key
        {
            let mut h = std::hash::DefaultHasher::new();
            std::hash::Hasher::write(&mut h, key);
            let hash = std::hash::Hasher::finish(&h);
            if track.seen.contains(&hash) {
                self.summary.duplicates += 1;
                return out;
            }
            track.seen.push(hash);
        }
        check_fields(kind, obj, &mut out);
        let ctx = |msg: &str| format!("{event} {id}: {msg}");
        if rules.ordered && track.phase == Phase::Ended {
            out.push(ctx("event after end"));
        }
        let this_type = obj.get("type").and_then(Value::as_str).map(str::to_owned);
        match kind {
            EventKind::ConversationBegin => {
                if track.begins > 0 || (rules.ordered && track.phase != Phase::BeforeBegin) {
                    out.push(ctx("second begin"));
                }
                if track.kind.is_some() && this_type != track.kind {
                    out.push(ctx("begin type differs from end type"));
                }
                track.begins += 1;
                if track.phase == Phase::BeforeBegin {
                    track.phase = Phase::Begun;
                }
                track.kind = this_type;
            }
            EventKind::ConversationEnd => {
                if rules.ordered && track.phase == Phase::BeforeBegin {
                    out.push(ctx("end without begin"));
                }
                if track.ends > 0 && !(rules.ordered && track.phase == Phase::Ended) {
                    out.push(ctx("second end"));
                }
                if track.kind.is_some() && this_type != track.kind {
                    out.push(ctx("end type differs from begin type"));
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
        out.into_iter()
            .map(|m| {
                if m.starts_with(event) {
                    m
                } else {
                    format!("{event} {id}: {m}")
                }
            })
            .collect()
    }
}

/// Field rules of the default (`documented`) profile: the fields each event may carry,
/// those its conversation type requires or forbids, and no empty ones.
fn check_fields(kind: EventKind, obj: &Map<String, Value>, out: &mut Vec<String>) {
    let allowed: &[&str] = match kind {
        EventKind::ConversationBegin => &[
            "action",
            "event",
            "id",
            "subaccount_id",
            "type",
            "queue_id",
            "agent_call_id",
            "user_data",
        ],
        EventKind::ConversationPartsChanged => &["action", "event", "id", "user_data"],
        EventKind::ConversationEnd => &[
            "action",
            "event",
            "id",
            "subaccount_id",
            "type",
            "begin_time",
            "end_time",
            "record_file",
            "queue_id",
            "end_reason",
            "agent_call_id",
            "user_data",
        ],
        _ => &[],
    };
    for (k, v) in obj {
        if !allowed.contains(&k.as_str()) {
            out.push(format!("unexpected field {k:?}"));
        }
        if v.as_str().is_some_and(|s| s.trim().is_empty()) || v.is_null() {
            out.push(format!("empty field {k:?} should be omitted"));
        }
    }
    if kind == EventKind::ConversationPartsChanged {
        return;
    }
    let conv_type = match obj
        .get("type")
        .and_then(Value::as_str)
        .and_then(ConvType::parse)
    {
        Some(t) => t,
        None => {
            out.push("type missing or not queue/call_out/call_agent".to_owned());
            return;
        }
    };
    let hex_field = |name: &str, out: &mut Vec<String>, required: bool| match obj.get(name) {
        Some(Value::String(s)) if is_hex32(s) => {}
        Some(_) => out.push(format!("{name} is not 32 lowercase hex")),
        None if required => out.push(format!("{name} missing")),
        None => {}
    };
    let forbid = |name: &str, out: &mut Vec<String>| {
        if obj.contains_key(name) {
            out.push(format!("{name} present for type {conv_type}"));
        }
    };
    if conv_type == ConvType::Queue {
        hex_field("queue_id", out, true);
    } else {
        forbid("queue_id", out);
    }
    match kind {
        EventKind::ConversationBegin => {
            if conv_type == ConvType::Queue {
                forbid("agent_call_id", out);
            } else {
                hex_field("agent_call_id", out, true);
            }
        }
        EventKind::ConversationEnd => {
            if conv_type == ConvType::CallOut {
                hex_field("agent_call_id", out, true);
            } else {
                forbid("agent_call_id", out);
            }
            hex_field("record_file", out, true);
            if !obj.get("end_reason").is_some_and(Value::is_string) {
                out.push("end_reason missing".to_owned());
            }
            let time = |name: &str| obj.get(name).and_then(Value::as_i64);
            match (time("begin_time"), time("end_time")) {
                (Some(b), Some(e)) if e < b => out.push("end_time before begin_time".to_owned()),
                (Some(b), Some(_)) if b < 1_000_000_000_000 => {
                    out.push("begin_time is not epoch milliseconds".to_owned())
                }
                (Some(_), Some(_)) => {}
                _ => out
                    .push("begin_time and end_time must be integer epoch milliseconds".to_owned()),
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const ID: &str = "0123456789abcdef0123456789abcdef";
    const Q: &str = "fedcba9876543210fedcba9876543210";

    fn feed(c: &mut ContractChecker, v: Value) {
        c.check(v.to_string().as_bytes());
    }

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

    #[test]
    fn a_well_formed_conversation_holds_the_contract() {
        let mut c = ContractChecker::new();
        for v in [parts(), parts(), begin(), parts(), end()] {
            feed(&mut c, v);
        }
        let s = c.summary(true);
        assert!(s.held(), "{:?}", s.examples);
        assert_eq!((s.events, s.conversations), (5, 1));
    }

    #[test]
    fn an_event_refused_on_purpose_may_be_given_up_or_retried() {
        let bytes = |v: Value| serde_json::to_vec(&v).unwrap();
        // Given up: the sender moves on to `end` after four refusals of `begin`.
        let mut c = ContractChecker::new();
        feed(&mut c, parts());
        for _ in 0..4 {
            c.refused(&bytes(begin()), None);
        }
        feed(&mut c, end());
        let s = c.summary(true);
        assert!(s.held(), "{:?}", s.examples);
        assert_eq!(s.events, 2, "refusals are not receptions");
        // Retried: the accepted retry is the same event, not a second begin.
        let mut c = ContractChecker::new();
        feed(&mut c, parts());
        c.refused(&bytes(begin()), None);
        feed(&mut c, begin());
        feed(&mut c, end());
        let s = c.summary(true);
        assert!(s.held(), "{:?}", s.examples);
    }

    #[test]
    fn out_of_order_and_duplicate_events_are_violations() {
        let mut c = ContractChecker::new();
        feed(&mut c, end());
        feed(&mut c, begin());
        let s = c.summary(false);
        assert!(
            s.examples.iter().any(|e| e.contains("end without begin")),
            "{:?}",
            s.examples
        );
        assert!(
            s.examples.iter().any(|e| e.contains("event after end")),
            "{:?}",
            s.examples
        );
    }

    #[test]
    fn a_begin_without_end_is_unterminated_only_for_a_complete_run() {
        let mut c = ContractChecker::new();
        feed(&mut c, begin());
        assert!(c.summary(false).held());
        assert_eq!(c.summary(true).unterminated, 1);
    }

    #[test]
    fn field_rules_catch_missing_extra_and_empty_fields() {
        let mut c = ContractChecker::new();
        let mut b = begin();
        b["agent_call_id"] = json!(Q);
        b["user_data"] = json!("");
        b["extra"] = json!(1);
        feed(&mut c, b);
        let mut e = end();
        e.as_object_mut().expect("object").remove("record_file");
        feed(&mut c, e);
        let text = c.summary(false).examples.join("\n");
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
    fn order_free_rules_accept_reordered_events_but_not_a_second_begin_or_end() {
        let rules = ContractRules {
            ordered: false,
            allow_duplicates: false,
        };
        let mut c = ContractChecker::with_rules(rules);
        for v in [end(), parts(), begin()] {
            feed(&mut c, v);
        }
        let s = c.summary(true);
        assert!(s.held(), "{:?}", s.examples);
        feed(&mut c, begin());
        feed(&mut c, end());
        let s = c.summary(true);
        assert_eq!(s.violations, 2, "{:?}", s.examples);
        let mut c = ContractChecker::with_rules(rules);
        feed(&mut c, end());
        assert_eq!(c.summary(true).unterminated, 1, "an end without begin");
    }

    #[test]
    fn identical_repeats_are_duplicates_only_when_allowed() {
        let lenient = ContractRules {
            ordered: true,
            allow_duplicates: true,
        };
        let mut c = ContractChecker::with_rules(lenient);
        for v in [begin(), begin(), parts(), parts(), end(), end()] {
            feed(&mut c, v);
        }
        let s = c.summary(true);
        assert!(s.held(), "{:?}", s.examples);
        assert_eq!(
            (s.events, s.duplicates),
            (6, 2),
            "parts_changed bodies may repeat"
        );
        let mut by_id = ContractChecker::with_rules(lenient);
        by_id.check_event(parts().to_string().as_bytes(), Some("msg_1"));
        by_id.check_event(parts().to_string().as_bytes(), Some("msg_1"));
        by_id.check_event(parts().to_string().as_bytes(), Some("msg_2"));
        assert_eq!(by_id.summary(false).duplicates, 1);
        let mut strict = ContractChecker::new();
        feed(&mut strict, begin());
        feed(&mut strict, begin());
        assert_eq!(strict.summary(false).violations, 1);
    }

    #[test]
    fn bad_signatures_break_the_contract() {
        let mut c = ContractChecker::new();
        c.bad_signature("bad signature".into());
        let s = c.summary(false);
        assert!(!s.held());
        assert_eq!(s.bad_signatures, 1);
    }

    #[test]
    fn garbage_bodies_are_reported_not_panicked_on() {
        let mut c = ContractChecker::new();
        c.check(b"not json");
        c.check(b"[1,2]");
        feed(
            &mut c,
            json!({"action":"event_notify","event":"callcenter.nope","id":ID}),
        );
        assert_eq!(c.summary(false).violations, 3);
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
        let mut c = ContractChecker::new();
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
        let mut c = ContractChecker::new();
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
        let mut c = ContractChecker::new();
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
        let mut c = ContractChecker::with_rules(ContractRules {
            ordered: false,
            allow_duplicates: true,
        });
        let ahead = record(&[("t1", None), ("t2", None)], true, true, true);
        assert!(read_on(&mut c, parts(), ahead).is_empty());
    }
}
