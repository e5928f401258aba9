//! Webhook events: their kinds, and the builder that turns the engine's happenings into
//! serialized payloads as the fidelity profile says. Empty fields are omitted; times are epoch
//! milliseconds. Which events each conversation path sends is in `docs/lifecycles.md`.

mod json;
use json::key;
pub mod profile;

use bytes::Bytes;
use serde::Serialize;

use crate::conversation::{ConvInfo, ConvType, EndReason, Happening, HappeningKind};
use crate::ids::{CallId, ConversationId, Hex32, QueueId};
use crate::time::SimTime;
use profile::{AgentCallSource, BeginTimeSource, Profile};

/// The kinds of webhook events ccsim sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    /// `callcenter.conversation.begin`
    ConversationBegin,
    /// `callcenter.conversation.parts_changed`
    ConversationPartsChanged,
    /// `callcenter.conversation.end`
    ConversationEnd,
}

impl EventKind {
    /// Every kind.
    pub const ALL: [EventKind; 3] = [
        EventKind::ConversationBegin,
        EventKind::ConversationPartsChanged,
        EventKind::ConversationEnd,
    ];

    /// The `event` field value.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::ConversationBegin => "callcenter.conversation.begin",
            EventKind::ConversationPartsChanged => "callcenter.conversation.parts_changed",
            EventKind::ConversationEnd => "callcenter.conversation.end",
        }
    }

    /// Parses an `event` field value.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == s)
    }
}

impl Serialize for EventKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// One webhook ready to send: its body is serialized once and reused by every attempt.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// The event kind.
    pub kind: EventKind,
    /// The conversation's engine key (per-conversation ordering).
    pub conv_key: u64,
    /// The conversation id.
    pub conversation_id: ConversationId,
    /// The JSON body.
    pub body: Bytes,
}

/// The body of the three conversation events; `None` fields are omitted. Keys are written
/// in the order of the fields below, the order of the platform's documented payloads.
struct ConversationPayload<'a> {
    action: &'static str,
    event: &'static str,
    id: &'a Hex32,
    subaccount_id: Option<&'a str>,
    kind: Option<&'static str>,
    begin_time: Option<i64>,
    end_time: Option<i64>,
    record_file: Option<&'a Hex32>,
    queue_id: Option<&'a Hex32>,
    end_reason: Option<&'a str>,
    agent_call_id: Option<&'a Hex32>,
    user_data: Option<&'a str>,
}

impl ConversationPayload<'_> {
    /// The JSON body: the same bytes serde_json would produce for the struct with `None`
    /// fields skipped. Ids and fixed names need no escaping; scenario-given strings might.
    fn to_json(&self) -> Bytes {
        use json::Value::{Int, Plain, Text};
        let name = |s: &'static str| Plain(s.as_bytes());
        fn hex(id: &Hex32) -> json::Value<'_> {
            Plain(id.as_bytes())
        }
        json::object(&[
            (key!("action"), Some(name(self.action))),
            (key!("event"), Some(name(self.event))),
            (key!("id"), Some(hex(self.id))),
            (key!("subaccount_id"), self.subaccount_id.map(Text)),
            (key!("type"), self.kind.map(name)),
            (key!("begin_time"), self.begin_time.map(Int)),
            (key!("end_time"), self.end_time.map(Int)),
            (key!("record_file"), self.record_file.map(hex)),
            (key!("queue_id"), self.queue_id.map(hex)),
            (key!("end_reason"), self.end_reason.map(Text)),
            (key!("agent_call_id"), self.agent_call_id.map(hex)),
            (key!("user_data"), self.user_data.map(Text)),
        ])
    }
}

/// Drops values the platform would omit (`putIfNotEmpty`: null or blank).
fn non_empty(s: Option<&str>) -> Option<&str> {
    s.filter(|v| !v.trim().is_empty())
}

/// The queue id `begin` carries (and the record shows) for `conv` under `profile`.
pub fn begin_queue_id<'a>(profile: &Profile, conv: &'a ConvInfo) -> Option<&'a QueueId> {
    let with_queue = match conv.kind {
        ConvType::Queue => true,
        ConvType::CallAgent => profile.begin_queue_id_for_call_agent,
        ConvType::CallOut => false,
    };
    conv.queue_id.as_ref().filter(|_| with_queue)
}

