//! Fidelity profiles: one value object that says how the platform behaves, consulted by the
//! event builder, the record API and the delivery layer. No `if profile` elsewhere.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::sim::workload::AbandonedTasks;

/// Which behaviour to reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileName {
    /// What the platform documents for its webhooks and record API (the default).
    #[default]
    Documented,
    /// What the platform's code really does, where it differs from its docs.
    Platform,
}

impl ProfileName {
    /// Every profile, in the order they are listed.
    pub const ALL: [ProfileName; 2] = [ProfileName::Documented, ProfileName::Platform];

    /// The name in scenario files and on the command line (`documented`).
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileName::Documented => "documented",
            ProfileName::Platform => "platform",
        }
    }

    /// Every profile's name, in the order of [`ProfileName::ALL`].
    pub fn names() -> impl Iterator<Item = &'static str> {
        Self::ALL.into_iter().map(Self::as_str)
    }
}

/// A profile name that names no profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownProfile(pub String);

impl fmt::Display for UnknownProfile {
    /// `expected one of "documented", got "fancy"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("expected one of ")?;
        for (i, name) in ProfileName::names().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{name:?}")?;
        }
        write!(f, ", got {:?}", self.0)
    }
}

impl std::error::Error for UnknownProfile {}

impl FromStr for ProfileName {
    type Err = UnknownProfile;

    /// Exactly one of [`ProfileName::names`] (no trimming, case matters).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| UnknownProfile(s.to_owned()))
    }
}

/// Where `end.begin_time` (and the record's `begin_time`) comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeginTimeSource {
    /// The moment the conversation began (`begin` was sent): "交谈开始时间" (conversation
    /// start time), as the platform documents `begin_time`.
    Start,
    /// The moment the conversation was created, before `begin` (what the code does).
    Creation,
}

/// Whose call `begin.agent_call_id` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentCallSource {
    /// The initiating agent's call, for `call_out` and `call_agent` only (as documented).
    Initiator,
    /// The call whose answer started the conversation, for every type (code).
    Answerer,
}

/// How the record API writes a member's `begin_time` and `end_time`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberTimeFormat {
    /// `"YYYY-MM-DD HH:MM:SS"` in the API's zone (`--api-tz`), as the platform's documented
    /// example shows.
    LocalDateTime,
    /// Epoch milliseconds as a JSON number (what the code's Jackson defaults produce).
    EpochMs,
}

/// What the record endpoint answers for an id it does not hold (unknown or expired).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownRecord {
    /// `{"code":"040501","msg":"交谈不存在","data":null}`.
    NotFound,
    /// `{"code":"000000","msg":"请求成功","data":null}` (what the code does).
    NullData,
}

/// The behaviour switches of one profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// The profile's name.
    pub name: ProfileName,
    /// Send `parts_changed` when a member leaves, not only when one joins.
    pub parts_changed_on_leave: bool,
    /// `parts_changed` carries `subaccount_id`.
    pub parts_changed_subaccount: bool,
    /// `begin` carries `queue_id` for `call_agent` too (not only `queue`).
    pub begin_queue_id_for_call_agent: bool,
    /// Whose call `begin.agent_call_id` is.
    pub begin_agent_call: AgentCallSource,
    /// `end` carries `end_reason`, `record_file`, `queue_id` and `agent_call_id`.
    pub end_full: bool,
    /// Where `end.begin_time` (and the record's `begin_time`) comes from.
    pub begin_time: BeginTimeSource,
    /// How the record API writes member times.
    pub member_time: MemberTimeFormat,
    /// Agent members show `telnumber` in the record (the documented example shows it only for
    /// non-agents; the code fills it for everyone).
    pub agent_telnumber: bool,
    /// What the record endpoint answers for an id it does not hold.
    pub unknown_record: UnknownRecord,
    /// `agent.conversation_changed` carries the agent's `latest_state`.
    pub conversation_changed_latest_state: bool,
    /// Queue events of tasks an API call made (`call_agent`, `invite_agent`) carry
    /// `origin_call_id` (documented: "API引发的排队中，此参数为空", empty for API queues).
    pub api_queue_origin_call: bool,
    /// `call_agent` queue events carry the task's `condition_id`.
    pub call_agent_condition: bool,
    /// What becomes of the queue task of a caller who hangs up before any agent was
    /// selected (the engine produces what this says).
    pub abandoned_tasks: AbandonedTasks,
}

impl Profile {
    /// The profile called `name`.
    pub fn named(name: ProfileName) -> Self {
        match name {
            ProfileName::Documented => Self::documented(),
            ProfileName::Platform => Self::platform(),
        }
    }

    /// What the platform documents for its webhooks and record API.
    pub fn documented() -> Self {
        Self {
            name: ProfileName::Documented,
            parts_changed_on_leave: true,
            parts_changed_subaccount: false,
            begin_queue_id_for_call_agent: false,
            begin_agent_call: AgentCallSource::Initiator,
            end_full: true,
            begin_time: BeginTimeSource::Start,
            member_time: MemberTimeFormat::LocalDateTime,
            agent_telnumber: false,
            unknown_record: UnknownRecord::NotFound,
            conversation_changed_latest_state: false,
            api_queue_origin_call: false,
            call_agent_condition: true,
            abandoned_tasks: AbandonedTasks::FailAtHangup,
        }
    }
}

impl Profile {
    /// What the platform's code does, where it differs from its docs.
    pub fn platform() -> Self {
        Self {
            name: ProfileName::Platform,
            parts_changed_on_leave: false,
            parts_changed_subaccount: true,
            begin_queue_id_for_call_agent: true,
            begin_agent_call: AgentCallSource::Answerer,
            end_full: false,
            begin_time: BeginTimeSource::Creation,
            member_time: MemberTimeFormat::EpochMs,
            agent_telnumber: true,
            unknown_record: UnknownRecord::NullData,
            conversation_changed_latest_state: true,
            api_queue_origin_call: true,
            call_agent_condition: false,
            abandoned_tasks: AbandonedTasks::StayQueued,
        }
    }
}

impl Default for Profile {
    fn default() -> Self {
        Self::documented()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names_parse_back_and_others_are_refused_with_the_list() {
        for p in ProfileName::ALL {
            assert_eq!(p.as_str().parse::<ProfileName>(), Ok(p));
        }
        assert_eq!(
            ProfileName::names().collect::<Vec<_>>(),
            ["documented", "platform"]
        );
        assert_eq!(
            "Documented"
                .parse::<ProfileName>()
                .map_err(|e| e.to_string()),
            Err("expected one of \"documented\", \"platform\", got \"Documented\"".to_owned())
        );
    }

    #[test]
    fn the_names_are_the_ones_serde_writes() {
        for p in ProfileName::ALL {
            assert_eq!(
                serde_json::to_string(&p).expect("json"),
                format!("{:?}", p.as_str())
            );
        }
    }
}
