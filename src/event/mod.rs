//! Webhook events: their kinds, and the builder that turns the engine's happenings into
//! serialized payloads as the fidelity profile says. Empty fields are omitted; times are epoch
//! milliseconds. Which events each conversation path sends is in `docs/lifecycles.md`.

pub mod charset;
mod java_order;
mod json;
use json::key;
pub mod profile;

use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;

use crate::agent::{AgentHappening, AgentHappeningKind, AgentInfo, AgentState};
use crate::conversation::{ConvInfo, ConvType, EndReason, Happening, HappeningKind};
use crate::families::{EventFamilies, EventFamily};
use crate::ids::{CallId, ConversationId, Hex32, QueueId};
use crate::occurrence::Occurrence;
use crate::queue_task::{FailCause, QueueHappening, QueueStep, QueueType};
use crate::time::SimTime;
use profile::{AgentCallSource, BeginTimeSource, KeyOrder, Profile};

/// The kinds of webhook events ccsim sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    /// `callcenter.conversation.begin`
    ConversationBegin,
    /// `callcenter.conversation.parts_changed`
    ConversationPartsChanged,
    /// `callcenter.conversation.end`
    ConversationEnd,
    /// `callcenter.agent.state_changed`
    AgentStateChanged,
    /// `callcenter.agent.conversation_changed`
    AgentConversationChanged,
    /// `callcenter.queue.select`
    QueueSelect,
    /// `callcenter.queue.success`
    QueueSuccess,
    /// `callcenter.queue.fail`
    QueueFail,
}

impl EventKind {
    /// Every kind.
    pub const ALL: [EventKind; 8] = [
        EventKind::ConversationBegin,
        EventKind::ConversationPartsChanged,
        EventKind::ConversationEnd,
        EventKind::AgentStateChanged,
        EventKind::AgentConversationChanged,
        EventKind::QueueSelect,
        EventKind::QueueSuccess,
        EventKind::QueueFail,
    ];

    /// The `event` field value.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::ConversationBegin => "callcenter.conversation.begin",
            EventKind::ConversationPartsChanged => "callcenter.conversation.parts_changed",
            EventKind::ConversationEnd => "callcenter.conversation.end",
            EventKind::AgentStateChanged => "callcenter.agent.state_changed",
            EventKind::AgentConversationChanged => "callcenter.agent.conversation_changed",
            EventKind::QueueSelect => "callcenter.queue.select",
            EventKind::QueueSuccess => "callcenter.queue.success",
            EventKind::QueueFail => "callcenter.queue.fail",
        }
    }

    /// The family the kind belongs to.
    pub fn family(self) -> EventFamily {
        match self {
            EventKind::ConversationBegin
            | EventKind::ConversationPartsChanged
            | EventKind::ConversationEnd => EventFamily::Conversation,
            EventKind::AgentStateChanged | EventKind::AgentConversationChanged => {
                EventFamily::Agent
            }
            EventKind::QueueSelect | EventKind::QueueSuccess | EventKind::QueueFail => {
                EventFamily::Queue
            }
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

/// What an event is about: the conversation, the queue task or the agent it announces a
/// change of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A conversation event's conversation.
    Conversation(ConversationId),
    /// A queue event's task, and the conversation it is for (which may never have been
    /// created).
    Queue(Box<(QueueId, ConversationId)>),
    /// An agent event's agent.
    Agent(Arc<AgentInfo>),
}

impl Subject {
    /// The subject's id: the conversation's, the queue task's, or the agent's extension's.
    pub fn id(&self) -> &Hex32 {
        match self {
            Subject::Conversation(id) => &id.0,
            Subject::Queue(ids) => &ids.0.0,
            Subject::Agent(agent) => &agent.extension_id.0,
        }
    }
}

impl Webhook {
    /// The conversation the event is about: a conversation event's, or the one a queue
    /// event's task is for.
    pub fn conversation_id(&self) -> Option<&ConversationId> {
        match &self.subject {
            Subject::Conversation(id) => Some(id),
            Subject::Queue(ids) => Some(&ids.1),
            Subject::Agent(_) => None,
        }
    }
}

/// A subject's ids as the events log and the control journal write them: a conversation
/// event names its conversation, a queue event its task and conversation, an agent event its
/// agent and extension.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SubjectIds<'a> {
    /// The conversation (conversation and queue events).
    pub conversation_id: Option<&'a str>,
    /// The queue task (queue events).
    pub queue_id: Option<&'a str>,
    /// The agent's name (agent events).
    pub agent: Option<&'a str>,
    /// The agent's extension (agent events).
    pub extension_id: Option<&'a str>,
}

impl Subject {
    /// The subject's ids, as the events log and the control journal write them.
    pub fn ids(&self) -> SubjectIds<'_> {
        match self {
            Subject::Conversation(id) => SubjectIds {
                conversation_id: Some(id.as_str()),
                ..SubjectIds::default()
            },
            Subject::Queue(ids) => SubjectIds {
                queue_id: Some(ids.0.as_str()),
                conversation_id: Some(ids.1.as_str()),
                ..SubjectIds::default()
            },
            Subject::Agent(a) => SubjectIds {
                agent: Some(&a.name),
                extension_id: Some(a.extension_id.as_str()),
                ..SubjectIds::default()
            },
        }
    }
}

