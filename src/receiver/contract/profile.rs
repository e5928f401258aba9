//! What each fidelity profile lets a sender put in its events, as the contract checker
//! expects it: written down here, apart from the event builder's switches, so the checker
//! is an independent witness of what the builder sends (`docs/profiles.md` lists the
//! differences).

use crate::agent::AgentState;
use crate::event::profile::ProfileName;

/// The fail causes the platform documents; it sends only the first four.
const DOCUMENTED_CAUSES: &[&str] = &[
    "timeout",
    "hangup",
    "call_fail",
    "error",
    "cancel",
    "forward",
];
/// The fail causes the platform's code sends.
const SENT_CAUSES: &[&str] = &["timeout", "hangup", "call_fail", "error"];
/// The queue types the platform documents; `fwd_agent` and `xfer_agent` are never sent.
const DOCUMENTED_TYPES: &[&str] = &[
    "ivr",
    "call_agent",
    "invite_agent",
    "fwd_agent",
    "xfer_agent",
];
/// The queue types the platform's code sends.
const SENT_TYPES: &[&str] = &["ivr", "call_agent", "invite_agent"];

/// The contract's view of one profile.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ProfileRules {
    /// The profile.
    pub(super) name: ProfileName,
    /// `end` carries `record_file`, `end_reason`, `queue_id` (type `queue`) and
    /// `agent_call_id` (type `call_out`); without it, none of them.
    pub(super) end_full: bool,
    /// `parts_changed` announces leaves too, not only joins.
    pub(super) parts_changed_on_leave: bool,
    /// The record shows the conversation's creation time as its `begin_time`, before
    /// `begin`.
    pub(super) record_begin_time_at_creation: bool,
    /// `parts_changed` may carry `subaccount_id`.
    pub(super) parts_changed_subaccount: bool,
    /// `begin` carries `queue_id` for `call_agent` too, not only for `queue`.
    pub(super) begin_queue_id_for_call_agent: bool,
    /// `begin` carries `agent_call_id` for `queue` too (the answering agent's call).
    pub(super) begin_agent_call_for_queue: bool,
    /// `conversation_changed` carries `latest_state`; without it, it must not.
    pub(super) conversation_changed_latest_state: bool,
    /// Queue events of API-made tasks carry `origin_call_id`; without it, they must not.
    pub(super) api_queue_origin_call: bool,
    /// `call_agent` queue events may carry `condition_id`.
    pub(super) call_agent_condition: bool,
    /// A `fail` with cause `hangup` carries no agent fields.
    pub(super) hangup_without_agent: bool,
    /// A queue event may carry `agent_call_id` without `agent_name` and
    /// `agent_extension_id` (the agent call's state was gone when the event was built).
    pub(super) agent_call_alone: bool,
    /// The `cause` values of `queue.fail`.
    pub(super) causes: &'static [&'static str],
    /// The `type` values of queue events.
    pub(super) queue_types: &'static [&'static str],
    /// A state change an agent may go through without a `state_changed` (the application's
    /// own state API sends none): from the first state to the second.
    pub(super) silent_change: Option<(AgentState, AgentState)>,
    /// The sender keeps each lane's events in order by default (its delivery default).
    pub(super) ordered_by_default: bool,
    /// Bodies may come in ISO-8859-1 under the utf-8 header (the platform's
    /// `new StringEntity(json)`, `--legacy-charset`).
    pub(super) latin1_bodies: bool,
}

impl ProfileRules {
    /// The rules of profile `name`.
    pub(super) fn of(name: ProfileName) -> Self {
        match name {
            ProfileName::Documented => Self {
                name,
                end_full: true,
                parts_changed_on_leave: true,
                record_begin_time_at_creation: false,
                parts_changed_subaccount: false,
                begin_queue_id_for_call_agent: false,
                begin_agent_call_for_queue: false,
                conversation_changed_latest_state: false,
                api_queue_origin_call: false,
                call_agent_condition: true,
                hangup_without_agent: false,
                agent_call_alone: false,
                causes: DOCUMENTED_CAUSES,
                queue_types: DOCUMENTED_TYPES,
                silent_change: None,
                ordered_by_default: true,
                latin1_bodies: false,
            },
            ProfileName::Platform => Self {
                name,
                end_full: false,
                parts_changed_on_leave: false,
                record_begin_time_at_creation: true,
                parts_changed_subaccount: true,
                begin_queue_id_for_call_agent: true,
                begin_agent_call_for_queue: true,
                conversation_changed_latest_state: true,
                api_queue_origin_call: true,
                call_agent_condition: false,
                hangup_without_agent: true,
                agent_call_alone: true,
                causes: SENT_CAUSES,
                queue_types: SENT_TYPES,
                // After-call work ended through the state API.
                silent_change: Some((AgentState::Busy, AgentState::Idle)),
                ordered_by_default: false,
                latin1_bodies: true,
            },
        }
    }

    /// Why a field is refused by this profile: `in the platform profile`.
    pub(super) fn why(&self) -> &'static str {
        match self.name {
            ProfileName::Documented => "in the documented profile",
            ProfileName::Platform => "in the platform profile",
        }
    }
}

impl Default for ProfileRules {
    fn default() -> Self {
        Self::of(ProfileName::default())
    }
}
