//! Scripted conversations as the engine sees them: a conversation type, fixed facts (ids,
//! numbers, user data) and a timeline of steps at absolute simulated times. Built by
//! `scenario` from files; the engine runs each step through the same lifecycle code as
//! generated conversations and reports a [`ScriptError`] for any step the platform could not
//! produce.

use std::fmt;
use std::sync::Arc;

use crate::agent::AgentState;
use crate::conversation::ConvType;
use crate::ids::{CallId, ConversationId, QueueId, RecordFileId};
use crate::time::SimTime;
use crate::units::Span;

/// One scripted conversation.
#[derive(Debug, Clone)]
pub struct ScriptedConversation {
    /// How errors name it (`conversations[2]`, with the file when several are merged).
    pub label: Arc<str>,
    /// Its type.
    pub kind: ConvType,
    /// A fixed conversation id (random otherwise).
    pub id: Option<ConversationId>,
    /// A fixed queue task id (`queue` and `call_agent`).
    pub queue_id: Option<QueueId>,
    /// A fixed recording file id.
    pub record_file: Option<RecordFileId>,
    /// Sub-account of this conversation (the run's otherwise).
    pub subaccount_id: Option<Arc<str>>,
    /// The conversation's user data.
    pub user_data: Option<Arc<str>>,
    /// The customer's number (`queue`; random otherwise).
    pub customer: Option<Arc<str>>,
    /// The initiating agent (`call_out`, `call_agent`).
    pub agent: Option<Arc<str>>,
    /// The external number called (`call_out`; random otherwise).
    pub callee: Option<Arc<str>>,
    /// A fixed call id for the callee's leg (`call_out`).
    pub callee_call_id: Option<CallId>,
    /// Overrides the `end_reason` the engine would give.
    pub end_reason: Option<Arc<str>>,
    /// The ACD condition the call is queued on (`queue`: the IVR's `<enqueue>`), carried
    /// by its queue events.
    pub condition_id: Option<Arc<str>>,
    /// The state its agents take when their call is released (the enqueue's
    /// `reserve_state`), and for how long before they are idle again (`None`: until the
    /// end of the run). `None`: the run's after-call work, as for generated calls.
    pub reserve_state: Option<(AgentState, Option<Span>)>,
    /// The timeline, in time order.
    pub steps: Vec<ScriptStep>,
    /// Pinned times (`exact_times = true`): every member joins at its step's own instant.
    /// Otherwise the platform's delays apply to what the timeline leaves unsaid: the
    /// initiator enters the conference 100–400 ms after it is created, and a party offered
    /// the call without a `ring` step of its own rings (enters) 0.5–2 s after it is offered
    /// (an external number: 2–6 s), or at its `answer`/`no_answer` if that comes sooner.
    pub exact: bool,
}

/// One step of a timeline.
#[derive(Debug, Clone)]
pub struct ScriptStep {
    /// When it happens.
    pub at: SimTime,
    /// What happens.
    pub action: ScriptAction,
    /// A fixed id for the call this step creates (enqueue, dial, select, invite).
    pub call_id: Option<CallId>,
}

/// What a step does.
#[derive(Debug, Clone, PartialEq)]
pub enum ScriptAction {
    /// `queue`: the customer's call is queued by the IVR (the first step).
    Enqueue,
    /// `call_out`/`call_agent`: the initiating agent's leg is dialled (the first step).
    Dial,
    /// The ACD selects this agent for the waiting call.
    Select(Arc<str>),
    /// `invite_agent`: this agent is called into the conversation.
    InviteAgent(Arc<str>),
    /// `invite_out`: this external number is called into the conversation.
    InviteOut(Arc<str>),
    /// The party's phone rings (invited parties enter the conference while ringing).
    Ring(PartyRef),
    /// The party answers.
    Answer(PartyRef),
    /// The party does not answer (the platform gives up ringing).
    NoAnswer(PartyRef),
    /// The party hangs up.
    Hangup(PartyRef),
    /// The agent leaves (agent `exit`); the conversation goes on with two or more members.
    Leave(PartyRef),
    /// The queue times out while the call waits for an agent.
    Timeout,
    /// The conversation is dismissed through the API.
    Dismiss,
    /// The conference reaches its maximum duration.
    MaxDuration,
}