/// The delivery lane of agent number `number`: agent lanes have the top bit set, so they
/// never meet a conversation's lane (the engine's dense conversation keys).
pub fn agent_lane(number: usize) -> u64 {
    (1 << 63) | number as u64
}

/// One webhook ready to send: its body is serialized once and reused by every attempt.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// The event kind.
    pub kind: EventKind,
    /// Its ordering lane: the conversation's engine key (conversation and queue events) or
    /// [`agent_lane`] (agent events). Events of one lane are delivered in order under
    /// `--ordering per-conversation`.
    pub lane: u64,
    /// What it is about.
    pub subject: Subject,
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
    fn to_json(&self, order: KeyOrder) -> Bytes {
        use json::Value::{Int, Plain, Text};
        let name = |s: &'static str| Plain(s.as_bytes());
        fn hex(id: &Hex32) -> json::Value<'_> {
            Plain(id.as_bytes())
        }
        json::object(
            &[
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
            ],
            order,
        )
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
    families: EventFamilies,
}

impl EventBuilder {
    /// A builder for `profile`, of the conversation events only.
    pub fn new(profile: Profile) -> Self {
        Self {
            profile,
            families: EventFamilies::default(),
        }
    }

    /// The builder, building the events of `families` (the others are left out).
    pub fn with_families(mut self, families: EventFamilies) -> Self {
        self.families = families;
        self
    }

    /// The profile in use.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The families built.
    pub fn families(&self) -> EventFamilies {
        self.families
    }

    /// `body` in the profile's charset (the signature, made later, covers these bytes).
    fn encode(&self, body: Bytes) -> Bytes {
        charset::encode(body, self.profile.body_charset)
    }

    /// Appends the webhooks that announce `o` (none, one or more) to `out`, if its family
    /// is built.
    pub fn build(&self, o: &Occurrence, out: &mut Vec<Webhook>) {
        match o {
            Occurrence::Conversation(h) if self.families.has(EventFamily::Conversation) => {
                self.build_conversation(h, out);
            }
            Occurrence::Agent(h) if self.families.has(EventFamily::Agent) => {
                self.build_agent(h, out);
            }
            Occurrence::Queue(h) if self.families.has(EventFamily::Queue) => {
                self.build_queue(h, out);
            }
            _ => {}
        }
    }

    /// Appends the webhooks that announce conversation happening `h` to `out`.
    pub fn build_conversation(&self, h: &Happening, out: &mut Vec<Webhook>) {
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
            lane: conv.key,
            subject: Subject::Conversation(conv.id),
            body: self.encode(payload.to_json(p.key_order)),
        });
    }

    /// Appends the webhook that announces agent happening `h` to `out`.
    pub fn build_agent(&self, h: &AgentHappening, out: &mut Vec<Webhook>) {
        let p = &self.profile;
        if let AgentHappeningKind::StateChanged { previous, latest } = &h.kind
            && *previous == AgentState::Busy
            && *latest == AgentState::Idle
            && !p.wrap_up_end_announced
        {
            // The application ends after-call work through the state API: no event.
            return;
        }
        let mut payload = AgentPayload {
            event: "",
            name: &h.agent.name,
            subaccount_id: non_empty(h.subaccount_id.as_deref()),
            previous_state: None,
            latest_state: None,
            kind: None,
            conversation_id: None,
            current_time: h.at.epoch_ms(),
            user_data: non_empty(h.user_data.as_deref()),
        };
        let kind = match &h.kind {
            AgentHappeningKind::StateChanged { previous, latest } => {
                payload.previous_state = Some(previous.as_str());
                payload.latest_state = Some(latest.as_str());
                EventKind::AgentStateChanged
            }
            AgentHappeningKind::ConversationChanged {
                presence,
                conversation_id,
                latest_state,
            } => {
                payload.kind = Some(presence.as_str());
                payload.conversation_id = Some(&conversation_id.0);
                if p.conversation_changed_latest_state {
                    payload.latest_state = Some(latest_state.as_str());
                }
                EventKind::AgentConversationChanged
            }
        };
        payload.event = kind.name();
        out.push(Webhook {
            kind,
            lane: agent_lane(h.agent.number),
            subject: Subject::Agent(h.agent.clone()),
            body: self.encode(payload.to_json(p.key_order)),
        });
    }

    /// Appends the webhook that announces queue happening `h` to `out`.
    pub fn build_queue(&self, h: &QueueHappening, out: &mut Vec<Webhook>) {
        let p = &self.profile;
        let (kind, cause) = match h.step {
            QueueStep::Select => (EventKind::QueueSelect, None),
            QueueStep::Success => (EventKind::QueueSuccess, None),
            // On the platform the agent's call, dropped while it rang, completes its dial in
            // error: that, not the caller's hang-up, is what fails the task.
            QueueStep::Fail(FailCause::Hangup)
                if h.agent_ringing && p.ringing_hangup_is_call_fail =>
            {
                (EventKind::QueueFail, Some(FailCause::CallFail))
            }
            QueueStep::Fail(cause) => (EventKind::QueueFail, Some(cause)),
        };
        let api_queue = h.kind != QueueType::Ivr;
        let origin = (!api_queue || p.api_queue_origin_call).then_some(&h.origin_call_id.0);
        let condition = match h.kind {
            QueueType::CallAgent if !p.call_agent_condition => None,
            _ => non_empty(h.condition_id.as_deref()),
        };
        // The platform reports a hang-up with a null agent call: no agent fields then.
        let agent = h
            .agent
            .as_ref()
            .filter(|_| p.hangup_agent_fields || cause != Some(FailCause::Hangup));
        let payload = QueuePayload {
            event: kind.name(),
            id: &h.id.0,
            subaccount_id: non_empty(h.subaccount_id.as_deref()),
            kind: h.kind.as_str(),
            condition_id: condition,
            agent_name: agent.and_then(|a| non_empty(Some(&a.name))),
            cause: cause.map(|c| c.as_str()),
            origin_call_id: origin,
            agent_extension_id: agent.map(|a| &a.extension_id.0),
            agent_call_id: agent.map(|a| &a.call_id.0),
            user_data: non_empty(h.user_data.as_deref()),
        };
        out.push(Webhook {
            kind,
            lane: h.conv_key,
            subject: Subject::Queue(Box::new((h.id, h.conversation_id))),
            body: self.encode(payload.to_json(p.key_order)),
        });
    }
}