/// The call `begin.agent_call_id` names (and the record shows) for `conv` under `profile`;
/// `answered_call` is the call whose answer began it, `None` before it began.
pub fn begin_agent_call<'a>(
    profile: &Profile,
    conv: &'a ConvInfo,
    answered_call: Option<&'a CallId>,
) -> Option<&'a CallId> {
    match (profile.begin_agent_call, conv.kind) {
        (AgentCallSource::Answerer, _) => answered_call,
        (AgentCallSource::Initiator, ConvType::Queue) => None,
        (AgentCallSource::Initiator, _) => Some(&conv.initiator_call),
    }
}

/// The `begin_time` that `end` carries (and the record shows) for `conv` under `profile`;
/// `started_at` is when it began, `None` before it began.
pub fn begin_time(
    profile: &Profile,
    conv: &ConvInfo,
    started_at: Option<SimTime>,
) -> Option<SimTime> {
    match profile.begin_time {
        BeginTimeSource::Start => started_at,
        BeginTimeSource::Creation => Some(conv.created_at),
    }
}

/// The `end_reason` that `end` carries (and the record shows) under `profile`.
pub fn end_reason<'a>(profile: &Profile, reason: &'a EndReason) -> Option<&'a str> {
    non_empty(Some(reason.as_str())).filter(|_| profile.end_full)
}

/// Turns happenings into webhooks according to a profile.
#[derive(Debug, Clone, Default)]
pub struct EventBuilder {
    profile: Profile,
}

impl EventBuilder {
    /// A builder for `profile`.
    pub fn new(profile: Profile) -> Self {
        Self { profile }
    }

    /// The profile in use.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// Appends the webhooks that announce `h` (none, one or more) to `out`.
    pub fn build(&self, h: &Happening, out: &mut Vec<Webhook>) {
        let conv = &*h.conv;
        let p = &self.profile;
        let mut payload = ConversationPayload {
            action: "event_notify",
            event: "",
            id: &conv.id.0,
            subaccount_id: non_empty(conv.subaccount_id.as_deref()),
            kind: Some(conv.kind.as_str()),
            begin_time: None,
            end_time: None,
            record_file: None,
            queue_id: None,
            end_reason: None,
            agent_call_id: None,
            user_data: non_empty(conv.user_data.as_deref()),
        };
        let kind = match &h.kind {
            HappeningKind::Created => return,
            HappeningKind::Left { .. } if !p.parts_changed_on_leave => return,
            HappeningKind::Joined(_) | HappeningKind::Left { .. } => {
                payload.kind = None;
                if !p.parts_changed_subaccount {
                    payload.subaccount_id = None;
                }
                EventKind::ConversationPartsChanged
            }
            HappeningKind::Started { answered_call } => {
                payload.queue_id = begin_queue_id(p, conv).map(|q| &q.0);
                payload.agent_call_id =
                    begin_agent_call(p, conv, Some(answered_call)).map(|c| &c.0);
                EventKind::ConversationBegin
            }
            HappeningKind::Released {
                started_at: None, ..
            } => return,
            HappeningKind::Released {
                reason,
                started_at: Some(started_at),
            } => {
                payload.begin_time = begin_time(p, conv, Some(*started_at)).map(SimTime::epoch_ms);
                payload.end_time = Some(h.at.epoch_ms());
                if p.end_full {
                    payload.record_file = Some(&conv.record_file.0);
                    payload.end_reason = end_reason(p, reason);
                    if conv.kind == ConvType::Queue {
                        payload.queue_id = conv.queue_id.as_ref().map(|q| &q.0);
                    }
                    // `end.agent_call_id` is documented as "如果交谈由坐席外呼产生，该属性坐席呼叫的ID"
                    // (the agent's call when an agent's outgoing call made the conversation):
                    // `call_out` only.
                    if conv.kind == ConvType::CallOut {
                        payload.agent_call_id = Some(&conv.initiator_call.0);
                    }
                }
                EventKind::ConversationEnd
            }
        };
        payload.event = kind.name();
        out.push(Webhook {
            kind,
            conv_key: conv.key,
            conversation_id: conv.id,
            body: payload.to_json(),
        });
    }
}

#[cfg(test)]
mod tests;
