//! What an application asks the simulated platform to do through its API (log agents in,
//! `call_out`, invite, dismiss, …) and what a suite tells ccsim's simulated phones and
//! callers through the test-control API, as validated values; the platform's answers and
//! refusal codes; and [`Platform`], the one door both APIs go through to the engine.
//!
//! The API layer parses and validates requests into [`Operation`]s (a malformed request
//! never gets this far: it is answered `000001` naming the field); the engine checks the
//! preconditions that depend on its state and answers with an [`Answer`] or a
//! [`Refusal`] carrying the platform's code. Effects (rings, answers, webhooks) play out
//! afterwards in simulated time.

use std::sync::Arc;

use serde::Serialize;

use crate::time::SimTime;
use crate::units::Span;

/// One skill of an agent (`{name, score, enabled}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skill {
    /// The skill's name.
    pub name: Arc<str>,
    /// Its score (the platform's default: 0).
    pub score: i64,
    /// Whether it counts (default true).
    pub enabled: bool,
}

/// A page asked for by a list endpoint (`pageNo`, `pageSize`), from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// The page number, from 1.
    pub number: u64,
    /// Records per page (1 to 2000).
    pub size: u64,
}

/// A listen/speak mode (`mode`, 1 to 4): 1 listen and speak, 2 listen only, 3 speak only,
/// 4 neither (held).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Mode(pub u8);

/// Where an ACD task looks for its agent: the single `<route>` of an `<enqueue>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `<condition id="…"/>`: the agents the condition's `where` selects, best `sort`
    /// first.
    Condition(Arc<str>),
    /// `<agent name="…"/>`: this agent only.
    Agent(Arc<str>),
    /// `<skill name="…"/>`: agents having this skill (enabled).
    Skill(Arc<str>),
}

/// A parsed `<enqueue>` document (an IVR's, or the `enqueue` field of `call_agent` and
/// `invite_agent`): only what changes what the simulation does or sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enqueue {
    /// The route.
    pub route: Route,
    /// `user_data`.
    pub user_data: Option<Arc<str>>,
    /// `reserve_state`: the agent's state when it leaves the conversation (default idle).
    pub reserve_state: Option<Arc<str>>,
    /// `conversation_timeout`, seconds: the conversation's maximum length.
    pub conversation_timeout: Option<u32>,
    /// The route's `queue_timeout`, seconds (absent: the condition's, or the platform's).
    pub queue_timeout: Option<u32>,
    /// The route's `fetch_timeout`, seconds: how long the agent's phone rings at most.
    pub fetch_timeout: Option<u32>,
    /// The route's `priority`.
    pub priority: Option<u32>,
}

/// `POST callcenter/extension`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewExtension {
    /// `type`: 1 SIP phone (the only one the platform supports), 2 gateway, 3 telephone.
    pub kind: u8,
    /// `user`: SIP user, 6 to 12 digits.
    pub user: Option<Arc<str>>,
    /// `password`: 6 to 12 letters or digits.
    pub password: Option<Arc<str>>,
    /// `ipaddr`.
    pub ipaddr: Option<Arc<str>>,
    /// `telnum`.
    pub telnum: Option<Arc<str>>,
}

/// `POST callcenter/agent`: a login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// `name`: letters, digits and `_`, at most 32.
    pub name: Arc<str>,
    /// `num`: the work number.
    pub num: Option<Arc<str>>,
    /// `state`: the initial state (default `online`).
    pub state: Option<Arc<str>>,
    /// `skills`.
    pub skills: Vec<Skill>,
    /// `extension`: the id of an existing extension.
    pub extension: Arc<str>,
}

/// `POST callcenter/agent/{name}/call_out`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallOut {
    /// The initiating agent.
    pub agent: Arc<str>,
    /// `to`: the number called.
    pub to: Arc<str>,
    /// `from`: the number shown.
    pub from: Option<Arc<str>>,
    /// `max_dial_seconds`: how long the callee rings at most.
    pub max_dial_seconds: Option<u32>,
    /// `max_answer_seconds`: the call's maximum length.
    pub max_answer_seconds: u32,
    /// `user_data`.
    pub user_data: Option<Arc<str>>,
}