/// The body of the two agent events; `None` fields are omitted. Keys are written in the
/// order of the fields below, the order of the platform's documented payloads.
struct AgentPayload<'a> {
    event: &'static str,
    name: &'a str,
    subaccount_id: Option<&'a str>,
    previous_state: Option<&'a str>,
    latest_state: Option<&'a str>,
    kind: Option<&'static str>,
    conversation_id: Option<&'a Hex32>,
    current_time: i64,
    user_data: Option<&'a str>,
}

impl AgentPayload<'_> {
    fn to_json(&self, order: KeyOrder) -> Bytes {
        use json::Value::{Int, Plain, Text};
        let name = |s: &'static str| Plain(s.as_bytes());
        json::object(
            &[
                (key!("action"), Some(name("event_notify"))),
                (key!("event"), Some(name(self.event))),
                (key!("name"), Some(Text(self.name))),
                (key!("subaccount_id"), self.subaccount_id.map(Text)),
                (key!("type"), self.kind.map(name)),
                (
                    key!("conversation_id"),
                    self.conversation_id.map(|id| Plain(id.as_bytes())),
                ),
                (key!("previous_state"), self.previous_state.map(Text)),
                (key!("latest_state"), self.latest_state.map(Text)),
                (key!("current_time"), Some(Int(self.current_time))),
                (key!("user_data"), self.user_data.map(Text)),
            ],
            order,
        )
    }
}

/// The body of the three queue events; `None` fields are omitted. Keys are written in the
/// order of the fields below, the order of the platform's documented payloads.
struct QueuePayload<'a> {
    event: &'static str,
    id: &'a Hex32,
    subaccount_id: Option<&'a str>,
    kind: &'static str,
    condition_id: Option<&'a str>,
    agent_name: Option<&'a str>,
    cause: Option<&'static str>,
    origin_call_id: Option<&'a Hex32>,
    agent_extension_id: Option<&'a Hex32>,
    agent_call_id: Option<&'a Hex32>,
    user_data: Option<&'a str>,
}

impl QueuePayload<'_> {
    fn to_json(&self, order: KeyOrder) -> Bytes {
        use json::Value::{Plain, Text};
        let name = |s: &'static str| Plain(s.as_bytes());
        fn hex(id: &Hex32) -> json::Value<'_> {
            Plain(id.as_bytes())
        }
        json::object(
            &[
                (key!("action"), Some(name("event_notify"))),
                (key!("event"), Some(name(self.event))),
                (key!("id"), Some(hex(self.id))),
                (key!("subaccount_id"), self.subaccount_id.map(Text)),
                (key!("type"), Some(name(self.kind))),
                (key!("condition_id"), self.condition_id.map(Text)),
                (key!("agent_name"), self.agent_name.map(Text)),
                (key!("cause"), self.cause.map(name)),
                (key!("origin_call_id"), self.origin_call_id.map(hex)),
                (key!("agent_extension_id"), self.agent_extension_id.map(hex)),
                (key!("agent_call_id"), self.agent_call_id.map(hex)),
                (key!("user_data"), self.user_data.map(Text)),
            ],
            order,
        )
    }
}

#[cfg(test)]
mod profile_tests;
#[cfg(test)]
mod tests;