/// Who a step is about.
#[derive(Debug, Clone, PartialEq)]
pub enum PartyRef {
    /// The queued customer.
    Customer,
    /// The external callee of a `call_out`.
    Callee,
    /// The agent with this name.
    Agent(Arc<str>),
    /// The invited external number.
    Number(Arc<str>),
}

impl fmt::Display for PartyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartyRef::Customer => f.write_str("the customer"),
            PartyRef::Callee => f.write_str("the callee"),
            PartyRef::Agent(a) => write!(f, "agent {a:?}"),
            PartyRef::Number(n) => write!(f, "number {n:?}"),
        }
    }
}

impl ScriptedConversation {
    /// Every agent name the conversation mentions.
    pub(super) fn agent_names(&self) -> impl Iterator<Item = &str> {
        let steps = self.steps.iter().filter_map(|s| match &s.action {
            ScriptAction::Select(a) | ScriptAction::InviteAgent(a) => Some(&**a),
            ScriptAction::Ring(PartyRef::Agent(a))
            | ScriptAction::Answer(PartyRef::Agent(a))
            | ScriptAction::NoAnswer(PartyRef::Agent(a))
            | ScriptAction::Hangup(PartyRef::Agent(a))
            | ScriptAction::Leave(PartyRef::Agent(a)) => Some(&**a),
            _ => None,
        });
        self.agent.as_deref().into_iter().chain(steps)
    }
}

impl PartyRef {
    /// How a timeline step names this party (`agent = "1001"`, `party = "customer"`).
    pub fn step_field(&self) -> String {
        match self {
            PartyRef::Customer => "party = \"customer\"".to_owned(),
            PartyRef::Callee => "party = \"callee\"".to_owned(),
            PartyRef::Agent(a) => format!("agent = {a:?}"),
            PartyRef::Number(n) => format!("number = {n:?}"),
        }
    }
}

impl ScriptAction {
    /// The step's name in scenario files.
    pub(super) fn name(&self) -> &'static str {
        match self {
            ScriptAction::Enqueue => "enqueue",
            ScriptAction::Dial => "dial",
            ScriptAction::Select(_) => "select",
            ScriptAction::InviteAgent(_) => "invite_agent",
            ScriptAction::InviteOut(_) => "invite_out",
            ScriptAction::Ring(_) => "ring",
            ScriptAction::Answer(_) => "answer",
            ScriptAction::NoAnswer(_) => "no_answer",
            ScriptAction::Hangup(_) => "hangup",
            ScriptAction::Leave(_) => "leave",
            ScriptAction::Timeout => "timeout",
            ScriptAction::Dismiss => "dismiss",
            ScriptAction::MaxDuration => "max_duration",
        }
    }
}

/// A step the platform could not produce, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptError {
    /// Index of the conversation in the plan's scripted list.
    pub conversation: usize,
    /// Index of the step in its timeline.
    pub step: usize,
    /// Why (lowercase, names the step).
    pub message: String,
}

/// A scripted conversation that nothing in its timeline ends: the platform releases it at
/// its maximum duration (6 hours after it was created).
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptCapped {
    /// Index of the conversation in the plan's scripted list.
    pub conversation: usize,
    /// Who was still in it when the cap released it (`agent "agent-001"`, `the customer`…).
    pub still_in: Vec<PartyRef>,
}

/// What running the timelines alone found: steps the platform could not produce, and
/// conversations only the 6-hour cap ends.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScriptCheck {
    /// Steps the platform could not produce.
    pub errors: Vec<ScriptError>,
    /// Conversations ended by the cap rather than by a step.
    pub capped: Vec<ScriptCapped>,
}