/// `POST callcenter/conversation/{id}/invite_out`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteOut {
    /// The conversation.
    pub conversation: Arc<str>,
    /// `to`.
    pub to: Arc<str>,
    /// `from`.
    pub from: Option<Arc<str>>,
    /// `max_dial_seconds`.
    pub max_dial_seconds: Option<u32>,
    /// `max_answer_seconds`.
    pub max_answer_seconds: u32,
    /// `mode`.
    pub mode: Mode,
}

/// An ACD condition as created or updated (`POST callcenter/condition[/{id}]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionSpec {
    /// `where`: a boolean expression over the agent's skills, ending with `;`
    /// (checked to parse before it gets here).
    pub where_: Arc<str>,
    /// `sort`: a numeric expression, higher first (`None`: all equal).
    pub sort: Option<Arc<str>>,
    /// `priority`, 0 to 99.
    pub priority: u8,
    /// `queue_timeout`, 1 to 1000 seconds.
    pub queue_timeout: u32,
    /// `fetch_timeout`, 1 to 60 seconds (default 45).
    pub fetch_timeout: u32,
    /// `remark`.
    pub remark: Option<Arc<str>>,
}

/// An inbound customer call a suite injects (`POST /__ccsim/calls`): the IVR queues it
/// with `<enqueue>`.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundCall {
    /// The caller's number (random if absent).
    pub from: Option<Arc<str>>,
    /// The enqueue's `user_data`.
    pub user_data: Option<Arc<str>>,
    /// The ACD condition it queues on (the scenario's default condition if absent).
    pub condition: Option<Arc<str>>,
    /// The queue timeout (the condition's, or the scenario's, if absent).
    pub queue_timeout: Option<Span>,
    /// How long the caller waits before hanging up (forever if absent).
    pub patience: Option<Span>,
    /// How long the caller talks once an agent answers before hanging up (the scenario's
    /// talk time if absent; `Some(None)`: until told or until someone else hangs up).
    pub talk: Option<Option<Span>>,
}

/// Which simulated call an instruction is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallRef {
    /// The call of this id (32 hex), as the records' members show it.
    Id(Arc<str>),
    /// The live call of this agent (its phone).
    Agent(Arc<str>),
    /// The live call of this outside number (a callee, or an injected caller).
    Number(Arc<str>),
}

/// What a suite tells one simulated call to do (`POST /__ccsim/phone`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Instruction {
    /// Answer now (a ringing phone).
    Answer,
    /// Refuse now (a ringing phone): it never answers.
    Reject,
    /// Hang up now (a ringing or connected call; a waiting caller gives up).
    Hangup,
    /// Change its listen/speak mode (no webhook, as on the platform).
    Mode(Mode),
    /// Keep ringing until told otherwise (or until the platform gives up ringing).
    Hold,
}

