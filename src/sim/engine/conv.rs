//! The engine's record of a live conversation: its parties and their roles, the behaviour
//! drawn for it at arrival, and where a scripted conversation is in its life. Data only, read
//! and changed by every part of the engine; a leaf that names no other part of it.

use std::sync::Arc;

use crate::agent::StateName;
use crate::conversation::{ConvInfo, ConvType, MemberInfo, Outcome};
use crate::ids::{CallId, ConversationId, QueueId, RecordFileId};
use crate::operation::Route;
use crate::queue_task::QueueType;
use crate::sim::agents::AgentIdx;
use crate::time::SimTime;
use crate::units::Span;

/// Where a scripted conversation is in its life.
#[derive(Debug, Clone, Copy)]
pub(super) enum ScriptSlot {
    /// Its first step has not happened yet.
    Pending,
    /// Live under this key.
    Live(u64),
    /// Over since this instant.
    Over(SimTime),
}

/// Who a party is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// The queued customer (`queue`); their IVR call is already answered.
    Customer,
    /// An agent of the pool.
    Agent(AgentIdx),
    /// An external number called out (`call_out` callee, scripted `invite_out`).
    External,
}

/// A queue task (排队任务): what the ACD works on to find an agent, announced by the queue
/// events. It selects an agent at most once, then succeeds or fails exactly once.
#[derive(Debug, Clone)]
pub(super) struct Task {
    /// The task id.
    pub(super) id: QueueId,
    /// What made it.
    pub(super) kind: QueueType,
    /// The call that queued (the customer's, agent A's, or a shadow call).
    pub(super) origin: CallId,
    /// The ACD condition it was queued on.
    pub(super) condition: Option<Arc<str>>,
}

/// The queue task of a caller who hung up before any agent was selected, still queued on
/// the platform, with what its events need once the conversation is gone.
#[derive(Debug)]
pub(super) struct Ghost {
    /// The task.
    pub(super) task: Task,
    /// The conversation it was for.
    pub(super) conversation_id: ConversationId,
    /// The caller's user data.
    pub(super) user_data: Option<Arc<str>>,
    /// The conversation's sub-account.
    pub(super) subaccount_id: Option<Arc<str>>,
}

/// One call of a conversation: the initiator is party 0, invited parties follow in the order
/// they were offered the call.
#[derive(Debug)]
pub(super) struct Party {
    /// The member record the happenings carry.
    pub(super) member: MemberInfo,
    /// Who it is.
    pub(super) role: Role,
    /// Whether it entered the conference.
    pub(super) joined: bool,
    /// Whether it left (hung up, rang too long, or was released).
    pub(super) left: bool,
    /// Whether the party's own leg is answered (the customer's IVR call always is).
    pub(super) answered: bool,
    /// The queue task that selected this agent, until it succeeds or fails.
    pub(super) task: Option<Task>,
    /// An agent dialled by `enter`: its phone does not enter the conference while ringing,
    /// it joins once it answers.
    pub(super) joins_on_answer: bool,
    /// When its phone stops ringing unanswered (`None`: not known, the platform's limit
    /// from now applies).
    pub(super) ring_deadline: Option<SimTime>,
    /// How long after answering an invited party hangs up by itself (`None`: it does not;
    /// the party whose answer begins the conversation ends it by [`Draws`] instead).
    pub(super) talk: Option<Span>,
    /// The state an agent selected by an operation's `<enqueue>` is left in (`reserve_state`,
    /// as the platform names it).
    pub(super) reserve: Option<StateName>,
}

impl Party {
    pub(super) fn new(member: MemberInfo, role: Role) -> Self {
        Self {
            member,
            role,
            joined: false,
            left: false,
            answered: role == Role::Customer,
            task: None,
            joins_on_answer: false,
            ring_deadline: None,
            talk: None,
            reserve: None,
        }
    }
}

/// Behaviour drawn once per conversation, so a conversation's course is fixed at arrival.
#[derive(Debug)]
pub(super) struct Draws {
    /// How long the caller (or `call_agent` agent A) waits for the ACD (`None`: forever).
    pub(super) patience: Option<Span>,
    /// Whether the initiating agent answers its own leg (`call_out`, `call_agent`).
    pub(super) initiator_answers: bool,
    /// How long the initiating agent's leg rings.
    pub(super) initiator_ring: Span,
    /// Whether the invited party (agent, or `call_out` callee) answers.
    pub(super) callee_answers: bool,
    /// How long the invited party's phone rings before an answer.
    pub(super) callee_ring: Span,
    /// Talk time from begin to hang-up.
    pub(super) talk: Span,
    /// Who ends the talk: `true` the customer (`queue`), the callee (`call_out`) or agent A
    /// (`call_agent`); `false` the other party.
    pub(super) customer_hangs_up: bool,
    /// Nobody hangs up by itself once it begins (an outside number that never hangs up):
    /// it ends when told, dismissed, or at its maximum length.
    pub(super) endless: bool,
}

impl Draws {
    /// Scripted conversations draw nothing: their timeline says what happens.
    pub(super) fn scripted() -> Self {
        Self {
            patience: None,
            initiator_answers: false,
            initiator_ring: Span::ZERO,
            callee_answers: false,
            callee_ring: Span::ZERO,
            talk: Span::ZERO,
            customer_hangs_up: false,
            endless: false,
        }
    }
}

