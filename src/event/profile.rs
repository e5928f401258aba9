//! Fidelity profiles: one value object that says how the platform behaves, consulted by the
//! event builder, the record API and the delivery layer. No `if profile` elsewhere.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

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

/// The order a webhook body's keys are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOrder {
    /// As the platform's docs list the fields (`action`, `event`, `id`, …).
    Listed,
    /// As the platform's Java `HashMap` iterates them (Jackson serialises a `HashMap`):
    /// bucket by bucket of Java's `String.hashCode`, keys put in the documented order
    /// except `action`, put last.
    JavaHashMap,
}

/// How a webhook body's text is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyCharset {
    /// UTF-8, as the `Content-Type` header says.
    Utf8,
    /// ISO-8859-1 under the same utf-8 header, every character outside Latin-1 sent as
    /// `?` (what the platform's `new StringEntity(json)` does; `--legacy-charset`).
    Latin1,
}

/// How the platform's webhook delivery behaves, as the defaults of the delivery flags
/// (`--ordering`, `--retries`, `--retry-backoff`, `--timeout`, `--success`); a flag or
/// its environment variable overrides each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryDefaults {
    /// A conversation's (or agent's) next event waits for the previous one (`--ordering
    /// per-conversation`); `false`: every event is sent on its own (`none`).
    pub ordered: bool,
    /// Retries after a failed attempt.
    pub retries: u32,
    /// Retries go out at once (no backoff).
    pub immediate_retries: bool,
    /// Per-attempt timeout.
    pub timeout: Duration,
    /// Only HTTP 200 counts as delivered (else any 2xx).
    pub only_200: bool,
}

/// When the record API's signed requests expire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureExpiry {
    /// A request signed longer ago than this is refused (`签名过期`).
    pub max_age: Duration,
    /// A request signed further in the future than this is refused; `None`: a future
    /// timestamp never expires.
    pub max_future: Option<Duration>,
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
    /// `queue.fail{cause: hangup}` carries the selected agent's `agent_name`,
    /// `agent_extension_id` and `agent_call_id` (the platform passes a null agent call
    /// there, so they are left out even though an agent was selected).
    pub hangup_agent_fields: bool,
    /// The order of a webhook body's keys.
    pub key_order: KeyOrder,
    /// How a webhook body's text is encoded (UTF-8 by default in every profile).
    pub body_charset: BodyCharset,
    /// Whether `--legacy-charset` ([`BodyCharset::Latin1`]) may be asked of this profile.
    pub legacy_charset_allowed: bool,
    /// The delivery flags' defaults.
    pub delivery: DeliveryDefaults,
    /// The record shows the conversation's `queue_id` (the platform never writes the
    /// column: always `null`).
    pub record_queue_id: bool,
    /// The record shows `condition_id` and `agent_call_id` (documented; the platform's
    /// conversation object has neither key).
    pub record_condition_and_agent_call: bool,
    /// A record without members shows `"members": null` rather than `[]`.
    pub record_no_members_null: bool,
    /// The list shows only conversations of a sub-account: the platform's query matches
    /// `subaccountId = ?`, which never matches the null of a main account, so a
    /// main-account application always gets an empty list.
    pub list_subaccount_only: bool,
    /// When signed API requests expire.
    pub signature_expiry: SignatureExpiry,
    /// What becomes of the queue task of a caller who hangs up before any agent was
    /// selected (the engine produces what this says).
    pub abandoned_tasks: AbandonedTasks,
    /// A caller hanging up while the selected agent's phone rings fails the task with
    /// `call_fail` (the agent's call is dropped and its dial completes in error) rather than
    /// `hangup`.
    pub ringing_hangup_is_call_fail: bool,
    /// The end of an agent's after-call work (`busy → idle`) is announced. On the platform
    /// the application ends it through the state API, which sends no event.
    pub wrap_up_end_announced: bool,
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
            hangup_agent_fields: true,
            key_order: KeyOrder::Listed,
            body_charset: BodyCharset::Utf8,
            legacy_charset_allowed: false,
            delivery: DeliveryDefaults {
                ordered: true,
                ..PLATFORM_DELIVERY
            },
            record_queue_id: true,
            record_condition_and_agent_call: true,
            record_no_members_null: false,
            list_subaccount_only: false,
            signature_expiry: SignatureExpiry {
                max_age: Duration::from_secs(5 * 60),
                max_future: None,
            },
            abandoned_tasks: AbandonedTasks::FailAtHangup,
            ringing_hangup_is_call_fail: false,
            wrap_up_end_announced: true,
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
            hangup_agent_fields: false,
            key_order: KeyOrder::JavaHashMap,
            body_charset: BodyCharset::Utf8,
            legacy_charset_allowed: true,
            delivery: PLATFORM_DELIVERY,
            record_queue_id: false,
            record_condition_and_agent_call: false,
            record_no_members_null: true,
            list_subaccount_only: true,
            signature_expiry: SignatureExpiry {
                max_age: Duration::from_secs(50 * 60),
                max_future: None,
            },
            abandoned_tasks: AbandonedTasks::StayQueued,
            ringing_hangup_is_call_fail: true,
            wrap_up_end_announced: false,
        }
    }

    /// The profile with bodies sent as ISO-8859-1 under the utf-8 header
    /// (`--legacy-charset`); refused, naming both flags, by a profile that does not
    /// offer it.
    pub fn with_legacy_charset(mut self) -> Result<Self, String> {
        if !self.legacy_charset_allowed {
            return Err(format!(
                "--legacy-charset reproduces the platform's ISO-8859-1 bodies and needs \
                 --profile platform, but the profile is {}: add --profile platform, or drop \
                 --legacy-charset",
                self.name.as_str()
            ));
        }
        self.body_charset = BodyCharset::Latin1;
        Ok(self)
    }
}

/// How the platform's code delivers webhooks: each event on its own, 3 immediate retries
/// (4 attempts), 5 s timeouts, only HTTP 200 a success.
const PLATFORM_DELIVERY: DeliveryDefaults = DeliveryDefaults {
    ordered: false,
    retries: 3,
    immediate_retries: true,
    timeout: Duration::from_secs(5),
    only_200: true,
};

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
    fn legacy_charset_is_offered_by_the_platform_profile_only() {
        let platform = Profile::platform().with_legacy_charset().expect("offered");
        assert_eq!(platform.body_charset, BodyCharset::Latin1);
        assert_eq!(
            Profile::platform().body_charset,
            BodyCharset::Utf8,
            "off by default"
        );
        let err = Profile::documented().with_legacy_charset().unwrap_err();
        assert!(
            err.contains("--legacy-charset") && err.contains("--profile platform"),
            "{err}"
        );
    }

    #[test]
    fn delivery_defaults_differ_only_in_ordering() {
        let (d, p) = (Profile::documented().delivery, Profile::platform().delivery);
        assert!(d.ordered && !p.ordered);
        assert_eq!(DeliveryDefaults { ordered: true, ..p }, d);
        assert_eq!(
            (p.retries, p.immediate_retries, p.timeout, p.only_200),
            (3, true, Duration::from_secs(5), true)
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