/// Everything the platform API and the test-control API can ask of the engine.
#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    /// `POST callcenter/extension`.
    CreateExtension(NewExtension),
    /// `DELETE callcenter/extension/{id}`.
    DeleteExtension {
        /// The extension id.
        id: Arc<str>,
    },
    /// `GET callcenter/extension/{id}`.
    GetExtension {
        /// The extension id.
        id: Arc<str>,
    },
    /// `GET callcenter/extension`.
    ListExtensions(Page),

    /// `POST callcenter/agent`.
    Login(Login),
    /// `DELETE callcenter/agent/{name}[?force=true]`.
    Logout {
        /// The agent.
        agent: Arc<str>,
        /// `force`: hang up its call first instead of refusing.
        force: bool,
    },
    /// `GET callcenter/agent/{name}/keepalive`.
    Keepalive {
        /// The agent.
        agent: Arc<str>,
    },
    /// `GET callcenter/agent/{name}`.
    GetAgent {
        /// The agent.
        agent: Arc<str>,
    },
    /// `GET callcenter/agent`.
    ListAgents(Page),
    /// `POST callcenter/agent/{name}/extension`.
    SetExtension {
        /// The agent.
        agent: Arc<str>,
        /// The extension id.
        extension: Arc<str>,
    },
    /// `POST callcenter/agent/{name}/state`.
    SetState {
        /// The agent.
        agent: Arc<str>,
        /// The new state (`idle`, `busy/…`, `away/…`).
        state: Arc<str>,
    },
    /// `POST callcenter/agent/{name}/skills` (the skills given replace the agent's).
    SetSkills {
        /// The agent.
        agent: Arc<str>,
        /// The skills.
        skills: Vec<Skill>,
    },

    /// `POST callcenter/agent/{name}/call_out`.
    CallOut(CallOut),
    /// `POST callcenter/agent/{name}/call_agent`.
    CallAgent {
        /// The initiating agent.
        agent: Arc<str>,
        /// Where to find the agent called.
        enqueue: Enqueue,
    },
    /// `POST callcenter/agent/{name}/enter`.
    Enter {
        /// The agent.
        agent: Arc<str>,
        /// The conversation.
        conversation: Arc<str>,
        /// `mode`.
        mode: Mode,
    },
    /// `POST callcenter/agent/{name}/exit`.
    Exit {
        /// The agent.
        agent: Arc<str>,
        /// The conversation.
        conversation: Arc<str>,
    },
    /// `POST callcenter/agent/{name}/lsm` and `POST callcenter/conversation/{id}/agent/{name}/lsm`.
    Lsm {
        /// The agent.
        agent: Arc<str>,
        /// The conversation.
        conversation: Arc<str>,
        /// The new mode.
        mode: Mode,
    },
    /// `POST callcenter/agent/{name}/reject`: the agent refuses the queue task ringing it.
    Reject {
        /// The agent.
        agent: Arc<str>,
        /// `queue_id`.
        queue_id: Arc<str>,
    },
    /// `GET callcenter/agent/{name}/conversation`.
    AgentConversations {
        /// The agent.
        agent: Arc<str>,
    },

    /// `DELETE callcenter/conversation/{id}`.
    Dismiss {
        /// The conversation.
        conversation: Arc<str>,
    },
    /// `POST callcenter/conversation/{id}/invite_agent`.
    InviteAgent {
        /// The conversation.
        conversation: Arc<str>,
        /// Where to find the agent invited.
        enqueue: Enqueue,
        /// `mode`.
        mode: Mode,
    },
    /// `POST callcenter/conversation/{id}/invite_out`.
    InviteOut(InviteOut),

    /// `POST callcenter/condition`.
    CreateCondition(ConditionSpec),
    /// `POST callcenter/condition/{id}`.
    UpdateCondition {
        /// The condition id.
        id: Arc<str>,
        /// Its new definition.
        spec: ConditionSpec,
    },
    /// `DELETE callcenter/condition/{id}`.
    DeleteCondition {
        /// The condition id.
        id: Arc<str>,
    },
    /// `GET callcenter/condition/{id}`.
    GetCondition {
        /// The condition id.
        id: Arc<str>,
    },
    /// `GET callcenter/condition`.
    ListConditions,

    /// Test-control: an inbound customer call arrives and is queued.
    InjectCall(InboundCall),
    /// Test-control: tell a call what to do.
    Instruct {
        /// Which call.
        call: CallRef,
        /// What to do.
        instruction: Instruction,
    },
}

/// An extension as the platform shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExtensionView {
    /// Its id.
    pub id: Arc<str>,
    /// Its type, as a string (`"1"`), as the platform answers it.
    #[serde(rename = "type")]
    pub kind: Arc<str>,
    /// The SIP user (the application's number prefixed).
    pub user: Option<Arc<str>>,
    /// The SIP password.
    pub password: Option<Arc<str>>,
    /// The gateway address.
    pub ipaddr: Option<Arc<str>>,
    /// The telephone number.
    pub telnum: Option<Arc<str>>,
}

/// An agent as the platform shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentView {
    /// Its name.
    pub name: Arc<str>,
    /// Its work number.
    pub num: Option<Arc<str>>,
    /// Its state.
    pub state: Option<Arc<str>>,
    /// Its extension id.
    pub extension: Option<Arc<str>>,
    /// Its skills.
    pub skills: Vec<Skill>,
    /// The conversation it is in, if any.
    pub conversation: Option<Arc<str>>,
}

/// An ACD condition as the platform shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConditionView {
    /// Its id.
    pub id: Arc<str>,
    /// `where`.
    #[serde(rename = "where")]
    pub where_: Arc<str>,
    /// `sort`.
    pub sort: Option<Arc<str>>,
    /// `priority`.
    pub priority: u8,
    /// `queue_timeout`.
    pub queue_timeout: u32,
    /// `fetch_timeout`.
    pub fetch_timeout: u32,
    /// `remark`.
    pub remark: Option<Arc<str>>,
}