/// A live conversation (an attempt, before its conference is created).
#[derive(Debug)]
pub(super) struct Conv {
    /// Its type.
    pub(super) kind: ConvType,
    /// Its id.
    pub(super) id: ConversationId,
    /// The queue task (`queue`, `call_agent`).
    pub(super) queue_id: Option<QueueId>,
    /// The recording file.
    pub(super) record_file: RecordFileId,
    /// Its user data, if any.
    pub(super) user_data: Option<Arc<str>>,
    /// When it arrived (the first step, for a scripted one).
    pub(super) arrived_at: SimTime,
    /// Its facts once the conference is created (`None` before).
    pub(super) info: Option<Arc<ConvInfo>>,
    /// Its calls, the initiator first.
    pub(super) parties: Vec<Party>,
    /// Since when it has waited for the ACD to select an agent (`None`: not waiting).
    pub(super) waiting_since: Option<SimTime>,
    /// Whether it is one of the callers counted in the ACD queue (`Engine::queue_len`).
    pub(super) in_acd_queue: bool,
    /// When the ACD (or a script) last selected an agent for it.
    pub(super) assigned_at: Option<SimTime>,
    /// When it began (the first invited party answered).
    pub(super) started_at: Option<SimTime>,
    /// How it failed, if it ends without beginning (the first failure seen wins).
    pub(super) failure: Option<Outcome>,
    /// Behaviour drawn at arrival.
    pub(super) draws: Draws,
    /// Index of the scripted conversation this is, if scripted.
    pub(super) script: Option<usize>,
    /// A scripted `end_reason`.
    pub(super) end_reason: Option<Arc<str>>,
    /// A scripted sub-account (the plan's otherwise).
    pub(super) subaccount_id: Option<Arc<str>>,
    /// The queue task while it waits for the ACD (it moves to the agent's party when an
    /// agent is selected).
    pub(super) waiting_task: Option<Task>,
    /// The call that queued hung up before the selected agent answered.
    pub(super) queueing_call_gone: bool,
    /// Where its queue task looks for an agent while it waits (`None`: any agent, as for
    /// generated calls).
    pub(super) route: Option<Route>,
    /// What the operation that placed or injected it fixed (`None`: generated or scripted).
    pub(super) ops: Option<Box<Operated>>,
}

impl Conv {
    /// A conversation of `kind` arriving now, with its ids and its draws: no parties yet,
    /// not waiting, not created, not scripted, not placed by an operation.
    pub(super) fn new(
        kind: ConvType,
        (id, queue_id, record_file): (ConversationId, Option<QueueId>, RecordFileId),
        user_data: Option<Arc<str>>,
        arrived_at: SimTime,
        draws: Draws,
    ) -> Self {
        Self {
            kind,
            id,
            queue_id,
            record_file,
            user_data,
            arrived_at,
            info: None,
            parties: Vec::with_capacity(2),
            waiting_since: None,
            in_acd_queue: false,
            assigned_at: None,
            started_at: None,
            failure: None,
            draws,
            script: None,
            end_reason: None,
            subaccount_id: None,
            waiting_task: None,
            queueing_call_gone: false,
            route: None,
            ops: None,
        }
    }
}

/// How a simulated phone answers when it rings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pickup {
    /// It answers this long after it starts ringing (unless it rings too long first).
    After(Span),
    /// It rings until its ring limit, then fails as unanswered.
    Never,
    /// It rings until told (`/__ccsim/phone`) or until its ring limit.
    Hold,
    /// Busy: the call fails at once, without ringing.
    Busy,
}

/// How long an answered phone stays before hanging up by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Talk {
    /// As the scenario's distributions say (who hangs up and when, drawn).
    Drawn,
    /// It hangs up this long after answering.
    After(Span),
    /// It never hangs up by itself.
    Never,
}

/// A simulated phone's behaviour for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Phone {
    /// Whether and when it answers.
    pub(super) pickup: Pickup,
    /// When it hangs up once answered.
    pub(super) talk: Talk,
}

/// The outside number a `call_out` dials once its agent is in.
#[derive(Debug, Clone)]
pub(super) struct Callee {
    /// The number (`to`).
    pub(super) number: Arc<str>,
    /// How long it rings at most (`max_dial_seconds`).
    pub(super) max_ring: Span,
    /// How it behaves.
    pub(super) phone: Phone,
}

/// What the application's operation (or the suite's injected call) fixed for a
/// conversation, where a generated one draws from the scenario.
#[derive(Debug, Clone, Default)]
pub(super) struct Operated {
    /// `call_out`: the number dialled once the agent is in.
    pub(super) callee: Option<Callee>,
    /// Its maximum length from creation (`max_answer_seconds`, `conversation_timeout`).
    pub(super) cap: Option<Span>,
    /// The queue timeout of its task, in place of the scenario's (`None`: it waits until
    /// the call ends).
    pub(super) queue_timeout: Option<Span>,
    /// How long the selected agent's phone rings at most (`fetch_timeout`).
    pub(super) fetch_timeout: Option<Span>,
    /// The state the agent its task selects is left in (`reserve_state`, as the platform
    /// names it).
    pub(super) reserve_state: Option<StateName>,
    /// The condition its task carries, in place of the run's (`None`: none, as
    /// `call_agent` tasks).
    pub(super) condition: Option<Arc<str>>,
}

/// The member record of a customer's or external callee's call.
pub(super) fn external_member(call_id: CallId, telnumber: Arc<str>) -> MemberInfo {
    MemberInfo {
        call_id,
        agent_name: None,
        extension_id: None,
        telnumber,
        mode: 1,
    }
}