/// One page of a list, in the platform's paging shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Paged<T> {
    /// Records per page.
    pub page_size: u64,
    /// The index of the page's first record, from 1.
    pub start_index: u64,
    /// Records in all.
    pub total_count: u64,
    /// Pages in all.
    pub total_page_count: u64,
    /// This page's number.
    pub current_page_no: u64,
    /// The records.
    pub result: Vec<T>,
}

/// What a call injected by the test-control API was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InjectedCall {
    /// The conversation id it will have once an agent is selected.
    pub conversation_id: Arc<str>,
    /// The caller's call id (for instructions).
    pub call_id: Arc<str>,
    /// The queue task id.
    pub queue_id: Arc<str>,
}

/// The engine's answer to an operation it accepted: the envelope's `data`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// `data: true`.
    True,
    /// `data: null`.
    Null,
    /// An id (`{"id": …}` for created extensions and conditions).
    Created {
        /// The new id.
        id: Arc<str>,
    },
    /// One extension.
    Extension(ExtensionView),
    /// A page of extensions.
    Extensions(Paged<ExtensionView>),
    /// One agent.
    Agent(AgentView),
    /// A page of agents.
    Agents(Paged<AgentView>),
    /// The conversations an agent is in (ids).
    Conversations(Vec<Arc<str>>),
    /// One condition.
    Condition(ConditionView),
    /// The conditions.
    Conditions(Vec<ConditionView>),
    /// A call injected.
    Injected(InjectedCall),
}

/// The platform's codes for an operation it refuses (HTTP 200 with this code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    /// `000001` a parameter is missing or invalid, or names something that is not there
    /// (a second login of the same name, an unknown ACD condition): the platform has no
    /// code of its own for these.
    BadParameter,
    /// `000004` busy: the conversation is not ready yet (or a lock is held).
    NotReady,
    /// `040103` no such extension.
    NoSuchExtension,
    /// `040104` the extension is disabled or taken by another agent.
    ExtensionUnavailable,
    /// `040202` no such agent.
    NoSuchAgent,
    /// `040203` the agent is busy (fetching or talking, or on a call).
    AgentBusy,
    /// `040204` the agent's registration expired (no keepalive for 24 h).
    AgentExpired,
    /// `040501` no such conversation, or it is over.
    NoSuchConversation,
    /// `040502` the conversation already has 8 members.
    ConversationFull,
}

impl Code {
    /// The six digits.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::BadParameter => "000001",
            Code::NotReady => "000004",
            Code::NoSuchExtension => "040103",
            Code::ExtensionUnavailable => "040104",
            Code::NoSuchAgent => "040202",
            Code::AgentBusy => "040203",
            Code::AgentExpired => "040204",
            Code::NoSuchConversation => "040501",
            Code::ConversationFull => "040502",
        }
    }

    /// The platform's message.
    pub fn message(self) -> &'static str {
        match self {
            Code::BadParameter => "参数错误",
            Code::NotReady => "系统繁忙",
            Code::NoSuchExtension => "分机不存在",
            Code::ExtensionUnavailable => "分机不可用",
            Code::NoSuchAgent => "坐席不存在",
            Code::AgentBusy => "座席正忙",
            Code::AgentExpired => "坐席已过期",
            Code::NoSuchConversation => "交谈不存在",
            Code::ConversationFull => "交谈成员已满",
        }
    }
}

/// Why the engine refused an operation: the platform's code, and what in particular (the
/// field, the agent, the state), for the `msg` after the code's own message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} {}: {detail}", code.as_str(), code.message())]
pub struct Refusal {
    /// The platform's code.
    pub code: Code,
    /// What in particular.
    pub detail: String,
}

impl Refusal {
    /// A refusal with `code`, saying `detail`.
    pub fn new(code: Code, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
        }
    }
}

/// The simulated platform as the APIs see it: operations are carried out one at a time,
/// at the current simulated time, and their effects play out afterwards.
pub trait Platform: Send + Sync {
    /// Carries out `op` now.
    fn operate(&self, op: Operation) -> Result<Answer, Refusal>;

    /// The simulated instant an operation made now happens at.
    fn now(&self) -> SimTime;

    /// Puts the platform back in its initial state: the scenario's agents and nothing
    /// else, no conversations, no records (test-control `POST /__ccsim/reset`).
    fn reset(&self) -> Result<(), Refusal>;
}
